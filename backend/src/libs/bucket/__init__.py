"""Object storage for Python services: AWS S3, MinIO, Ceph RGW, SeaweedFS or a local folder.

``Bucket`` is the facade with return codes, ``AsyncBucket`` its coroutines for asyncio
services (imported on first access); ``ok`` tells a facade's data from its error code and
narrows ``X | int`` to ``X`` for type checkers; ``S3Store`` (and ``LocalStore``) the
exception-based core, typed ``Store`` on ``Bucket.store``; ``BucketConfig`` the settings;
``StorageError`` the root of the error tree. Importing this package does not import boto3.
"""

from typing import TYPE_CHECKING

from backend.src.libs.bucket.base.capabilities import Store
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
from backend.src.libs.bucket.base.store import (
    BucketInfo,
    DeleteError,
    DeleteResult,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    UploadResult,
)
from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.bucket.version import __version__
from backend.src.libs.core.codes import Unknown
from backend.src.libs.core.results import ok

if TYPE_CHECKING:  # typed for mypy; imported on first access at run time (__getattr__)
    from backend.src.libs.bucket.aio.bucket import AsyncBucket
    from backend.src.libs.bucket.base.config import BucketConfig

__all__ = [
    "AlreadyExists",
    "AsyncBucket",
    "AuthenticationFailed",
    "Bucket",
    "BucketConfig",
    "BucketInfo",
    "BucketNotEmpty",
    "BucketNotFound",
    "ConfigError",
    "Conflict",
    "ConnectionFailed",
    "DeleteError",
    "DeleteResult",
    "IntegrityError",
    "InvalidArgument",
    "NotFound",
    "NotSupported",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "PermissionDenied",
    "PrefixInfo",
    "ServiceUnavailable",
    "StorageError",
    "Store",
    "Unknown",
    "UploadResult",
    "__version__",
    "ok",
]


def __getattr__(name: str) -> object:
    # S3Store, AsyncBucket and BucketConfig import lazily so that `import backend.src.libs.bucket` stays
    # cheap (no boto3, obstore or asyncio).
    if name == "AsyncBucket":
        from backend.src.libs.bucket.aio.bucket import AsyncBucket

        return AsyncBucket
    if name == "BucketConfig":  # the settings declaration: read when a Bucket first needs it
        from backend.src.libs.bucket.base.config import BucketConfig

        return BucketConfig
    if name == "S3Store":
        from backend.src.libs.bucket.s3.store import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
