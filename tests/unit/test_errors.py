"""errors.translate: botocore errors become the StorageError tree, keeping their details."""

from __future__ import annotations

import pickle

import pytest
from botocore import exceptions as bce

from backend.src.libs.bucket.base.errors import (
    AlreadyExists,
    AuthenticationFailed,
    BucketNotEmpty,
    BucketNotFound,
    ConfigError,
    Conflict,
    ConnectionFailed,
    IntegrityError,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectNotFound,
    PermissionDenied,
    ServiceUnavailable,
    StorageError,
)
from backend.src.libs.bucket.s3.errors import translate


def client_error(code: str, status: int, message: str = "", request_id: str = "req-1") -> bce.ClientError:
    return bce.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id},
        },
        "Operation",
    )


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("NoSuchBucket", 404, BucketNotFound),
        ("NoSuchKey", 404, ObjectNotFound),
        ("AccessDenied", 403, PermissionDenied),
        ("InvalidAccessKeyId", 403, AuthenticationFailed),
        ("SignatureDoesNotMatch", 403, AuthenticationFailed),
        ("BucketAlreadyExists", 409, AlreadyExists),
        ("BucketAlreadyOwnedByYou", 409, AlreadyExists),
        ("BucketNotEmpty", 409, BucketNotEmpty),
        ("PreconditionFailed", 412, Conflict),
        ("InvalidRange", 416, InvalidArgument),
        ("InvalidBucketName", 400, InvalidArgument),
        ("BadDigest", 400, IntegrityError),
        ("MissingContentMD5", 400, NotSupported),
        ("SlowDown", 503, ServiceUnavailable),
        ("InternalError", 500, ServiceUnavailable),
        ("SomethingNew", 418, StorageError),
        ("SomethingElse", 502, ServiceUnavailable),
    ],
)
def test_codes_map_to_classes(code: str, status: int, cls: type[StorageError]) -> None:
    """Each S3 error code lands on its class and keeps code, status, bucket, key and request id."""
    err = translate(client_error(code, status, "server words"), bucket="b", key="k", operation="get")
    assert type(err) is cls
    assert err.code == code
    assert err.status == status
    assert err.bucket == "b"
    assert err.key == "k"
    assert err.request_id == "req-1"
    assert "get failed" in err.message


def test_bare_404_from_head_depends_on_key() -> None:
    """HEAD answers a bare 404: with a key it is ObjectNotFound, without one BucketNotFound."""
    missing_key = translate(client_error("404", 404, "Not Found"), bucket="b", key="k")
    assert isinstance(missing_key, ObjectNotFound)
    assert missing_key.code == "NoSuchKey" and "does not exist" in missing_key.message
    missing_bucket = translate(client_error("404", 404), bucket="b")
    assert isinstance(missing_bucket, BucketNotFound) and missing_bucket.code == "NoSuchBucket"


def test_builtin_bases_let_plain_except_work() -> None:
    """NotFound is a FileNotFoundError, PermissionDenied a PermissionError, InvalidArgument a ValueError."""
    assert isinstance(translate(client_error("NoSuchKey", 404), key="k"), FileNotFoundError)
    assert isinstance(translate(client_error("AccessDenied", 403)), PermissionError)
    assert isinstance(translate(client_error("InvalidRange", 416)), ValueError)
    assert isinstance(translate(bce.EndpointConnectionError(endpoint_url="http://x")), ConnectionError)


def test_network_errors_are_connection_failed() -> None:
    """Unreachable endpoints and timeouts become ConnectionFailed."""
    unreachable = translate(bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert isinstance(unreachable, ConnectionFailed)
    timeout = translate(bce.ReadTimeoutError(endpoint_url="http://x"))
    assert isinstance(timeout, ConnectionFailed)
    assert timeout.code == "Timeout"


def test_missing_credentials_name_the_variables() -> None:
    """NoCredentialsError becomes a ConfigError naming the variables to set."""
    err = translate(bce.NoCredentialsError())
    assert isinstance(err, ConfigError)
    assert "BUCKET_USER" in err.message and "AWS_ACCESS_KEY_ID" in err.message


def test_wrapped_transfer_errors_are_unwrapped() -> None:
    """boto3's S3UploadFailedError carries the ClientError as context: its code survives."""
    from boto3.exceptions import S3UploadFailedError

    try:
        try:
            raise client_error("NoSuchBucket", 404)
        except bce.ClientError:
            raise S3UploadFailedError("Failed to upload") from None
    except S3UploadFailedError as exc:
        # `from None` hides the cause but keeps the context, as boto3 does
        err = translate(exc, bucket="b", key="k")
    assert isinstance(err, BucketNotFound)


def test_storage_error_passes_through_and_pickles() -> None:
    """translate() returns a StorageError unchanged; errors survive pickling (process pools)."""
    original = ObjectNotFound("gone", bucket="b", key="k", request_id="r", status=404)
    assert translate(original) is original
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is ObjectNotFound
    assert (copy.bucket, copy.key, copy.request_id, copy.status) == ("b", "k", "r", 404)
    assert str(copy) == "NoSuchKey: gone [b/k]"
    assert isinstance(copy, NotFound)


def test_hint_is_added_once_for_signature_errors() -> None:
    """A signature error says which variable to check, once."""
    err = translate(client_error("SignatureDoesNotMatch", 403))
    assert err.message.count("BUCKET_PASSWORD") == 1
