"""Versions and bucket settings, as mc has them: ``ls --versions`` (every version and
delete marker, ``Versioning``), ``stat s3://bucket`` (region, versioning, encryption,
object lock, lifecycle rules: ``BucketInspection``) and ``versioning enable|suspend|info``
(mc's ``version``).

The local folder store keeps one version of each object and no bucket settings: each of
these commands fails there with one line saying so, status 1 (as ``presign``), before any
other work.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from backend.src.libs.bucket.base.capabilities import BucketInspection, Versioning
from backend.src.libs.bucket.base.results import BucketProperties, ObjectVersion
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import human, when
from backend.src.libs.bucket.cli.parsing import Remote, require_remote, split_glob
from backend.src.libs.bucket.cli.status import EXIT_FAIL, EXIT_NOT_FOUND, EXIT_OK, CliError

_STATES = {"Enabled": "enabled", "Suspended": "suspended", None: "off (never enabled)"}


def _versioning(ctx: Context, what: str) -> Versioning:
    """The store as ``Versioning``.

    Raises:
        CliError: the store keeps no versions (the local folder store; status 1).
    """
    store = ctx.store
    if isinstance(store, Versioning):
        return store
    raise CliError(
        f"{what}: the local folder store keeps one version of each object (no versioning); "
        "use an S3 store",
        EXIT_FAIL,
        code="NotImplemented",
    )


def _inspection(ctx: Context, what: str) -> BucketInspection:
    """The store as ``BucketInspection``.

    Raises:
        CliError: the store has no bucket settings (the local folder store; status 1).
    """
    store = ctx.store
    if isinstance(store, BucketInspection):
        return store
    raise CliError(
        f"{what}: the local folder store has no bucket settings (region, versioning, "
        "encryption, object lock, lifecycle); use an S3 store",
        EXIT_FAIL,
        code="NotImplemented",
    )


def _versions(ctx: Context, remote: Remote) -> Iterator[ObjectVersion]:
    """Every version under the prefix (a pattern after the last literal folder keeps the
    keys whose remainder matches), newest first per key."""
    base, pattern = split_glob(remote.key)
    for version in _versioning(ctx, "ls --versions").list_object_versions(
        remote.bucket, prefix=base
    ):
        if pattern is None or fnmatchcase(version.key[len(base) :], pattern):
            yield version


def _version_document(v: ObjectVersion) -> dict[str, object]:
    return {
        "key": v.key,
        "version_id": v.version_id,
        "is_latest": v.is_latest,
        "delete_marker": v.is_delete_marker,
        "size": v.size,
        "etag": v.etag,
        "last_modified": v.last_modified,
    }


def list_versions(ctx: Context, remote: Remote) -> int:
    """``ls --versions``: one line per version, newest first per key: date, size (``DELETE``
    for a delete marker), ``latest`` for the current one, the version id and the whole key.

    Raises:
        CliError: the store keeps no versions (status 1); a pattern that matches nothing
            (status 3).
    """
    versions = _versions(ctx, remote)
    first = next(versions, None)
    if first is None and split_glob(remote.key)[1] is not None:
        raise CliError(f"no key matches {ctx.args.path!r}", EXIT_NOT_FOUND)
    chain = iter(()) if first is None else _chain(first, versions)
    if ctx.json:
        ctx.emit_items(_version_document(v) for v in chain)
        return EXIT_OK
    size = human if ctx.args.human_readable else str
    for v in chain:
        shown = "DELETE" if v.is_delete_marker else size(v.size)
        latest = "latest" if v.is_latest else ""
        ctx.out(f"{when(v.last_modified)}  {shown:>12}  {latest:<6}  {v.version_id}  {v.key}")
    return EXIT_OK


def _chain(first: ObjectVersion, rest: Iterator[ObjectVersion]) -> Iterator[ObjectVersion]:
    yield first
    yield from rest


def _bucket_document(info: BucketProperties) -> dict[str, object]:
    lock = info.object_lock
    return {
        "bucket": info.name,
        "region": info.region,
        "versioning": info.versioning,
        "encryption": info.encryption,
        "kms_key_id": info.kms_key_id,
        "object_lock": None
        if lock is None
        else {"enabled": lock.enabled, "mode": lock.mode, "days": lock.days, "years": lock.years},
        "lifecycle_rules": len(info.lifecycle),
    }


def _lock_text(info: BucketProperties) -> str:
    lock = info.object_lock
    if lock is None or not lock.enabled:
        return "off"
    if lock.mode is None:
        return "enabled (no default retention)"
    period = f"{lock.days} day(s)" if lock.days is not None else f"{lock.years} year(s)"
    return f"enabled ({lock.mode}, {period} by default)"


def stat_bucket(ctx: Context, remote: Remote) -> int:
    """``stat s3://bucket``: the bucket's region, versioning, default encryption, object
    lock and lifecycle rule count (mc stat). JSON: ``_bucket_document``.

    Raises:
        CliError: the store has no bucket settings (status 1).
        BucketNotFound: no such bucket (status 3).
    """
    info = _inspection(ctx, f"stat s3://{remote.bucket}").get_bucket_info(remote.bucket)
    if ctx.json:
        ctx.emit(_bucket_document(info))
        return EXIT_OK
    encryption = info.encryption or "none"
    if info.kms_key_id:
        encryption += f" (key {info.kms_key_id})"
    for name, value in (
        ("bucket", info.name),
        ("region", info.region),
        ("versioning", _STATES.get(info.versioning, info.versioning)),
        ("encryption", encryption),
        ("object_lock", _lock_text(info)),
        ("lifecycle", f"{len(info.lifecycle)} rule(s)"),
    ):
        ctx.out(f"{name:<14} {value}")
    return EXIT_OK


def cmd_versioning(ctx: Context) -> int:
    """``versioning enable|suspend|info s3://bucket`` (mc's ``version``): turn versioning
    on or off (suspended: versions kept, no new ones) and say the state, read back from
    the server.

    Raises:
        CliError: a path with a key (status 2); the store keeps no versions (status 1).
        BucketNotFound: no such bucket (status 3).
    """
    remote = require_remote(ctx.args.bucket, key=False)
    action = ctx.args.action
    store = _versioning(ctx, f"versioning {action}")
    if action != "info":
        store.set_versioning(remote.bucket, enabled=action == "enable")
    state = store.get_versioning(remote.bucket)
    if ctx.json:
        ctx.emit({"bucket": remote.bucket, "versioning": state})
    elif action == "info" or not ctx.quiet:
        ctx.out(f"s3://{remote.bucket} versioning: {_STATES.get(state, state)}")
    return EXIT_OK
