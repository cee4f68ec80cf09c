"""``connect()`` proves the credentials (issue 23 item 4), on Ceph RGW.

A HeadBucket answer has no body, so its 403 cannot say whether the signature was refused
(a wrong secret, an unknown key) or the request was (a least-privilege policy). On that
403 the store makes one ListBuckets, whose answer names the code: SignatureDoesNotMatch or
InvalidAccessKeyId make ``connect()`` an ``error`` whose ``AuthenticationFailed`` names the
secret's setting (never its value); AccessDenied, or an answer, means the credentials are
good and the bucket merely hidden, which stays non-fatal. The hidden bucket here is one of
the test user's own that a bucket policy forbids it to HEAD (s3:ListBucket denied).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator

import pytest

from backend.src.libs.bucket import (
    AsyncBucket,
    AuthenticationFailed,
    Bucket,
    BucketConfig,
    PermissionDenied,
)
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

WRONG = "wrong-secret-value-2323"


@pytest.fixture
def plain_bucket(ceph_server: S3Server) -> Iterator[str]:
    """An existing bucket of the test user."""
    store = S3Store(config_for(ceph_server))
    name = unique_bucket_name("cred")
    store.create_bucket(name)
    yield name
    store.delete_bucket(name, force=True)
    store.close()


@pytest.fixture
def hidden_bucket(ceph_server: S3Server) -> Iterator[str]:
    """A bucket of the test user that a bucket policy forbids everyone to HEAD
    (``s3:ListBucket`` denied): HeadBucket answers a bare 403, ListBuckets works."""
    store = S3Store(config_for(ceph_server))
    name = unique_bucket_name("hid")
    store.create_bucket(name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{name}"],
            }
        ],
    }
    store.client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    with pytest.raises(PermissionDenied):
        store.bucket_exists(name)  # the premise: this user may not HEAD it
    yield name
    with contextlib.suppress(Exception):
        store.client.delete_bucket_policy(Bucket=name)
    store.delete_bucket(name, force=True)
    store.close()


def _wrong_secret(server: S3Server, variable: str, bucket: str, *, auto_create: bool) -> BucketConfig:
    """Settings with a wrong secret in ``variable`` and ``bucket`` as the default bucket."""
    user = "BUCKET_USER" if variable == "BUCKET_PASSWORD" else "AWS_ACCESS_KEY_ID"
    return BucketConfig.from_env(
        {
            "S3_ENDPOINT_URL": server.endpoint,
            user: server.access_key,
            variable: WRONG,
            "AWS_REGION": server.region,
            "BUCKET_NAME": bucket,
            "BUCKET_AUTO_CREATE": "true" if auto_create else "false",
            "BUCKET_MAX_RETRIES": "0",
        }
    )


@pytest.mark.parametrize(
    ("variable", "auto_create"),
    [("AWS_SECRET_ACCESS_KEY", True), ("BUCKET_PASSWORD", False)],
)
def test_connect_with_a_wrong_secret_is_an_error_naming_the_secret_setting(
    ceph_server: S3Server, plain_bucket: str, variable: str, auto_create: bool
) -> None:
    """A wrong secret with a default bucket set: connect() is error (it returned success
    when the bucket was made ready first, its HEAD's 403 taken for "denied"), on Bucket and
    AsyncBucket; last_error is an AuthenticationFailed naming BUCKET_PASSWORD /
    AWS_SECRET_ACCESS_KEY and the variable that set it, never the secret."""
    config = _wrong_secret(ceph_server, variable, plain_bucket, auto_create=auto_create)
    bucket = Bucket(config=config, auto_connect=False)
    assert bucket.connect() == bucket.error
    error = bucket.last_error
    assert isinstance(error, AuthenticationFailed), repr(error)
    text = str(error) + repr(error)
    assert "BUCKET_PASSWORD" in text and "AWS_SECRET_ACCESS_KEY" in text
    assert f"set by {variable}" in text
    assert WRONG not in text
    assert bucket.health_check() is False
    assert isinstance(bucket.last_error, AuthenticationFailed)

    async def run() -> None:
        abucket = AsyncBucket(config=config)
        assert await abucket.connect() == abucket.error
        assert isinstance(abucket.last_error, AuthenticationFailed)
        assert WRONG not in str(abucket.last_error)
        await abucket.aclose()

    asyncio.run(run())


def test_ensure_bucket_with_a_wrong_secret_is_an_error(
    ceph_server: S3Server, plain_bucket: str
) -> None:
    """ensure_bucket with a wrong secret is error with AuthenticationFailed (its HEAD's
    bare 403 was taken for a bucket one may not see, and the call returned success)."""
    config = config_for(ceph_server, secret_key=WRONG)
    bucket = Bucket(config=config, auto_connect=False)
    assert bucket.ensure_bucket(plain_bucket) == bucket.error
    assert isinstance(bucket.last_error, AuthenticationFailed)
    assert WRONG not in str(bucket.last_error)


def test_valid_credentials_and_a_bucket_they_may_not_head_connect(
    ceph_server: S3Server, hidden_bucket: str
) -> None:
    """Valid credentials with a default bucket they may not HEAD (least privilege):
    connect() is success with last_error None, with or without BUCKET_AUTO_CREATE (without
    it, the HEAD's 403 made connect() fail), on Bucket and AsyncBucket, and health_check()
    is True: the server answers and accepts the credentials."""
    for auto_create in (True, False):
        config = config_for(ceph_server, default_bucket=hidden_bucket, auto_create=auto_create)
        bucket = Bucket(config=config, auto_connect=False)
        assert bucket.connect() == bucket.success, (auto_create, bucket.last_error)
        assert bucket.last_error is None
        assert bucket.health_check() is True, bucket.last_error
        assert bucket.ensure_bucket(hidden_bucket) == bucket.success  # denied, not fatal
        bucket.disconnect()

        async def run(config: BucketConfig = config) -> None:
            abucket = AsyncBucket(config=config)
            assert await abucket.connect() == abucket.success, abucket.last_error
            assert abucket.last_error is None
            await abucket.aclose()

        asyncio.run(run())
