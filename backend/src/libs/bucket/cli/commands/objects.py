"""Object commands: ``ls``, ``stat``, ``cat``, ``presign`` and ``rm`` (``cp`` is in
``copy.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from fnmatch import fnmatchcase
from typing import IO

from backend.src.libs.bucket.base.capabilities import presigner
from backend.src.libs.bucket.base.errors import NotFound
from backend.src.libs.bucket.base.planner import Scope, delete_planned, plan_deletes
from backend.src.libs.bucket.base.store import DeleteError, ObjectInfo, ObjectStore, PrefixInfo
from backend.src.libs.bucket.cli.commands.select import (
    is_pattern,
    matched,
    matching_objects,
    selection,
)
from backend.src.libs.bucket.cli.commands.versions import list_versions, stat_bucket
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import human, when
from backend.src.libs.bucket.cli.parsing import Remote, require_remote, split_glob
from backend.src.libs.bucket.cli.status import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
)


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


def _name(entry: ObjectInfo | PrefixInfo) -> str:
    return entry.prefix if isinstance(entry, PrefixInfo) else entry.key


def _listing(ctx: Context, remote: Remote) -> Iterator[ObjectInfo | PrefixInfo]:
    """The entries ``ls`` shows, in key order: objects and prefixes in one sorted
    listing (one folder level is sorted in memory; ``-r`` streams in the store's order).
    A key with wildcards lists its folder and keeps the names matching the pattern (one
    that matches nothing: ``CliError``, status 3)."""
    base, pattern = split_glob(remote.key)
    delimiter = None if ctx.args.recursive else "/"
    entries: Iterable[ObjectInfo | PrefixInfo] = ctx.store.list_objects(
        remote.bucket, prefix=base, delimiter=delimiter
    )
    if pattern is not None:
        entries = (e for e in entries if fnmatchcase(_name(e)[len(base) :].rstrip("/"), pattern))
    if delimiter is not None:
        entries = sorted(entries, key=_name)
    return matched(entries, pattern, ctx.args.path)


def cmd_ls(ctx: Context) -> int:
    """List buckets, or the objects and prefixes under ``s3://bucket/prefix`` (names
    relative to the folder listed, as aws prints them; full keys with ``-r``); with
    ``--versions``, every version (``versions.list_versions``)."""
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    if not ctx.args.path:
        return _list_buckets(ctx)
    remote = require_remote(ctx.args.path)
    if ctx.args.versions:
        return list_versions(ctx, remote)
    entries = _listing(ctx, remote)
    if ctx.json:
        ctx.emit_items(_entry_document(entry) for entry in entries)
        return EXIT_OK
    cut = 0 if ctx.args.recursive else remote.key.rfind("/") + 1
    size = human if ctx.args.human_readable else str
    count = total = 0
    for entry in entries:
        if isinstance(entry, PrefixInfo):
            ctx.out(f"{'':19}  {'PRE':>12}  {entry.prefix[cut:]}")
        else:
            count, total = count + 1, total + entry.size
            ctx.out(f"{when(entry.last_modified)}  {size(entry.size):>12}  {entry.key[cut:]}")
    if ctx.args.summarize:
        ctx.out(f"\nTotal Objects: {count}\n   Total Size: {size(total)}")
    return EXIT_OK


def cmd_stat(ctx: Context) -> int:
    """An object's properties and user metadata; for ``s3://bucket``, the bucket's
    settings (``versions.stat_bucket``)."""
    remote = require_remote(ctx.args.path)
    if not remote.key:
        return stat_bucket(ctx, remote)
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


def send(ctx: Context, remote: Remote, out: IO[str]) -> int:
    """Stream the object ``remote`` to ``out``'s bytes (as UTF-8 text when it has none),
    1 MiB at a time; returns the size sent."""
    stream = ctx.store.open_object(remote.bucket, remote.key)
    binary = getattr(out, "buffer", None)
    size = 0
    try:
        while chunk := stream.read(1024 * 1024):
            if binary is not None:
                binary.write(chunk)
            else:
                out.write(chunk.decode("utf-8", "replace"))
            size += len(chunk)
    finally:
        stream.close()
    if binary is not None:
        binary.flush()
    return size


def cmd_cat(ctx: Context) -> int:
    """Write an object's bytes to stdout."""
    send(ctx, require_remote(ctx.args.path, key=True), ctx.stdout)
    return EXIT_OK


def cmd_presign(ctx: Context) -> int:
    """A presigned GET (or PUT) URL of an object."""
    remote = require_remote(ctx.args.path, key=True)
    url = presigner(ctx.store, "presign").presign_url(
        remote.bucket, remote.key, method=ctx.args.method, expiration=ctx.args.expires
    )
    document = {"url": url, "method": ctx.args.method, "expires_in": ctx.args.expires}
    ctx.result(document, url, always=True)
    return EXIT_OK


def _rm_one(ctx: Context, store: ObjectStore, remote: Remote) -> int:
    """Delete the one object ``remote`` names: the key of that exact name when it exists
    (wildcards in it are then plain characters), else, for a path with wildcards and
    without ``--raw``, the keys the pattern matches in its folder.

    Raises:
        CliError: no key (status 2), a missing object (status 3).
    """
    if not remote.key:
        raise CliError("rm needs a key (or -r --force for a prefix)", EXIT_USAGE)
    if is_pattern(store, remote, raw=ctx.args.raw):
        return _rm_many(ctx, store, remote, raw=False)
    try:  # a missing key is an error (S3 itself would answer 204)
        store.head_object(remote.bucket, remote.key)
    except NotFound as exc:
        what = f"bucket {remote.bucket!r}" if exc.code == "NoSuchBucket" else f"{remote}"
        raise CliError(f"{exc.code}: {what} does not exist", EXIT_NOT_FOUND, code=exc.code) from exc
    scope = Scope(remote.bucket, keys=frozenset((remote.key,)))
    plan = plan_deletes(scope, (remote.key,), operation="rm")
    if not ctx.args.dry_run:
        delete_planned(store, plan)
    return _deleted(ctx, remote.bucket, [remote.key], [])


def _deleted(ctx: Context, bucket: str, deleted: list[str], errors: list[DeleteError]) -> int:
    """Print what ``rm`` deleted (``delete: s3://b/k`` each) and a line for each key it
    could not delete (then ``CliError``, status 1), or the ``--json`` document of both."""
    if ctx.json:
        ctx.emit(
            {
                "deleted": deleted,
                "errors": [{"key": e.key, "code": e.code, "message": e.message} for e in errors],
            }
        )
    else:
        dry = "(dryrun) " if ctx.args.dry_run else ""
        for key in deleted if not ctx.quiet else ():
            ctx.out(f"{dry}delete: s3://{bucket}/{key}")
        for error in errors:
            ctx.err(f"{PROG}: could not delete {error.key}: {error.code}: {error.message}")
    if errors:
        raise CliError(f"{len(errors)} key(s) could not be deleted")
    return EXIT_OK


def _rm_many(ctx: Context, store: ObjectStore, remote: Remote, *, raw: bool) -> int:
    """Delete what a pattern or ``-r`` names (``--exclude`` / ``--include`` applied): the
    listing is read whole and planned (every key inside the folder named, or the folder
    before the first wildcard) before the first delete, then sent 1000 keys a request;
    ``--dryrun`` prints exactly the plan. ``raw``: ``remote`` is a literal path. A pattern
    that matches nothing is a ``CliError`` (status 3)."""
    chosen = selection(remote, raw=raw)
    keys = (
        info.key
        for info, _ in matching_objects(
            store, remote, recursive=ctx.args.recursive, filters=ctx.args.filters, raw=raw
        )
    )
    plan = plan_deletes(chosen.scope, keys, operation="rm")
    if ctx.args.dry_run:
        deleted, errors = list(plan.keys), []
    else:
        result = delete_planned(store, plan)
        deleted, errors = list(result.deleted), list(result.errors)
    if chosen.pattern is not None and not deleted and not errors:
        raise CliError(f"no key matches {ctx.args.path!r}", EXIT_NOT_FOUND)
    return _deleted(ctx, remote.bucket, deleted, errors)


def cmd_rm(ctx: Context) -> int:
    """Delete a key, the keys a pattern matches, or (``-r --force``) every key under a
    prefix taken as a folder (``--exclude`` / ``--include`` choose among them). A key
    that exists under the exact name given is that key (with ``-r``, a folder of that
    name is that folder), wildcards or not; ``--raw`` never reads the path as a pattern.

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
    literal = not is_pattern(store, remote, raw=ctx.args.raw, recursive=True)
    return _rm_many(ctx, store, remote, raw=literal)
