"""``cp``: upload (a file, a tree or stdin), download (to a file, a folder or stdout) and
server-side copy; every copy made is recorded for the ``--json`` summary."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from backend.src.libs.bucket.base.capabilities import config_of, options_of
from backend.src.libs.bucket.base.errors import (
    IntegrityError,
    InvalidArgument,
    ObjectNotFound,
    StorageError,
)
from backend.src.libs.bucket.base.options import (
    MAX_PART_SIZE,
    MAX_PARTS,
    TransferSettings,
    WriteOptions,
)
from backend.src.libs.bucket.base.planner import (
    Move,
    Scope,
    delete_planned,
    plan_deletes,
    plan_moves,
    verify_copy,
)
from backend.src.libs.bucket.base.store import ObjectInfo, ProgressCallback
from backend.src.libs.bucket.cli.commands.objects import send
from backend.src.libs.bucket.cli.commands.select import (
    included,
    is_pattern,
    matching_objects,
    selection,
)
from backend.src.libs.bucket.cli.commands.several import Done, copy_several
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote, target_key
from backend.src.libs.bucket.cli.status import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.cli.words import cli_words
from backend.src.libs.bucket.features import batch
from backend.src.libs.bucket.features.batch import local_targets

UPLOAD_FLAGS = (
    "content_type",
    "metadata",
    "cache_control",
    "content_disposition",
    "content_encoding",
    "tagging",
    "sse",
    "storage_class",
)


def _made(ctx: Context, done: Done, verb: str, src: str, dst: object, size: int | None) -> None:
    """Record a copy in ``done`` and print ``upload: a to b`` (``move:`` for ``mv``,
    ``(dryrun) `` before it with ``--dryrun``; nothing with ``--json`` or ``-q``)."""
    done.append({"source": src, "destination": str(dst), "bytes": size})
    if ctx.json or ctx.quiet:
        return
    verb = "move" if ctx.args.command == "mv" and verb != "folder" else verb
    ctx.out(f"{'(dryrun) ' if ctx.args.dry_run else ''}{verb}: {src} to {dst}")


def _bar(
    ctx: Context, label: str, total: int | None
) -> contextlib.AbstractContextManager[ProgressCallback | None]:
    """A progress bar, none with ``--no-progress``."""
    if ctx.args.no_progress:
        return contextlib.nullcontext(None)
    return ctx.progress(label, total)


def _metadata(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    metadata: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--metadata takes NAME=VALUE, not {pair!r}", EXIT_USAGE)
        metadata[name] = value
    return metadata


def _tags(text: str | None) -> dict[str, str] | None:
    """``--tagging 'k1=v1&k2=v2'`` (aws's form: a URL query, values %-encoded) as tags;
    ``CliError`` (status 2) for another form or a key twice."""
    if text is None:
        return None
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise CliError(f"--tagging takes K=V&K2=V2, not {text!r}", EXIT_USAGE) from None
    tags = dict(pairs)
    if len(tags) != len(pairs):
        raise CliError(f"--tagging names a key twice: {text!r}", EXIT_USAGE)
    return tags


def _write_options(ctx: Context) -> WriteOptions | None:
    """The upload flags (``--content-type``, ``--metadata``, ``--cache-control``,
    ``--content-disposition``, ``--content-encoding``, ``--tagging``, ``--sse``,
    ``--storage-class``) as the write's options; None when none is given."""
    a = ctx.args
    if not any(getattr(a, name) for name in UPLOAD_FLAGS):
        return None
    return WriteOptions.from_arguments(
        config=ctx.config,
        content_type=a.content_type,
        metadata=_metadata(a.metadata),
        cache_control=a.cache_control,
        content_disposition=a.content_disposition,
        content_encoding=a.content_encoding,
        tags=_tags(a.tagging),
        sse=a.sse,
        storage_class=a.storage_class,
    )


def _stream_transfer(ctx: Context) -> TransferSettings | None:
    """``--expected-size`` of ``cp -``: a part size large enough for the stream to fit in
    S3's 10,000 parts (the store's part size when that is enough). None without the flag,
    or on a store that has no parts (the local store). ``CliError`` (status 2) for a
    negative size, or one above what 10,000 parts of 5 GiB hold."""
    expected = ctx.args.expected_size
    if expected is None:
        return None
    if expected < 0:
        raise CliError(f"--expected-size must be 0 or more bytes, not {expected}", EXIT_USAGE)
    needed = -(-expected // MAX_PARTS)
    if needed > MAX_PART_SIZE:
        raise CliError(
            f"--expected-size {expected}: above {MAX_PARTS} parts of {MAX_PART_SIZE} bytes, "
            "the largest multipart upload",
            EXIT_USAGE,
        )
    store = ctx.store
    config = config_of(store)
    if "part_size" not in options_of(store, "put_object") or config is None:
        return None
    return TransferSettings(part_size=max(needed, config.multipart_chunksize))


def _refuse_upload_flags(ctx: Context) -> None:
    given = [f"--{name.replace('_', '-')}" for name in UPLOAD_FLAGS if getattr(ctx.args, name)]
    if given:
        raise CliError(f"{', '.join(given)}: only for uploads (a local source)", EXIT_USAGE)


def _sides(ctx: Context, src: str, dst: str) -> tuple[Remote | None, Remote | None]:
    """``src`` and ``dst`` parsed (None for a local path), once the settings are read (a bad
    setting is reported before a bad path); ``--expected-size`` is refused (status 2) with
    another source than ``-``."""
    ctx.store  # noqa: B018
    if ctx.args.expected_size is not None and src != "-":
        raise CliError("--expected-size: only for cp - (a stream on stdin)", EXIT_USAGE)
    return parse_remote(src), parse_remote(dst)


def _moving(ctx: Context) -> bool:
    """``mv`` (not a dry run): each source goes once its copy is verified."""
    return ctx.args.command == "mv" and not ctx.args.dry_run


def _upload(ctx: Context, src: str, d: Remote, done: Done, *, key: str | None = None) -> None:
    """A file (or ``-``, stdin) to ``d`` (to ``key`` exactly, when given); ``mv`` removes
    the file once the object is read back with its size and ETag."""
    store = ctx.store
    options = _write_options(ctx)
    if src == "-":
        key = target_key(d, "stdin")
        size = 0
        transfer = _stream_transfer(ctx)
        if not ctx.args.dry_run:
            size = store.put_object(
                d.bucket, key, sys.stdin.buffer, options=options, transfer=transfer
            ).size
    else:
        path = Path(src)
        if not path.is_file():
            missing = not path.exists()
            raise CliError(
                f"{src!r}: no such file" if missing else f"{src!r} is a directory (add -r)",
                EXIT_NOT_FOUND if missing else EXIT_USAGE,
            )
        key = target_key(d, path.name) if key is None else key
        size = path.stat().st_size
        if not ctx.args.dry_run:
            with _bar(ctx, path.name, size) as bar:
                result = store.upload_file(d.bucket, key, str(path), options=options, progress=bar)
            if _moving(ctx):
                written = store.head_object(d.bucket, key)
                stored = dataclasses.replace(written, size=size, etag=result.etag)
                verify_copy(stored, written, result)  # IntegrityError: the file is kept
                path.unlink()
    _made(ctx, done, "upload", src, f"s3://{d.bucket}/{key}", size)


def _download(ctx: Context, src: str, s: Remote, dst: str, done: Done) -> None:
    """``s`` to the file ``dst`` (into it when it is a folder or ends with ``/``), or to the
    process's stdout (``-``)."""
    if dst == "-":
        done.append({"source": src, "destination": "-", "bytes": send(ctx, s, sys.stdout)})
        return
    name = s.key.rstrip("/").rsplit("/", 1)[-1]
    target = Path(dst)
    if target.is_dir() or dst.endswith(("/", os.sep)):
        target = target / name
    try:
        info = ctx.store.head_object(s.bucket, s.key)
    except ObjectNotFound:
        _refuse_prefix(ctx, src, s)
        raise
    _download_to(ctx, src, s, target, done, info=info)


def _download_to(
    ctx: Context, src: str, s: Remote, target: Path, done: Done, *, info: ObjectInfo
) -> None:
    """The object ``s`` (whose properties are ``info``) to the file ``target``; ``mv``
    deletes the object once the file is found with its size."""
    store = ctx.store
    size = info.size
    if not ctx.args.dry_run:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _bar(ctx, target.name, info.size) as bar:
            size = store.download_file(s.bucket, s.key, str(target), progress=bar)
        if _moving(ctx):
            on_disk = target.stat().st_size
            if on_disk != info.size or size != info.size:
                raise IntegrityError(
                    f"{target} holds {on_disk} bytes where {src} has {info.size}; "
                    "the object is kept",
                    bucket=s.bucket,
                    key=s.key,
                )
            _delete_source(ctx, s)
    _made(ctx, done, "download", src, target, size)


def _delete_source(ctx: Context, s: Remote) -> None:
    """Delete the object ``s`` a move copied (a planned, literal delete)."""
    plan = plan_deletes(Scope(s.bucket, keys=frozenset((s.key,))), (s.key,), operation="mv")
    result = delete_planned(ctx.store, plan)
    for error in result.errors:
        raise StorageError(
            f"the copy was made, but the source could not be deleted: {error.message}",
            code=error.code,
            bucket=s.bucket,
            key=s.key,
        )


def _refuse_prefix(ctx: Context, src: str, s: Remote) -> None:
    """A missing key that is a folder (keys exist under ``key/``): ``CliError`` (status 2)
    saying to add ``-r``."""
    under = ctx.store.list_objects(s.bucket, prefix=folder(s.key), delimiter="/")
    if next(iter(under), None) is not None:
        raise CliError(f"{src!r} is a folder: add -r to copy what is under it", EXIT_USAGE)


def _server_copy(ctx: Context, src: str, s: Remote, d: Remote, done: Done) -> None:
    """The object ``s`` to the key ``d`` on the server (no bytes through this machine);
    ``mv`` deletes ``s`` once the copy is read back and found equal (``verify_copy``)."""
    store = ctx.store
    if ctx.args.dry_run:
        size = store.head_object(s.bucket, s.key).size
    else:
        before = store.head_object(s.bucket, s.key) if _moving(ctx) else None
        result = store.copy_object(s.bucket, s.key, d.bucket, d.key)
        written = store.head_object(d.bucket, d.key)
        size = written.size
        if before is not None:
            verify_copy(before, written, result)
            _delete_source(ctx, s)
    _made(ctx, done, "copy", src, f"s3://{d.bucket}/{d.key}", size)


def _plan(ctx: Context, source: Scope, destination: Scope, moves: list[Move]) -> None:
    """Check the copies (``cp``) or moves (``mv``) before the first one (``plan_moves``:
    ``InvalidArgument``, status 2, for an unsafe plan)."""
    plan_moves(
        source,
        destination,
        moves,
        operation=ctx.args.command,
        keep_sources=ctx.args.command != "mv",
    )


def copy_one(ctx: Context, src: str, dst: str, done: Done) -> None:
    """Copy one file or object (or, with wildcards in a remote source that names no
    existing key, every object they match); ``src`` or ``dst`` may be ``-`` (stdin,
    stdout).

    Raises:
        CliError: two local paths, no key in a remote source, a missing source file
            (status 3), a folder without ``-r`` (status 2), a pattern matching nothing
            (status 3), upload flags on a download or server-side copy (status 2).
        InvalidArgument: a move onto itself (status 2).
        StorageError: the store failed.
    """
    s, d = _sides(ctx, src, dst)
    if s is None:
        if d is None:
            raise CliError(
                f"{ctx.args.command} needs at least one s3:// path "
                "(use your shell's cp for two files)",
                EXIT_USAGE,
            )
        _upload(ctx, src, d, done)
        return
    _refuse_upload_flags(ctx)
    if not s.key:
        raise CliError(f"{src!r} names no key (add -r to copy a whole bucket)", EXIT_USAGE)
    if is_pattern(ctx.store, s, raw=ctx.args.raw):
        _copy_listed(ctx, s, dst, done, recursive=False, raw=False)
    elif s.key.endswith("/"):
        raise CliError(f"{src!r} is a folder: add -r to copy what is under it", EXIT_USAGE)
    elif d is None:
        _download(ctx, src, s, dst, done)
    else:
        key = target_key(d, s.key.rstrip("/").rsplit("/", 1)[-1])
        if (s.bucket, s.key) == (d.bucket, key):
            raise CliError(f"{src!r} and its destination are the same object", EXIT_USAGE)
        literal = Scope(s.bucket, keys=frozenset((s.key,)))
        _plan(ctx, literal, Scope(d.bucket, keys=frozenset((key,))), [Move(s.key, key)])
        _server_copy(ctx, src, s, Remote(d.scheme, d.bucket, key), done)


Job = tuple[str, Callable[[], None]]
"""One copy of many: the source as printed, and the work."""


def _run(ctx: Context, jobs: list[Job], *, refused: int = 0) -> None:
    """Each job, ``--workers`` at a time; a failed copy gets a line on stderr and the
    others go on. ``refused``: copies already refused (and reported) by the caller.
    ``CliError``: some copies failed or were refused (status 1), ``--workers`` below 1
    (status 2)."""
    if ctx.args.workers < 1:
        raise CliError(f"--workers must be 1 or more, not {ctx.args.workers}", EXIT_USAGE)
    failed = refused
    with ThreadPoolExecutor(max_workers=ctx.args.workers) as pool:
        futures = [pool.submit(work) for _, work in jobs]
        for (src, _), future in zip(jobs, futures, strict=True):
            exc = future.exception()
            if exc is None:
                continue
            if not isinstance(exc, (StorageError, CliError, OSError)):
                raise exc
            failed += 1
            reason = exc.message if isinstance(exc, (StorageError, CliError)) else str(exc)
            ctx.err(f"{PROG}: could not copy {src}: {cli_words(reason)}")
    if failed:
        raise CliError(f"{failed} of {len(jobs) + refused} copies failed")


def _copy_listed(
    ctx: Context, s: Remote, dst: str, done: Done, *, recursive: bool, raw: bool
) -> None:
    """Every object a remote source names (a folder with ``-r``, a pattern) to the folder or
    prefix ``dst``, keeping the paths relative to the source. Each listed key is copied as
    that key (never read as a pattern again); the whole set is planned before the first
    copy (``_plan``; downloads: ``batch.local_targets``). ``raw``: ``s`` is a literal path.
    ``CliError`` for a pattern that matches nothing (status 3)."""
    chosen = selection(s, raw=raw)
    listed = [
        (info, relative)
        for info, relative in matching_objects(
            ctx.store, s, recursive=recursive, filters=ctx.args.filters, raw=raw
        )
        if relative and not relative.endswith("/")  # folder markers: made for their files
    ]
    if not listed and chosen.pattern is not None:
        raise CliError(f"no key matches {str(s)!r}", EXIT_NOT_FOUND)
    d = parse_remote(dst)
    if d is None:
        _download_listed(ctx, s, Path(dst), listed, done)
        return
    base = folder(d.key)
    moves = [Move(info.key, base + relative) for info, relative in listed]
    _plan(ctx, chosen.scope, Scope(d.bucket, base), moves)
    jobs: list[Job] = []
    for move in moves:
        source = Remote(s.scheme, s.bucket, move.source)
        target = Remote(d.scheme, d.bucket, move.destination)
        jobs.append((str(source), partial(_server_copy, ctx, str(source), source, target, done)))
    _run(ctx, jobs)


def _download_listed(
    ctx: Context, s: Remote, root: Path, listed: list[tuple[ObjectInfo, str]], done: Done
) -> None:
    """The listed objects into the folder ``root``; a key that cannot land on a path of
    its own (``batch.local_targets``) is reported and not downloaded."""
    targets = local_targets(root.resolve(), ((info.key, rel) for info, rel in listed))
    jobs: list[Job] = []
    refused = 0
    for info, _ in listed:
        target = targets[info.key]
        if isinstance(target, InvalidArgument):
            ctx.err(f"{PROG}: could not download {info.key!r}: {target.message}")
            refused += 1
            continue
        source = Remote(s.scheme, s.bucket, info.key)
        work = partial(_download_to, ctx, str(source), source, target, done, info=info)
        jobs.append((str(source), work))
    _run(ctx, jobs, refused=refused)


def _upload_tree(ctx: Context, src: str, d: Remote | None, done: Done) -> None:
    """The files under the folder ``src``, in order. A symbolic link to a file is read
    through (aws's default), left out with ``--no-follow-symlinks``; a link to a folder
    is never descended into."""
    root = Path(src)
    if not root.is_dir():
        raise CliError(
            f"{src!r} is not a directory", EXIT_NOT_FOUND if not root.exists() else EXIT_USAGE
        )
    if d is None:
        raise CliError(f"{ctx.args.command} -r needs at least one s3:// path", EXIT_USAGE)
    base = folder(d.key)
    jobs: list[Job] = []
    files = (p for p in root.rglob("*") if p.is_file())
    for path in sorted(p for p in files if ctx.args.follow_symlinks or not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if included(rel, ctx.args.filters):
            work = partial(_upload, ctx, str(path), d, done, key=base + rel)
            jobs.append((str(path), work))
    _run(ctx, jobs)


def _download_tree(ctx: Context, bucket: str, prefix: str, target: Path, done: Done) -> None:
    """``cp -r s3://bucket/prefix folder``: ``batch.download_directory``, the library's one
    download-to-folder routine (keys that cannot land on a path of their own refused,
    folder markers made folders). Each failed key gets a line on stderr; any failure
    exits 1."""
    results = batch.download_directory(
        ctx.store, bucket, target, prefix=prefix, max_workers=ctx.args.workers
    )
    root = target.resolve()
    for item in results:
        if item.error is not None:
            ctx.err(f"{PROG}: could not download {item.key!r}: {item.error.message}")
            continue
        verb = "folder" if item.key.endswith("/") else "download"
        path = root / item.key[len(prefix) :]
        _made(ctx, done, verb, f"s3://{bucket}/{item.key}", path, item.value)
    failed = sum(1 for item in results if item.error is not None)
    if failed:
        raise CliError(f"{failed} of {len(results)} key(s) could not be downloaded")


def copy_tree(ctx: Context, src: str, dst: str, done: Done) -> None:
    """``cp -r``: a folder up, a prefix (a folder) down, or a prefix to another on the
    server; ``--exclude`` / ``--include`` choose among the paths relative to the source.

    Raises:
        CliError: the source folder is missing (status 3) or a file (status 2), two local
            paths, or some copies failed (status 1).
        InvalidArgument: an unsafe plan (status 2); nothing was copied.
        StorageError: the store failed.
    """
    s, d = _sides(ctx, src, dst)
    if s is None:
        _upload_tree(ctx, src, d, done)
        return
    _refuse_upload_flags(ctx)
    raw = not is_pattern(ctx.store, s, raw=ctx.args.raw, recursive=True)
    plain = raw and not (ctx.args.filters or ctx.args.dry_run or _moving(ctx))
    if d is None and plain:
        _download_tree(ctx, s.bucket, folder(s.key), Path(dst), done)
        return
    _copy_listed(ctx, s, dst, done, recursive=True, raw=raw)


def cmd_cp(ctx: Context) -> int:
    """Copy local -> remote, remote -> local or remote -> remote (``-r`` for trees), one
    source as aws copies it or several into one folder (``several``).

    As ``mv`` (``cmd_mv``), it deletes each source (a local file or an object) once its
    copy is read back and found equal; with ``--dryrun`` nothing is copied or deleted. The
    copies are planned before the first one: a destination folder inside the source
    folder (``mv``), a destination that is another copy's source, or two sources on one key
    is refused (``InvalidArgument``, status 2) and nothing is copied. A copy that failed
    or did not verify keeps its source; the sources moved before a failure stay moved.

    Raises:
        CliError: see ``copy_one``, ``copy_tree`` and ``copy_several``.
    """
    copy = copy_tree if ctx.args.recursive else copy_one
    sources: list[str] = ctx.args.source
    done: Done = []
    if len(sources) > 1:
        copy_several(ctx, sources, ctx.args.destination, done, copy)
    else:
        copy(ctx, sources[0], ctx.args.destination, done)
    if ctx.json:
        total = sum(int(str(x["bytes"])) for x in done)
        ctx.emit({"copied": done, "count": len(done), "bytes": total})
    return EXIT_OK


cmd_mv = cmd_cp
