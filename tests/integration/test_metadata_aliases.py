"""User metadata named like one of obstore's attributes stays user metadata (issue 22,
fault 6), on Ceph RGW and SeaweedFS, on every write route of the default engine.

obstore reads an ``attributes`` key such as ``contentencoding``, ``CacheControl`` or
``storage-class`` (ASCII case ignored, with or without the dash) as the object's own
header, not as ``x-amz-meta-*``: a write of such metadata through obstore would store no
metadata and serve the object with that header. Each test writes an object with one such
name in its metadata and a baseline object of the same shape with plain metadata
(``color``), then reads both with boto3's HeadObject: the metadata holds the name and
value, and the object's own headers (Content-Type, Content-Encoding, Cache-Control,
Content-Disposition, Content-Language, x-amz-storage-class) are the baseline's.

The baseline shows the route under test is obstore's (``ObstorePlane.put``,
``put_multipart`` and ``aput`` are watched): on the default engine (``BUCKET_ENGINE=auto``)
the plain-metadata write must have gone through obstore, so the test tells the engines
apart. When ``BUCKET_TEST_ENGINE=boto3`` (``scripts/test.sh``'s second run) that check is
left out and the outcome is checked alone.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.features.sync import sync
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.obstore import ObstorePlane
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, config_for

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
PARTS: dict[str, Any] = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB, "max_concurrency": 2}
ON_OBSTORE = os.environ.get("BUCKET_TEST_ENGINE", "auto") != "boto3"

# what each attribute would show as the object's own header, were the metadata sent as it
SHADOW = {
    "content-disposition": "attachment; filename=shadow.bin",
    "content-encoding": "gzip",
    "content-language": "fr-CA",
    "content-type": "application/x-shadow",
    "cache-control": "max-age=7",
    "storage-class": "STANDARD_IA",
}
OWN_HEADERS = (
    "content-type",
    "content-encoding",
    "cache-control",
    "content-disposition",
    "content-language",
    "x-amz-storage-class",
)
# every alias obstore knows (obstore/src/attributes.rs, PyAttribute::extract: the header
# name, with or without its dash, ASCII case ignored), and some in other cases
ALIASES = sorted(h for header in SHADOW for h in (header, header.replace("-", "")))
NAMES = [*ALIASES, "ContentEncoding", "CACHE-CONTROL", "Storage-Class", "contentTYPE"]
PLAIN = {"color": "blue"}


def _value(name: str) -> str:
    """The value an alias ``name`` is given: the one its header would show."""
    folded = name.lower()
    return next(v for h, v in SHADOW.items() if folded in (h, h.replace("-", "")))


Seen = dict[str, list[str]]


@pytest.fixture
def obstore_calls(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """The keys each of ``ObstorePlane.put``, ``put_multipart`` and ``aput`` was asked
    to write during the test (the calls still go through)."""
    seen: Seen = {"put": [], "put_multipart": [], "aput": []}

    def spy(method: str) -> Callable[..., Any]:
        original = getattr(ObstorePlane, method)

        def recorded(self: ObstorePlane, bucket: str, key: str, *args: Any, **kw: Any) -> Any:
            seen[method].append(key)
            return original(self, bucket, key, *args, **kw)

        return recorded

    for method in seen:
        monkeypatch.setattr(ObstorePlane, method, spy(method))
    return seen


@pytest.fixture
def facade(s3case: ServerCase) -> Iterator[Bucket]:
    """A ``Bucket`` on the case's server, on the session's engine (default: auto)."""
    bucket = Bucket(config=s3case.config())
    yield bucket
    bucket.disconnect()


def _own(s3case: ServerCase, key: str) -> tuple[dict[str, str], dict[str, str | None]]:
    """The object's user metadata and its own headers, as the server answers a HEAD."""
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key=key)
    headers = head["ResponseMetadata"]["HTTPHeaders"]
    return head["Metadata"], {h: headers.get(h) for h in OWN_HEADERS}


def _assert_kept(s3case: ServerCase, key: str, name: str, baseline: str) -> None:
    """``key`` holds ``name`` in its metadata with its value, and its own headers are
    those of ``baseline`` (same route, plain metadata): none is the metadata's value."""
    value = _value(name)
    metadata, headers = _own(s3case, key)
    assert metadata.get(name.lower()) == value, (name, metadata, headers)
    assert value not in headers.values(), (name, headers)
    base_metadata, base_headers = _own(s3case, baseline)
    assert base_metadata.get("color") == "blue"
    assert headers == base_headers, name


def _assert_route(seen: Seen, method: str, key: str) -> None:
    """On the obstore engine, the plain-metadata ``key`` went through ``method``."""
    if ON_OBSTORE:
        assert key in seen[method], (method, key, seen)


@pytest.mark.parametrize("name", NAMES)
def test_upload_stream_keeps_alias_named_metadata(
    s3case: ServerCase, facade: Bucket, obstore_calls: Seen, name: str
) -> None:
    """``Bucket.upload_stream`` of a small body (obstore's one-PUT route) with metadata
    named like an obstore attribute stores that metadata and leaves the object's own
    headers as a plain upload's (the reported ``contentencoding: gzip`` case)."""
    assert facade.upload_stream(s3case.bucket, b"plain", "base.txt", metadata=PLAIN) == 0
    _assert_route(obstore_calls, "put", "base.txt")
    assert (
        facade.upload_stream(s3case.bucket, b"plain", "x.txt", metadata={name: _value(name)}) == 0
    )
    _assert_kept(s3case, "x.txt", name, "base.txt")


@pytest.mark.parametrize("name", NAMES)
def test_multipart_upload_file_keeps_alias_named_metadata(
    s3case: ServerCase, facade: Bucket, obstore_calls: Seen, name: str, tmp_path: Path
) -> None:
    """``Bucket.upload_file`` above the multipart threshold (obstore's multipart route)
    with metadata named like an obstore attribute stores that metadata and leaves the
    object's own headers as a plain multipart upload's."""
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(5 * MiB + 1024))  # two parts: 5 MiB and 1 KiB
    code = facade.upload_file(s3case.bucket, source, "base.bin", metadata=PLAIN, **PARTS)
    assert code == 0, facade.last_error
    _assert_route(obstore_calls, "put_multipart", "base.bin")
    code = facade.upload_file(
        s3case.bucket, source, "x.bin", metadata={name: _value(name)}, **PARTS
    )
    assert code == 0, facade.last_error
    _assert_kept(s3case, "x.bin", name, "base.bin")


@pytest.mark.parametrize("name", NAMES)
def test_async_native_put_keeps_alias_named_metadata(
    s3case: ServerCase, obstore_calls: Seen, name: str
) -> None:
    """``AsyncBucket.upload_stream`` of a small body (the native ``put_async`` route,
    ``S3Store.aput_object``) with metadata named like an obstore attribute stores that metadata
    and leaves the object's own headers as a plain native upload's."""

    async def run() -> None:
        async with AsyncBucket(config=s3case.config()) as bucket:
            # the first call builds the store in the executor; later ones are native
            assert await bucket.upload_stream(s3case.bucket, b"warm", "warm.txt") == 0
            assert (
                await bucket.upload_stream(s3case.bucket, b"plain", "base.txt", metadata=PLAIN) == 0
            )
            _assert_route(obstore_calls, "aput", "base.txt")
            code = await bucket.upload_stream(
                s3case.bucket, b"plain", "x.txt", metadata={name: _value(name)}
            )
            assert code == 0, bucket.last_error

    asyncio.run(run())
    _assert_kept(s3case, "x.txt", name, "base.txt")


def test_sync_local_to_s3_keeps_alias_named_metadata(
    s3case: ServerCase, obstore_calls: Seen, tmp_path: Path
) -> None:
    """``sync.sync`` from a local store to S3 copies metadata named like an obstore
    attribute as metadata, for small objects (one PUT each) and a streamed object above
    the multipart threshold: every copy holds it, with the own headers of a copy with
    plain metadata (which went through obstore)."""
    local = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path / "local")))
    local.create_bucket("src")
    big = os.urandom(6 * MiB)
    local.put_object("src", "base.txt", b"plain", options=WriteOptions(metadata=PLAIN))
    local.put_object("src", "big-base.txt", big, options=WriteOptions(metadata=PLAIN))
    for name in NAMES:
        options = WriteOptions(metadata={name: _value(name)})
        local.put_object("src", f"x-{name}.txt", b"plain", options=options)
    big_alias = {"contentencoding": "gzip"}
    local.put_object("src", "big-x.txt", big, options=WriteOptions(metadata=big_alias))
    dst = S3Store(
        config_for(s3case.server, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    )
    try:
        report = sync(local, "src", dst, s3case.bucket, buffer_limit=MiB)
    finally:
        dst.close()
    assert report.ok and report.copied == len(NAMES) + 3, report
    _assert_route(obstore_calls, "put", "base.txt")
    _assert_route(obstore_calls, "put_multipart", "big-base.txt")
    for name in NAMES:
        _assert_kept(s3case, f"x-{name}.txt", name, "base.txt")
    _assert_kept(s3case, "big-x.txt", "contentencoding", "big-base.txt")
