"""Evidence bundles and attachments, stored write-once on any ``ObjectStore``.

Layout in the bucket::

    evidence/{type}/{YYYY}/{MM}/{id}.json     the bundle (canonical JSON, with its checksum)
    evidence/_index/{id}.json                 pointer: id -> the bundle's key
    attachments/{YYYY}/{MM}/{id}/{name}       an attachment's bytes (content type, metadata)
    attachments/_index/{id}.json              pointer: id -> its attachments' folder

``YYYY/MM`` is the bundle's ``created_at`` month (UTC). ``get(id)`` reads the pointer,
so it finds a bundle whatever month it was stored in: no key is ever rebuilt from
today's date. Attachments of one id live under the month of the first one stored
(the clock's month), recorded in their pointer.

Checksum: SHA-256 (hex) of the canonical JSON of ``{id, type, created_at, version,
data, metadata}``: keys sorted, separators ``,`` and ``:``, UTF-8, no ASCII escaping.
It is checked when a bundle is stored and when it is read; a mismatch raises
``IntegrityError``. Attachments carry their SHA-256 in the ``sha256`` metadata entry,
checked on read too: an attachment without it is an ``IntegrityError`` as well.

Write-once (``AlreadyExists``) is the store's atomic conditional write where it offers
one (``put_object(if_none_match="*")``: S3 and the local store), so it holds across
processes for bundles, their pointers, attachments and the attachments' folder pointer.
A store without it gets a check-then-write, serialised within one ``BundleStore`` only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from backend.src.libs.bucket.errors import (
    AlreadyExists,
    Conflict,
    IntegrityError,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectNotFound,
    StorageError,
)
from backend.src.libs.bucket.store import Data, ObjectInfo, ObjectStore, UploadResult

Clock = Callable[[], datetime]
"""Returns the current time (timezone-aware); injected in tests."""

EVIDENCE = "evidence"
ATTACHMENTS = "attachments"
INDEX = "_index"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def _check_name(value: object, argument: str, *, pattern: re.Pattern[str] | None = _NAME) -> str:
    """Check a bundle type, id or attachment name: no '/', '..', '\\' or control characters."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{argument} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidArgument(f"{argument} must not be empty")
    if "/" in value or "\\" in value:
        raise InvalidArgument(f"{argument} {value!r} must not contain '/' or '\\'")
    if ".." in value:
        raise InvalidArgument(f"{argument} {value!r} must not contain '..'")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidArgument(f"{argument} {value!r} must not contain control characters")
    if pattern is not None and not pattern.match(value):
        raise InvalidArgument(
            f"{argument} {value!r} must be 1-128 ASCII letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if len(value.encode("utf-8")) > 255:
        raise InvalidArgument(f"{argument} {value!r} is longer than 255 bytes")
    return value


def check_attachment_name(name: object) -> str:
    """An attachment name: 1-255 UTF-8 bytes, no '/', '\\', '..', control characters,
    not starting with '.'.

    Raises:
        InvalidArgument: names the rule broken.
    """
    _check_name(name, "name", pattern=None)
    assert isinstance(name, str)
    if name.startswith("."):
        raise InvalidArgument(f"name {name!r} must not start with '.'")
    return name


def _utc(value: datetime, argument: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidArgument(f"{argument} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgument(f"{argument} must be timezone-aware (got a naive datetime)")
    return value.astimezone(UTC)


def _freeze(value: Any, where: str = "data") -> Any:
    """A deep, read-only copy of JSON-compatible data (dicts become mapping proxies)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidArgument(f"{where} keys must be strings, not {type(k).__name__}")
            out[k] = _freeze(v, f"{where}[{k!r}]")
        return MappingProxyType(out)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, f"{where}[{i}]") for i, v in enumerate(value))
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidArgument(f"{where} must not be NaN or infinite (not JSON)")
        return value
    raise InvalidArgument(f"{where} must be JSON data, not {type(value).__name__}")


def _thaw(value: Any) -> Any:
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, compact separators, UTF-8 (no ASCII escaping)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_thaw,
    ).encode("utf-8")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_iso(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("created_at is not a string")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class EvidenceBundle:
    """One piece of evidence: typed JSON data with metadata and a SHA-256 checksum.

    Frozen, and ``data``/``metadata`` are deep read-only copies, so a bundle cannot
    change after its checksum is computed. Build one with ``EvidenceBundle.create``.

    Attributes:
        id: 1-128 ASCII letters, digits, ``.``, ``_``, ``-`` (no ``..``).
        type: same rule; not starting with ``_``.
        created_at: timezone-aware; stored in UTC with microseconds.
        version: a positive integer chosen by the caller (default 1).
        data: JSON data (mappings, sequences, strings, numbers, booleans, None).
        metadata: string to string.
        checksum: SHA-256 hex of ``canonical_json(content())``; computed when empty.

    Raises:
        InvalidArgument: on construction, for any invalid field.
        IntegrityError: on construction, when a given ``checksum`` does not match.
    """

    id: str
    type: str
    created_at: datetime
    data: Mapping[str, Any]
    metadata: Mapping[str, str] = field(default_factory=dict)
    version: int = 1
    checksum: str = ""

    def __post_init__(self) -> None:
        _check_name(self.id, "id")
        _check_name(self.type, "type")
        if self.type.startswith("_"):
            raise InvalidArgument(f"type {self.type!r} must not start with '_' (reserved)")
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise InvalidArgument(f"version must be a positive integer, not {self.version!r}")
        if not isinstance(self.data, Mapping):
            raise InvalidArgument(f"data must be a mapping, not {type(self.data).__name__}")
        object.__setattr__(self, "data", _freeze(self.data))
        if not isinstance(self.metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.metadata.items()
        ):
            raise InvalidArgument("metadata must map strings to strings")
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        expected = self.compute_checksum()
        if not self.checksum:
            object.__setattr__(self, "checksum", expected)
        elif self.checksum != expected:
            raise IntegrityError(
                f"bundle {self.id!r}: checksum {self.checksum} does not match its content "
                f"({expected})",
                key=self.id,
            )

    @classmethod
    def create(
        cls,
        type: str,
        data: Mapping[str, Any],
        *,
        id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        version: int = 1,
        clock: Clock = utc_now,
    ) -> EvidenceBundle:
        """A new bundle; ``id`` defaults (None) to a random UUID hex, ``created_at`` to
        ``clock()``.

        Raises:
            InvalidArgument: an invalid field (``id=""`` included: only None draws an id).
        """
        return cls(
            id=uuid.uuid4().hex if id is None else id,
            type=type,
            created_at=clock(),
            data=data,
            metadata=dict(metadata or {}),
            version=version,
        )

    def content(self) -> dict[str, Any]:
        """The fields the checksum covers, as plain JSON values."""
        return {
            "id": self.id,
            "type": self.type,
            "created_at": _iso(self.created_at),
            "version": self.version,
            "data": self.data,
            "metadata": self.metadata,
        }

    def compute_checksum(self) -> str:
        """SHA-256 hex of the canonical JSON of ``content()``."""
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def to_json(self) -> bytes:
        """The stored document: ``content()`` plus ``checksum``, canonical JSON."""
        return canonical_json({**self.content(), "checksum": self.checksum})

    @classmethod
    def from_json(cls, raw: bytes) -> EvidenceBundle:
        """Parse a stored document and verify its checksum.

        Raises:
            IntegrityError: not valid JSON, a field missing or invalid, or a checksum
                that does not match the content.
        """
        try:
            doc = json.loads(raw.decode("utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            checksum = doc["checksum"]
            if not isinstance(checksum, str) or not checksum:
                raise ValueError("no checksum")
            return cls(
                id=doc["id"],
                type=doc["type"],
                created_at=_parse_iso(doc["created_at"]),
                data=doc["data"],
                metadata=doc["metadata"],
                version=doc["version"],
                checksum=checksum,
            )
        except IntegrityError:
            raise
        except (ValueError, KeyError, TypeError, InvalidArgument) as exc:
            raise IntegrityError(f"the stored bundle is damaged: {exc}") from exc

    @property
    def year(self) -> int:
        """The UTC year of ``created_at`` (the ``YYYY`` of the key)."""
        return self.created_at.year

    @property
    def month(self) -> int:
        """The UTC month of ``created_at`` (the ``MM`` of the key)."""
        return self.created_at.month


@dataclass(frozen=True)
class BundleInfo:
    """A stored bundle as listed (its bytes are not read)."""

    id: str
    type: str
    year: int
    month: int
    key: str
    size: int
    last_modified: datetime | None = None


@dataclass(frozen=True)
class AttachmentInfo:
    """A stored attachment's properties."""

    id: str
    name: str
    key: str
    size: int
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: datetime | None = None


def bundle_key(bundle_type: str, created_at: datetime, bundle_id: str) -> str:
    """``evidence/{type}/{YYYY}/{MM}/{id}.json`` for a bundle's fields (UTC month)."""
    when = _utc(created_at, "created_at")
    return f"{EVIDENCE}/{bundle_type}/{when.year:04d}/{when.month:02d}/{bundle_id}.json"


class BundleStore:
    """Evidence bundles and attachments in one bucket of an ``ObjectStore``.

    Args:
        store: any ``ObjectStore`` (``S3Store``, ``LocalStore``...).
        bucket: the bucket holding the bundles; it must exist.
        clock: the current time (default: ``utc_now``); decides the month folder of
            new attachments and of bundles made with ``create``.

    Thread-safety: one instance may be shared by threads; the write-once check and the
    write are done under one lock; across processes, where the store offers write-once
    puts (S3 and the local store), the bundle, its pointer, each attachment (without
    ``overwrite``) and the attachments' folder pointer are written with
    ``If-None-Match: *``, so exactly one of two writers of an id (or of an attachment
    name) succeeds.
    """

    def __init__(self, store: ObjectStore, bucket: str, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.bucket = bucket
        self.clock = clock
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- bundles
    def create(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        version: int = 1,
    ) -> EvidenceBundle:
        """Build a bundle dated ``clock()`` and store it (write-once).

        Raises:
            InvalidArgument: an invalid field.
            AlreadyExists: a bundle with this id is already stored.
        """
        bundle = EvidenceBundle.create(
            type, data, id=id, metadata=metadata, version=version, clock=self.clock
        )
        self.put(bundle)
        return bundle

    def put(self, bundle: EvidenceBundle, *, overwrite: bool = False) -> UploadResult:
        """Store ``bundle`` at ``evidence/{type}/{YYYY}/{MM}/{id}.json``, then its pointer.

        Args:
            overwrite: default False: a second store of the same id raises
                ``AlreadyExists``. True replaces it (and removes the old copy if its
                key differs).

        Raises:
            AlreadyExists: the id is stored and ``overwrite`` is False.
            IntegrityError: the bundle's checksum does not match its content.
            StorageError: from the store (missing bucket, connection...).
        """
        if not isinstance(bundle, EvidenceBundle):
            raise InvalidArgument(f"bundle must be an EvidenceBundle, not {type(bundle).__name__}")
        if bundle.compute_checksum() != bundle.checksum:
            raise IntegrityError(
                f"bundle {bundle.id!r}: checksum does not match its content",
                bucket=self.bucket,
                key=bundle.id,
            )
        key = bundle_key(bundle.type, bundle.created_at, bundle.id)
        with self._lock:
            previous = self._pointer_or_none(bundle.id)
            if previous is not None and not overwrite:
                raise AlreadyExists(
                    f"bundle {bundle.id!r} is already stored at {previous['key']} "
                    "(pass overwrite=True to replace it)",
                    bucket=self.bucket,
                    key=previous["key"],
                )
            # Without overwrite, both writes are write-once where the store offers it
            # (If-None-Match: *): the bundle first, then its pointer, which claims the id.
            # Two processes storing the same id: exactly one pointer is created, and a
            # loser removes its own bundle object (never the winner's: same key means its
            # bundle write already failed).
            once: dict[str, Any] = (
                {"if_none_match": "*"} if not overwrite and self._write_once else {}
            )
            body = bundle.to_json()
            try:
                result = self.store.put_object(
                    self.bucket,
                    key,
                    body,
                    content_type="application/json",
                    metadata={
                        "bundle-id": bundle.id,
                        "bundle-type": bundle.type,
                        "sha256": bundle.checksum,
                    },
                    **once,
                )
            except Conflict as exc:
                # the same bundle left without its pointer by a writer that died: adopt it
                if not self._is_orphan_of(bundle, key):
                    raise self._taken(bundle.id, key) from exc
                result = UploadResult(bucket=self.bucket, key=key, size=len(body))
            pointer = {
                "id": bundle.id,
                "type": bundle.type,
                "key": key,
                "checksum": bundle.checksum,
                "created_at": _iso(bundle.created_at),
            }
            try:
                self.store.put_object(
                    self.bucket,
                    self._pointer_key(bundle.id),
                    canonical_json(pointer),
                    content_type="application/json",
                    **once,
                )
            except Conflict as exc:
                with contextlib.suppress(StorageError):
                    self.store.delete_object(self.bucket, key)
                raise self._taken(bundle.id, key) from exc
            if previous is not None and previous["key"] != key:
                self.store.delete_object(self.bucket, previous["key"])
        return result

    @property
    def _write_once(self) -> bool:
        """True when the store's ``put_object`` takes ``if_none_match`` (S3 and local)."""
        import inspect

        return "if_none_match" in inspect.signature(self.store.put_object).parameters

    def _is_orphan_of(self, bundle: EvidenceBundle, key: str) -> bool:
        """True when ``key`` holds this very bundle (same checksum) and no pointer names it."""
        if self._pointer_or_none(bundle.id) is not None:
            return False
        try:
            stored = self.store.head_object(self.bucket, key)
        except NotFound:
            return False
        return stored.metadata.get("sha256") == bundle.checksum

    def _taken(self, bundle_id: str, key: str) -> AlreadyExists:
        return AlreadyExists(
            f"bundle {bundle_id!r} was stored meanwhile by another writer "
            "(pass overwrite=True to replace it)",
            bucket=self.bucket,
            key=key,
        )

    def get(self, bundle_id: str) -> EvidenceBundle:
        """The bundle stored under ``bundle_id``, checked against its checksum.

        Raises:
            ObjectNotFound: no bundle with this id.
            IntegrityError: the stored bundle is damaged, its checksum does not match,
                or it is not the bundle its pointer names.
        """
        pointer = self._pointer(bundle_id)
        try:
            raw = self.store.get_object(self.bucket, pointer["key"])
        except ObjectNotFound as exc:
            raise ObjectNotFound(
                f"bundle {bundle_id!r}: its pointer names {pointer['key']}, which is missing",
                bucket=self.bucket,
                key=pointer["key"],
            ) from exc
        try:
            bundle = EvidenceBundle.from_json(raw)
        except IntegrityError as exc:
            raise IntegrityError(
                f"bundle {bundle_id!r}: {exc.message}", bucket=self.bucket, key=pointer["key"]
            ) from exc
        if bundle.id != bundle_id or bundle.checksum != pointer.get("checksum"):
            raise IntegrityError(
                f"bundle {bundle_id!r}: the object at {pointer['key']} is not the bundle its "
                "pointer names (id or checksum differ)",
                bucket=self.bucket,
                key=pointer["key"],
            )
        return bundle

    def exists(self, bundle_id: str) -> bool:
        """True if a bundle with this id is stored (its pointer exists)."""
        return self._pointer_or_none(bundle_id) is not None

    def key_of(self, bundle_id: str) -> str:
        """The object key of the bundle ``bundle_id`` (read from its pointer).

        Raises:
            ObjectNotFound: no bundle with this id.
        """
        return str(self._pointer(bundle_id)["key"])

    def list(
        self,
        type: str | None = None,
        *,
        year: int | None = None,
        month: int | None = None,
    ) -> Iterator[BundleInfo]:
        """Yield stored bundles (without reading them), in key order.

        Args:
            type: default None (every type).
            year: default None (every year).
            month: default None (every month); 1-12.

        Raises:
            InvalidArgument: an invalid type, year or month (raised at the call).
        """
        if type is not None:
            _check_name(type, "type")
        if year is not None and (
            isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999
        ):
            raise InvalidArgument(f"year must be an integer 1-9999, not {year!r}")
        if month is not None and (
            isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12
        ):
            raise InvalidArgument(f"month must be an integer 1-12, not {month!r}")
        prefix = f"{EVIDENCE}/"
        if type is not None:
            prefix += f"{type}/"
            if year is not None:
                prefix += f"{year:04d}/"
                if month is not None:
                    prefix += f"{month:02d}/"
        return self._list(prefix, year, month)

    def _list(self, prefix: str, year: int | None, month: int | None) -> Iterator[BundleInfo]:
        for entry in self.store.list_objects(self.bucket, prefix=prefix):
            if not isinstance(entry, ObjectInfo):
                continue
            parts = entry.key.split("/")
            if len(parts) != 5 or parts[1] == INDEX or not parts[4].endswith(".json"):
                continue
            _, btype, yyyy, mm, name = parts
            if not (yyyy.isdigit() and mm.isdigit()):
                continue
            if (year is not None and int(yyyy) != year) or (month is not None and int(mm) != month):
                continue
            yield BundleInfo(
                id=name[: -len(".json")],
                type=btype,
                year=int(yyyy),
                month=int(mm),
                key=entry.key,
                size=entry.size,
                last_modified=entry.last_modified,
            )

    def delete(self, bundle_id: str, *, attachments: bool = False) -> None:
        """Delete the bundle, then its pointer (and its attachments if asked).

        Args:
            attachments: default False; True deletes the id's attachments too.

        Raises:
            ObjectNotFound: no bundle with this id.
        """
        with self._lock:
            pointer = self._pointer(bundle_id)
            self.store.delete_object(self.bucket, pointer["key"])
            self.store.delete_object(self.bucket, self._pointer_key(bundle_id))
        if attachments:
            self.delete_attachments(bundle_id)

    def presign_url(self, bundle_id: str, *, expiration: int = 3600) -> str:
        """A presigned GET URL of the bundle, from the store's ``presign_url``.

        Args:
            expiration: seconds the URL stays valid (default 3600).

        Raises:
            ObjectNotFound: no bundle with this id.
            NotSupported: the store cannot presign (``LocalStore``, or a store without
                ``presign_url``).
        """
        key = self.key_of(bundle_id)
        presign = getattr(self.store, "presign_url", None)
        if presign is None:
            raise NotSupported(
                f"{type(self.store).__name__} cannot presign URLs", bucket=self.bucket, key=key
            )
        return str(presign(self.bucket, key, expiration=expiration))

    def _pointer_key(self, bundle_id: str) -> str:
        _check_name(bundle_id, "id")
        return f"{EVIDENCE}/{INDEX}/{bundle_id}.json"

    def _pointer_or_none(self, bundle_id: str) -> dict[str, Any] | None:
        key = self._pointer_key(bundle_id)
        try:
            raw = self.store.get_object(self.bucket, key)
        except ObjectNotFound:
            return None
        try:
            pointer = json.loads(raw.decode("utf-8"))
            if not isinstance(pointer, dict) or not isinstance(pointer.get("key"), str):
                raise ValueError("no key")
        except ValueError as exc:
            raise IntegrityError(
                f"the pointer of bundle {bundle_id!r} is damaged: {exc}",
                bucket=self.bucket,
                key=key,
            ) from exc
        expected_prefix = f"{EVIDENCE}/"
        if not pointer["key"].startswith(expected_prefix) or pointer.get("id") != bundle_id:
            raise IntegrityError(
                f"the pointer of bundle {bundle_id!r} names another object",
                bucket=self.bucket,
                key=key,
            )
        return pointer

    def _pointer(self, bundle_id: str) -> dict[str, Any]:
        pointer = self._pointer_or_none(bundle_id)
        if pointer is None:
            raise ObjectNotFound(
                f"no bundle with id {bundle_id!r}",
                bucket=self.bucket,
                key=self._pointer_key(bundle_id),
                status=404,
            )
        return pointer

    # ------------------------------------------------------------ attachments
    def put_attachment(
        self,
        bundle_id: str,
        name: str,
        data: Data,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> AttachmentInfo:
        """Store an attachment at ``attachments/{YYYY}/{MM}/{id}/{name}``.

        The first attachment of an id fixes its month folder (``clock()``'s month) in
        ``attachments/_index/{id}.json``; later ones go to the same folder. The bytes'
        SHA-256 is kept in the ``sha256`` metadata entry.

        Args:
            content_type: default: guessed from ``name`` by the store.
            metadata: user metadata (``sha256`` is reserved).
            overwrite: default False: an existing name raises ``AlreadyExists``, checked
                by the store's atomic write-once put (``If-None-Match: *``), so of two
                writers of one name, in any processes, exactly one succeeds.

        Raises:
            InvalidArgument: invalid id, name, metadata or data.
            AlreadyExists: the name exists and ``overwrite`` is False.
        """
        _check_name(bundle_id, "id")
        check_attachment_name(name)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            data = data.read()
        body = bytes(data)
        meta = {k.lower(): v for k, v in (metadata or {}).items()}
        if "sha256" in meta:
            raise InvalidArgument(
                "metadata name 'sha256' is reserved for the attachment's checksum"
            )
        meta["sha256"] = hashlib.sha256(body).hexdigest()
        once: dict[str, Any] = {"if_none_match": "*"} if not overwrite and self._write_once else {}
        with self._lock:
            folder = self._attachment_folder(bundle_id, create=True)
            assert folder is not None
            key = folder + name

            def taken() -> AlreadyExists:
                return AlreadyExists(
                    f"attachment {name!r} of {bundle_id!r} already exists "
                    "(pass overwrite=True to replace it)",
                    bucket=self.bucket,
                    key=key,
                )

            # without a conditional put: check, then write (atomic within this instance)
            if not overwrite and not once and self.store.object_exists(self.bucket, key):
                raise taken()
            try:
                result = self.store.put_object(
                    self.bucket, key, body, content_type=content_type, metadata=meta, **once
                )
            except Conflict as exc:
                if not once:
                    raise
                raise taken() from exc
        info = self.store.head_object(self.bucket, key)
        return AttachmentInfo(
            id=bundle_id,
            name=name,
            key=key,
            size=result.size,
            content_type=info.content_type,
            metadata=dict(info.metadata),
            etag=info.etag,
            last_modified=info.last_modified,
        )

    def get_attachment(self, bundle_id: str, name: str) -> bytes:
        """The attachment's bytes, checked against their SHA-256.

        Every attachment is stored with its SHA-256 (``sha256`` metadata): one without it
        was replaced outside ``put_attachment`` (or damaged) and is refused.

        Raises:
            ObjectNotFound: no such attachment.
            IntegrityError: the ``sha256`` metadata is missing or empty, or the bytes do
                not match it.
        """
        key = self._attachment_key(bundle_id, name)
        for attempt in (1, 2):
            info = self.store.head_object(self.bucket, key)
            expected = info.metadata.get("sha256")
            if not expected:
                raise IntegrityError(
                    f"attachment {name!r} of {bundle_id!r} has no sha256 checksum (every "
                    "attachment is stored with one): it was replaced outside "
                    "put_attachment or damaged",
                    bucket=self.bucket,
                    key=key,
                )
            data = self.store.get_object(self.bucket, key)
            if hashlib.sha256(data).hexdigest() == expected:
                return data
            # replaced between the HEAD and the GET (put_attachment(overwrite=True))?
            # then read the new one once; else the bytes are not the ones stored
            if attempt == 1 and self.store.head_object(self.bucket, key).etag != info.etag:
                continue
            break
        raise IntegrityError(
            f"attachment {name!r} of {bundle_id!r}: SHA-256 mismatch",
            bucket=self.bucket,
            key=key,
        )

    def head_attachment(self, bundle_id: str, name: str) -> AttachmentInfo:
        """The attachment's size, content type, metadata, ETag and date.

        Raises:
            ObjectNotFound: no such attachment.
        """
        key = self._attachment_key(bundle_id, name)
        info = self.store.head_object(self.bucket, key)
        return AttachmentInfo(
            id=bundle_id,
            name=name,
            key=key,
            size=info.size,
            content_type=info.content_type,
            metadata=dict(info.metadata),
            etag=info.etag,
            last_modified=info.last_modified,
        )

    def list_attachments(self, bundle_id: str) -> Iterator[AttachmentInfo]:
        """Yield the id's attachments by name (no content type or metadata: use
        ``head_attachment``). Nothing if the id has none.

        Raises:
            InvalidArgument: an invalid id (raised at the call).
        """
        _check_name(bundle_id, "id")
        return self._list_attachments(bundle_id)

    def _list_attachments(self, bundle_id: str) -> Iterator[AttachmentInfo]:
        folder = self._attachment_folder(bundle_id, create=False)
        if folder is None:
            return
        for entry in self.store.list_objects(self.bucket, prefix=folder):
            if isinstance(entry, ObjectInfo):
                yield AttachmentInfo(
                    id=bundle_id,
                    name=entry.key[len(folder) :],
                    key=entry.key,
                    size=entry.size,
                    etag=entry.etag,
                    last_modified=entry.last_modified,
                )

    def delete_attachment(self, bundle_id: str, name: str) -> None:
        """Delete one attachment (no error if it is already gone)."""
        try:
            key = self._attachment_key(bundle_id, name)
        except ObjectNotFound:
            return
        self.store.delete_object(self.bucket, key)

    def delete_attachments(self, bundle_id: str) -> int:
        """Delete every attachment of the id and its pointer; returns how many.

        Raises:
            StorageError: a key could not be deleted.
        """
        with self._lock:
            keys = [a.key for a in self.list_attachments(bundle_id)]
            result = self.store.delete_objects(self.bucket, keys)
            if not result.ok:
                first = result.errors[0]
                raise IntegrityError(
                    f"could not delete attachment {first.key}: {first.code} {first.message}",
                    bucket=self.bucket,
                    key=first.key,
                )
            self.store.delete_object(self.bucket, self._attachment_pointer_key(bundle_id))
        return len(result.deleted)

    def _attachment_pointer_key(self, bundle_id: str) -> str:
        _check_name(bundle_id, "id")
        return f"{ATTACHMENTS}/{INDEX}/{bundle_id}.json"

    def _attachment_folder(self, bundle_id: str, *, create: bool) -> str | None:
        """The id's attachment folder, read from its pointer. With ``create``, a missing
        pointer is created write-once: of two writers of an id's first attachments (in
        any processes, their clocks in different months), one pointer wins and both
        use its folder."""
        key = self._attachment_pointer_key(bundle_id)
        for _ in range(3):
            try:
                raw = self.store.get_object(self.bucket, key)
            except NotFound:
                if not create:
                    return None
                now = _utc(self.clock(), "clock()")
                folder = f"{ATTACHMENTS}/{now.year:04d}/{now.month:02d}/{bundle_id}/"
                once: dict[str, Any] = {"if_none_match": "*"} if self._write_once else {}
                try:
                    self.store.put_object(
                        self.bucket,
                        key,
                        canonical_json({"id": bundle_id, "prefix": folder}),
                        content_type="application/json",
                        **once,
                    )
                except Conflict:
                    if not once:
                        raise
                    continue  # another writer created it first: use theirs
                return folder
            return self._folder_of(bundle_id, key, raw)
        raise Conflict(
            f"the attachment pointer of {bundle_id!r} keeps changing (created and deleted "
            "by other writers); try again",
            bucket=self.bucket,
            key=key,
        )

    def _folder_of(self, bundle_id: str, key: str, raw: bytes) -> str:
        try:
            folder = json.loads(raw.decode("utf-8"))["prefix"]
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(
                f"the attachment pointer of {bundle_id!r} is damaged", bucket=self.bucket, key=key
            ) from exc
        if (
            not isinstance(folder, str)
            or not folder.startswith(f"{ATTACHMENTS}/")
            or not folder.endswith(f"/{bundle_id}/")
        ):
            raise IntegrityError(
                f"the attachment pointer of {bundle_id!r} names another folder",
                bucket=self.bucket,
                key=key,
            )
        return folder

    def _attachment_key(self, bundle_id: str, name: str) -> str:
        _check_name(bundle_id, "id")
        check_attachment_name(name)
        folder = self._attachment_folder(bundle_id, create=False)
        if folder is None:
            raise ObjectNotFound(
                f"{bundle_id!r} has no attachments",
                bucket=self.bucket,
                key=self._attachment_pointer_key(bundle_id),
                status=404,
            )
        return folder + name
