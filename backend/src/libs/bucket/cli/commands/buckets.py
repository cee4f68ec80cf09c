"""Bucket and store commands: ``mb``, ``rb``, ``du`` (``stats.bucket_stats``) and
``health``."""

from __future__ import annotations

from backend.src.libs.bucket.base.errors import BucketNotEmpty
from backend.src.libs.bucket.base.stats import bucket_stats
from backend.src.libs.bucket.cli.context import Context, describe_store
from backend.src.libs.bucket.cli.output import human
from backend.src.libs.bucket.cli.parsing import folder, require_remote
from backend.src.libs.bucket.cli.provenance import settings_json
from backend.src.libs.bucket.cli.status import EXIT_OK, CliError


def cmd_mb(ctx: Context) -> int:
    """Create a bucket (fails if it exists)."""
    remote = require_remote(ctx.args.bucket, key=False)
    ctx.store.create_bucket(remote.bucket, exist_ok=False)
    ctx.result({"created": remote.bucket}, f"make_bucket: {remote.bucket}")
    return EXIT_OK


def cmd_rb(ctx: Context) -> int:
    """Delete a bucket (``--force`` empties it first). With a key prefix
    (``BUCKET_PREFIX``) the bucket is shared: only the prefix is emptied, the bucket is
    kept, and the output says so."""
    remote = require_remote(ctx.args.bucket, key=False)
    prefix = ctx.store.location.key_prefix
    try:
        done = ctx.store.delete_bucket(remote.bucket, force=ctx.args.force)
    except BucketNotEmpty as exc:  # the library says force=True; the command's flag is --force
        where = f"{prefix} of bucket {remote.bucket!r}" if prefix else f"bucket {remote.bucket!r}"
        raise CliError(
            f"{exc.code}: {where} is not empty (add --force to delete its objects first)",
            code=exc.code,
        ) from exc
    document = {
        "deleted": remote.bucket if done.bucket_deleted else None,
        "bucket": done.bucket,
        "prefix": done.prefix,
        "bucket_deleted": done.bucket_deleted,
        "objects_deleted": done.objects_deleted,
    }
    if done.bucket_deleted:
        ctx.result(document, f"remove_bucket: {done.bucket}")
    else:
        ctx.result(
            document,
            f"remove_bucket: kept s3://{done.bucket}, shared with other prefixes; emptied "
            f"s3://{done.bucket}/{done.prefix} only ({done.objects_deleted} object(s) deleted)",
        )
    return EXIT_OK


def cmd_du(ctx: Context) -> int:
    """Objects and bytes under a bucket or prefix (one listing pass, ``bucket_stats``).
    A prefix is a folder, as for ``rm -r`` and ``sync``: ``s3://b/site`` counts
    ``site/`` only, never ``site-other/``."""
    remote = require_remote(ctx.args.path)
    prefix = folder(remote.key)
    stats = bucket_stats(ctx.store, remote.bucket, prefix=prefix)
    ctx.result(
        {"bucket": remote.bucket, "prefix": prefix, "objects": stats.objects, "bytes": stats.bytes},
        f"{stats.objects} objects  {stats.bytes} bytes ({human(stats.bytes)})  "
        f"s3://{remote.bucket}/{prefix}",
        always=True,
    )
    return EXIT_OK


def cmd_health(ctx: Context) -> int:
    """One probe request; prints the latency."""
    config = ctx.config
    latency = ctx.store.ping()
    document = {
        "ok": True,
        "storage": config.storage_type,
        "endpoint": describe_store(config),
        "selected_by": config.selected_by,
        "latency_ms": round(latency * 1000, 1),
        "settings": settings_json(config),
    }
    ctx.result(
        document,
        f"ok: {config.storage_type} {describe_store(config)} answered in "
        f"{latency * 1000:.1f} ms (chosen by: {config.selected_by})",
        always=True,
    )
    return EXIT_OK
