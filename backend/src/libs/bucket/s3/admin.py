"""Bucket-level S3 features of ``S3Store``: versioning, default encryption, lifecycle,
tagging, object lock, bucket info and stats (counted by ``stats.py``).

These are S3-only, not part of the ``ObjectStore`` protocol: the ``Bucket`` facade turns a
store without them into ``error`` with a ``NotSupported`` ``last_error``. Every method
validates its input before any request and raises ``StorageError`` subclasses.

Thread-safety: like ``S3Store``, every method may be called from any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Literal,
    NotRequired,
    TypedDict,
    TypeVar,
    cast,
)

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import InvalidArgument, NotFound, StorageError
from backend.src.libs.bucket.base.results import (
    BucketProperties,
    EnsureReport,
    EnsuresBucket,
    EnsureStep,
    LifecycleRule,
    ObjectLockConfig,
    ObjectVersion,
    VersioningStatus,
    is_unsupported,
    run_step,
)
from backend.src.libs.bucket.base.stats import BucketStats, bucket_stats
from backend.src.libs.bucket.base.store import ObjectInfo
from backend.src.libs.bucket.base.validation import check_bucket_name, check_listing
from backend.src.libs.bucket.base.write_rules import (
    SSE_ALGORITHMS,
    STORAGE_CLASSES,
    LockMode,
    Retention,
    check_lock_mode,
    check_retain_until,
    check_tags,
)

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client
    from types_boto3_s3.literals import ServerSideEncryptionType, TransitionStorageClassType
    from types_boto3_s3.type_defs import (
        LifecycleRuleOutputTypeDef,
        LifecycleRuleTypeDef,
        ListObjectVersionsRequestTypeDef,
        ObjectLockRetentionTypeDef,
        ServerSideEncryptionByDefaultTypeDef,
        TaggingTypeDef,
        TransitionTypeDef,
    )

    from backend.src.libs.bucket.s3.connection import S3Connection

T = TypeVar("T")

_NO_OBJECT = ("NoSuchKey", "NoSuchVersion")


class _VersionTarget(TypedDict):
    """The ``Bucket``, ``Key`` (and ``VersionId``) of an object-version request."""

    Bucket: str
    Key: str
    VersionId: NotRequired[str]


def default_lifecycle(config: BucketConfig) -> LifecycleRule:
    """The creation lifecycle policy of the settings (``BUCKET_LIFECYCLE_*``): by
    default 30 days to STANDARD_IA, 90 to GLACIER, expiry at 365, abort incomplete
    multipart uploads after 7 days."""
    return LifecycleRule(
        id="bucket-default",
        transitions=tuple(config.lifecycle_transitions),
        expiration_days=config.lifecycle_expiration_days,
        abort_multipart_days=config.lifecycle_abort_multipart_days,
    )


def _days(value: object, name: str) -> int | None:
    """``_positive_days``, or None for an optional setting left out."""
    return None if value is None else _positive_days(value, name)


def _positive_days(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"{name} must be a positive number of days, not {value!r}")
    return value


def _rule_to_s3(rule: LifecycleRule, prefix: str) -> LifecycleRuleTypeDef:
    if not isinstance(rule, LifecycleRule):
        raise InvalidArgument(f"rules must be LifecycleRule objects, not {type(rule).__name__}")
    if not rule.id or len(rule.id) > 255:
        raise InvalidArgument("a lifecycle rule id must be 1-255 characters")
    out: LifecycleRuleTypeDef = {
        "ID": rule.id,
        "Status": "Enabled" if rule.enabled else "Disabled",
        "Filter": {"Prefix": prefix + rule.prefix},
    }
    previous = 0
    transitions: list[TransitionTypeDef] = []
    for days, storage_class in rule.transitions:
        checked = _days(days, f"rule {rule.id!r} transition days")
        if checked is None or checked <= previous:
            raise InvalidArgument(f"rule {rule.id!r}: transition days must increase")
        if storage_class not in STORAGE_CLASSES:
            raise InvalidArgument(f"rule {rule.id!r}: unknown storage class {storage_class!r}")
        # checked against STORAGE_CLASSES above; the stubs' Literal lists AWS's only
        transitions.append(
            {"Days": checked, "StorageClass": cast("TransitionStorageClassType", storage_class)}
        )
        previous = checked
    if transitions:
        out["Transitions"] = transitions
    expiration = _days(rule.expiration_days, f"rule {rule.id!r} expiration_days")
    if expiration is not None:
        out["Expiration"] = {"Days": expiration}
    noncurrent = _days(
        rule.noncurrent_expiration_days, f"rule {rule.id!r} noncurrent_expiration_days"
    )
    if noncurrent is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent}
    abort = _days(rule.abort_multipart_days, f"rule {rule.id!r} abort_multipart_days")
    if abort is not None:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": abort}
    if len(out) == 3:
        raise InvalidArgument(f"rule {rule.id!r} has no action (transition, expiration or abort)")
    return out


def _rule_from_s3(raw: LifecycleRuleOutputTypeDef, unprefix: Callable[[str], str]) -> LifecycleRule:
    filt = raw.get("Filter") or {}
    prefix = raw.get("Prefix", filt.get("Prefix", filt.get("And", {}).get("Prefix", ""))) or ""
    transitions = sorted(
        (int(t["Days"]), str(t["StorageClass"])) for t in raw.get("Transitions", []) if "Days" in t
    )
    return LifecycleRule(
        id=str(raw.get("ID", "")),
        prefix=unprefix(prefix),
        transitions=tuple(transitions),
        expiration_days=(raw.get("Expiration") or {}).get("Days"),
        noncurrent_expiration_days=(raw.get("NoncurrentVersionExpiration") or {}).get(
            "NoncurrentDays"
        ),
        abort_multipart_days=(raw.get("AbortIncompleteMultipartUpload") or {}).get(
            "DaysAfterInitiation"
        ),
        enabled=raw.get("Status") == "Enabled",
    )


class S3BucketFeatures:
    """Versioning, encryption, lifecycle, tagging, object lock, info and stats on S3.

    A base of ``S3Store`` whose one dependency is ``_conn``, the ``S3Connection`` (client,
    key prefix, error translation) the store shares with its object operations.
    """

    _conn: S3Connection

    def _version_target(self, bucket: str, key: str, version_id: str | None) -> _VersionTarget:
        """The checked target of an object-version request, key under the store's prefix."""
        check_bucket_name(bucket)
        target: _VersionTarget = {"Bucket": bucket, "Key": self._conn.key(key, bucket)}
        if version_id:
            target["VersionId"] = version_id
        return target

    def _read(
        self, operation: str, bucket: str, call: Callable[[S3Client], T], key: str | None = None
    ) -> T | None:
        """``call(client)``, translated; None when the setting is absent: a ``NotFound``
        other than the missing bucket (or, with ``key``, object or version)."""
        try:
            with self._conn.translating(operation, bucket, key):
                return call(self._conn.client)
        except NotFound as exc:
            if exc.code == "NoSuchBucket" or (key is not None and exc.code in _NO_OBJECT):
                raise
            return None

    # ------------------------------------------------------------ versioning
    def set_versioning(self, bucket: str, enabled: bool = True) -> None:
        """Enable (True) or suspend (False) versioning. A bucket once versioned can only
        be suspended, never unversioned again (S3's rule).

        Raises:
            BucketNotFound: no such bucket. InvalidArgument: ``enabled`` not a bool.
        """
        check_bucket_name(bucket)
        if not isinstance(enabled, bool):
            raise InvalidArgument(f"enabled must be True or False, not {enabled!r}")
        status: Literal["Enabled", "Suspended"] = "Enabled" if enabled else "Suspended"
        with self._conn.translating("set_versioning", bucket):
            self._conn.client.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": status}
            )

    def get_versioning(self, bucket: str) -> VersioningStatus | None:
        """``"Enabled"``, ``"Suspended"``, or None for a bucket never versioned."""
        check_bucket_name(bucket)
        with self._conn.translating("get_versioning", bucket):
            status = self._conn.client.get_bucket_versioning(Bucket=bucket).get("Status")
        if status == "Enabled" or status == "Suspended":
            return status
        return None

    def list_object_versions(
        self, bucket: str, *, prefix: str = "", page_size: int = 1000
    ) -> Iterator[ObjectVersion]:
        """Yield every version and delete marker under ``prefix``, newest first per key,
        one page in memory at a time.

        Raises:
            BucketNotFound: no such bucket (on the first ``next()``).
        """
        check_bucket_name(bucket)
        check_listing(page_size=page_size)
        return self._versions(bucket, prefix, page_size)

    def _versions(self, bucket: str, prefix: str, page_size: int) -> Iterator[ObjectVersion]:
        kwargs: ListObjectVersionsRequestTypeDef = {
            "Bucket": bucket,
            "Prefix": self._conn.prefix + prefix,
            "MaxKeys": page_size,
        }
        while True:
            with self._conn.translating("list_object_versions", bucket):
                page = self._conn.client.list_object_versions(**kwargs)
            entries = [
                ObjectVersion(
                    bucket=bucket,
                    key=self._conn.unprefix(v["Key"]),
                    version_id=str(v.get("VersionId") or "null"),
                    is_latest=bool(v.get("IsLatest")),
                    size=int(v.get("Size", 0)),
                    etag=(v.get("ETag") or "").strip('"') or None,
                    last_modified=v.get("LastModified"),
                    storage_class=v.get("StorageClass"),
                )
                for v in page.get("Versions", [])
            ]
            entries.extend(
                ObjectVersion(
                    bucket=bucket,
                    key=self._conn.unprefix(m["Key"]),
                    version_id=str(m.get("VersionId") or "null"),
                    is_latest=bool(m.get("IsLatest")),
                    is_delete_marker=True,
                    last_modified=m.get("LastModified"),
                )
                for m in page.get("DeleteMarkers", [])
            )
            entries.sort(
                key=lambda e: (e.key, -(e.last_modified.timestamp() if e.last_modified else 0.0))
            )
            yield from entries
            if not page.get("IsTruncated"):
                return
            kwargs["KeyMarker"] = page.get("NextKeyMarker", "")
            version_marker = page.get("NextVersionIdMarker")
            if version_marker:
                kwargs["VersionIdMarker"] = version_marker
            else:  # a key's versions ended with the page: start at the next key
                kwargs.pop("VersionIdMarker", None)

    # ------------------------------------------------------------ encryption
    def set_bucket_encryption(
        self, bucket: str, algorithm: str = "AES256", *, kms_key_id: str | None = None
    ) -> None:
        """Set the bucket's default encryption: ``AES256`` (SSE-S3, default) or
        ``aws:kms`` (with ``kms_key_id`` or the server's key).

        Raises:
            InvalidArgument: unknown algorithm, or a key id without ``aws:kms``.
            NotSupported / InvalidArgument: the server has no bucket encryption (Ceph 16).
        """
        check_bucket_name(bucket)
        if algorithm not in SSE_ALGORITHMS:
            raise InvalidArgument(f"algorithm must be AES256 or aws:kms, not {algorithm!r}")
        if kms_key_id is not None and algorithm != "aws:kms":
            raise InvalidArgument("kms_key_id needs algorithm='aws:kms'")
        # checked against SSE_ALGORITHMS above
        default: ServerSideEncryptionByDefaultTypeDef = {
            "SSEAlgorithm": cast("ServerSideEncryptionType", algorithm)
        }
        if kms_key_id:
            default["KMSMasterKeyID"] = kms_key_id
        with self._conn.translating("set_bucket_encryption", bucket):
            self._conn.client.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": default}]
                },
            )

    def get_bucket_encryption(self, bucket: str) -> tuple[str, str | None] | None:
        """``(algorithm, kms key id or None)`` of the bucket's default encryption, or
        None when there is none."""
        check_bucket_name(bucket)
        response = self._read(
            "get_bucket_encryption", bucket, lambda c: c.get_bucket_encryption(Bucket=bucket)
        )
        if response is None:
            return None
        rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        for rule in rules:
            found = rule.get("ApplyServerSideEncryptionByDefault")
            if found and found.get("SSEAlgorithm"):
                return str(found["SSEAlgorithm"]), found.get("KMSMasterKeyID")
        return None

    def delete_bucket_encryption(self, bucket: str) -> None:
        """Remove the bucket's default encryption (no error if there is none)."""
        check_bucket_name(bucket)
        with self._conn.translating("delete_bucket_encryption", bucket):
            self._conn.client.delete_bucket_encryption(Bucket=bucket)

    # ------------------------------------------------------------- lifecycle
    def set_lifecycle(self, bucket: str, rules: Sequence[LifecycleRule]) -> None:
        """Replace the bucket's lifecycle rules (prefixes are relative to the store prefix).

        Raises:
            InvalidArgument: a rule is invalid (checked before any request) or no rule given.
        """
        check_bucket_name(bucket)
        if not rules:
            raise InvalidArgument(
                "rules must hold at least one LifecycleRule (use delete_lifecycle)"
            )
        body = [_rule_to_s3(rule, self._conn.prefix) for rule in rules]
        if len({r["ID"] for r in body}) != len(body):
            raise InvalidArgument("lifecycle rule ids must be unique")
        with self._conn.translating("set_lifecycle", bucket):
            self._conn.client.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={"Rules": body},
            )

    def get_lifecycle(self, bucket: str) -> tuple[LifecycleRule, ...]:
        """The bucket's lifecycle rules; empty when none are set."""
        check_bucket_name(bucket)
        response = self._read(
            "get_lifecycle", bucket, lambda c: c.get_bucket_lifecycle_configuration(Bucket=bucket)
        )
        if response is None:
            return ()
        return tuple(_rule_from_s3(r, self._conn.unprefix) for r in response.get("Rules", []))

    def delete_lifecycle(self, bucket: str) -> None:
        """Remove every lifecycle rule of the bucket (no error if there is none)."""
        check_bucket_name(bucket)
        with self._conn.translating("delete_lifecycle", bucket):
            self._conn.client.delete_bucket_lifecycle(Bucket=bucket)

    # --------------------------------------------------------------- tagging
    def set_object_tags(
        self, bucket: str, key: str, tags: Mapping[str, str], *, version_id: str | None = None
    ) -> None:
        """Replace the object's tags (at most 10)."""
        kwargs = self._version_target(bucket, key, version_id)
        checked = check_tags(tags)
        tagging: TaggingTypeDef = {"TagSet": [{"Key": k, "Value": v} for k, v in checked.items()]}
        with self._conn.translating("set_object_tags", bucket, key):
            self._conn.client.put_object_tagging(**kwargs, Tagging=tagging)

    def get_object_tags(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> dict[str, str]:
        """The object's tags as a dict."""
        kwargs = self._version_target(bucket, key, version_id)
        with self._conn.translating("get_object_tags", bucket, key):
            response = self._conn.client.get_object_tagging(**kwargs)
        return {t["Key"]: t["Value"] for t in response.get("TagSet", [])}

    def delete_object_tags(self, bucket: str, key: str, *, version_id: str | None = None) -> None:
        """Remove every tag of the object."""
        kwargs = self._version_target(bucket, key, version_id)
        with self._conn.translating("delete_object_tags", bucket, key):
            self._conn.client.delete_object_tagging(**kwargs)

    # ----------------------------------------------------------- object lock
    def get_object_lock(self, bucket: str) -> ObjectLockConfig:
        """The bucket's object lock state and default retention."""
        check_bucket_name(bucket)
        response = self._read(
            "get_object_lock", bucket, lambda c: c.get_object_lock_configuration(Bucket=bucket)
        )
        if response is None:
            return ObjectLockConfig(enabled=False)
        conf = response.get("ObjectLockConfiguration", {})
        default = (conf.get("Rule") or {}).get("DefaultRetention") or {}
        return ObjectLockConfig(
            enabled=conf.get("ObjectLockEnabled") == "Enabled",
            mode=default.get("Mode"),
            days=default.get("Days"),
            years=default.get("Years"),
        )

    def set_object_lock(self, bucket: str, *, mode: LockMode, days: int) -> None:
        """Set the default retention of a bucket created with object lock.

        Raises:
            InvalidArgument: bad mode or days. Conflict: the bucket has no object lock.
        """
        check_bucket_name(bucket)
        lock_mode = check_lock_mode(mode)
        checked = _positive_days(days, "days")
        with self._conn.translating("set_object_lock", bucket):
            self._conn.client.put_object_lock_configuration(
                Bucket=bucket,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": lock_mode, "Days": checked}},
                },
            )

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
        """Keep an object version until ``retain_until`` (timezone-aware).

        Raises:
            InvalidArgument: bad mode or a naive datetime.
            PermissionDenied / Conflict: shortening a retention without the right.
        """
        kwargs = self._version_target(bucket, key, version_id)
        retention: ObjectLockRetentionTypeDef = {
            "Mode": check_lock_mode(mode),
            "RetainUntilDate": check_retain_until(retain_until),
        }
        with self._conn.translating("set_retention", bucket, key):
            if bypass_governance:  # the header goes only when asked for
                self._conn.client.put_object_retention(
                    **kwargs, Retention=retention, BypassGovernanceRetention=True
                )
            else:
                self._conn.client.put_object_retention(**kwargs, Retention=retention)

    def get_retention(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> Retention | None:
        """The object version's retention, or None when it has none."""
        target = self._version_target(bucket, key, version_id)
        answer = self._read(
            "get_retention", bucket, lambda c: c.get_object_retention(**target), key
        )
        retention = answer.get("Retention") if answer is not None else None
        if not retention or not retention.get("Mode"):
            return None
        return Retention(
            mode=check_lock_mode(retention["Mode"]), retain_until=retention["RetainUntilDate"]
        )

    def set_legal_hold(
        self, bucket: str, key: str, on: bool = True, *, version_id: str | None = None
    ) -> None:
        """Put (True) or lift (False) a legal hold on an object version."""
        kwargs = self._version_target(bucket, key, version_id)
        if not isinstance(on, bool):
            raise InvalidArgument(f"on must be True or False, not {on!r}")
        with self._conn.translating("set_legal_hold", bucket, key):
            self._conn.client.put_object_legal_hold(
                **kwargs, LegalHold={"Status": "ON" if on else "OFF"}
            )

    def get_legal_hold(self, bucket: str, key: str, *, version_id: str | None = None) -> bool:
        """True when a legal hold is on the object version."""
        target = self._version_target(bucket, key, version_id)
        answer = self._read(
            "get_legal_hold", bucket, lambda c: c.get_object_legal_hold(**target), key
        )
        hold = answer.get("LegalHold") if answer is not None else None
        return hold is not None and hold.get("Status") == "ON"

    # ------------------------------------------------------------ info/stats
    def get_bucket_region(self, bucket: str) -> str:
        """The bucket's region (``us-east-1`` when the server reports none)."""
        check_bucket_name(bucket)
        with self._conn.translating("get_bucket_region", bucket):
            location = self._conn.client.get_bucket_location(Bucket=bucket).get(
                "LocationConstraint"
            )
        if not location:
            return "us-east-1"
        return "eu-west-1" if location == "EU" else str(location)

    def get_bucket_info(self, bucket: str) -> BucketProperties:
        """Region, versioning, default encryption, lifecycle rules and object lock; settings
        the server does not implement read as None (or no rules).

        Raises:
            BucketNotFound: no such bucket.
        """
        region = self.get_bucket_region(bucket)
        encryption = _unsupported_as_none(lambda: self.get_bucket_encryption(bucket))
        lifecycle = _unsupported_as_none(lambda: self.get_lifecycle(bucket))
        return BucketProperties(
            name=bucket,
            region=region,
            versioning=_unsupported_as_none(lambda: self.get_versioning(bucket)),
            encryption=encryption[0] if encryption else None,
            kms_key_id=encryption[1] if encryption else None,
            lifecycle=lifecycle or (),
            object_lock=_unsupported_as_none(lambda: self.get_object_lock(bucket)),
        )

    def get_bucket_stats(
        self, bucket: str, *, prefix: str = "", page_size: int = 1000
    ) -> BucketStats:
        """Object count and bytes, in total, per top-level prefix and per storage class of
        the keys under ``prefix`` (``stats.bucket_stats``; ``page_size`` keys per listing
        request, 1..1000, default 1000).

        Raises:
            BucketNotFound: no such bucket.
        """
        return bucket_stats(self, bucket, prefix=prefix, page_size=page_size)  # type: ignore[arg-type]


def _unsupported_as_none(func: Callable[[], T]) -> T | None:
    """``func()``; None when the server does not implement the call (or refuses it as
    invalid). Missing buckets, denials and outages still raise."""
    try:
        return func()
    except StorageError as exc:
        if not is_unsupported(exc):
            raise
        return None


__all__ = [
    "BucketProperties",
    "EnsureReport",
    "EnsureStep",
    "EnsuresBucket",
    "LifecycleRule",
    "LockMode",
    "ObjectInfo",
    "ObjectLockConfig",
    "ObjectVersion",
    "Retention",
    "S3BucketFeatures",
    "bucket_stats",
    "default_lifecycle",
    "run_step",
]
