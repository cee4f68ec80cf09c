"""Large bodies on the obstore data plane, on the real servers (Ceph RGW and SeaweedFS):
downloads to files (first GET, then parallel ranged GETs pinned by If-Match and version,
bodies resumed where they dropped) and multipart uploads, with the guarantees of the boto3
route (bytes, temporary files, aborted uploads, errors). Requests are counted on the wire
(a ``FaultProxy``) and on botocore's side, so a route that silently changed engine fails
here. Objects are ~11 MiB with 5 MiB parts (S3's smallest part but the last)."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.src.libs.bucket import Conflict, ConnectionFailed, ObjectNotFound
from backend.src.libs.bucket.base.options import SseC, WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for
from tests.faults.proxy import FaultProxy, matcher
from tests.streams import UnsizedStream

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZE = 11 * MiB  # three parts of 5 MiB, 5 MiB and 1 MiB
PARTS = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB, "max_concurrency": 2}


def _payload(size: int, seed: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 128  # 4 KiB, seed-dependent
    return (block * (size // len(block) + 1))[:size]


@dataclass
class Wired:
    """An obstore-engine store through a counting proxy, and botocore's own requests."""

    store: S3Store
    proxy: FaultProxy
    botocore: list[str]

    def wire(self, method: str | None = None) -> list[str]:
        return [r.method for r in self.proxy.seen(method)]

    def clear(self) -> None:
        self.proxy.clear()
        with self.proxy._lock:  # the requests seen so far
            self.proxy.requests.clear()
        self.botocore.clear()


def _wired(case: ServerCase, **overrides: object) -> Wired:
    proxy = FaultProxy(case.server.endpoint).start()
    store = S3Store(
        config_for(case.server, endpoint_url=proxy.endpoint, engine="obstore", **overrides)
    )
    sent: list[str] = []
    store.client.meta.events.register("before-send", lambda **kw: sent.append(kw["request"].method))
    return Wired(store=store, proxy=proxy, botocore=sent)


@pytest.fixture
def wired(s3case: ServerCase) -> Iterator[Wired]:
    """The case's server through a counting proxy, on the obstore engine."""
    made = _wired(s3case)
    yield made
    made.store.close()
    made.proxy.stop()


def _only(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# ------------------------------------------------------------------ downloads
def test_download_in_parts_goes_through_obstore(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """An 11 MiB object with a 5 MiB threshold and part size: three GETs on the wire (the
    first range, then two parts), none from botocore; the file holds the same bytes, no
    temporary is left, progress reaches the total and never passes it."""
    data = _payload(SIZE, 1)
    s3case.store.put_object(s3case.bucket, "big", data)
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "big.out"
    size = wired.store.download_file(
        s3case.bucket, "big", target, progress=lambda d, t: seen.append((d, t)), **PARTS
    )
    assert size == SIZE and target.read_bytes() == data
    assert wired.wire() == ["GET"] * 3 and wired.botocore == []
    assert seen[0] == (0, SIZE) and seen[-1] == (SIZE, SIZE)
    assert all(d <= SIZE for d, _ in seen)
    assert _only(tmp_path) == ["big.out"]


def test_download_below_threshold_is_one_obstore_get(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """A 300 kB object below the threshold: one GET (obstore's), bytes equal."""
    data = _payload(300_000, 2)
    s3case.store.put_object(s3case.bucket, "small", data)
    target = tmp_path / "small.out"
    assert wired.store.download_file(s3case.bucket, "small", target) == len(data)
    assert target.read_bytes() == data
    assert wired.wire() == ["GET"] and wired.botocore == []


def test_download_of_an_empty_object(s3case: ServerCase, wired: Wired, tmp_path: Path) -> None:
    """An empty object has no byte 0: the ranged GET is answered 416 and a plain GET
    follows (both obstore's); the file is empty and no temporary is left."""
    s3case.store.put_object(s3case.bucket, "empty", b"")
    target = tmp_path / "empty.out"
    target.write_bytes(b"old")
    assert wired.store.download_file(s3case.bucket, "empty", target) == 0
    assert target.read_bytes() == b""
    assert wired.wire() == ["GET", "GET"] and wired.botocore == []
    assert _only(tmp_path) == ["empty.out"]


def test_download_of_a_missing_object(s3case: ServerCase, wired: Wired, tmp_path: Path) -> None:
    """A missing key is ObjectNotFound naming bucket and key; no file appears."""
    with pytest.raises(ObjectNotFound) as missing:
        wired.store.download_file(s3case.bucket, "nope", tmp_path / "x")
    assert (missing.value.bucket, missing.value.key) == (s3case.bucket, "nope")
    assert _only(tmp_path) == [] and wired.botocore == []


def test_object_replaced_during_download_fails_cleanly(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """The object is replaced between the first GET and the parts (in the first progress
    call): the parts carry If-Match, the server answers 412, the download raises Conflict
    (PreconditionFailed), the target keeps its old bytes and no temporary is left."""
    s3case.store.put_object(s3case.bucket, "swap", _payload(SIZE, 3))
    target = tmp_path / "swap.out"
    target.write_bytes(b"previous")

    def replace(done: int, total: int | None) -> None:
        if done == 0:
            s3case.store.put_object(s3case.bucket, "swap", _payload(SIZE, 4))

    with pytest.raises(Conflict) as refused:
        wired.store.download_file(s3case.bucket, "swap", target, progress=replace, **PARTS)
    assert refused.value.code == "PreconditionFailed" and refused.value.status == 412
    assert target.read_bytes() == b"previous" and _only(tmp_path) == ["swap.out"]
    assert wired.botocore == []


def test_versioned_download_is_pinned_to_the_first_version(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """On a versioned bucket every part asks for the version the first GET read: a new
    version written meanwhile does not stop the download, and the file holds the first
    version's bytes. A version asked for explicitly is read the same way."""
    s3case.store.set_versioning(s3case.bucket, True)
    old = _payload(SIZE, 5)
    first = s3case.store.put_object(s3case.bucket, "v", old)
    target = tmp_path / "v.out"

    def replace(done: int, total: int | None) -> None:
        if done == 0:
            s3case.store.put_object(s3case.bucket, "v", _payload(SIZE, 6))

    wired.store.download_file(s3case.bucket, "v", target, progress=replace, **PARTS)
    assert target.read_bytes() == old
    parts = wired.proxy.seen("GET")
    assert len(parts) == 3 and all(f"versionId={first.version_id}" in r.query for r in parts[1:])
    wired.clear()
    wired.store.download_file(
        s3case.bucket, "v", target, version_id=first.version_id, **PARTS
    )
    assert target.read_bytes() == old and wired.botocore == []
    assert all(f"versionId={first.version_id}" in r.query for r in wired.proxy.seen("GET"))


def test_download_parts_resumed_after_a_reset(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """Each of the two part GETs is reset once after 256 KiB of body: each is resumed
    from where it stopped (obstore's GETs only), and the file is byte-identical."""
    data = _payload(SIZE, 7)
    s3case.store.put_object(s3case.bucket, "r", data)
    target = tmp_path / "r.out"

    def arm(done: int, total: int | None) -> None:
        if done == 0:  # after the first GET: only the parts are reset
            wired.proxy.reset_download(256 * 1024, count=2, match=matcher("GET", "/r"))

    wired.store.download_file(s3case.bucket, "r", target, progress=arm, **PARTS)
    assert target.read_bytes() == data
    actions = [r.action for r in wired.proxy.seen("GET")]
    assert actions.count("reset_download") == 2 and actions.count("forward") == 3
    assert wired.botocore == [] and _only(tmp_path) == ["r.out"]


def test_download_with_every_part_reset_fails_without_a_file(
    s3case: ServerCase, tmp_path: Path
) -> None:
    """Every part GET reset mid-body: the resumes are spent (2 retries), the download
    raises ConnectionFailed, the target keeps its old bytes, no temporary is left."""
    made = _wired(s3case, max_retries=2)
    data = _payload(SIZE, 8)
    s3case.store.put_object(s3case.bucket, "rr", data)
    target = tmp_path / "rr.out"
    target.write_bytes(b"previous")

    def arm(done: int, total: int | None) -> None:
        if done == 0:
            made.proxy.reset_download(100_000, count=1000, match=matcher("GET", "/rr"))

    try:
        with pytest.raises(ConnectionFailed):
            made.store.download_file(s3case.bucket, "rr", target, progress=arm, **PARTS)
    finally:
        made.store.close()
        made.proxy.stop()
    assert target.read_bytes() == b"previous" and _only(tmp_path) == ["rr.out"]
    assert made.botocore == []


def test_stalled_part_ends_by_the_timeout(s3case: ServerCase, tmp_path: Path) -> None:
    """The part GETs get no answer at all: each attempt ends after the read timeout
    (1 s), obstore retries once, the download raises ConnectionFailed well before the
    stall would end, and no file or temporary is left."""
    made = _wired(s3case, max_retries=1, read_timeout=1)
    s3case.store.put_object(s3case.bucket, "st", _payload(SIZE, 9))
    target = tmp_path / "st.out"

    def arm(done: int, total: int | None) -> None:
        if done == 0:
            made.proxy.stall(60, count=1000, match=matcher("GET", "/st"))

    started = time.monotonic()
    try:
        with pytest.raises(ConnectionFailed):
            made.store.download_file(s3case.bucket, "st", target, progress=arm, **PARTS)
    finally:
        made.store.close()
        made.proxy.stop()
    assert time.monotonic() - started < 30
    assert _only(tmp_path) == []
    assert made.botocore == []


def test_raising_progress_leaves_no_temporary(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """A progress callback that raises mid-download (as the async facade cancels a
    call) ends the download with that error; no file and no temporary are left."""
    s3case.store.put_object(s3case.bucket, "p", _payload(SIZE, 10))

    def stop(done: int, total: int | None) -> None:
        if done > 2 * MiB:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        wired.store.download_file(s3case.bucket, "p", tmp_path / "p.out", progress=stop, **PARTS)
    assert _only(tmp_path) == []


def test_downloads_obstore_cannot_carry_go_through_boto3(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """An SSE-C object (the key passed per call) and keys obstore cannot hold exactly are
    downloaded by botocore, with the same bytes; nothing of theirs goes through obstore."""
    key = os.urandom(32)
    data = _payload(SIZE, 11)
    s3case.store.put_object(s3case.bucket, "c", data, options=WriteOptions(encryption=SseC(key)))
    target = tmp_path / "c.out"
    wired.store.download_file(s3case.bucket, "c", target, sse_customer_key=key, **PARTS)
    assert target.read_bytes() == data
    assert wired.botocore == ["GET"] * 3 and wired.wire() == ["GET"] * 3
    if s3case.server.name != "ceph":
        return  # SeaweedFS normalises these keys (test_engines.py)
    verbatim = _wired(s3case, portable_keys=False)  # the default refuses these keys
    try:
        for odd in ("dir/", "a//b"):
            verbatim.store.put_object(s3case.bucket, odd, b"exact")
            verbatim.clear()
            verbatim.store.download_file(s3case.bucket, odd, target)
            assert target.read_bytes() == b"exact" and verbatim.botocore == ["GET"]
    finally:
        verbatim.store.close()
        verbatim.proxy.stop()


def test_sized_stores_are_kept_per_size_and_bounded(s3case: ServerCase) -> None:
    """The plane keeps one store per (bucket, size) (the same object for the same size),
    the small store for sizes up to SMALL_OBJECT, and at most MAX_SIZED_STORES."""
    from backend.src.libs.bucket.s3.obstore import MAX_SIZED_STORES, SMALL_OBJECT

    store = S3Store(config_for(s3case.server, engine="obstore"))
    plane = store._conn.plane
    assert plane is not None
    assert plane.sized(s3case.bucket, SMALL_OBJECT) is plane.store(s3case.bucket)
    one = plane.sized(s3case.bucket, 5 * MiB)
    assert plane.sized(s3case.bucket, 5 * MiB) is one
    assert plane.sized(s3case.bucket, 6 * MiB) is not one
    for n in range(MAX_SIZED_STORES + 3):
        plane.sized(s3case.bucket, 10 * MiB + n)
    assert plane.sized_count() == MAX_SIZED_STORES
    store.close()


# ------------------------------------------------------------------ uploads
UPLOAD = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB, "max_concurrency": 2}


def _uploads(case: ServerCase) -> list[str]:
    answer = case.store.client.list_multipart_uploads(Bucket=case.bucket)
    return [u["Key"] for u in answer.get("Uploads", [])]


def _multipart_on_the_wire(made: Wired) -> list[str]:
    """The multipart requests seen, by kind: create, part numbers, complete, abort."""
    kinds = []
    for r in made.proxy.seen():
        if r.method == "POST" and "uploadId=" not in r.query:
            kinds.append("create")
        elif r.method == "PUT" and "partNumber=" in r.query:
            kinds.append("part")
        elif r.method == "POST":
            kinds.append("complete")
        elif r.method == "DELETE" and "uploadId=" in r.query:
            kinds.append("abort")
    return kinds


def test_upload_file_in_parts_goes_through_obstore(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """An 11 MiB file above a 5 MiB threshold: one create, three parts and one complete
    on the wire, none from botocore; the bytes, content type, metadata, cache control and
    tags (where the server keeps a multipart upload's tags) are on the server; the result's size and ETag ('-3') are head_object's, and
    progress counts the file's bytes up to the total."""
    data = _payload(SIZE, 20)
    source = tmp_path / "up.bin"
    source.write_bytes(data)
    seen: list[tuple[int, int | None]] = []
    options = WriteOptions(
        content_type="application/x-test", metadata={"color": "blue"},
        cache_control="no-cache", tags={"team": "blue"},
    )
    result = wired.store.upload_file(
        s3case.bucket, "up", source, options=options,
        progress=lambda d, t: seen.append((d, t)), transfer=_settings(),
    )
    assert wired.botocore == []
    kinds = _multipart_on_the_wire(wired)
    assert kinds == ["create", "part", "part", "part", "complete"]
    head = s3case.store.head_object(s3case.bucket, "up")
    assert (result.size, result.etag) == (SIZE, head.etag) and head.etag.endswith("-3")
    assert (head.content_type, head.metadata) == ("application/x-test", {"color": "blue"})
    tags = s3case.store.client.get_object_tagging(Bucket=s3case.bucket, Key="up").get("TagSet")
    # Ceph RGW 16 drops the tags of CreateMultipartUpload (s3transfer's upload too)
    assert tags == (None if s3case.server.name == "ceph" else [{"Key": "team", "Value": "blue"}])
    assert s3case.store.get_object(s3case.bucket, "up") == data
    assert seen[0] == (0, SIZE) and seen[-1] == (SIZE, SIZE)
    assert _uploads(s3case) == []


def _settings() -> object:
    from backend.src.libs.bucket.s3.transfer import TransferSettings

    return TransferSettings(**UPLOAD)


def test_put_object_streams_in_parts_go_through_obstore(
    s3case: ServerCase, wired: Wired
) -> None:
    """put_object of a seekable stream and of a stream of unknown length above the
    threshold: obstore's multipart uploads (botocore sends nothing), the bytes equal,
    the unknown length counted (result.size), each ETag head_object's."""
    known = _payload(SIZE, 21)
    unknown = _payload(SIZE - 123, 22)
    first = wired.store.put_object(s3case.bucket, "known", io.BytesIO(known), transfer=_settings())
    second = wired.store.put_object(
        s3case.bucket, "unknown", io.BufferedReader(UnsizedStream(unknown)), transfer=_settings()
    )
    assert wired.botocore == []
    assert _multipart_on_the_wire(wired).count("complete") == 2
    assert second.size == len(unknown) and first.size == SIZE
    for key, body, result in (("known", known, first), ("unknown", unknown, second)):
        assert s3case.store.get_object(s3case.bucket, key) == body
        assert result.etag == s3case.store.head_object(s3case.bucket, key).etag


def test_versioned_multipart_returns_its_own_version(s3case: ServerCase, wired: Wired) -> None:
    """On a versioned bucket two obstore multipart uploads of one key return two version
    ids; each names the bytes and the ETag of its own upload."""
    s3case.store.set_versioning(s3case.bucket, True)
    one = wired.store.put_object(s3case.bucket, "v", io.BytesIO(_payload(SIZE, 23)),
                                 transfer=_settings())
    two = wired.store.put_object(s3case.bucket, "v", io.BytesIO(_payload(SIZE, 24)),
                                 transfer=_settings())
    assert wired.botocore == []
    assert one.version_id and two.version_id and one.version_id != two.version_id
    for result, seed in ((one, 23), (two, 24)):
        head = s3case.store.head_object(s3case.bucket, "v", version_id=result.version_id)
        assert head.etag == result.etag
        got = s3case.store.get_object(s3case.bucket, "v", version_id=result.version_id, end=99)
        assert got == _payload(100, seed)


@pytest.mark.parametrize(
    ("key", "options"),
    [
        ("enc", WriteOptions(encryption=SseC(b"k" * 32))),
        ("once", WriteOptions(mode="create")),
        ("meta", WriteOptions(metadata={"content-type": "shadow"})),
        ("tag", WriteOptions(tags={"team": "a b"})),
        ("dir/", WriteOptions()),
    ],
)
def test_uploads_obstore_cannot_carry_go_through_s3transfer(
    s3case: ServerCase, wired: Wired, key: str, options: WriteOptions
) -> None:
    """SSE-C, write-once (obstore's create mode would buffer the whole body), a metadata
    name that is an obstore attribute, a tag with a space and a key obstore alters keep an
    upload above the threshold on botocore (every request of it botocore's), and the
    bytes arrive."""
    if key == "dir/" and s3case.server.name != "ceph":
        pytest.skip("SeaweedFS reads 'dir/' as a folder (test_engines.py)")
    if key == "enc" and s3case.server.name != "ceph":
        pytest.skip("SSE-C over plain HTTP: Ceph RGW only here (test_s3_encryption.py)")
    data = _payload(SIZE, 25)
    # a folder marker is a key only with BUCKET_PORTABLE_KEYS off (test_key_aliasing.py)
    made = _wired(s3case, portable_keys=False) if key == "dir/" else wired
    try:
        made.store.put_object(s3case.bucket, key, io.BytesIO(data), options=options,
                              transfer=_settings())
        assert made.botocore and len(made.botocore) == len(made.wire())
        sse = {"sse_customer_key": b"k" * 32} if key == "enc" else {}
        assert made.store.get_object(s3case.bucket, key, **sse) == data
    finally:
        if made is not wired:
            made.store.close()
            made.proxy.stop()


def test_part_failing_past_its_retries_aborts_the_upload(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """Part 2 answered 500 InternalError on every attempt: obstore gives up after the
    retries (3 attempts), aborts the upload (a DELETE ?uploadId= on the wire), the call
    raises ServiceUnavailable (InternalError); no object and no incomplete upload remain."""
    from backend.src.libs.bucket import ServiceUnavailable

    source = tmp_path / "f.bin"
    source.write_bytes(_payload(SIZE, 26))
    wired.proxy.error(500, "InternalError", count=1000, match=matcher("PUT", query="partNumber=2"))
    with pytest.raises(ServiceUnavailable) as failed:
        wired.store.upload_file(s3case.bucket, "f", source, transfer=_settings())
    assert failed.value.code == "InternalError"
    assert [r.action for r in wired.proxy.seen("PUT", query="partNumber=2")] == ["error"] * 3
    assert _multipart_on_the_wire(wired).count("abort") == 1 and wired.botocore == []
    assert _uploads(s3case) == [] and s3case.store.object_exists(s3case.bucket, "f") is False


def test_resets_on_every_part_abort_the_upload(
    s3case: ServerCase, wired: Wired, tmp_path: Path
) -> None:
    """Every part reset after 1 MiB of body, on every attempt: ConnectionFailed, the
    upload aborted, no object and no incomplete upload left."""
    source = tmp_path / "f.bin"
    source.write_bytes(_payload(SIZE, 27))
    wired.proxy.reset_upload(MiB, count=1000, match=matcher("PUT", query="partNumber="))
    with pytest.raises(ConnectionFailed):
        wired.store.upload_file(s3case.bucket, "f", source, transfer=_settings())
    assert "reset_upload" in [r.action for r in wired.proxy.seen("PUT")]
    assert _multipart_on_the_wire(wired).count("abort") == 1 and wired.botocore == []
    assert _uploads(s3case) == [] and s3case.store.object_exists(s3case.bucket, "f") is False


def test_part_reset_once_is_retried(s3case: ServerCase, wired: Wired, tmp_path: Path) -> None:
    """Part 2 reset once mid-body: obstore sends it again, the upload completes with the
    same bytes and no incomplete upload remains."""
    data = _payload(SIZE, 28)
    source = tmp_path / "f.bin"
    source.write_bytes(data)
    wired.proxy.reset_upload(MiB, count=1, match=matcher("PUT", query="partNumber=2"))
    wired.store.upload_file(s3case.bucket, "f", source, transfer=_settings())
    actions = [r.action for r in wired.proxy.seen("PUT", query="partNumber=2")]
    assert actions == ["reset_upload", "forward"]
    assert s3case.store.get_object(s3case.bucket, "f") == data and _uploads(s3case) == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, "cancelled"])
def test_raising_progress_aborts_the_upload(
    s3case: ServerCase, wired: Wired, tmp_path: Path, error: object
) -> None:
    """A progress callback that raises after 6 MiB (the async facade's cancellation,
    OperationCancelled, or a KeyboardInterrupt): the exception comes out as itself, the
    multipart upload is aborted, no object and no incomplete upload remain."""
    from backend.src.libs.bucket.aio.jobs import OperationCancelled

    exc: BaseException = (
        KeyboardInterrupt("stop") if error is KeyboardInterrupt
        else OperationCancelled("cancelled by the caller", code="Cancelled")
    )
    source = tmp_path / "f.bin"
    source.write_bytes(_payload(SIZE, 29))

    def stop(done: int, total: int | None) -> None:
        if done > 6 * MiB:
            raise exc

    with pytest.raises(type(exc)) as raised:
        wired.store.upload_file(s3case.bucket, "f", source, progress=stop, transfer=_settings())
    assert raised.value is exc
    assert _multipart_on_the_wire(wired)[0] == "create"
    assert _multipart_on_the_wire(wired).count("abort") == 1 and wired.botocore == []
    assert _uploads(s3case) == [] and s3case.store.object_exists(s3case.bucket, "f") is False


def test_broken_stream_aborts_the_upload(s3case: ServerCase, wired: Wired) -> None:
    """A stream that raises OSError after 7 MiB: the call raises (the stream's error,
    translated as on the boto3 route), the upload is aborted, nothing is left."""
    from backend.src.libs.bucket import StorageError

    stream = io.BufferedReader(UnsizedStream(_payload(SIZE, 30), fail_after=7 * MiB))
    with pytest.raises((StorageError, OSError)):
        wired.store.put_object(s3case.bucket, "b", stream, transfer=_settings())
    assert _multipart_on_the_wire(wired).count("abort") == 1 and wired.botocore == []
    assert _uploads(s3case) == [] and s3case.store.object_exists(s3case.bucket, "b") is False
