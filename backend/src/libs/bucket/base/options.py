"""Write options as objects, checked once when built: ``WriteOptions`` and typed encryption.

Every write path (both stores, the facade, bundles, sync, batch) takes one
``WriteOptions`` instead of a dozen loose keywords; per-call multipart settings stay
``TransferSettings``, passed beside it. The facade keeps its keyword arguments
(``sse="aws:kms"``, ``if_none_match="*"``...) and turns them into a ``WriteOptions``
with ``WriteOptions.from_arguments``, whose errors name those arguments; ``given()``
names the options set in that same vocabulary, which stores declare in
``options_supported`` (``capabilities.check_write`` refuses the others).
``s3.args.s3_write_args`` is the one place that turns options and a store's config into
boto3's ``ExtraArgs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypedDict, Unpack

from backend.src.libs.bucket.base.errors import InvalidArgument
from backend.src.libs.bucket.base.validation import check_metadata
from backend.src.libs.bucket.base.write_rules import (
    SSE_ALGORITHMS,
    STORAGE_CLASSES,
    LockMode,
    Retention,
    check_lock_mode,
    check_retain_until,
    check_tags,
    sse_customer_key_bytes,
)

if TYPE_CHECKING:
    from backend.src.libs.bucket.base.config import BucketConfig

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
MAX_SINGLE_PUT = 5 * 1024 * 1024 * 1024
"""The largest body one PutObject may carry (S3's limit, Ceph RGW's default too)."""


@dataclass(frozen=True)
class TransferSettings:
    """Per-call overrides of the store's multipart settings; None keeps the store's.

    Attributes:
        multipart_threshold: bytes from which an upload or download goes multipart
            (>= 1; default ``BUCKET_MULTIPART_THRESHOLD``, 8 MiB).
        part_size: bytes per part, 5 MiB .. 5 GiB (default ``BUCKET_MULTIPART_CHUNKSIZE``).
        max_concurrency: parallel part requests, 1 .. 1024 (default ``BUCKET_MAX_WORKERS``);
            above the store's HTTP pool size, requests wait for a pooled connection.

    Raises:
        InvalidArgument: a value outside its bounds (names it).
    """

    multipart_threshold: int | None = None
    part_size: int | None = None
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        for name, low, high in (
            ("multipart_threshold", 1, MAX_PART_SIZE * MAX_PARTS),
            ("part_size", MIN_PART_SIZE, MAX_PART_SIZE),
            ("max_concurrency", 1, 1024),
        ):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidArgument(
                    f"{name} must be an integer between {low} and {high}, not {value!r}"
                )

    def given(self) -> frozenset[str]:
        """The settings set (not None), by name, to check against a store's
        ``options_supported``."""
        return frozenset(name for name in TRANSFER_OPTION_NAMES if getattr(self, name) is not None)

    def threshold(self, config: BucketConfig) -> int:
        """The multipart threshold in force."""
        return (
            self.multipart_threshold
            if self.multipart_threshold is not None
            else config.multipart_threshold
        )

    def chunk(self, config: BucketConfig) -> int:
        """The part size in force."""
        return self.part_size if self.part_size is not None else config.multipart_chunksize

    def concurrency(self, config: BucketConfig) -> int:
        """The number of parallel part requests in force."""
        return self.max_concurrency if self.max_concurrency is not None else config.max_workers


PutMode = Literal["create", "overwrite"]
"""``"create"``: write-once (``AlreadyExists`` when the key exists); ``"overwrite"``."""


class WriteArguments(TypedDict, total=False):
    """The facade's keyword options of a write (``Bucket.upload_file``,
    ``Bucket.upload_stream``), declared once: absent or None means not given.
    ``WriteOptions.from_arguments`` checks and turns them into options; the last three
    are the call's ``options.TransferSettings``."""

    content_type: str | None
    metadata: Mapping[str, str] | None
    cache_control: str | None
    content_disposition: str | None
    content_encoding: str | None
    sse: str | None
    sse_kms_key_id: str | None
    sse_customer_key: str | bytes | None
    storage_class: str | None
    tags: Mapping[str, str] | None
    if_none_match: str | None
    lock_mode: LockMode | None
    retain_until: datetime | None
    legal_hold: bool | None
    multipart_threshold: int | None
    part_size: int | None
    max_concurrency: int | None


TRANSFER_OPTION_NAMES = frozenset({"multipart_threshold", "part_size", "max_concurrency"})
WRITE_OPTION_NAMES = frozenset(WriteArguments.__optional_keys__ - {"content_type", "metadata"})
"""Every write option a store may declare in ``options_supported`` (the facade's names;
``content_type`` and ``metadata`` are not among them: every store takes those)."""


@dataclass(frozen=True)
class SseS3:
    """Server-side encryption with the server's keys (``AES256``)."""


@dataclass(frozen=True)
class SseKms:
    """Server-side encryption with a KMS key (``aws:kms``).

    Attributes:
        key_id: the KMS key; None: the store's ``BUCKET_SSE_KMS_KEY_ID``, else the
            server's default key. An empty string sends no key id (the server's key).

    Raises:
        InvalidArgument: ``key_id`` is neither a string nor None.
    """

    key_id: str | None = None

    def __post_init__(self) -> None:
        if self.key_id is not None and not isinstance(self.key_id, str):
            raise InvalidArgument(
                f"sse_kms_key_id must be a string, not {type(self.key_id).__name__}"
            )


@dataclass(frozen=True, repr=False)
class SseC:
    """Server-side encryption with a customer key (SSE-C): the same key reads the object.

    Attributes:
        key: 32 raw bytes, or them as 64 hex digits or base64. Never shown in ``repr``.
        raw: the 32 raw bytes (derived).

    Raises:
        ConfigError: (an ``InvalidArgument``) not a 256-bit key; the message names
            ``sse_customer_key``, never the key.
    """

    key: str | bytes
    raw: bytes = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, (str, bytes)):
            raise InvalidArgument(
                "sse_customer_key must be a 256-bit key: 32 bytes, 64 hex digits or base64"
            )
        object.__setattr__(self, "raw", sse_customer_key_bytes(self.key))

    def __repr__(self) -> str:
        return "SseC(key=***)"


Encryption = SseS3 | SseKms | SseC
"""Per-object server-side encryption."""

_ENCRYPTIONS = (SseS3, SseKms, SseC)
_PLAIN_OPTIONS = (
    "storage_class",
    "cache_control",
    "content_disposition",
    "content_encoding",
    "tags",
    "legal_hold",
)


@dataclass(frozen=True)
class WriteOptions:
    """What a write asks of the store beyond the bytes. Checked when built.

    Attributes:
        content_type: default: guessed from the key's extension.
        metadata: user metadata (``x-amz-meta-*``), 2 KiB at most; kept as checked
            (names lowercased). Default: none.
        storage_class: e.g. ``"STANDARD_IA"``; default: ``BUCKET_STORAGE_CLASS``.
        cache_control, content_disposition, content_encoding: the headers the object is
            served with (``"max-age=3600"``, ``'attachment; filename="a.pdf"'``, ``"gzip"``:
            the bytes stored are compressed); None: none.
        tags: object tags (at most 10); None: none.
        encryption: ``SseS3()``, ``SseKms(key_id)`` or ``SseC(key)``; None: the store's
            default (``encryption_in_force``).
        retention: object-lock retention of the new version (bucket created with lock).
        legal_hold: put (True) or not (False) a legal hold on the new version; None: the
            bucket's default.
        mode: ``"create"`` makes the write write-once (``AlreadyExists`` when the key
            exists, checked by the server or the file system on the write itself);
            default ``"overwrite"``.

    Raises:
        InvalidArgument: an option out of its domain; the message names it as the
            facade does (``storage_class must be one of ...``).

    Thread-safety: immutable; share it freely.
    """

    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    storage_class: str | None = None
    cache_control: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    tags: Mapping[str, str] | None = None
    encryption: Encryption | None = None
    retention: Retention | None = None
    legal_hold: bool | None = None
    mode: PutMode = "overwrite"

    def __post_init__(self) -> None:
        if self.content_type is not None and not isinstance(self.content_type, str):
            raise InvalidArgument(
                f"content_type must be a string, not {type(self.content_type).__name__}"
            )
        object.__setattr__(self, "metadata", check_metadata(self.metadata))
        for name in ("cache_control", "content_disposition", "content_encoding"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.isprintable()):
                raise InvalidArgument(f"{name} must be a printable string (a header value)")
        if self.encryption is not None and not isinstance(self.encryption, _ENCRYPTIONS):
            raise InvalidArgument(
                "encryption must be SseS3(), SseKms(key_id) or SseC(key), "
                f"not {type(self.encryption).__name__}"
            )
        if self.storage_class is not None and self.storage_class not in STORAGE_CLASSES:
            raise InvalidArgument(
                f"storage_class must be one of {', '.join(STORAGE_CLASSES)}, "
                f"not {self.storage_class!r}"
            )
        if self.tags is not None:
            object.__setattr__(self, "tags", check_tags(self.tags))
        if self.retention is not None:
            if not isinstance(self.retention, Retention):
                raise InvalidArgument(
                    "retention must be a Retention(mode, retain_until), "
                    f"not {type(self.retention).__name__}"
                )
            check_lock_mode(self.retention.mode)
            check_retain_until(self.retention.retain_until)
        if self.mode not in ("create", "overwrite"):
            raise InvalidArgument(f"mode must be 'create' or 'overwrite', not {self.mode!r}")

    @classmethod
    def from_arguments(
        cls, *, config: BucketConfig | None = None, **arguments: Unpack[WriteArguments]
    ) -> WriteOptions:
        """The options of the facade's keyword arguments (``WriteArguments``; None: not
        given). The transfer settings among them are ignored here (they make the call's
        ``TransferSettings``).

        ``sse`` is ``"AES256"`` or ``"aws:kms"``; ``sse_kms_key_id`` alone keeps the
        store's ``BUCKET_SSE=aws:kms`` (read from ``config``) with another key;
        ``if_none_match="*"`` is ``mode="create"``; ``lock_mode`` and ``retain_until``
        make a ``Retention``.

        Raises:
            InvalidArgument: a keyword that is not a write option (mypy finds it first),
                ``sse and sse_customer_key exclude each other``,
                ``sse must be AES256 or aws:kms, not ...``, ``sse_kms_key_id needs
                sse='aws:kms'``, ``lock_mode and retain_until go together``,
                ``if_none_match must be '*' (write-once), not ...``, or an option out
                of its domain (see the class).
        """
        unknown = sorted(set(arguments) - WriteArguments.__optional_keys__)
        if unknown:
            raise InvalidArgument(
                f"{', '.join(unknown)}: not a write option (the options are "
                f"{', '.join(sorted(WriteArguments.__optional_keys__))})"
            )
        metadata = arguments.get("metadata")
        legal_hold = arguments.get("legal_hold")
        return cls(
            content_type=arguments.get("content_type"),
            metadata=metadata if metadata is not None else {},
            storage_class=arguments.get("storage_class"),
            cache_control=arguments.get("cache_control"),
            content_disposition=arguments.get("content_disposition"),
            content_encoding=arguments.get("content_encoding"),
            tags=arguments.get("tags"),
            encryption=_call_encryption(
                arguments.get("sse"),
                arguments.get("sse_kms_key_id"),
                arguments.get("sse_customer_key"),
                config,
            ),
            retention=_call_retention(arguments.get("lock_mode"), arguments.get("retain_until")),
            legal_hold=None if legal_hold is None else bool(legal_hold),
            mode=_call_mode(arguments.get("if_none_match")),
        )

    def given(self) -> frozenset[str]:
        """The options set, by the facade's names (``sse``, ``if_none_match``...), to
        check against a store's ``options_supported``; content type and metadata,
        which every store takes, are not named."""
        names: set[str] = set()
        encryption = self.encryption
        if isinstance(encryption, SseC):
            names.add("sse_customer_key")
        elif encryption is not None:
            names.add("sse")
            if isinstance(encryption, SseKms) and encryption.key_id is not None:
                names.add("sse_kms_key_id")
        names.update(name for name in _PLAIN_OPTIONS if getattr(self, name) is not None)
        if self.retention is not None:
            names.update(("lock_mode", "retain_until"))
        if self.mode == "create":
            names.add("if_none_match")
        return frozenset(names)

    @property
    def write_once(self) -> bool:
        """True for ``mode="create"``."""
        return self.mode == "create"


def _call_encryption(
    sse: str | None,
    sse_kms_key_id: str | None,
    sse_customer_key: str | bytes | None,
    config: BucketConfig | None,
) -> Encryption | None:
    """The encryption the facade's three loose arguments ask for (None: the store's)."""
    if sse is not None and sse_customer_key is not None:
        raise InvalidArgument("sse and sse_customer_key exclude each other")
    if sse is not None:
        if sse not in SSE_ALGORITHMS:
            raise InvalidArgument(f"sse must be AES256 or aws:kms, not {sse!r}")
        if sse == "aws:kms":
            return SseKms(sse_kms_key_id)
        if sse_kms_key_id:
            raise InvalidArgument("sse_kms_key_id needs sse='aws:kms'")
        return SseS3()
    if sse_kms_key_id is not None:
        # a key alone: another key for the store's own SSE-KMS, nothing else
        if sse_customer_key is None and config is not None and config.sse == "aws:kms":
            return SseKms(sse_kms_key_id)
        raise InvalidArgument("sse_kms_key_id needs sse='aws:kms'")
    return SseC(sse_customer_key) if sse_customer_key is not None else None


def _call_retention(lock_mode: LockMode | None, retain_until: datetime | None) -> Retention | None:
    if (lock_mode is None) != (retain_until is None):
        raise InvalidArgument("lock_mode and retain_until go together")
    if lock_mode is None or retain_until is None:
        return None
    return Retention(mode=lock_mode, retain_until=retain_until)


def _call_mode(if_none_match: str | None) -> PutMode:
    if if_none_match is None:
        return "overwrite"
    if if_none_match != "*":
        raise InvalidArgument(f"if_none_match must be '*' (write-once), not {if_none_match!r}")
    return "create"


def default_encryption(config: BucketConfig) -> Encryption | None:
    """The store's default encryption from its settings: ``BUCKET_SSE_CUSTOMER_KEY``
    (SSE-C), else ``BUCKET_SSE`` (``AES256``, or ``aws:kms`` with
    ``BUCKET_SSE_KMS_KEY_ID``), else None. ``BucketConfig`` already refuses SSE-C
    together with ``BUCKET_SSE``."""
    if config.sse_customer_key is not None:
        return SseC(config.sse_customer_key)
    if config.sse == "aws:kms":
        return SseKms(config.sse_kms_key_id)
    if config.sse is not None:
        return SseS3()
    return None


def encryption_in_force(encryption: Encryption | None, config: BucketConfig) -> Encryption | None:
    """The encryption of a write: the call's when given (an ``SseKms`` without a key
    takes ``BUCKET_SSE_KMS_KEY_ID``), else the store's default (``default_encryption``).
    The call's choice replaces the default whole: ``SseC`` drops ``BUCKET_SSE``,
    ``SseS3`` / ``SseKms`` drop ``BUCKET_SSE_CUSTOMER_KEY``."""
    if encryption is None:
        return default_encryption(config)
    if isinstance(encryption, SseKms) and encryption.key_id is None:
        return SseKms(config.sse_kms_key_id)
    return encryption


NO_OPTIONS = WriteOptions()
"""The options of a plain write (every default)."""


__all__ = [
    "NO_OPTIONS",
    "TRANSFER_OPTION_NAMES",
    "WRITE_OPTION_NAMES",
    "Encryption",
    "PutMode",
    "SseC",
    "SseKms",
    "SseS3",
    "WriteOptions",
    "default_encryption",
    "encryption_in_force",
]
