"""``sigv4.sign`` makes, byte for byte, the presigned URL botocore's client makes (the
real-server check, a GET and a PUT through these URLs, is in
``tests/integration/test_engines.py``)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from backend.src.libs.bucket.s3 import sigv4
from backend.src.libs.bucket.s3.presign import content_disposition

KEYS = [
    "a.txt",
    "dir/sub/ü n~i(c)o+de.bin",
    "100% *real* ?#[]@!$&'()=;:,.txt",
    "trailing/",
    "  spaces  ",
    "中文/ключ/😀",
]
ENDPOINTS = [
    "http://127.0.0.1:9000",
    "http://127.0.0.1:80",
    "https://S3.Example.COM:443",
    "https://s3.example.com:8443/",
    "http://[::1]:9000",
]


@functools.cache  # a client per endpoint and token (building one takes ~0.25 s)
def _client(endpoint: str, token: str | None) -> Any:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name="eu-west-3",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret/example+key",
        aws_session_token=token,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _both(
    endpoint: str, token: str | None, key: str, method: str, extra: dict[str, str]
) -> tuple[str, str]:
    client = _client(endpoint, token)
    credentials = sigv4.Credentials("AKIDEXAMPLE", "secret/example+key", token)
    params: dict[str, Any] = {"Bucket": "media", "Key": key}
    query: dict[str, str] = {}
    if "version_id" in extra:
        params["VersionId"] = query["versionId"] = extra["version_id"]
    if "download_name" in extra:
        value = content_disposition(extra["download_name"])
        params["ResponseContentDisposition"] = query["response-content-disposition"] = value
    if "content_type" in extra:
        params["ContentType"] = extra["content_type"]
    operation = "get_object" if method == "GET" else "put_object"
    for _ in range(3):  # both must fall in the same second (X-Amz-Date)
        ours = sigv4.sign(
            endpoint,
            credentials,
            "eu-west-3",
            f"media/{key}",
            method=method,
            seconds=900,
            query=query,
            content_type=extra.get("content_type"),
        )
        theirs = client.generate_presigned_url(
            operation, Params=params, ExpiresIn=900, HttpMethod=method
        )
        if ours.split("X-Amz-Date=")[1][:16] == theirs.split("X-Amz-Date=")[1][:16]:
            break
    return ours, theirs


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("token", [None, "session/token+value=="])
@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("GET", {}),
        ("GET", {"version_id": "v-1 2/3"}),
        ("GET", {"download_name": 'report "2025".pdf'}),
        ("GET", {"version_id": "v1", "download_name": "é.txt"}),
        ("PUT", {}),
        ("PUT", {"content_type": "application/json;  charset=utf-8"}),
    ],
)
def test_same_url_as_botocore(
    key: str, token: str | None, method: str, extra: dict[str, str]
) -> None:
    """Every key shape, parameter and session token: the same URL as generate_presigned_url."""
    ours, theirs = _both("http://127.0.0.1:9000", token, key, method, extra)
    assert ours == theirs


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_host_signed_as_botocore_signs_it(endpoint: str) -> None:
    """Default ports dropped, host names lower-cased, IPv6 in brackets, a trailing '/' ignored."""
    ours, theirs = _both(endpoint, None, "k", "GET", {})
    assert ours == theirs


def test_endpoints_with_a_path_are_left_to_botocore() -> None:
    """An endpoint with a path of its own, or not http(s), is not signed here."""
    assert sigv4.signs("http://127.0.0.1:9000") and sigv4.signs("https://h/")
    assert not sigv4.signs("http://127.0.0.1:9000/s3") and not sigv4.signs("ftp://h")


def test_signing_keys_are_bounded() -> None:
    """Derived keys are kept per (secret, day, region), never more than 65."""
    for n in range(200):
        sigv4._signing_key(f"secret-{n}", "20261126", "us-east-1")
    assert len(sigv4._keys) <= 65


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("token", [None, "session/token+value=="])
@pytest.mark.parametrize("query", [{}, {"versionId": "v 1/2"}])
def test_authorization_header_as_botocore_signs_it(
    key: str, token: str | None, query: dict[str, str]
) -> None:
    """A HEAD signed in its headers: the same Authorization, X-Amz-Date and token headers as
    botocore's S3SigV4Auth on the same URL (https: botocore then leaves the payload
    unsigned too)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import ReadOnlyCredentials

    endpoint = "https://s3.example.com:8443"
    credentials = sigv4.Credentials("AKIDEXAMPLE", "secret/example+key", token)
    for _ in range(3):
        url, headers = sigv4.authorization(
            endpoint, credentials, "eu-west-3", f"media/{key}", method="HEAD", query=query
        )
        request = AWSRequest(method="HEAD", url=url)
        S3SigV4Auth(ReadOnlyCredentials(*credentials), "s3", "eu-west-3").add_auth(request)
        if request.headers["X-Amz-Date"] == headers["X-Amz-Date"]:
            break
    assert headers["Authorization"] == request.headers["Authorization"]
    assert headers["X-Amz-Content-SHA256"] == request.headers["X-Amz-Content-SHA256"]
    assert headers.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def test_sigv2_settings_keep_botocores_sigv2_urls() -> None:
    """BUCKET_SIGNATURE_VERSION=s3 (legacy SigV2): presigned URLs are botocore's SigV2
    ones, never a SigV4 URL signed here."""
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.s3.store import S3Store

    config = BucketConfig.from_env(
        {
            "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret-example",
            "BUCKET_SIGNATURE_VERSION": "s3",
        }
    )
    store = S3Store(config)
    try:
        url = store.presign_url("media", "a.txt", expiration=60)
    finally:
        store.close()
    assert "AWSAccessKeyId=AKIDEXAMPLE" in url and "X-Amz-Algorithm" not in url
