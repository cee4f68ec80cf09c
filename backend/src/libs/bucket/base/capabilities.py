"""What only some stores can do, as small protocols beside ``ObjectStore``.

The features S3 has and a folder has not (presigning, versioning, default encryption,
lifecycle, tags, object lock, bucket inspection) are one ``runtime_checkable`` protocol
each, in the manner of obspec's ``Put`` / ``Get``. A caller asks
``isinstance(store, Presigner)`` (or uses the ``presigner(store, operation)`` helpers
below, which raise ``NotSupported`` naming the store and the capability) and then calls a
typed method.

Per-call options (``sse``, ``version_id``, ``if_none_match``...) are declared, not
probed: a store lists the options each operation accepts in ``options_supported`` and
``check_options`` / ``check_write`` refuse any other before a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol, cast, runtime_checkable

from backend.src.libs.bucket.base.errors import NotSupported
from backend.src.libs.bucket.base.store import ObjectStore

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from backend.src.libs.bucket.base.config import BucketConfig
    from backend.src.libs.bucket.base.options import TransferSettings, WriteOptions
    from backend.src.libs.bucket.base.results import (
        BucketProperties,
        EnsureReport,
        LifecycleRule,
        ObjectLockConfig,
        ObjectVersion,
        PresignedPost,
        VersioningStatus,
    )
    from backend.src.libs.bucket.base.store import (
        ObjectInfo,
        ProgressCallback,
        Unreadable,
        UploadResult,
    )
    from backend.src.libs.bucket.base.write_rules import LockMode, Retention

NO_OPTIONS: frozenset[str] = frozenset()


@runtime_checkable
class Presigner(Protocol):
    """Presigned URLs and POST forms (no request is made)."""

    def presign_url(
        self,
        bucket: str,
        key: str,
        *,
        method: str = "GET",
        expiration: int | float | timedelta = 3600,
        content_type: str | None = None,
        version_id: str | None = None,
        download_name: str | None = None,
    ) -> str:
        """A presigned GET (default) or PUT URL."""

    def presign_post(
        self,
        bucket: str,
        key: str,
        *,
        expiration: int | float | timedelta = 3600,
        min_size: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
        content_type_prefix: str | None = None,
        key_prefix: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> PresignedPost:
        """A presigned POST form for a browser upload with conditions."""


@runtime_checkable
class Store(ObjectStore, Presigner, Protocol):
    """What every store of this library has: the ``ObjectStore`` operations,
    ``ensure_bucket`` and the ``Presigner`` methods (the local folder has them and raises
    ``NotSupported`` saying why). ``Bucket.store`` is typed so."""

    def ensure_bucket(self, bucket: str) -> EnsureReport:
        """Make ``bucket`` ready (HEAD, create on 404 with the creation settings)."""


@runtime_checkable
class Versioning(Protocol):
    """Bucket versioning and the listing of object versions."""

    def set_versioning(self, bucket: str, enabled: bool = True) -> None:
        """Enable (default) or suspend versioning."""

    def get_versioning(self, bucket: str) -> VersioningStatus | None:
        """``"Enabled"``, ``"Suspended"`` or None (never versioned)."""

    def list_object_versions(
        self, bucket: str, *, prefix: str = "", page_size: int = 1000
    ) -> Iterator[ObjectVersion]:
        """Every version and delete marker under ``prefix``, page by page."""


@runtime_checkable
class BucketEncryption(Protocol):
    """A bucket's default encryption."""

    def set_bucket_encryption(
        self, bucket: str, algorithm: str = "AES256", *, kms_key_id: str | None = None
    ) -> None:
        """Set the default encryption (SSE-S3, or ``aws:kms`` with a key)."""

    def get_bucket_encryption(self, bucket: str) -> tuple[str, str | None] | None:
        """``(algorithm, kms key id)``, or None when unset."""

    def delete_bucket_encryption(self, bucket: str) -> None:
        """Remove the default encryption."""


@runtime_checkable
class Lifecycle(Protocol):
    """A bucket's lifecycle rules."""

    def set_lifecycle(self, bucket: str, rules: Sequence[LifecycleRule]) -> None:
        """Replace every rule."""

    def get_lifecycle(self, bucket: str) -> tuple[LifecycleRule, ...]:
        """The rules (empty when none)."""

    def delete_lifecycle(self, bucket: str) -> None:
        """Remove every rule."""


@runtime_checkable
class ObjectTagging(Protocol):
    """Tags on objects."""

    def set_object_tags(
        self, bucket: str, key: str, tags: Mapping[str, str], *, version_id: str | None = None
    ) -> None:
        """Replace the object's tags."""

    def get_object_tags(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> dict[str, str]:
        """The object's tags."""

    def delete_object_tags(self, bucket: str, key: str, *, version_id: str | None = None) -> None:
        """Remove the object's tags."""


@runtime_checkable
class ObjectLock(Protocol):
    """Object lock: the bucket's default retention, per-version retention, legal holds."""

    def get_object_lock(self, bucket: str) -> ObjectLockConfig:
        """The bucket's object-lock configuration."""

    def set_object_lock(self, bucket: str, *, mode: LockMode, days: int) -> None:
        """Set the bucket's default retention."""

    def set_retention(
        self,
        bucket: str,
        key: str,
        *,
        mode: LockMode,
        retain_until: datetime,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> None:
        """Keep a version until ``retain_until``."""

    def get_retention(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> Retention | None:
        """The version's retention, or None."""

    def set_legal_hold(
        self, bucket: str, key: str, on: bool = True, *, version_id: str | None = None
    ) -> None:
        """Put (default) or lift a legal hold."""

    def get_legal_hold(self, bucket: str, key: str, *, version_id: str | None = None) -> bool:
        """True when a legal hold is on."""


@runtime_checkable
class BucketInspection(Protocol):
    """A bucket's region and properties as the server reports them."""

    def get_bucket_region(self, bucket: str) -> str:
        """The bucket's region."""

    def get_bucket_info(self, bucket: str) -> BucketProperties:
        """Region, versioning, encryption, lifecycle and object lock in one object."""


@runtime_checkable
class BatchDeleteStatus(Protocol):
    """Whether the store still sends many-key deletes as one request."""

    @property
    def batch_delete_supported(self) -> bool:
        """False once the server refused a batch delete (the store then deletes key by key)."""


@runtime_checkable
class ReportsUnreadable(Protocol):
    """A store whose listing can say what it met but could not read (a damaged object, a
    symbolic link, a folder it may not open), where ``list_objects`` skips it with a
    warning. ``sync`` lists its source this way: what the source cannot read still
    exists, so its destination copy is never deleted as "absent"."""

    def list_objects_audited(
        self, bucket: str, *, prefix: str = ""
    ) -> Iterator[ObjectInfo | Unreadable]:
        """Every object under ``prefix`` as ``list_objects`` yields it (no delimiter, byte
        order where ``list_objects`` has it), and an ``Unreadable`` (a key, or a folder
        standing for every key under it) where ``list_objects`` skips something."""


@runtime_checkable
class AsyncDataPlane(Protocol):
    """A store whose hot calls can run on the event loop (``S3Store`` on obstore):
    ``AsyncBucket`` awaits these twins and runs the sync method in a thread when a twin
    answers None or False (not a request the event loop makes). Each twin asks the same
    routing function as its sync call, so the two never differ."""

    def close(self) -> None:
        """Release the clients (the next call builds new ones)."""

    def prepare_plane(self) -> None:
        """Build the clients now (in a worker thread: never on the event loop)."""

    async def aput_object(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        options: WriteOptions,
        progress: ProgressCallback | None = None,
    ) -> UploadResult | None:
        """``put_object`` of in-memory bytes, or None: not on the event loop."""

    async def aget_object(
        self, bucket: str, key: str, *, start: int | None = None, end: int | None = None
    ) -> bytes | None:
        """``get_object`` of the latest version, or None: not on the event loop."""

    async def aobject_exists(self, bucket: str, key: str) -> bool | None:
        """``object_exists``, or None: not on the event loop."""

    async def adelete_object(self, bucket: str, key: str) -> bool:
        """``delete_object`` of the latest version: True once done, False: not on the
        event loop."""


@runtime_checkable
class Configured(Protocol):
    """A store built from a ``BucketConfig`` (its worker count, default encryption...)."""

    config: BucketConfig


@runtime_checkable
class DeclaresOptions(Protocol):
    """A store that lists the keyword options each operation accepts beyond ``ObjectStore``.

    ``options_supported["put_object"]`` holds e.g. ``{"sse", "tags", "if_none_match"}``;
    an operation not in the mapping takes no option.
    """

    options_supported: ClassVar[Mapping[str, frozenset[str]]]


# isinstance() against a runtime_checkable protocol with data members walks the protocol's
# attributes on every call (~6 µs each on CPython 3.11: most of the facade's own cost per
# write); a capability is a property of a store's class, so the answer is kept per class
_HAS: dict[tuple[type, type], bool] = {}


def _has(store: object, capability: type[object]) -> bool:
    """``isinstance(store, capability)``, decided once per (store class, capability)."""
    key = (type(store), capability)
    answer = _HAS.get(key)
    if answer is None:
        answer = _HAS[key] = isinstance(store, capability)
    return answer


def options_of(store: object, operation: str) -> frozenset[str]:
    """The options ``store`` declares for ``operation`` (empty when it declares none)."""
    if _has(store, DeclaresOptions):
        return cast(DeclaresOptions, store).options_supported.get(operation, NO_OPTIONS)
    return NO_OPTIONS


def config_of(store: object) -> BucketConfig | None:
    """The ``BucketConfig`` of a ``Configured`` store, else None (decided once per class)."""
    return cast(Configured, store).config if _has(store, Configured) else None


def check_options(store: object, operation: str, options: Iterable[str]) -> None:
    """Refuse options ``store`` does not declare for ``operation``, before any request.

    Args:
        options: the names of the options given (a mapping's keys will do).

    Raises:
        NotSupported: ``"<operation> with <options> is not supported by <Store>"``.
    """
    unknown = sorted(set(options) - options_of(store, operation))
    if unknown:
        raise not_supported(store, f"{operation} with {', '.join(unknown)}")


def check_write(
    store: object,
    operation: str,
    options: WriteOptions | None,
    transfer: TransferSettings | None = None,
) -> None:
    """Refuse a write (``put_object``, ``upload_file``) whose options or transfer
    settings ``store`` does not declare: the one check of every write path.

    Raises:
        NotSupported: as ``check_options``, naming the options by the facade's names
            (``put_object with sse is not supported by LocalStore``).
    """
    given = options.given() if options is not None else frozenset()
    if transfer is not None:
        given |= transfer.given()
    check_options(store, operation, given)


def not_supported(store: object, what: str) -> NotSupported:
    """``NotSupported("<what> is not supported by <Store>")``."""
    return NotSupported(f"{what} is not supported by {type(store).__name__}", code="NotSupported")


def _require(store: object, operation: str, capability: type[object]) -> None:
    """Raise ``NotSupported`` naming the store and the capability unless ``store`` has it."""
    if not _has(store, capability):
        raise not_supported(store, f"{operation} ({capability.__name__} capability)")


def presigner(store: object, operation: str) -> Presigner:
    """``store`` as a ``Presigner``.

    Raises:
        NotSupported: the store has no ``Presigner`` capability (message names both).
    """
    _require(store, operation, Presigner)
    return cast(Presigner, store)


def versioning(store: object, operation: str) -> Versioning:
    """``store`` as ``Versioning``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, Versioning)
    return cast(Versioning, store)


def bucket_encryption(store: object, operation: str) -> BucketEncryption:
    """``store`` as ``BucketEncryption``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, BucketEncryption)
    return cast(BucketEncryption, store)


def lifecycle(store: object, operation: str) -> Lifecycle:
    """``store`` as ``Lifecycle``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, Lifecycle)
    return cast(Lifecycle, store)


def object_tagging(store: object, operation: str) -> ObjectTagging:
    """``store`` as ``ObjectTagging``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, ObjectTagging)
    return cast(ObjectTagging, store)


def object_lock(store: object, operation: str) -> ObjectLock:
    """``store`` as ``ObjectLock``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, ObjectLock)
    return cast(ObjectLock, store)


def bucket_inspection(store: object, operation: str) -> BucketInspection:
    """``store`` as ``BucketInspection``; ``NotSupported`` naming store and capability if not."""
    _require(store, operation, BucketInspection)
    return cast(BucketInspection, store)


__all__ = [
    "AsyncDataPlane",
    "BatchDeleteStatus",
    "BucketEncryption",
    "BucketInspection",
    "Configured",
    "DeclaresOptions",
    "Lifecycle",
    "ObjectLock",
    "ObjectTagging",
    "Presigner",
    "ReportsUnreadable",
    "Store",
    "Versioning",
    "bucket_encryption",
    "bucket_inspection",
    "check_options",
    "check_write",
    "lifecycle",
    "not_supported",
    "object_lock",
    "object_tagging",
    "options_of",
    "presigner",
    "versioning",
]
