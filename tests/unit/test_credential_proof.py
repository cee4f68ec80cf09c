"""The store's probe tells a bucket one may not HEAD from credentials the server refuses
(issue 23 item 4), with botocore's ``Stubber`` (the answers the Ceph test cannot make:
ListBuckets itself denied under least privilege). Ceph's run is
tests/integration/test_connect_credentials.py."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from backend.src.libs.bucket import AuthenticationFailed, Bucket, BucketConfig, PermissionDenied
from backend.src.libs.bucket.s3.store import S3Store

SECRET = "stub-secret-0451"


@pytest.fixture
def stubbed() -> Iterator[tuple[S3Store, Stubber]]:
    """An S3Store on a stubbed client, default bucket ``app-data``, secret from
    BUCKET_PASSWORD."""
    config = BucketConfig.from_env(
        {
            "S3_ENDPOINT_URL": "http://s3.invalid:9000",
            "BUCKET_USER": "app",
            "BUCKET_PASSWORD": SECRET,
            "BUCKET_NAME": "app-data",
            "BUCKET_ENGINE": "boto3",
        }
    )
    client = boto3.client(
        "s3",
        endpoint_url="http://s3.invalid:9000",
        region_name="us-east-1",
        aws_access_key_id="app",
        aws_secret_access_key=SECRET,
    )
    stub = Stubber(client)
    with stub:
        yield S3Store(config, client=client), stub
    stub.assert_no_pending_responses()


def _head_refused(stub: Stubber) -> None:
    stub.add_client_error(
        "head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403
    )


def test_a_refused_head_then_a_refused_signature_is_authentication_failed(
    stubbed: tuple[S3Store, Stubber],
) -> None:
    """HEAD 403, then ListBuckets SignatureDoesNotMatch: the probe raises
    AuthenticationFailed naming BUCKET_PASSWORD (the variable that set the secret) and
    AWS_SECRET_ACCESS_KEY, without the secret (it raised the HEAD's bare PermissionDenied,
    "Forbidden"); the facade's connect() is error with it."""
    store, stub = stubbed
    _head_refused(stub)
    stub.add_client_error(
        "list_buckets", service_error_code="SignatureDoesNotMatch", http_status_code=403
    )
    with pytest.raises(AuthenticationFailed) as refused:
        store.ping()
    text = str(refused.value)
    assert "set by BUCKET_PASSWORD" in text and "AWS_SECRET_ACCESS_KEY" in text
    assert SECRET not in text + repr(refused.value)
    assert refused.value.bucket == "app-data"
    _head_refused(stub)
    stub.add_client_error("list_buckets", service_error_code="InvalidAccessKeyId", http_status_code=403)
    bucket = Bucket(store=store, auto_connect=False)
    assert bucket.connect() == bucket.error
    assert isinstance(bucket.last_error, AuthenticationFailed)
    assert "BUCKET_USER" in str(bucket.last_error)


@pytest.mark.parametrize("listing", ["denied", "allowed"])
def test_a_refused_head_with_accepted_credentials_is_not_fatal(
    stubbed: tuple[S3Store, Stubber], listing: str
) -> None:
    """HEAD 403, then ListBuckets AccessDenied (least privilege: the signature was good)
    or an answer: the probe succeeds and connect() is success with last_error None (the
    probe raised PermissionDenied and connect() was error)."""
    store, stub = stubbed
    for _ in range(2):  # the store's probe, then the facade's connect()
        _head_refused(stub)
        if listing == "denied":
            stub.add_client_error(
                "list_buckets", service_error_code="AccessDenied", http_status_code=403
            )
        else:
            stub.add_response("list_buckets", {"Buckets": []})
    assert store.ping() >= 0
    bucket = Bucket(store=store, auto_connect=False)
    assert bucket.connect() == bucket.success, bucket.last_error
    assert bucket.last_error is None


def test_other_refusals_are_not_probed_again(stubbed: tuple[S3Store, Stubber]) -> None:
    """A HEAD refused in a way that already names the cause (401 with a code) is raised
    as it is, without a second request."""
    store, stub = stubbed
    stub.add_client_error(
        "head_bucket", service_error_code="ExpiredToken", http_status_code=400
    )
    with pytest.raises(PermissionDenied) as refused:
        store.ping()
    assert isinstance(refused.value, AuthenticationFailed)
