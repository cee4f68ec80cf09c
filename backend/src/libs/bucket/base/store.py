"""The ``ObjectStore`` protocol and the frozen result types every store returns.

Two stores implement the protocol: ``S3Store`` (boto3) and ``LocalStore`` (a folder).
Both raise ``StorageError`` subclasses (``errors.py``) and never return error codes;
return codes belong to the ``Bucket`` facade alone. What only some stores can do
(presigning, versioning, lifecycle...) is one small protocol each in ``capabilities.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from backend.src.libs.bucket.base.options import TransferSettings, WriteOptions

ProgressCallback = Callable[[int, int | None], None]
"""Called as ``progress(bytes_done, bytes_total)``; ``bytes_total`` is None when unknown."""

Data = bytes | bytearray | memoryview | str | IO[bytes]
"""What ``put_object`` accepts: bytes-like, text (UTF-8 encoded) or a binary stream."""


@dataclass(frozen=True)
class BucketInfo:
    """A bucket as listed by the store."""

    name: str
    created: datetime | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """An object's properties (from a listing or a HEAD).

    ``metadata`` and ``content_type`` are only filled by ``head_object``; listings do
    not return them.
    """

    bucket: str
    key: str
    size: int
    etag: str | None = None
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    storage_class: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class PrefixInfo:
    """A common prefix ("folder") returned by a listing with a delimiter."""

    bucket: str
    prefix: str


ListEntry = ObjectInfo | PrefixInfo


@dataclass(frozen=True)
class Unreadable:
    """Something a listing met but could not read (``ReportsUnreadable``): it exists, so a
    caller that deletes what a source lacks must keep its counterpart.

    Attributes:
        bucket: the bucket listed.
        key: the object's key; or a folder ending with ``/`` that stands for every key
            under it (``""``: every key of the store); relative to the store's prefix,
            like every key.
        reason: why it could not be read (``damaged: ...``, ``a symbolic link``,
            ``permission denied``...).
    """

    bucket: str
    key: str
    reason: str

    @property
    def is_folder(self) -> bool:
        """True when ``key`` stands for every key under it (``""`` or ending in ``/``)."""
        return not self.key or self.key.endswith("/")

    def covers(self, key: str) -> bool:
        """True when ``key`` is this object, or lies under this folder."""
        return key.startswith(self.key) if self.is_folder else key == self.key


@dataclass(frozen=True)
class BucketDeletion:
    """What ``delete_bucket`` did.

    Attributes:
        bucket: the bucket.
        prefix: the store's key prefix (``""`` when it has none). A store scoped by a
            prefix (``BUCKET_PREFIX``) only empties that folder and never deletes the
            bucket, which others share.
        bucket_deleted: True when the bucket itself was deleted; False when it was kept
            (a scoped store).
        objects_deleted: the objects deleted first (S3: every version and delete marker
            counts one; 0 without ``force``).
        uploads_aborted: incomplete multipart uploads aborted (S3 only; default 0).
    """

    bucket: str
    prefix: str
    bucket_deleted: bool
    objects_deleted: int = 0
    uploads_aborted: int = 0


@dataclass(frozen=True)
class UploadResult:
    """What a put or upload stored."""

    bucket: str
    key: str
    size: int
    etag: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class DeleteError:
    """One key a batch delete could not remove."""

    key: str
    code: str
    message: str


@dataclass(frozen=True)
class DeleteResult:
    """Outcome of a many-key delete: keys removed, keys that failed (with why)."""

    deleted: tuple[str, ...] = ()
    errors: tuple[DeleteError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every key was deleted."""
        return not self.errors


@dataclass(frozen=True)
class StoreLocation:
    """Where a store keeps its objects, to tell whether two stores are the same place.

    Two store objects built from the same settings are different Python objects but
    the same place: ``sync`` compares locations, never object identity.

    Attributes:
        kind: ``"s3"`` or ``"local"``.
        place: the endpoint URL (S3; ``aws:<region>`` for AWS without an endpoint) or
            the absolute, symlink-resolved root folder (local store).
        key_prefix: the prefix the store puts before every key ("" for none).
    """

    kind: str
    place: str
    key_prefix: str = ""


@runtime_checkable
class ObjectStore(Protocol):
    """What a store can do. Every method raises ``StorageError`` subclasses on failure.

    Keys are relative to the store's prefix, if it has one. Implementations are
    thread-safe: one instance serves every thread of a process.
    """

    def close(self) -> None:
        """Release connections; the next call opens them again. Idempotent."""

    @property
    def location(self) -> StoreLocation:
        """Where this store keeps its objects (no request is made)."""

    @property
    def lists_in_byte_order(self) -> bool:
        """True when ``list_objects`` (no delimiter) is known to yield keys in UTF-8 byte
        order, as S3 documents; False when the server may list in another order
        (SeaweedFS walks its folder tree: ``a/z`` before ``a!``), so callers that pair
        two listings must sort them first."""

    def ping(self) -> float:
        """One cheap request; returns its latency in seconds."""

    # buckets
    def list_buckets(self) -> list[BucketInfo]:
        """Every bucket the credentials can see."""

    def create_bucket(self, bucket: str, *, exist_ok: bool = True) -> None:
        """Create ``bucket``; succeeds if you already own it unless ``exist_ok`` is False
        (then ``AlreadyExists``). ``AlreadyExists`` if another account owns the name."""

    def bucket_exists(self, bucket: str) -> bool:
        """True if the bucket exists and is reachable with these credentials."""

    def delete_bucket(self, bucket: str, *, force: bool = False) -> BucketDeletion:
        """Delete ``bucket``; ``force`` empties it first (every version too). A store with
        a key prefix empties its prefix only and keeps the bucket (``bucket_deleted``
        False); without ``force`` it raises ``BucketNotEmpty`` if the prefix holds objects."""

    # objects
    def put_object(
        self,
        bucket: str,
        key: str,
        data: Data,
        *,
        options: WriteOptions | None = None,
        progress: ProgressCallback | None = None,
        transfer: TransferSettings | None = None,
    ) -> UploadResult:
        """Store ``data`` (bytes, text or a binary stream of any length) at ``key``.

        ``options`` (content type, metadata, encryption, put mode...) and ``transfer``
        (multipart settings): a store refuses with ``NotSupported`` any that it does not
        declare in ``options_supported`` (``capabilities.check_write``)."""

    def upload_file(
        self,
        bucket: str,
        key: str,
        path: str,
        *,
        options: WriteOptions | None = None,
        progress: ProgressCallback | None = None,
        transfer: TransferSettings | None = None,
    ) -> UploadResult:
        """Store the file at ``path`` under ``key`` (options as for ``put_object``)."""

    def get_object(
        self, bucket: str, key: str, *, start: int | None = None, end: int | None = None
    ) -> bytes:
        """The object's bytes, or the inclusive byte range ``start..end``."""

    def open_object(self, bucket: str, key: str) -> IO[bytes]:
        """A readable binary stream of the object; the caller closes it."""

    def download_file(
        self, bucket: str, key: str, path: str, *, progress: ProgressCallback | None = None
    ) -> int:
        """Write the object to ``path`` atomically; returns the byte count."""

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """The object's properties and user metadata."""

    def object_exists(self, bucket: str, key: str) -> bool:
        """True if ``key`` exists in ``bucket``."""

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete ``key`` (no error if it is already gone)."""

    def delete_objects(self, bucket: str, keys: Iterable[str]) -> DeleteResult:
        """Delete many keys, 1000 a request; failures are reported, not raised."""

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int | None = None,
        start_after: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[ListEntry]:
        """Yield objects (and common prefixes with a delimiter) page by page."""

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> UploadResult:
        """Copy an object; ``metadata``/``content_type`` given means replace, else copy."""

    def move_object(
        self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str
    ) -> UploadResult:
        """Copy then delete the source."""

    def set_metadata(
        self,
        bucket: str,
        key: str,
        metadata: Mapping[str, str],
        *,
        content_type: str | None = None,
    ) -> UploadResult:
        """Replace the object's user metadata (and content type, if given)."""


__all__ = [
    "BucketDeletion",
    "BucketInfo",
    "Data",
    "DeleteError",
    "DeleteResult",
    "ListEntry",
    "ObjectInfo",
    "ObjectStore",
    "PrefixInfo",
    "ProgressCallback",
    "StoreLocation",
    "Unreadable",
    "UploadResult",
]
