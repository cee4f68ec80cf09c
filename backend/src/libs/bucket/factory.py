"""Builds the store a ``BucketConfig`` asks for: ``S3Store`` or ``LocalStore``.

The local folder store is never chosen silently: building one logs one INFO line
naming it and its absolute root, and ``STORAGE_TYPE=local`` beside settings that point
at S3 logs one WARNING (once per process) naming the settings it ignores.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.bucket.base.store import ObjectStore

log = logging.getLogger("bucket.factory")
_warned: set[tuple[str, ...]] = set()
_warned_lock = threading.Lock()


def make_store(config: BucketConfig) -> ObjectStore:
    """The store for ``config.storage_type`` (no request is made).

    Raises:
        ConfigError: the storage type has no implementation here.
    """
    if config.storage_type == "s3":
        from backend.src.libs.bucket.s3.store import S3Store

        return S3Store(config)
    if config.storage_type == "local":
        from backend.src.libs.bucket.local.store import LocalStore

        warn_ignored_s3_settings(config)
        store = LocalStore(config)
        log.info("%s", local_announcement(config))
        return store
    raise ConfigError(f"unknown storage type {config.storage_type!r}")


def local_announcement(config: BucketConfig) -> str:
    """The line that announces the local folder store: its absolute root and why it
    was chosen (``STORAGE_TYPE=local`` or no setting pointing at S3)."""
    root = Path(config.local_root).expanduser().absolute()
    return f"bucket: storing objects in the local folder {root} (LocalStore; {config.selected_by})"


def ignored_s3_settings(config: BucketConfig) -> tuple[str, ...]:
    """The settings pointing at S3 that an explicit ``STORAGE_TYPE=local`` overrides."""
    return config.s3_signs if config.storage_type == "local" else ()


def warn_ignored_s3_settings(config: BucketConfig) -> None:
    """Log once per process (per set of names) that ``STORAGE_TYPE=local`` ignores
    settings that point at S3; never logs a value."""
    ignored = ignored_s3_settings(config)
    if not ignored:
        return
    with _warned_lock:
        if ignored in _warned:
            return
        _warned.add(ignored)
    log.warning(
        "bucket: %s wins: ignoring the S3 settings %s (objects go to the local folder)",
        config.selected_by,
        ", ".join(ignored),
    )


def credential_source(config: BucketConfig) -> str:
    """Where the S3 credentials of ``config`` come from, in words (the settings, a
    profile, a role, the environment...): ``credentials.credential_source``, for the
    ``doctor`` command, which stays above the engines.

    Raises:
        ConfigError: as ``credentials.credential_source``.
    """
    from backend.src.libs.bucket.s3.credentials import credential_source as source

    return source(config)
