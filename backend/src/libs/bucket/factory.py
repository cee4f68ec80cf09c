"""Builds the store a ``BucketConfig`` asks for: ``S3Store`` or ``LocalStore``.

The local folder store is never chosen silently. When it is used only because no setting
points at S3 (``from_env`` found no storage type, no ``BUCKET_LOCAL_ROOT`` and no sign of
S3), the first store built on that folder logs one WARNING on the ``bucket`` logger, once
per process and folder, naming the absolute folder and how to choose it on purpose
(``STORAGE_TYPE=local`` / ``BUCKET_LOCAL_ROOT``) or point the settings at S3. A local
store chosen on purpose (a storage type variable, a root, a config built in code) is
built silently (a DEBUG record). ``STORAGE_TYPE=local`` beside settings that point at S3
logs one WARNING (once per process) naming the settings it ignores.
"""

from __future__ import annotations

import threading
from pathlib import Path

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.bucket.base.store import ObjectStore
from backend.src.libs.core.logs import library_logger

log = library_logger("bucket.factory")
announcer = library_logger()
"""The ``bucket`` logger itself: the default store's announcement."""
_warned: set[tuple[str, ...]] = set()
_announced: set[str] = set()
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
        announce_local(config)
        return store
    raise ConfigError(f"unknown storage type {config.storage_type!r}")


def local_announcement(config: BucketConfig) -> str:
    """The line that announces the local folder store: its absolute root and why it
    was chosen (``STORAGE_TYPE=local`` or no setting pointing at S3)."""
    root = Path(config.local_root).expanduser().absolute()
    return f"bucket: storing objects in the local folder {root} (LocalStore; {config.selected_by})"


def announce_local(config: BucketConfig) -> None:
    """Log that a local folder store is built: one WARNING on ``bucket`` per process and
    folder when it is used only because no setting points at S3 (``from_env`` chose the
    storage type, ``BUCKET_LOCAL_ROOT`` unset), else a DEBUG record."""
    root = str(Path(config.local_root).expanduser().absolute())
    first = False
    if config.storage_defaulted and "local_root" not in config.sources:
        with _warned_lock:
            first = root not in _announced
            _announced.add(root)
    if first:
        announcer.warning(
            "no setting points at S3: storing objects in the local folder %s (LocalStore); "
            "set STORAGE_TYPE=local or BUCKET_LOCAL_ROOT to choose a local folder on "
            "purpose, or point the settings at S3 (BUCKET_HOST, S3_ENDPOINT_URL, a bucket "
            "name, a region or credentials: docs/configuration.md)",
            root,
        )
    else:
        log.debug("local folder store at %s (%s)", root, config.selected_by)


def warn_ignored_s3_settings(config: BucketConfig) -> None:
    """Log once per process (per set of names) that ``STORAGE_TYPE=local`` ignores
    settings that point at S3 (``s3_signs``); never logs a value."""
    ignored = config.s3_signs
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
