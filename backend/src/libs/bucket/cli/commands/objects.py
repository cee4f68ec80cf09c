"""Object commands: ``ls``, ``stat``, ``cat``, ``presign`` and ``rm`` (``cp`` is in
``copy.py``)."""

from __future__ import annotations

from datetime import datetime

from backend.src.libs.bucket.capabilities import presigner
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import when
from backend.src.libs.bucket.cli.parsing import Remote, require_remote
from backend.src.libs.bucket.cli.status import EXIT_OK, EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.store import ObjectInfo, ObjectStore, PrefixInfo


def _entry_document(entry: ObjectInfo | PrefixInfo) -> dict[str, object]:
    if isinstance(entry, PrefixInfo):
        return {"prefix": entry.prefix}
    return {
        "key": entry.key,
        "size": entry.size,
        "etag": entry.etag,
        "last_modified": entry.last_modified,
    }


def _list_buckets(ctx: Context) -> int:
    buckets = ctx.store.list_buckets()
    if ctx.json:
        ctx.emit([{"name": b.name, "created": b.created} for b in buckets])
        return EXIT_OK
    for b in buckets:
        ctx.out(f"{when(b.created)}  {b.name}")
    return EXIT_OK


def cmd_ls(ctx: Context) -> int:
    """List buckets, or the objects and prefixes under ``s3://bucket/prefix``."""
    store = ctx.store  # settings first: a bad setting is reported before a bad path
    if not ctx.args.path:
        return _list_buckets(ctx)
    remote = require_remote(ctx.args.path)
    delimiter = None if ctx.args.recursive else "/"
    entries = store.list_objects(remote.bucket, prefix=remote.key, delimiter=delimiter)
    if ctx.json:
        ctx.emit_items(_entry_document(entry) for entry in entries)
        return EXIT_OK
    for entry in entries:
        if isinstance(entry, PrefixInfo):
            ctx.out(f"{'':19}  {'PRE':>12}  {entry.prefix}")
        else:
            ctx.out(f"{when(entry.last_modified)}  {entry.size:>12}  {entry.key}")
    return EXIT_OK


def cmd_stat(ctx: Context) -> int:
    """An object's properties and user metadata."""
    remote = require_remote(ctx.args.path, key=True)
    info = ctx.store.head_object(remote.bucket, remote.key)
    doc = {
        "bucket": info.bucket,
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified,
        "content_type": info.content_type,
        "storage_class": info.storage_class,
        "version_id": info.version_id,
        "metadata": dict(info.metadata),
    }
    if ctx.json:
        ctx.emit(doc)
        return EXIT_OK
    for name, value in doc.items():
        if name == "metadata":
            for k, v in sorted(info.metadata.items()):
                ctx.out(f"{'meta.' + k:<14} {v}")
        elif value is not None:
            shown = value.isoformat() if isinstance(value, datetime) else value
            ctx.out(f"{name:<14} {shown}")
    return EXIT_OK


def cmd_cat(ctx: Context) -> int:
    """Write an object's bytes to stdout (streamed, 1 MiB at a time)."""
    remote = require_remote(ctx.args.path, key=True)
    stream = ctx.store.open_object(remote.bucket, remote.key)
    out = getattr(ctx.stdout, "buffer", None)
    try:
        while chunk := stream.read(1024 * 1024):
            if out is not None:
                out.write(chunk)
            else:
                ctx.stdout.write(chunk.decode("utf-8", "replace"))
    finally:
        stream.close()
    if out is not None:
        out.flush()
    return EXIT_OK


def cmd_presign(ctx: Context) -> int:
    """A presigned GET (or PUT) URL of an object."""
    remote = require_remote(ctx.args.path, key=True)
    url = presigner(ctx.store, "presign").presign_url(
        remote.bucket, remote.key, method=ctx.args.method, expiration=ctx.args.expires
    )
    if ctx.json:
        ctx.emit({"url": url, "method": ctx.args.method, "expires_in": ctx.args.expires})
    else:
        ctx.out(url)
    return EXIT_OK


def _rm_one(ctx: Context, store: ObjectStore, remote: Remote) -> int:
    if not remote.key:
        raise CliError("rm needs a key (or -r --force for a prefix)", EXIT_USAGE)
    store.head_object(remote.bucket, remote.key)  # a missing key is an error
    store.delete_object(remote.bucket, remote.key)
    if ctx.json:
        ctx.emit({"deleted": [remote.key], "errors": []})
    else:
        ctx.out(f"delete: s3://{remote.bucket}/{remote.key}")
    return EXIT_OK


def cmd_rm(ctx: Context) -> int:
    """Delete a key, or (``-r --force``) every key under a prefix.

    Raises:
        CliError: no key without ``-r``, ``-r`` without ``--force`` (status 2), or some
            keys could not be deleted (status 1, after a line for each).
    """
    remote = require_remote(ctx.args.path)
    store = ctx.store  # settings first: a bad setting is reported before a bad request
    if not ctx.args.recursive:
        return _rm_one(ctx, store, remote)
    if not ctx.args.force:
        raise CliError(
            f"refusing to delete everything under {ctx.args.path} without --force", EXIT_USAGE
        )
    keys = (
        e.key
        for e in store.list_objects(remote.bucket, prefix=remote.key)
        if isinstance(e, ObjectInfo)
    )
    result = store.delete_objects(remote.bucket, keys)
    if ctx.json:
        ctx.emit(
            {
                "deleted": list(result.deleted),
                "errors": [
                    {"key": e.key, "code": e.code, "message": e.message} for e in result.errors
                ],
            }
        )
    else:
        for key in result.deleted:
            ctx.out(f"delete: s3://{remote.bucket}/{key}")
        for error in result.errors:
            ctx.err(f"{PROG}: could not delete {error.key}: {error.code}: {error.message}")
    if result.errors:
        raise CliError(f"{len(result.errors)} key(s) could not be deleted")
    return EXIT_OK
