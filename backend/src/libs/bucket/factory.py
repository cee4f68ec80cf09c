"""Builds the store a ``BucketConfig`` asks for: ``S3Store`` or ``LocalStore``."""

from __future__ import annotations

from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.errors import ConfigError
from backend.src.libs.bucket.store import ObjectStore


def make_store(config: BucketConfig) -> ObjectStore:
    """The store for ``config.storage_type`` (no request is made).

    Raises:
        ConfigError: the storage type has no implementation here.
    """
    if config.storage_type == "s3":
        from backend.src.libs.bucket.s3_store import S3Store

        return S3Store(config)
    if config.storage_type == "local":
        try:
            from backend.src.libs.bucket.local_store import LocalStore
        except ImportError as exc:  # pragma: no cover - until the local store lands
            raise ConfigError(
                "STORAGE_TYPE=local is not available in this build; set BUCKET_HOST or "
                "S3_ENDPOINT_URL to use an S3 server"
            ) from exc
        return LocalStore(config)
    raise ConfigError(f"unknown storage type {config.storage_type!r}")
