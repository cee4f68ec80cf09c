"""Versions and bucket settings, as mc has them: ``ls --versions`` (every version and
delete marker, ``Versioning``), ``stat s3://bucket`` (region, versioning, encryption,
object lock, lifecycle rules: ``BucketInspection``) and ``versioning enable|suspend|info``
(mc's ``version``).

The local folder store keeps one version of each object and no bucket settings: each of
these commands fails there with one line saying so, status 1 (as ``presign``), before any
other work.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from backend.src.libs.bucket.base.capabilities import BucketInspection, Versioning
from backend.src.libs.bucket.base.results import BucketProperties, ObjectVersion
from backend.src.libs.bucket.cli.commands.select import matched
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import human, when
from backend.src.libs.bucket.cli.parsing import Remote, require_remote, split_glob
from backend.src.libs.bucket.cli.status import EXIT_FAIL, EXIT_OK, CliError

_STATES = {"Enabled": "enabled", "Suspended": "suspended", None: "off (never enabled)"}


def _unsupported(what: str, lacks: str) -> CliError:
    """The failure of ``what`` on the local folder store, which ``lacks`` it (status 1)."""
    return CliError(
        f"{what}: the local folder store {lacks}; use an S3 store", EXIT_FAIL, code="NotImplemented"
    )


def _versioning(ctx: Context, what: str) -> Versioning:
    """The store as ``Versioning``; ``CliError`` (status 1) on the local folder store."""
    if isinstance(store := ctx.store, Versioning):
        return store
    raise _unsupported(what, "keeps one version of each object (no versioning)")


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
    """``ls --versions``: one line per version under the prefix (a pattern after the last
    literal folder keeps the keys whose remainder matches), newest first per key: date,
    size (``DELETE`` for a delete marker), ``latest`` for the current one, the version id
    and the whole key.

    Raises:
        CliError: the store keeps no versions (status 1); a pattern that matches nothing
            (status 3).
    """
    base, pattern = split_glob(remote.key)
    listing = _versioning(ctx, "ls --versions").list_object_versions(remote.bucket, prefix=base)
    chosen = (v for v in listing if pattern is None or fnmatchcase(v.key[len(base) :], pattern))
    versions = matched(chosen, pattern, ctx.args.path)
    if ctx.json:
        ctx.emit_items(_version_document(v) for v in versions)
        return EXIT_OK
    size = human if ctx.args.human_readable else str
    for v in versions:
        shown = "DELETE" if v.is_delete_marker else size(v.size)
        latest = "latest" if v.is_latest else ""
        ctx.out(f"{when(v.last_modified)}  {shown:>12}  {latest:<6}  {v.version_id}  {v.key}")
    return EXIT_OK


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
    store = ctx.store
    if not isinstance(store, BucketInspection):
        raise _unsupported(
            f"stat s3://{remote.bucket}",
            "has no bucket settings (region, versioning, encryption, object lock, lifecycle)",
        )
    info = store.get_bucket_info(remote.bucket)
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
    ctx.result(
        {"bucket": remote.bucket, "versioning": state},
        f"s3://{remote.bucket} versioning: {_STATES.get(state, state)}",
        always=action == "info",
    )
    return EXIT_OK
