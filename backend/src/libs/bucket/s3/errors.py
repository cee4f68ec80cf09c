"""The one place that turns the S3 engines' errors into the ``StorageError`` tree:
botocore's ``ClientError`` and transport errors (``translate``) and obstore's
(``translate_obstore``, through ``EngineError``). Nothing else looks inside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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

# S3 error codes -> our classes. Codes not listed fall back on the HTTP status.
_CODE_TABLE: dict[str, type[StorageError]] = {
    "NoSuchBucket": BucketNotFound,
    "NoSuchKey": ObjectNotFound,
    "NoSuchVersion": ObjectNotFound,
    "NoSuchUpload": NotFound,
    "NoSuchLifecycleConfiguration": NotFound,
    "NoSuchTagSet": NotFound,
    "ServerSideEncryptionConfigurationNotFoundError": NotFound,
    "ObjectLockConfigurationNotFoundError": NotFound,
    "AccessDenied": PermissionDenied,
    "AllAccessDisabled": PermissionDenied,
    "AccountProblem": PermissionDenied,
    "InvalidAccessKeyId": AuthenticationFailed,
    "SignatureDoesNotMatch": AuthenticationFailed,
    "InvalidToken": AuthenticationFailed,
    "ExpiredToken": AuthenticationFailed,
    "TokenRefreshRequired": AuthenticationFailed,
    "RequestTimeTooSkewed": AuthenticationFailed,
    "BucketAlreadyExists": AlreadyExists,
    "BucketAlreadyOwnedByYou": AlreadyExists,
    "BucketNotEmpty": BucketNotEmpty,
    "PreconditionFailed": Conflict,
    "ConditionalRequestConflict": Conflict,
    "OperationAborted": Conflict,
    "InvalidObjectState": Conflict,
    "InvalidBucketName": InvalidArgument,
    "InvalidArgument": InvalidArgument,
    "InvalidRange": InvalidArgument,
    "InvalidRequest": InvalidArgument,
    "InvalidStorageClass": InvalidArgument,
    "InvalidLocationConstraint": InvalidArgument,
    "IllegalLocationConstraintException": InvalidArgument,
    "KeyTooLongError": InvalidArgument,
    "MetadataTooLarge": InvalidArgument,
    "EntityTooLarge": InvalidArgument,
    "EntityTooSmall": InvalidArgument,
    "MalformedXML": InvalidArgument,
    "InvalidPart": InvalidArgument,
    "InvalidPartOrder": InvalidArgument,
    "MissingContentLength": InvalidArgument,
    "BadDigest": IntegrityError,
    "InvalidDigest": IntegrityError,
    "XAmzContentSHA256Mismatch": IntegrityError,
    "MissingContentMD5": NotSupported,
    "NotImplemented": NotSupported,
    "SlowDown": ServiceUnavailable,
    "ServiceUnavailable": ServiceUnavailable,
    "InternalError": ServiceUnavailable,
    "RequestTimeout": ConnectionFailed,
    # versioning, encryption, lifecycle, object lock, write-once, STS
    "NoSuchObjectLockConfiguration": NotFound,
    "NoSuchBucketPolicy": NotFound,
    "ReplicationConfigurationNotFoundError": NotFound,
    "InvalidEncryptionAlgorithmError": InvalidArgument,
    "InvalidRetentionPeriod": InvalidArgument,
    "InvalidBucketState": Conflict,
    "ObjectLocked": Conflict,
    "MethodNotAllowed": NotSupported,
    "UnsupportedOperation": NotSupported,
    "KMS.NotFoundException": InvalidArgument,
    "KMS.DisabledException": InvalidArgument,
    "AccessDeniedException": PermissionDenied,
    "RegionDisabledException": PermissionDenied,
    "MalformedPolicyDocument": InvalidArgument,
    "PackedPolicyTooLarge": InvalidArgument,
}

_STATUS_TABLE: dict[int, type[StorageError]] = {
    400: InvalidArgument,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    405: NotSupported,
    409: Conflict,
    412: Conflict,
    416: InvalidArgument,
    501: NotSupported,
}

_MESSAGES: dict[str, str] = {
    "InvalidAccessKeyId": "the access key is not known to the server (check BUCKET_USER / AWS_ACCESS_KEY_ID)",
    # input known to break signatures is refused (validation.check_metadata): what is left
    # is a wrong secret or something rewriting the request on the way
    "SignatureDoesNotMatch": (
        "the request signature does not match: either the secret key is wrong (check "
        "BUCKET_PASSWORD / AWS_SECRET_ACCESS_KEY) or a header was altered on the way "
        "(a proxy, or a header value the server reads differently, such as a tab in "
        "metadata sent around this library's checks)"
    ),
    "RequestTimeTooSkewed": "the local clock differs too much from the server's",
    "PreconditionFailed": "a condition of the request does not hold (for a write-once put: the key exists)",
    "MissingContentMD5": "the server wants a Content-MD5 header (an older server; see checksum settings)",
    "InvalidBucketState": "the bucket's state forbids this (object lock needs versioning; lock cannot be turned off)",
    "ObjectLocked": "the object version is locked by a retention period or a legal hold",
    "InvalidEncryptionAlgorithmError": "the server-side encryption algorithm is not supported",
}


def _class_for(code: str, status: int | None, *, has_key: bool) -> type[StorageError]:
    if code in _CODE_TABLE:
        return _CODE_TABLE[code]
    if status == 404 or code in ("NotFound", "404"):
        return ObjectNotFound if has_key else BucketNotFound
    if status is not None and status in _STATUS_TABLE:
        return _STATUS_TABLE[status]
    if status is not None and status >= 500:
        return ServiceUnavailable
    return StorageError


def translate(
    exc: BaseException,
    *,
    bucket: str | None = None,
    key: str | None = None,
    operation: str | None = None,
) -> StorageError:
    """Turn a botocore, obstore (``translate_obstore``) or socket exception into a
    ``StorageError`` keeping the S3 error code, HTTP status, request id, bucket and key.

    Args:
        operation: the store method's name, used in messages.

    Returns:
        A ``StorageError`` subclass instance (``exc`` itself if it already is one), for
        the caller to raise ``from exc``.
    """
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, EngineError):
        return translate_obstore(exc.cause, bucket=bucket, key=key, operation=operation)
    # botocore is imported here, not at module level: importing the package stays cheap.
    from botocore import exceptions as bce

    what = f"{operation} failed" if operation else "request failed"
    if not isinstance(exc, (bce.ClientError, bce.BotoCoreError)):
        # boto3's transfer wrappers (S3UploadFailedError, RetriesExceededError) carry the
        # real botocore error as their cause or context: translate that one.
        inner = exc.__cause__ or exc.__context__ or getattr(exc, "last_exception", None)
        if isinstance(inner, (bce.ClientError, bce.BotoCoreError)):
            return translate(inner, bucket=bucket, key=key, operation=operation)
    if isinstance(exc, bce.ClientError):
        return _from_client_error(exc, what, bucket=bucket, key=key)
    found = _from_transport(exc, what, bucket=bucket, key=key)
    if found is not None:
        return found
    return _from_other(exc, what, bucket=bucket, key=key)


def _from_client_error(
    exc: BaseException, what: str, *, bucket: str | None, key: str | None
) -> StorageError:
    """An error the server answered: its code, status, request id and message kept."""
    response = _mapping(getattr(exc, "response", None))
    error = _mapping(response.get("Error"))
    meta = _mapping(response.get("ResponseMetadata"))
    raw_status = meta.get("HTTPStatusCode")
    status = raw_status if isinstance(raw_status, int) else None
    code = str(error.get("Code") or status or "Unknown")
    headers = _mapping(meta.get("HTTPHeaders"))
    found_id = meta.get("RequestId") or headers.get("x-amz-request-id")
    bare = code in ("404", "NotFound")  # always a not-found class: its message is ours
    detail = "" if bare else str(error.get("Message") or "")
    request_id = str(found_id) if found_id else None
    return _answered(what, code, status, detail, request_id, bare=bare, bucket=bucket, key=key)


def _answered(
    what: str,
    code: str,
    status: int | None,
    detail: str,
    request_id: str | None,
    *,
    bare: bool,
    bucket: str | None,
    key: str | None,
) -> StorageError:
    """The error of a server's answer, either engine's; ``bare``: the code is only the
    status (a HEAD's bodiless 404 is then named as GET would name it)."""
    cls = _class_for(code, status, has_key=key is not None)
    hint = _MESSAGES.get(code)
    if hint:
        detail = f"{detail} ({hint})" if detail else hint
    if bare and cls in (ObjectNotFound, BucketNotFound):
        code = cls.default_code
    if cls is BucketNotFound and not detail:
        detail = "the bucket does not exist"
    elif cls is ObjectNotFound and not detail:
        detail = "the object does not exist"
    message = f"{what}: {detail}" if detail else f"{what}: {code}"
    return cls(message, code=code, bucket=bucket, key=key, request_id=request_id, status=status)


def _mapping(value: object) -> Mapping[str, object]:
    """``value`` when it is a mapping (a botocore error response part), else empty."""
    return value if isinstance(value, Mapping) else {}


def _from_transport(
    exc: BaseException, what: str, *, bucket: str | None, key: str | None
) -> StorageError | None:
    """Credentials, parameters, timeouts and broken connections; None for anything else."""
    from botocore import exceptions as bce

    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return ConfigError(
            f"{what}: no usable credentials (set BUCKET_USER and BUCKET_PASSWORD, "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)",
            code="NoCredentials",
            bucket=bucket,
            key=key,
        )
    if isinstance(exc, bce.ParamValidationError):
        return InvalidArgument(f"{what}: {exc}", bucket=bucket, key=key)
    if isinstance(exc, (bce.ConnectTimeoutError, bce.ReadTimeoutError)):
        return ConnectionFailed(
            f"{what}: timed out ({type(exc).__name__})", code="Timeout", bucket=bucket, key=key
        )
    if isinstance(exc, (bce.ConnectionClosedError, bce.ResponseStreamingError)):
        # the server was reached, then the connection broke mid-request or mid-body
        return ConnectionFailed(
            f"{what}: the connection was dropped during the transfer ({exc})",
            code="ConnectionDropped",
            bucket=bucket,
            key=key,
        )
    unreachable = (
        bce.EndpointConnectionError,
        bce.ConnectionError,
        bce.HTTPClientError,
        ConnectionError,
        TimeoutError,
    )
    if isinstance(exc, unreachable):
        return ConnectionFailed(
            f"{what}: cannot reach the endpoint ({exc})", bucket=bucket, key=key
        )
    return None


def _from_other(
    exc: BaseException, what: str, *, bucket: str | None, key: str | None
) -> StorageError:
    """Region, checksum and other botocore errors, then Python's own."""
    from botocore import exceptions as bce

    if isinstance(exc, bce.NoRegionError):
        return ConfigError(f"{what}: no region set (set S3_REGION or AWS_REGION)", bucket=bucket)
    if isinstance(exc, (bce.FlexibleChecksumError, bce.ChecksumError)):
        return IntegrityError(f"{what}: {exc}", bucket=bucket, key=key)
    if isinstance(exc, bce.BotoCoreError):
        return StorageError(f"{what}: {exc}", code=type(exc).__name__, bucket=bucket, key=key)
    if isinstance(exc, ValueError):
        return InvalidArgument(f"{what}: {exc}", bucket=bucket, key=key)
    if isinstance(exc, PermissionError):  # a local file or folder we may not write or read
        return PermissionDenied(f"{what}: {exc}", code="AccessDenied", bucket=bucket, key=key)
    if isinstance(exc, OSError):
        return StorageError(f"{what}: {exc}", code=type(exc).__name__, bucket=bucket, key=key)
    return StorageError(f"{what}: {exc!r}", code=type(exc).__name__, bucket=bucket, key=key)


# ------------------------------------------------------------------ obstore
class EngineError(Exception):
    """An exception obstore raised (``cause``), wrapped by ``s3.obstore`` so that
    ``translate`` knows whose it is (obstore raises Python's own ``ValueError`` too)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


_OB_STATUS = re.compile(r"status code: (\d{3})")
_OB_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
_OB_MESSAGE = re.compile(r"<Message>([^<]{1,500})</Message>")
_OB_REQUEST_ID = re.compile(r"<RequestId>([^<]{1,200})</RequestId>")
_OB_TIMEOUT = ("kind: timeout", "timedout", "timed out", "deadline has elapsed")


def translate_obstore(
    exc: BaseException,
    *,
    bucket: str | None = None,
    key: str | None = None,
    operation: str | None = None,
) -> StorageError:
    """Turn an obstore exception into a ``StorageError``, as ``translate`` does for
    botocore's: code, status and request id read from the answer obstore quotes; a
    timeout or a request that never reached the server is ``ConnectionFailed``. Of
    obstore's own text (the URL, its debug dump) one redacted line is passed on.

    Returns:
        A ``StorageError`` subclass instance (``exc`` itself if it already is one).
    """
    if isinstance(exc, StorageError):
        return exc
    what = f"{operation} failed" if operation else "request failed"
    text = str(exc)
    found = _OB_STATUS.search(text)
    if found is not None:
        return _from_obstore_answer(text, int(found.group(1)), what, bucket=bucket, key=key)
    first = _first_line(text)
    lowered = text.lower()
    if any(marker in lowered for marker in _OB_TIMEOUT):
        # obstore does not say which of its timeouts fired: S3Connection.translating tells
        # a deadline (code DeadlineExceeded) from silence by the time the call took
        return ConnectionFailed(
            f"{what}: timed out (no answer within BUCKET_READ_TIMEOUT, or an attempt "
            "outlived its deadline)",
            code="Timeout",
            bucket=bucket,
            key=key,
        )
    if "error sending request" in lowered or "connection" in lowered:
        return ConnectionFailed(
            f"{what}: cannot reach the endpoint ({first})", bucket=bucket, key=key
        )
    if type(exc).__name__ == "InvalidPathError" or isinstance(exc, ValueError):
        return InvalidArgument(f"{what}: {first}", bucket=bucket, key=key)
    return StorageError(f"{what}: {first}", code=type(exc).__name__, bucket=bucket, key=key)


def _from_obstore_answer(
    text: str, status: int, what: str, *, bucket: str | None, key: str | None
) -> StorageError:
    """An error the server answered, as obstore quotes it (status line and XML body)."""
    code_match = _OB_CODE.search(text)
    code = code_match.group(1) if code_match else str(status)
    message_match = _OB_MESSAGE.search(text)
    request_match = _OB_REQUEST_ID.search(text)
    detail = message_match.group(1) if message_match else ""
    request_id = request_match.group(1) if request_match else None
    bare = code == str(status)
    return _answered(what, code, status, detail, request_id, bare=bare, bucket=bucket, key=key)


def _first_line(text: str) -> str:
    """obstore's message without its debug dump, secrets redacted, at most 300 chars."""
    from backend.src.libs.bucket.base import redact

    line = text.strip().splitlines()[0] if text.strip() else "no detail"
    return redact.scrub(line)[:300]
