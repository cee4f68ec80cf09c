"""The storage error tree: every error the library raises, engine-neutral.

::

    StorageError                         root; code, message, bucket, key, request_id, status
    ├── NotFound (FileNotFoundError)
    │   ├── BucketNotFound
    │   └── ObjectNotFound
    ├── PermissionDenied (PermissionError)
    │   └── AuthenticationFailed         wrong access key, secret or signature
    ├── InvalidArgument (ValueError)     bad input, refused before or by the server
    │   └── ConfigError                  a setting is missing or invalid (names the variable)
    ├── Conflict                         the state on the server forbids the operation
    │   ├── AlreadyExists                bucket taken, write-once key present
    │   └── BucketNotEmpty
    ├── ConnectionFailed (ConnectionError)  endpoint unreachable, timed out, connection dropped
    ├── ServiceUnavailable               5xx / SlowDown after botocore's retries are spent
    ├── IntegrityError                   bytes do not match their checksum
    └── NotSupported                     the server or store cannot do this

Every ``StorageError`` keeps what is known of the failure: the S3 error ``code``, a
human ``message``, the ``bucket`` and ``key`` involved, the server's ``request_id``
and the HTTP ``status``. ``s3_errors.translate`` is the only function in the project
that looks inside botocore's (and obstore's) exceptions to build one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


class StorageError(Exception):
    """Root of every error raised by the storage core.

    Attributes:
        message: what went wrong, for a person.
        code: the S3 error code (``NoSuchKey``, ``AccessDenied``...) or our own tag.
        bucket: the bucket involved, if any.
        key: the object key involved, if any.
        request_id: the server's request id, if it answered.
        status: the HTTP status, if the server answered.
    """

    default_code = "StorageError"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.bucket = bucket
        self.key = key
        self.request_id = request_id
        self.status = status

    def __str__(self) -> str:
        where = ""
        if self.bucket:
            where = f" [{self.bucket}/{self.key}]" if self.key else f" [{self.bucket}]"
        return f"{self.code}: {self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"bucket={self.bucket!r}, key={self.key!r}, request_id={self.request_id!r}, "
            f"status={self.status!r})"
        )

    def __reduce__(self) -> tuple[Callable[[str], StorageError], tuple[str]]:
        rebuild = functools.partial(
            type(self),
            code=self.code,
            bucket=self.bucket,
            key=self.key,
            request_id=self.request_id,
            status=self.status,
        )
        return (rebuild, (self.message,))


class NotFound(StorageError, FileNotFoundError):
    """The bucket or object does not exist."""

    default_code = "NotFound"


class BucketNotFound(NotFound):
    """The bucket does not exist."""

    default_code = "NoSuchBucket"


class ObjectNotFound(NotFound):
    """The object (or the version asked for) does not exist."""

    default_code = "NoSuchKey"


class PermissionDenied(StorageError, PermissionError):
    """The credentials are valid but not allowed to do this."""

    default_code = "AccessDenied"


class AuthenticationFailed(PermissionDenied):
    """The server refused the credentials: unknown access key, wrong secret, bad signature."""

    default_code = "InvalidAccessKeyId"


class InvalidArgument(StorageError, ValueError):
    """An argument is invalid (checked before any request, or refused by the server)."""

    default_code = "InvalidArgument"


class ConfigError(InvalidArgument):
    """A setting is missing or invalid; the message names the variable."""

    default_code = "InvalidConfiguration"


class Conflict(StorageError):
    """The server's current state forbids the operation."""

    default_code = "Conflict"


class AlreadyExists(Conflict):
    """The bucket name is taken, or a write-once key already exists."""

    default_code = "AlreadyExists"


class BucketNotEmpty(Conflict):
    """The bucket still holds objects (or versions) and cannot be deleted."""

    default_code = "BucketNotEmpty"


class ConnectionFailed(StorageError, ConnectionError):
    """The endpoint could not be reached, timed out or dropped the connection."""

    default_code = "ConnectionFailed"


class ServiceUnavailable(StorageError):
    """The server answered 5xx or SlowDown after botocore's retries were spent."""

    default_code = "ServiceUnavailable"


class IntegrityError(StorageError):
    """Bytes did not match their checksum."""

    default_code = "IntegrityError"


class NotSupported(StorageError):
    """The server or the store cannot do this operation."""

    default_code = "NotImplemented"
