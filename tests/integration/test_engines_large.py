"""Large bodies on the obstore data plane, on the real servers (Ceph RGW and SeaweedFS):
downloads to files (first GET, then parallel ranged GETs pinned by If-Match and version,
bodies resumed where they dropped) and multipart uploads, with the guarantees of the boto3
route (bytes, temporary files, aborted uploads, errors). Requests are counted on the wire
(a ``FaultProxy``) and on botocore's side, so a route that silently changed engine fails
here. Objects are ~11 MiB with 5 MiB parts (S3's smallest part but the last)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.src.libs.bucket import Conflict, ConnectionFailed, ObjectNotFound
from backend.src.libs.bucket.options import SseC, WriteOptions
from backend.src.libs.bucket.s3_store import S3Store
from tests.conftest import ServerCase, config_for
from tests.faults.proxy import FaultProxy, matcher

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
    for odd in ("dir/", "a//b"):
        s3case.store.put_object(s3case.bucket, odd, b"exact")
        wired.clear()
        wired.store.download_file(s3case.bucket, odd, target)
        assert target.read_bytes() == b"exact" and wired.botocore == ["GET"]


def test_sized_stores_are_kept_per_size_and_bounded(s3case: ServerCase) -> None:
    """The plane keeps one store per (bucket, size) (the same object for the same size),
    the small store for sizes up to SMALL_OBJECT, and at most MAX_SIZED_STORES."""
    from backend.src.libs.bucket.obstore_engine import MAX_SIZED_STORES, SMALL_OBJECT

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
