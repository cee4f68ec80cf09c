"""Evidence bundles and attachments, stored write-once on any ``ObjectStore``.

Layout in the bucket::

    evidence/{type}/{YYYY}/{MM}/{id}.json     the bundle (canonical JSON, with its checksum)
    evidence/_index/{id}.json                 pointer: id -> the bundle's key
    attachments/{YYYY}/{MM}/{id}/{name}       an attachment's bytes (content type, metadata)
    attachments/_index/{id}.json              pointer: id -> its attachments' folder

``YYYY/MM`` is the bundle's ``created_at`` month (UTC); ``get(id)`` reads the pointer,
so no key is ever rebuilt from today's date. Attachments of one id live under the
month of the first one stored (the clock's month), recorded in their pointer.

Bundles written by the EJE system (same key pattern, EJE's document: ``decision_id``,
``evidence_data``, ``created_at`` naive UTC, ``evidence_type``, ``version`` "1.0",
``checksum`` of ``evidence_data`` only, ``metadata``; no pointer) are read as they lie,
found by listing the type, year and month folders, their checksum verified by EJE's
rule; ``reindex()`` writes their pointers once. New bundles keep our layout
(``docs/bundles.md``); ``EvidenceBundle`` also takes EJE's field names.

Checksum: SHA-256 (hex) of the canonical JSON of ``{id, type, created_at, version,
data, metadata}``: keys sorted, separators ``,`` and ``:``, UTF-8, no ASCII escaping.
It is checked when a bundle is stored and read (``IntegrityError``). Attachments carry
their SHA-256 in the ``sha256`` metadata entry, checked on read (missing: an
``IntegrityError`` too).

Write-once (``AlreadyExists``) is the store's atomic conditional write where it offers
one (``WriteOptions(mode="create")``: S3 and the local store), across processes, for
bundles, their pointers, attachments and the attachments' folder pointer. A store
without it gets a check-then-write, serialised within one ``BundleStore`` only.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import functools
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from backend.src.libs.bucket.base.capabilities import Presigner, options_of
from backend.src.libs.bucket.base.errors import (
    AlreadyExists,
    Conflict,
    IntegrityError,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectNotFound,
    StorageError,
)
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.planner import Scope, delete_planned, plan_deletes, verify_copy
from backend.src.libs.bucket.base.store import (
    Data,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    UploadResult,
)

Clock = Callable[[], datetime]
"""Returns the current time (timezone-aware); injected in tests."""


EVIDENCE = "evidence"
ATTACHMENTS = "attachments"
INDEX = "_index"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    name = _check_name(name, "name", pattern=None)
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


Layout = Literal["bucket", "eje"]
"""How a bundle is stored: ``"bucket"`` (ours, the default for new bundles) or ``"eje"``
(the EJE system's documents, read as they lie)."""

EJE_FIELDS = (
    "decision_id",
    "evidence_data",
    "created_at",
    "evidence_type",
    "version",
    "checksum",
    "metadata",
)
"""The fields of an EJE bundle document, in the order EJE wrote them."""
EJE_DEFAULT_TYPE = "decision"


def eje_checksum(data: Any) -> str:
    """EJE's checksum: SHA-256 hex of ``json.dumps(evidence_data, sort_keys=True,
    default=str)`` (UTF-8). It covers ``evidence_data`` only."""
    text = json.dumps(_plain(data), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """Frozen data back to plain dicts and lists (as EJE's ``json.dumps`` saw them)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _eje_time(value: object) -> datetime:
    """EJE's ``created_at``: ISO 8601 without a zone, UTC meant (a zone, if any, kept)."""
    if not isinstance(value, str):
        raise ValueError(f"is not a string: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _eje_version(value: object) -> int:
    """EJE's version string (``"1.0"``) as our integer: ``"N"`` or ``"N.0"``, N >= 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        whole = value[:-2] if value.endswith(".0") else value
        if whole.isdigit() and int(whole) >= 1:
            return int(whole)
    raise InvalidArgument(f"version must be a positive integer or 'N.0', not {value!r}")


def _one_of(ours: Any, theirs: Any, name: str, eje_name: str) -> Any:
    if ours is not None and theirs is not None:
        raise InvalidArgument(f"give {name} or {eje_name}, not both")
    return theirs if ours is None else ours


@dataclass(frozen=True, init=False)
class EvidenceBundle:
    """One piece of evidence: typed JSON data with metadata and a SHA-256 checksum.

    Frozen, with deep read-only ``data``/``metadata``, so it cannot change after its
    checksum is computed. Build one with ``EvidenceBundle.create``, or with the
    constructor under our names or EJE's, as EJE's worked (``created_at`` naive means
    UTC and defaults to now, ``evidence_type`` defaults to ``"decision"``, ``version``
    may be ``"1.0"``, a ``checksum`` given is checked by EJE's rule): the bundle is then
    one of ours (``layout="bucket"``) with our checksum.

    Attributes:
        id: 1-128 ASCII letters, digits, ``.``, ``_``, ``-`` (no ``..``). EJE: ``decision_id``.
        type: same rule; not starting with ``_``. EJE: ``evidence_type``.
        created_at: timezone-aware (naive refused, except under EJE's names); kept in UTC.
        version: a positive integer chosen by the caller (default 1).
        data: JSON data (mappings, sequences, strings, numbers, booleans, None).
            EJE: ``evidence_data``.
        metadata: string to string (an EJE bundle's may hold any JSON values).
        checksum: computed when empty. ``layout="bucket"``: SHA-256 hex of
            ``canonical_json(content())``; ``layout="eje"``: ``eje_checksum(data)``.
        layout: ``"bucket"`` (default) or ``"eje"`` (read from an EJE document; stored
            again, it keeps EJE's document and checksum).
        verified: False only for an EJE document stored with ``"checksum": null``: its
            checksum was computed on reading and could not be checked.

    Raises:
        InvalidArgument: on construction, for any invalid or missing field (named, under
            the name it was given).
        IntegrityError: on construction, when a given ``checksum`` does not match.
    """

    id: str
    type: str
    created_at: datetime
    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1
    checksum: str = ""
    layout: Layout = "bucket"
    verified: bool = True

    def __init__(
        self,
        id: str | None = None,
        type: str | None = None,
        created_at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        version: int | str = 1,
        checksum: str | None = "",
        *,
        layout: Layout = "bucket",
        verified: bool = True,
        decision_id: str | None = None,
        evidence_type: str | None = None,
        evidence_data: Mapping[str, Any] | None = None,
    ) -> None:
        eje_names = any(v is not None for v in (decision_id, evidence_type, evidence_data))
        names = (
            ("decision_id", "evidence_type", "evidence_data")
            if eje_names
            else ("id", "type", "data")
        )
        bundle_id = _one_of(id, decision_id, "id", "decision_id")
        bundle_type = _one_of(type, evidence_type, "type", "evidence_type")
        body = _one_of(data, evidence_data, "data", "evidence_data")
        if eje_names:
            bundle_type = EJE_DEFAULT_TYPE if bundle_type is None else bundle_type
            created_at = utc_now() if created_at is None else created_at
            if isinstance(created_at, datetime) and created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=UTC)  # EJE's utcnow(): UTC meant
            version = _eje_version(version)
        for value, name in ((bundle_id, names[0]), (bundle_type, names[1]), (body, names[2])):
            if value is None:
                raise InvalidArgument(f"{name} is required")
        if created_at is None:
            raise InvalidArgument("created_at is required")
        if layout not in ("bucket", "eje"):
            raise InvalidArgument(f"layout must be 'bucket' or 'eje', not {layout!r}")
        if eje_names and layout == "bucket" and checksum:
            _check_eje_checksum(bundle_id, body, checksum)
            checksum = ""  # EJE's checksum was checked; the bundle carries ours
        set_ = functools.partial(object.__setattr__, self)
        set_("layout", layout)
        set_("verified", bool(verified))
        set_("id", _check_name(bundle_id, names[0]))
        set_("type", _check_name(bundle_type, names[1]))
        if self.type.startswith("_"):
            raise InvalidArgument(f"{names[1]} {self.type!r} must not start with '_' (reserved)")
        set_("created_at", _utc(created_at, "created_at"))
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidArgument(f"version must be a positive integer, not {version!r}")
        set_("version", version)
        if not isinstance(body, Mapping):
            raise InvalidArgument(
                f"{names[2]} must be a mapping, not {builtins.type(body).__name__}"
            )
        set_("data", _freeze(body, names[2]))
        set_("metadata", self._checked_metadata(metadata))
        self._set_checksum(checksum or "")

    def _checked_metadata(self, metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
        metadata = {} if metadata is None else metadata
        if not isinstance(metadata, Mapping):
            raise InvalidArgument(
                f"metadata must be a mapping, not {builtins.type(metadata).__name__}"
            )
        if self.layout == "eje":
            frozen: Mapping[str, Any] = _freeze(metadata, "metadata")
            return frozen
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise InvalidArgument("metadata must map strings to strings")
        return MappingProxyType(dict(metadata))

    def _set_checksum(self, checksum: str) -> None:
        expected = self.compute_checksum()
        if checksum and checksum != expected:
            raise IntegrityError(
                f"bundle {self.id!r}: checksum {checksum} does not match its content ({expected})",
                key=self.id,
            )
        object.__setattr__(self, "checksum", expected)

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

    # EJE's attribute names, read-only
    @property
    def decision_id(self) -> str:
        """EJE's name of ``id``."""
        return self.id

    @property
    def evidence_type(self) -> str:
        """EJE's name of ``type``."""
        return self.type

    @property
    def evidence_data(self) -> Mapping[str, Any]:
        """EJE's name of ``data``."""
        return self.data

    def content(self) -> dict[str, Any]:
        """The fields our checksum covers, as plain JSON values."""
        return {
            "id": self.id,
            "type": self.type,
            "created_at": _iso(self.created_at),
            "version": self.version,
            "data": self.data,
            "metadata": self.metadata,
        }

    def compute_checksum(self) -> str:
        """The checksum by the bundle's layout's rule: ours, SHA-256 hex of the canonical
        JSON of ``content()``; EJE's, ``eje_checksum(data)``."""
        if self.layout == "eje":
            return eje_checksum(self.data)
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def to_json(self) -> bytes:
        """The stored document. Ours: ``content()`` plus ``checksum``, canonical JSON.
        EJE's: its seven fields, 2-space indented, as EJE wrote them."""
        if self.layout == "eje":
            return self._to_eje_json()
        return canonical_json({**self.content(), "checksum": self.checksum})

    def _to_eje_json(self) -> bytes:
        doc = {
            "decision_id": self.id,
            "evidence_data": _plain(self.data),
            "created_at": self.created_at.replace(tzinfo=None).isoformat(),
            "evidence_type": self.type,
            "version": f"{self.version}.0",
            "checksum": self.checksum,
            "metadata": _plain(self.metadata),
        }
        return json.dumps(doc, indent=2, default=str).encode("utf-8")

    def object_metadata(self) -> dict[str, str]:
        """The object metadata stored with the document (EJE's names for EJE's layout)."""
        if self.layout == "eje":
            return {
                "decision-id": self.id,
                "evidence-type": self.type,
                "version": f"{self.version}.0",
                "created-at": self.created_at.replace(tzinfo=None).isoformat(),
                "checksum": self.checksum,
            }
        return {"bundle-id": self.id, "bundle-type": self.type, "sha256": self.checksum}

    @classmethod
    def from_json(cls, raw: bytes) -> EvidenceBundle:
        """Parse a stored document, ours or EJE's, and verify its checksum.

        Raises:
            IntegrityError: not valid JSON, a field missing or invalid (named), or a
                checksum that does not match the content.
        """
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise IntegrityError(f"the stored bundle is damaged: {exc}") from exc
        if _is_eje(doc):
            return cls.from_eje(doc)
        try:
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

    @classmethod
    def from_eje(cls, doc: Mapping[str, Any]) -> EvidenceBundle:
        """An EJE document (parsed JSON), read as it lies and verified.

        A ``checksum`` of null is accepted (EJE stored some so): the bundle's checksum is
        then computed and ``verified`` is False.

        Raises:
            IntegrityError: a field missing or invalid (named), or a checksum that does not
                match ``evidence_data``.
        """
        missing = [name for name in EJE_FIELDS if name not in doc]
        if missing:
            raise IntegrityError(
                f"the EJE bundle {doc.get('decision_id')!r} is missing the field "
                f"{missing[0]!r}"
                + (f" (and {', '.join(map(repr, missing[1:]))})" if missing[1:] else "")
            )
        checksum = doc["checksum"]
        if checksum is not None and (not isinstance(checksum, str) or not checksum):
            raise IntegrityError(f"the EJE bundle's field 'checksum' is invalid: {checksum!r}")
        name = "created_at"
        try:
            created_at = _eje_time(doc["created_at"])
            name = "version"
            version = _eje_version(doc["version"])
            name = "metadata"
            metadata = doc["metadata"] if doc["metadata"] is not None else {}
            name = "evidence_data"
            return cls(
                id=doc["decision_id"],
                type=doc["evidence_type"],
                created_at=created_at,
                data=doc["evidence_data"],
                metadata=metadata,
                version=version,
                checksum=checksum or "",
                layout="eje",
                verified=checksum is not None,
            )
        except IntegrityError as exc:
            raise IntegrityError(
                f"the EJE bundle's field 'checksum' {checksum} does not match its "
                f"'evidence_data' (which hashes to {eje_checksum(doc['evidence_data'])})"
            ) from exc
        except (ValueError, TypeError, InvalidArgument) as exc:
            raise IntegrityError(f"the EJE bundle's field {name!r} is invalid: {exc}") from exc

    @property
    def year(self) -> int:
        """The UTC year of ``created_at`` (the ``YYYY`` of the key)."""
        return self.created_at.year

    @property
    def month(self) -> int:
        """The UTC month of ``created_at`` (the ``MM`` of the key)."""
        return self.created_at.month


def _check_eje_checksum(bundle_id: object, data: object, checksum: str) -> None:
    expected = eje_checksum(_freeze(data, "evidence_data"))
    if checksum != expected:
        raise IntegrityError(
            f"bundle {bundle_id!r}: checksum {checksum} does not match its evidence_data "
            f"by EJE's rule ({expected})",
            key=str(bundle_id),
        )


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


@dataclass(frozen=True)
class _Found:
    """Where a bundle was found: its key; with a pointer, the checksum the pointer
    recorded; found by a search, the bytes already read."""

    key: str
    checksum: str | None = None
    pointer: bool = False
    raw: bytes | None = None


def _is_year(name: str) -> bool:
    return len(name) == 4 and name.isdigit()


def _is_month(name: str) -> bool:
    return len(name) == 2 and name.isdigit() and 1 <= int(name) <= 12


def _looks_eje(raw: bytes) -> bool:
    """True for an EJE document (``decision_id``, no ``id``); damaged JSON counts as one,
    so that reading it reports the damage."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except ValueError:
        return True
    return not isinstance(doc, dict) or _is_eje(doc)


def _is_eje(doc: object) -> bool:
    """An EJE document: a JSON object with EJE's names, none of ours (``id``)."""
    return (
        isinstance(doc, dict)
        and "id" not in doc
        and any(name in doc for name in ("decision_id", "evidence_data", "evidence_type"))
    )


def _number(value: object, argument: str, high: int) -> int | None:
    """A year or month given as an int or a string of digits (``"2024"``, ``"01"``)."""
    if value is None:
        return None
    number = value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= high:
        raise InvalidArgument(f"{argument} must be an integer 1-{high}, not {value!r}")
    return number


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

    Thread-safety: one instance may be shared by threads (the write-once check and the
    write under one lock); across processes, see the module's write-once.
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

        The document is in the bundle's layout (an EJE bundle's stays EJE's, so its
        checksum still verifies wherever it is copied).

        Args:
            overwrite: default False: a stored id (ours or EJE's) raises
                ``AlreadyExists``. True replaces it (the old copy removed if its key
                differs).

        Raises:
            InvalidArgument: not an ``EvidenceBundle``.
            AlreadyExists: the id is stored and ``overwrite`` is False.
            IntegrityError: the bundle's checksum does not match its content.
            StorageError: from the store (missing bucket, connection...).
        """
        if not isinstance(bundle, EvidenceBundle):
            raise InvalidArgument(f"bundle must be an EvidenceBundle, not {type(bundle).__name__}")
        if bundle.compute_checksum() != bundle.checksum:
            raise self._integrity(
                f"bundle {bundle.id!r}: checksum does not match its content", bundle.id
            )
        key = bundle_key(bundle.type, bundle.created_at, bundle.id)
        with self._lock:
            previous = self._locate(bundle.id)
            if previous is not None and not overwrite:
                raise AlreadyExists(
                    f"bundle {bundle.id!r} is already stored at {previous.key} "
                    "(pass overwrite=True to replace it)",
                    bucket=self.bucket,
                    key=previous.key,
                )
            # Write-once (without overwrite): the bundle, then its pointer, which claims
            # the id; a loser removes its own bundle object, never one it adopted.
            once = not overwrite and self._write_once
            body = bundle.to_json()
            adopted = False
            try:
                result = self._put(key, body, once, metadata=bundle.object_metadata())
            except Conflict as exc:
                # the same bundle left without its pointer by a writer that died (or is
                # slow: it may still write the pointer naming that object): adopt it
                if not self._is_orphan_of(bundle, key):
                    raise self._taken(bundle.id, key) from exc
                adopted = True
                result = UploadResult(bucket=self.bucket, key=key, size=len(body))
            try:
                self._write_pointer(bundle, key, once)
            except Conflict as exc:
                if not adopted:
                    with contextlib.suppress(StorageError):
                        self.store.delete_object(self.bucket, key)
                raise self._taken(bundle.id, key) from exc
            if previous is not None and previous.key != key:
                self._replace(previous.key, key, result)
        return result

    def _replace(self, previous: str, key: str, written: UploadResult) -> None:
        """Delete the bundle object ``previous`` once the new one at ``key`` reads back
        with the size and ETag its write reported (else ``IntegrityError``, kept)."""
        verify_copy(
            ObjectInfo(bucket=self.bucket, key=key, size=written.size, etag=written.etag),
            self.store.head_object(self.bucket, key),
            written,
        )
        scope = Scope(self.bucket, keys=frozenset((previous,)))
        delete_planned(self.store, plan_deletes(scope, (previous,), operation="save_bundle"))

    def _write_pointer(self, bundle: EvidenceBundle, key: str, once: bool) -> None:
        pointer = {
            "id": bundle.id,
            "type": bundle.type,
            "key": key,
            "checksum": bundle.checksum if bundle.verified else None,
            "created_at": _iso(bundle.created_at),
        }
        self._put(self._pointer_key(bundle.id), canonical_json(pointer), once)

    def _put(
        self,
        key: str,
        body: bytes,
        once: bool,
        *,
        content_type: str | None = "application/json",
        metadata: dict[str, str] | None = None,
    ) -> UploadResult:
        """Write ``body`` (default: a JSON document), write-once (``If-None-Match: *``)
        when ``once``."""
        options = WriteOptions(
            content_type=content_type,
            metadata=metadata or {},
            mode="create" if once else "overwrite",
        )
        return self.store.put_object(self.bucket, key, body, options=options)

    def _integrity(self, message: str, key: str) -> IntegrityError:
        return IntegrityError(message, bucket=self.bucket, key=key)

    @property
    def _write_once(self) -> bool:
        """True when the store declares ``if_none_match`` for ``put_object`` (S3 and local
        do; see ``capabilities.DeclaresOptions``)."""
        return "if_none_match" in options_of(self.store, "put_object")

    def _is_orphan_of(self, bundle: EvidenceBundle, key: str) -> bool:
        """True when ``key`` holds this very bundle (same checksum) and no pointer names it."""
        if self._pointer_or_none(bundle.id) is not None:
            return False
        try:
            stored = self.store.head_object(self.bucket, key)
        except NotFound:
            return False
        recorded = stored.metadata.get("sha256") or stored.metadata.get("checksum")
        return recorded == bundle.checksum

    def _taken(self, bundle_id: str, key: str) -> AlreadyExists:
        return AlreadyExists(
            f"bundle {bundle_id!r} was stored meanwhile by another writer "
            "(pass overwrite=True to replace it)",
            bucket=self.bucket,
            key=key,
        )

    def get(self, bundle_id: str) -> EvidenceBundle:
        """The bundle stored under ``bundle_id``, checked against its checksum.

        Found by its pointer (one GET); an EJE bundle, which has none, by ``_find_eje``
        (a cost that grows with the types and months present, never with the number of
        bundles, until ``reindex()`` writes the pointers).

        Raises:
            InvalidArgument: an invalid id (``/``, ``..``...).
            ObjectNotFound: no bundle with this id.
            IntegrityError: the stored bundle is damaged (a field missing, named), its
                checksum does not match, or it is not the bundle its key or pointer names.
        """
        found = self._found(bundle_id)
        raw = found.raw
        if raw is None:
            try:
                raw = self.store.get_object(self.bucket, found.key)
            except ObjectNotFound as exc:
                raise ObjectNotFound(
                    f"bundle {bundle_id!r}: its pointer names {found.key}, which is missing",
                    bucket=self.bucket,
                    key=found.key,
                ) from exc
        return self._verified(bundle_id, found, raw)

    def _verified(self, bundle_id: str, found: _Found, raw: bytes) -> EvidenceBundle:
        try:
            bundle = EvidenceBundle.from_json(raw)
        except IntegrityError as exc:
            raise self._integrity(f"bundle {bundle_id!r}: {exc.message}", found.key) from exc
        if not bundle.verified:
            bundle = self._checked_by_metadata(bundle, found.key)
        recorded = found.checksum
        if found.pointer and (
            bundle.id != bundle_id
            or (recorded is not None and (not bundle.verified or bundle.checksum != recorded))
        ):
            raise self._integrity(
                f"bundle {bundle_id!r}: the object at {found.key} is not the bundle its "
                "pointer names (id or checksum differ)",
                found.key,
            )
        parts = found.key.split("/")
        if (bundle.id, bundle.type) != (parts[-1][: -len(".json")], parts[1]):
            raise self._integrity(
                f"bundle {bundle_id!r}: the document at {found.key} names decision_id/id "
                f"{bundle.id!r} and evidence_type/type {bundle.type!r}, not its key's",
                found.key,
            )
        return bundle

    def _checked_by_metadata(self, bundle: EvidenceBundle, key: str) -> EvidenceBundle:
        """An EJE document with ``"checksum": null``: EJE also wrote the checksum in the
        object metadata (``checksum``); when that holds one, the data must match it."""
        recorded = self.store.head_object(self.bucket, key).metadata.get("checksum", "")
        if not _SHA256.match(recorded):
            return bundle  # nothing recorded anywhere: returned with verified=False
        if recorded != bundle.checksum:
            raise self._integrity(
                f"bundle {bundle.id!r}: its document has no checksum and its data does not "
                f"match the checksum in its object metadata ({recorded})",
                key,
            )
        return dataclasses.replace(bundle, verified=True)

    def exists(self, bundle_id: str) -> bool:
        """True if a bundle with this id is stored (its pointer, or an EJE bundle)."""
        return self._locate(bundle_id) is not None

    def key_of(self, bundle_id: str) -> str:
        """The object key of the bundle ``bundle_id`` (its pointer's, or the EJE bundle's).

        Raises:
            ObjectNotFound: no bundle with this id.
        """
        return self._found(bundle_id).key

    def _found(self, bundle_id: str) -> _Found:
        """``_locate``'s answer; ObjectNotFound when there is none."""
        found = self._locate(bundle_id)
        if found is None:
            raise ObjectNotFound(
                f"no bundle with id {bundle_id!r}",
                bucket=self.bucket,
                key=self._pointer_key(bundle_id),
                status=404,
            )
        return found

    def _locate(self, bundle_id: str) -> _Found | None:
        """Where the bundle is: its pointer's key, else an EJE document found by
        ``_find_eje``; None if neither."""
        pointer = self._pointer_or_none(bundle_id)
        if pointer is not None:
            return _Found(key=pointer["key"], checksum=pointer.get("checksum"), pointer=True)
        return self._find_eje(bundle_id)

    def _find_eje(self, bundle_id: str) -> _Found | None:
        """An EJE bundle ``evidence/{type}/{YYYY}/{MM}/{id}.json`` (no pointer): the
        type, year and month folders are listed with a delimiter (a few names each),
        then each month's candidate key is read, newest month first. A document of our
        own layout there has lost its pointer (a writer died): it is not found here."""
        for type_folder in self._folders(f"{EVIDENCE}/", lambda name: name != INDEX):
            for year_folder in reversed(self._folders(type_folder, _is_year)):
                for month_folder in reversed(self._folders(year_folder, _is_month)):
                    key = f"{month_folder}{bundle_id}.json"
                    try:
                        raw = self.store.get_object(self.bucket, key)
                    except ObjectNotFound:
                        continue
                    if _looks_eje(raw):
                        return _Found(key=key, raw=raw)
        return None

    def _folders(self, prefix: str, keep: Callable[[str], bool]) -> list[str]:
        """The sub-folders of ``prefix`` (one delimited listing) whose name ``keep`` accepts."""
        out = []
        for entry in self.store.list_objects(self.bucket, prefix=prefix, delimiter="/"):
            if isinstance(entry, PrefixInfo):
                name = entry.prefix[len(prefix) :].rstrip("/")
                if name and keep(name):
                    out.append(entry.prefix)
        return sorted(out)

    def reindex(self) -> int:
        """Write the pointer of every bundle that has none (EJE's), so that ``get`` costs
        one GET for every id. Run it once after the last EJE writer has stopped: it lists
        ``evidence/`` once and reads (verifies) each bundle without a pointer. Pointers
        are written write-once: safe to run twice or next to writers.

        Returns:
            The number of pointers written.

        Raises:
            IntegrityError: a bundle without pointer is damaged (nothing more is written).
        """
        indexed = {
            entry.key.rsplit("/", 1)[-1][: -len(".json")]
            for entry in self.store.list_objects(self.bucket, prefix=f"{EVIDENCE}/{INDEX}/")
            if isinstance(entry, ObjectInfo) and entry.key.endswith(".json")
        }
        once = self._write_once
        written = 0
        for info in self.list():
            if info.id in indexed:
                continue
            raw = self.store.get_object(self.bucket, info.key)
            bundle = self._verified(info.id, _Found(key=info.key), raw)
            with contextlib.suppress(Conflict):  # written meanwhile: theirs stands
                self._write_pointer(bundle, info.key, once)
                written += 1
            indexed.add(info.id)
        return written

    def list(
        self,
        type: str | None = None,
        *,
        year: int | str | None = None,
        month: int | str | None = None,
    ) -> Iterator[BundleInfo]:
        """Yield stored bundles, ours and EJE's (without reading them), in key order.

        Args:
            type: default None (every type).
            year: default None (every year); 1-9999, an int or a string of digits
                (``"2024"``, as EJE took it).
            month: default None (every month); 1-12, an int or a string (``"01"``).

        Raises:
            InvalidArgument: an invalid type, year or month (raised at the call).
        """
        if type is not None:
            _check_name(type, "type")
        year_n = _number(year, "year", 9999)
        month_n = _number(month, "month", 12)
        prefix = f"{EVIDENCE}/"
        if type is not None:
            prefix += f"{type}/"
            if year_n is not None:
                prefix += f"{year_n:04d}/"
                if month_n is not None:
                    prefix += f"{month_n:02d}/"
        return self._list(prefix, year_n, month_n)

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
        """Delete the bundle, then its pointer if it has one (and its attachments if asked).

        Args:
            attachments: default False; True deletes the id's attachments too.

        Raises:
            ObjectNotFound: no bundle with this id.
        """
        with self._lock:
            found = self._found(bundle_id)
            self.store.delete_object(self.bucket, found.key)
            if found.pointer:
                self.store.delete_object(self.bucket, self._pointer_key(bundle_id))
        if attachments:
            self.delete_attachments(bundle_id)

    def presign_url(self, bundle_id: str, *, expiration: int = 3600) -> str:
        """A presigned GET URL of the bundle (ours or EJE's), from the store's ``presign_url``.

        Args:
            expiration: seconds the URL stays valid (default 3600).

        Raises:
            ObjectNotFound: no bundle with this id.
            NotSupported: the store cannot presign (``LocalStore``, or a store that is
                not a ``capabilities.Presigner``).
        """
        key = self.key_of(bundle_id)
        store = self.store
        if not isinstance(store, Presigner):
            raise NotSupported(
                f"{type(store).__name__} cannot presign URLs (no Presigner capability)",
                bucket=self.bucket,
                key=key,
            )
        return store.presign_url(self.bucket, key, expiration=expiration)

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
            raise self._integrity(
                f"the pointer of bundle {bundle_id!r} is damaged: {exc}", key
            ) from exc
        if not pointer["key"].startswith(f"{EVIDENCE}/") or pointer.get("id") != bundle_id:
            raise self._integrity(f"the pointer of bundle {bundle_id!r} names another object", key)
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
        ``attachments/_index/{id}.json``. The bytes' SHA-256 is kept in the ``sha256``
        metadata entry.

        Args:
            content_type: default: guessed from ``name`` by the store.
            metadata: user metadata (``sha256`` is reserved).
            overwrite: default False: an existing name raises ``AlreadyExists`` (the
                store's write-once put: of two writers, in any processes, one succeeds).

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
        once = not overwrite and self._write_once
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
                result = self._put(key, body, once, content_type=content_type, metadata=meta)
            except Conflict as exc:
                if not once:
                    raise
                raise taken() from exc
        return self._head(bundle_id, name, key, size=result.size)

    def get_attachment(self, bundle_id: str, name: str) -> bytes:
        """The attachment's bytes, checked against their SHA-256.

        One without ``sha256`` metadata was replaced outside ``put_attachment`` (or
        damaged) and is refused, except an attachment EJE wrote (EJE's ``decision-id``
        and ``attachment-name`` metadata, in a folder EJE made): EJE stored no checksum,
        so its bytes are returned unverified.

        Raises:
            ObjectNotFound: no such attachment.
            IntegrityError: the ``sha256`` metadata is missing or empty (and the object
                is not EJE's), or the bytes do not match it.
        """
        key = self._attachment_key(bundle_id, name)
        for attempt in (1, 2):
            info = self.store.head_object(self.bucket, key)
            expected = info.metadata.get("sha256")
            if not expected and self._is_eje_attachment(bundle_id, name, info):
                return self.store.get_object(self.bucket, key)
            if not expected:
                raise self._integrity(
                    f"attachment {name!r} of {bundle_id!r} has no sha256 checksum (every "
                    "attachment is stored with one): it was replaced outside "
                    "put_attachment or damaged",
                    key,
                )
            data = self.store.get_object(self.bucket, key)
            if hashlib.sha256(data).hexdigest() == expected:
                return data
            # replaced between the HEAD and the GET (put_attachment(overwrite=True))?
            # then read the new one once; else the bytes are not the ones stored
            if attempt == 1 and self.store.head_object(self.bucket, key).etag != info.etag:
                continue
            break
        raise self._integrity(f"attachment {name!r} of {bundle_id!r}: SHA-256 mismatch", key)

    def head_attachment(self, bundle_id: str, name: str) -> AttachmentInfo:
        """The attachment's size, content type, metadata, ETag and date.

        Raises:
            ObjectNotFound: no such attachment.
        """
        return self._head(bundle_id, name, self._attachment_key(bundle_id, name))

    def _head(self, bundle_id: str, name: str, key: str, size: int | None = None) -> AttachmentInfo:
        info = self.store.head_object(self.bucket, key)
        return AttachmentInfo(
            id=bundle_id,
            name=name,
            key=key,
            size=info.size if size is None else size,
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
        _check_name(bundle_id, "id")
        with self._lock:
            folder = self._attachment_folder(bundle_id, create=False)
            keys = [a.key for a in self._list_attachments(bundle_id)]
            # the id's folder is the scope (no folder: nothing may go)
            scope = Scope(self.bucket, folder) if folder else Scope(self.bucket, keys=frozenset())
            result = delete_planned(
                self.store, plan_deletes(scope, keys, operation="delete_attachments")
            )
            if not result.ok:
                first = result.errors[0]
                raise self._integrity(
                    f"could not delete attachment {first.key}: {first.code} {first.message}",
                    first.key,
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
                eje = self._find_eje_attachments(bundle_id)
                if not create:
                    return eje
                now = _utc(self.clock(), "clock()")
                folder = eje or f"{ATTACHMENTS}/{now.year:04d}/{now.month:02d}/{bundle_id}/"
                record = {"id": bundle_id, "prefix": folder}
                if eje is not None:  # an EJE folder adopted: its files have no sha256
                    record["legacy"] = "eje"
                once = self._write_once
                try:
                    self._put(key, canonical_json(record), once)
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

    def _find_eje_attachments(self, bundle_id: str) -> str | None:
        """The folder ``attachments/{YYYY}/{MM}/{id}/`` where EJE stored the id's
        attachments (no pointer), newest month first: the year and month folders are
        listed with a delimiter, then one listing of at most one key per month; None if
        no month holds the id."""
        for year_folder in reversed(self._folders(f"{ATTACHMENTS}/", _is_year)):
            for month_folder in reversed(self._folders(year_folder, _is_month)):
                folder = f"{month_folder}{bundle_id}/"
                if next(
                    iter(self.store.list_objects(self.bucket, prefix=folder, max_keys=1)), None
                ):
                    return folder
        return None

    def _is_eje_attachment(self, bundle_id: str, name: str, info: ObjectInfo) -> bool:
        """True when ``info`` is an attachment EJE wrote (its ``decision-id`` and
        ``attachment-name`` metadata name this id and name) in a folder found as EJE's or
        adopted from EJE (the pointer says ``legacy: eje``): EJE stored no checksum."""
        meta = info.metadata
        if meta.get("decision-id") != bundle_id or meta.get("attachment-name") != name:
            return False
        try:
            raw = self.store.get_object(self.bucket, self._attachment_pointer_key(bundle_id))
        except NotFound:
            return True  # no pointer: the folder was found as EJE's
        try:
            return bool(json.loads(raw.decode("utf-8")).get("legacy") == "eje")
        except (ValueError, AttributeError):
            return False

    def _folder_of(self, bundle_id: str, key: str, raw: bytes) -> str:
        try:
            folder = json.loads(raw.decode("utf-8"))["prefix"]
        except (ValueError, KeyError, TypeError) as exc:
            raise self._integrity(
                f"the attachment pointer of {bundle_id!r} is damaged", key
            ) from exc
        if (
            not isinstance(folder, str)
            or not folder.startswith(f"{ATTACHMENTS}/")
            or not folder.endswith(f"/{bundle_id}/")
        ):
            raise self._integrity(
                f"the attachment pointer of {bundle_id!r} names another folder", key
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
