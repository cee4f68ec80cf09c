"""The store-neutral vocabulary of bucket administration: what the capability protocols
(``capabilities.py``) declare and every store returns for presigned POST forms, versions,
lifecycle rules, object lock, bucket properties and ``ensure_bucket``'s report. Nothing beneath it but ``errors``
and ``write_rules``; the S3 side (``s3/admin.py``) and the local store build these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from backend.src.libs.bucket.base.errors import InvalidArgument, NotSupported, StorageError
from backend.src.libs.bucket.base.write_rules import LockMode


@dataclass(frozen=True)
class PresignedPost:
    """A presigned POST form: send ``fields`` (then the file as ``file``) to ``url``
    as ``multipart/form-data``."""

    url: str
    fields: Mapping[str, str] = field(default_factory=dict)


VersioningStatus = Literal["Enabled", "Suspended"]


@dataclass(frozen=True)
class ObjectVersion:
    """One version (or delete marker) of a key in a versioned bucket."""

    bucket: str
    key: str
    version_id: str
    is_latest: bool
    is_delete_marker: bool = False
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    storage_class: str | None = None


@dataclass(frozen=True)
class LifecycleRule:
    """One lifecycle rule.

    Attributes:
        id: the rule's name (unique in the bucket).
        prefix: keys it applies to (relative to the store prefix; default: all).
        transitions: ``(days, storage class)`` pairs, increasing days.
        expiration_days: delete current versions after this many days (None: never).
        noncurrent_expiration_days: delete non-current versions after this many days.
        abort_multipart_days: abort incomplete multipart uploads after this many days.
        enabled: the rule's status (default True).
    """

    id: str
    prefix: str = ""
    transitions: tuple[tuple[int, str], ...] = ()
    expiration_days: int | None = None
    noncurrent_expiration_days: int | None = None
    abort_multipart_days: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class ObjectLockConfig:
    """A bucket's object lock: enabled, and the default retention (if any)."""

    enabled: bool
    mode: LockMode | None = None
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True)
class BucketProperties:
    """What ``get_bucket_info`` reports about a bucket. A setting the server does not
    support, or that is not set, is None (an empty tuple for lifecycle)."""

    name: str
    region: str
    versioning: str | None
    encryption: str | None
    kms_key_id: str | None
    lifecycle: tuple[LifecycleRule, ...]
    object_lock: ObjectLockConfig | None


StepOutcome = Literal["created", "exists", "set", "unsupported", "denied", "failed"]


@dataclass(frozen=True)
class EnsureStep:
    """One step of ``ensure_bucket``.

    Attributes:
        name: ``bucket``, ``versioning``, ``encryption`` or ``lifecycle``.
        outcome: ``created`` / ``exists`` (the bucket), ``set`` (a setting),
            ``unsupported`` (the server does not implement it), ``denied`` (HEAD 403:
            not fatal, the credentials may use a bucket they cannot see) or ``failed``.
        reason: why, for a person ("" when plain success).
        error: the ``StorageError`` behind ``unsupported``/``denied``/``failed``.
    """

    name: str
    outcome: StepOutcome
    reason: str = ""
    error: StorageError | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class EnsureReport:
    """What ``ensure_bucket`` did, one ``EnsureStep`` per step, in order."""

    bucket: str
    steps: tuple[EnsureStep, ...]

    @property
    def created(self) -> bool:
        """True when this call created the bucket."""
        return any(s.name == "bucket" and s.outcome == "created" for s in self.steps)

    @property
    def ok(self) -> bool:
        """False when a step failed (unsupported and denied steps are not failures)."""
        return not any(s.outcome == "failed" for s in self.steps)

    def outcome(self, name: str) -> StepOutcome | None:
        """The outcome of the step ``name``, or None when it did not run."""
        return next((s.outcome for s in self.steps if s.name == name), None)

    def raise_for_failure(self) -> None:
        """Raise the error of the first failed step; nothing when ``ok``."""
        for step in self.steps:
            if step.outcome == "failed":
                raise step.error or StorageError(
                    f"ensure_bucket: {step.name} failed: {step.reason}", bucket=self.bucket
                )


@runtime_checkable
class EnsuresBucket(Protocol):
    """A store that can make a bucket ready (``S3Store``, ``LocalStore``)."""

    def ensure_bucket(self, bucket: str) -> EnsureReport: ...


def is_unsupported(exc: StorageError) -> bool:
    """True when the server does not implement the call (or refuses as invalid a request
    this module validated first): 400/405/501, ``NotSupported``, not a missing bucket."""
    if isinstance(exc, NotSupported):
        return True
    if exc.code == "NoSuchBucket":
        return False
    return isinstance(exc, InvalidArgument) or exc.status in (400, 405, 501)


def run_step(name: str, func: Callable[[], object]) -> EnsureStep:
    """Run one setting step of ``ensure_bucket``: ``set``, ``unsupported`` or ``failed``
    (with the reason); never raises a ``StorageError``."""
    try:
        func()
    except StorageError as exc:
        outcome: StepOutcome = "unsupported" if is_unsupported(exc) else "failed"
        return EnsureStep(name, outcome, exc.message, exc)
    return EnsureStep(name, "set")


__all__ = [
    "PresignedPost",
    "BucketProperties",
    "EnsureReport",
    "EnsureStep",
    "EnsuresBucket",
    "LifecycleRule",
    "ObjectLockConfig",
    "ObjectVersion",
    "StepOutcome",
    "VersioningStatus",
    "is_unsupported",
    "run_step",
]
