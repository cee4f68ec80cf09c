"""Issue 23 item 1 on Ceph: the library's records against a real server.

The application configured the root logger at DEBUG with its own handler
(``tests/unit/test_library_logging.py``'s ``application_logging``); the records counted
are those of the ``bucket`` loggers. A missing bucket or key asked about is one DEBUG
record; a refused request (403: a wrong secret) is one WARNING with its code; successful
calls (sync, and the async facade's calls on the event loop) log nothing above DEBUG.
(The same rules without a server, and the announcement of the default store:
``tests/unit/test_library_logging.py``.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server
from tests.unit.test_library_logging import _AppHandler, application_logging

WRONG_SECRET = "not-the-secret-key-0123456789"


@pytest.fixture
def app_logging() -> Iterator[_AppHandler]:
    with application_logging() as handler:
        yield handler


@pytest.fixture
def ceph_bucket(ceph_server: S3Server) -> Iterator[str]:
    """A new bucket on Ceph holding one object ``here.txt``, force-deleted afterwards."""
    store = S3Store(config_for(ceph_server))
    name = unique_bucket_name("logs")
    store.create_bucket(name)
    store.put_object(name, "here.txt", b"here")
    yield name
    store.delete_bucket(name, force=True)
    store.close()


def _misses(config: BucketConfig, bucket: str) -> list[object]:
    """Successful calls, then a missing key (read, opened, asked about) and a missing
    bucket, on ``Bucket``."""
    with Bucket(config=config) as facade:
        assert facade.connect() == 0
        assert facade.upload_stream(bucket, b"bytes", "b.txt") == 0
        assert facade.download_stream(bucket, "b.txt") == b"bytes"
        assert facade.file_exists(bucket, "b.txt") is True
        assert facade.file_exists(bucket, "no-such-key") is False
        assert facade.bucket_exists(unique_bucket_name("gone")) is False
        assert sorted(facade.get_bucket_files(bucket)) == ["b.txt", "here.txt"]  # type: ignore[arg-type]
        assert facade.delete_file(bucket, "b.txt") == 0
        return [
            facade.download_stream(bucket, "no-such-key"),
            facade.open_file(bucket, "no-such-key"),
            facade.get_file_info(bucket, "no-such-key"),
            facade.download_stream(unique_bucket_name("gone"), "k"),
            facade.get_bucket_files(unique_bucket_name("gone")),
        ]


async def _amisses(config: BucketConfig, bucket: str) -> list[object]:
    """The same on ``AsyncBucket``, once its store is built (the small reads and writes
    are then awaited on the event loop)."""
    async with AsyncBucket(config=config) as facade:
        assert await facade.file_exists(bucket, "here.txt") is True
        assert await facade.upload_stream(bucket, b"small", "a.txt") == 0
        assert await facade.download_stream(bucket, "a.txt") == b"small"
        assert await facade.file_exists(bucket, "missing.txt") is False
        assert await facade.delete_file(bucket, "a.txt") == 0
        assert await facade.health_check() is True
        return [
            await facade.download_stream(bucket, "no-such-key"),
            await facade.open_file(bucket, "no-such-key"),
            await facade.get_file_info(bucket, "no-such-key"),
            await facade.download_stream(unique_bucket_name("gone"), "k"),
            await facade.get_bucket_files(unique_bucket_name("gone")),
        ]


@pytest.mark.parametrize("facade", ["Bucket", "AsyncBucket"])
def test_a_missing_key_or_bucket_on_ceph_is_debug_only(
    facade: str, ceph_server: S3Server, ceph_bucket: str, app_logging: _AppHandler
) -> None:
    """Successful calls log nothing above DEBUG; Ceph's 404s (NoSuchKey, NoSuchBucket)
    make each read return ``error`` and log one DEBUG record naming the code; nothing of
    the library above DEBUG in the whole run."""
    config = config_for(ceph_server)
    if facade == "Bucket":
        results = _misses(config, ceph_bucket)
    else:
        results = asyncio.run(_amisses(config, ceph_bucket))
    assert results == [84] * 5
    assert app_logging.above_debug() == []
    misses = [r for r in app_logging.ours() if " failed: NoSuch" in r.getMessage()]
    assert [r.levelno for r in misses] == [logging.DEBUG] * 5, [r.getMessage() for r in misses]
    assert {r.name for r in misses} == {f"bucket.{facade}"}


async def _arefused(config: BucketConfig, bucket: str) -> tuple[object, object]:
    async with AsyncBucket(config=config) as facade:
        return await facade.download_stream(bucket, "here.txt"), facade.last_error


@pytest.mark.parametrize("facade", ["Bucket", "AsyncBucket"])
def test_a_refused_request_on_ceph_is_one_warning_with_its_code(
    facade: str, ceph_server: S3Server, ceph_bucket: str, app_logging: _AppHandler
) -> None:
    """A wrong secret: Ceph answers 403; the call is one WARNING record on the facade's
    logger naming the operation and the error's code, and never the secret."""
    config = config_for(ceph_server, secret_key=WRONG_SECRET, max_retries=0)
    if facade == "Bucket":
        with Bucket(config=config) as bucket:
            result, error = bucket.download_stream(ceph_bucket, "here.txt"), bucket.last_error
    else:
        result, error = asyncio.run(_arefused(config, ceph_bucket))
    assert result == 84 and error is not None
    assert getattr(error, "status", None) == 403
    warnings = [r for r in app_logging.ours() if r.levelno > logging.DEBUG]
    assert [(r.name, r.levelno) for r in warnings] == [(f"bucket.{facade}", logging.WARNING)]
    message = warnings[0].getMessage()
    assert message.startswith(f"download_stream failed: {error.code}: "), message  # type: ignore[attr-defined]
    assert all(WRONG_SECRET not in r.getMessage() for r in app_logging.records)
