"""The facade through a server restart, wrong credentials and unreachable endpoints."""

from __future__ import annotations

import logging
import time

import pytest

from backend.src.libs.bucket import (
    AuthenticationFailed,
    Bucket,
    BucketConfig,
    ConnectionFailed,
)
from tests.conftest import config_for
from tests.servers import S3Server

pytestmark = pytest.mark.integration

WRONG_PASSWORD = "definitely-not-the-password-7f3a"


def test_survives_server_stop_and_start(s3_server: S3Server, bucket_name: str) -> None:
    """While the gateway is down every call returns error; once it is back the same Bucket works."""
    if not s3_server.controllable:
        pytest.skip("the S3 server was given by BUCKET_TEST_S3_ENDPOINT without BUCKET_TEST_CEPH_DIR")
    bucket = Bucket(config=config_for(s3_server, max_retries=0, connect_timeout=1))
    assert bucket.upload_stream(bucket_name, b"before", "k") == bucket.success
    s3_server.stop_gateway()
    try:
        started = time.monotonic()
        assert bucket.download_stream(bucket_name, "k") == bucket.error
        assert isinstance(bucket.last_error, ConnectionFailed)
        assert bucket.upload_stream(bucket_name, b"during", "k2") == bucket.error
        assert bucket.is_connected() is False
        assert bucket.health_check() is False
        assert time.monotonic() - started < 30
    finally:
        s3_server.start_gateway()
    assert bucket.download_stream(bucket_name, "k") == b"before"
    assert bucket.last_error is None
    assert bucket.upload_stream(bucket_name, b"after", "k3") == bucket.success
    assert bucket.is_connected() is True
    assert sorted(bucket.get_bucket_files(bucket_name)) == ["k", "k3"]  # type: ignore[arg-type]


def test_wrong_password(s3_server: S3Server, bucket_name: str, caplog: pytest.LogCaptureFixture,
                        capsys: pytest.CaptureFixture[str]) -> None:
    """Wrong password: not connected, every call returns error, last_error says why, no secret shown."""
    caplog.set_level(logging.DEBUG)
    config = config_for(s3_server, secret_key=WRONG_PASSWORD)
    bucket = Bucket(debug=True, config=config)
    assert bucket.is_connected() is False
    assert bucket.connect() == bucket.error
    results = [
        bucket.get_bucket_names(),
        bucket.create_bucket("some-new-bucket"),
        bucket.upload_stream(bucket_name, b"x", "k"),
        bucket.download_stream(bucket_name, "k"),
        bucket.get_bucket_files(bucket_name),
        bucket.get_bucket_file(bucket_name, "k"),
        bucket.delete_file(bucket_name, "k"),
        bucket.delete_bucket(bucket_name),
    ]
    assert results == [bucket.error] * len(results)
    assert isinstance(bucket.last_error, AuthenticationFailed)
    assert "BUCKET_PASSWORD" in str(bucket.last_error)
    captured = capsys.readouterr()
    everything = caplog.text + captured.out + captured.err + repr(bucket) + repr(bucket.last_error) + repr(config)
    assert WRONG_PASSWORD not in everything
    assert "SignatureDoesNotMatch" in caplog.text


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:1", "http://unreachable.invalid:9000"])
def test_unreachable_endpoint(endpoint: str) -> None:
    """An endpoint nobody answers on: error within seconds, ConnectionFailed naming the cause."""
    config = BucketConfig.from_env(
        {"S3_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
         "BUCKET_CONNECT_TIMEOUT": "1", "BUCKET_MAX_RETRIES": "0"}
    )
    bucket = Bucket(config=config)
    started = time.monotonic()
    assert bucket.is_connected() is False
    assert bucket.get_bucket_names() == bucket.error
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert "reach" in bucket.last_error.message
    assert time.monotonic() - started < 20
