"""AsyncBucket on a failing server (issue 13, "bad input and failure"): the fault proxy's
5xx answers, resets and stalls in front of the real Ceph RGW, a refused connection, a
gateway restart and wrong credentials. Each is ``error`` with the right ``last_error``
(never an exception), nothing partial is left, no secret reaches a log line, and the
same facade works again afterwards."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from backend.src.libs.bucket import (
    AsyncBucket,
    AuthenticationFailed,
    ConnectionFailed,
    PermissionDenied,
)
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for
from tests.faults.conftest import ProxiedConfig, open_uploads, server_digests, sha256
from tests.faults.proxy import FaultProxy, matcher
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def test_5xx_retried_then_spent(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Two 503s are retried within the budget (native PUT and GET succeed, the bytes are
    the ones sent); 503 on every attempt is error with a ServiceUnavailable-class
    last_error naming the code, and the object on the server is unchanged."""

    async def run() -> None:
        bucket = AsyncBucket(config=proxied_config(max_retries=2))
        data = os.urandom(10_000)
        proxy.error(503, "SlowDown", count=2, match=matcher("PUT", f"/{fault_bucket}/k"))
        assert await bucket.upload_stream(fault_bucket, data, "k") == bucket.success
        proxy.error(503, "SlowDown", count=2, match=matcher("GET", f"/{fault_bucket}/k"))
        assert await bucket.download_stream(fault_bucket, "k") == data
        proxy.error(503, "SlowDown", count=1000, match=matcher("PUT"))
        assert await bucket.upload_stream(fault_bucket, b"other", "k") == bucket.error
        assert bucket.last_error is not None and bucket.last_error.code in ("SlowDown", "503")
        await bucket.aclose()
        assert server_digests(direct, fault_bucket) == {"k": sha256(data)}

    asyncio.run(run())


def test_reset_mid_multipart_aborts_and_stall_recovers(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path,
) -> None:
    """A connection reset on every part of a multipart upload (executor route): error,
    no incomplete multipart upload, no object; a stalled GET (native route) is error
    with ConnectionFailed, then the same facade reads the object once the stall ends."""

    async def run() -> None:
        bucket = AsyncBucket(
            config=proxied_config(max_retries=1, read_timeout=1.0, multipart_threshold=5 * MiB,
                                  multipart_chunksize=5 * MiB)
        )
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(11 * MiB))
        proxy.reset_upload(after=1024, count=1000, match=matcher("PUT", query="partNumber="))
        assert await bucket.upload_file(fault_bucket, big, "big") == bucket.error
        assert isinstance(bucket.last_error, ConnectionFailed)
        assert open_uploads(direct, fault_bucket) == []
        assert direct.object_exists(fault_bucket, "big") is False
        proxy.clear()
        assert await bucket.upload_stream(fault_bucket, b"small", "s") == bucket.success
        proxy.stall(30, count=1000, match=matcher("GET"))
        assert await bucket.download_stream(fault_bucket, "s") == bucket.error
        assert isinstance(bucket.last_error, ConnectionFailed)
        proxy.clear()
        assert await bucket.download_stream(fault_bucket, "s") == b"small"
        await bucket.aclose()

    asyncio.run(run())


def test_refused_then_back(
    proxy: FaultProxy, proxied_config: ProxiedConfig, fault_bucket: str
) -> None:
    """Nothing listening: every kind of call is error (ConnectionFailed), native and
    executor routes alike; when the proxy listens again the same facade works."""

    async def run() -> None:
        bucket = AsyncBucket(config=proxied_config(max_retries=0))
        assert await bucket.upload_stream(fault_bucket, b"v", "k") == bucket.success
        proxy.refuse()
        assert await bucket.download_stream(fault_bucket, "k") == bucket.error
        assert isinstance(bucket.last_error, ConnectionFailed)
        assert await bucket.get_file_info(fault_bucket, "k") == bucket.error
        assert await bucket.health_check() is False
        proxy.accept()
        assert await bucket.download_stream(fault_bucket, "k") == b"v"
        await bucket.aclose()

    asyncio.run(run())


def test_wrong_credentials_are_named_and_never_logged(
    ceph_server: S3Server, fault_bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong secret: error with AuthenticationFailed on the native route (a PUT's
    answer names SignatureDoesNotMatch) and PermissionDenied on the executor's HEAD (a
    bare 403); the secret appears in no log record and in no last_error text."""
    secret = "wrong-async-secret-4242"

    async def run() -> None:
        bucket = AsyncBucket(config=config_for(ceph_server, secret_key=secret))
        assert await bucket.upload_stream(fault_bucket, b"v", "k") == bucket.error
        assert isinstance(bucket.last_error, AuthenticationFailed)
        assert await bucket.get_file_info(fault_bucket, "k") == bucket.error
        assert isinstance(bucket.last_error, PermissionDenied)
        assert secret not in str(bucket.last_error)
        await bucket.aclose()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(run())
    assert caplog.records, "the failures were logged"
    assert all(secret not in record.getMessage() for record in caplog.records)


def test_gateway_restart(ceph_server: S3Server, direct: S3Store, fault_bucket: str) -> None:
    """The real gateway stopped: native and executor calls are error (ConnectionFailed);
    after the restart the same AsyncBucket reads what was written before, whole."""
    if os.environ.get("BUCKET_TEST_NO_GATEWAY_RESTART") == "1":
        pytest.skip("BUCKET_TEST_NO_GATEWAY_RESTART=1: the Ceph gateway is shared right now")
    if not ceph_server.controllable:
        pytest.skip("the S3 server was given without BUCKET_TEST_CEPH_DIR: cannot stop it")
    data = os.urandom(30_000)

    async def run() -> None:
        bucket = AsyncBucket(config=config_for(ceph_server, max_retries=1, connect_timeout=1))
        assert await bucket.upload_stream(fault_bucket, data, "k") == bucket.success
        ceph_server.stop_gateway()
        try:
            assert await bucket.download_stream(fault_bucket, "k") == bucket.error
            assert isinstance(bucket.last_error, ConnectionFailed)
            assert await bucket.upload_stream(fault_bucket, b"during", "k") == bucket.error
            assert await bucket.get_file_info(fault_bucket, "k") == bucket.error
        finally:
            ceph_server.start_gateway()
        assert await bucket.download_stream(fault_bucket, "k") == data
        await bucket.aclose()

    asyncio.run(run())
    assert server_digests(direct, fault_bucket) == {"k": sha256(data)}
