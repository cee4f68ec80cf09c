"""``cp``: upload (a file, a tree or stdin), download (to a file, a folder or stdout) and
server-side copy; every copy made is recorded for the ``--json`` summary."""

from __future__ import annotations

import contextlib
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
from backend.src.libs.bucket.base.store import ObjectInfo, ProgressCallback, UploadResult
from backend.src.libs.bucket.cli.commands.select import (
    included,
    is_pattern,
    matching_objects,
    selection,
)
from backend.src.libs.bucket.cli.commands.several import copy_several
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote, target_key
from backend.src.libs.bucket.cli.status import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.cli.words import cli_words
from backend.src.libs.bucket.features import batch
from backend.src.libs.bucket.features.batch import local_targets

Done = list[dict[str, object]]
"""The copies made: ``{"source", "destination", "bytes"}`` each."""

CHUNK = 1024 * 1024
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


def _dry(ctx: Context) -> bool:
    return bool(ctx.args.dry_run)


def _say(ctx: Context, verb: str, src: str, dst: object) -> None:
    """``upload: a to b`` (``move:`` for ``mv``, ``(dryrun) `` before it with ``--dryrun``);
    nothing with ``--json`` or ``-q``."""
    if ctx.json or ctx.quiet:
        return
    verb = "move" if ctx.args.command == "mv" and verb != "folder" else verb
    ctx.out(f"{'(dryrun) ' if _dry(ctx) else ''}{verb}: {src} to {dst}")


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
    """``--tagging 'k1=v1&k2=v2'`` (aws's form: a URL query, values %-encoded) as tags.

    Raises:
        CliError: not ``K=V`` pairs joined by ``&``, or a key twice (status 2).
    """
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
    or on a store that has no parts (the local store).

    Raises:
        CliError: a negative size, or one above what 10,000 parts of 5 GiB hold
            (status 2).
    """
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


def _refuse_expected_size(ctx: Context, src: str) -> None:
    """``--expected-size`` is for a stream (``cp -``) only.

    Raises:
        CliError: given with another source (status 2).
    """
    if ctx.args.expected_size is not None and src != "-":
        raise CliError("--expected-size: only for cp - (a stream on stdin)", EXIT_USAGE)


def _moving(ctx: Context) -> bool:
    """True for ``mv`` (not a dry run): each source goes once its copy is verified."""
    return ctx.args.command == "mv" and not _dry(ctx)


def _upload(ctx: Context, src: str, d: Remote, done: Done, *, key: str | None = None) -> None:
    """A file (or ``-``, stdin) to ``d`` (to ``key`` exactly, when given); ``mv`` removes
    the file once the object is read back with its size and ETag."""
    store = ctx.store
    options = _write_options(ctx)
    if src == "-":
        key = target_key(d, "stdin")
        if key == d.key and not key:
            raise CliError("cp from stdin needs a key: s3://bucket/key", EXIT_USAGE)
        size = 0
        transfer = _stream_transfer(ctx)
        if not _dry(ctx):
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
        if not _dry(ctx):
            with _bar(ctx, path.name, size) as bar:
                result = store.upload_file(d.bucket, key, str(path), options=options, progress=bar)
            if _moving(ctx):
                _check_upload(store.head_object(d.bucket, key), size, result)
                path.unlink()
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    _say(ctx, "upload", src, f"s3://{d.bucket}/{key}")


def _check_upload(written: ObjectInfo, size: int, result: UploadResult) -> None:
    """The object an upload wrote, read back, has the file's size and the ETag the
    upload reported.

    Raises:
        IntegrityError: it does not (the file is kept).
    """
    stored = ObjectInfo(bucket=written.bucket, key=written.key, size=size, etag=result.etag)
    verify_copy(stored, written, result)


def _to_stdout(ctx: Context, src: str, s: Remote, done: Done) -> None:
    """``cp s3://bucket/key -``: the bytes on the process's stdout, streamed."""
    stream = ctx.store.open_object(s.bucket, s.key)
    size = 0
    try:
        while chunk := stream.read(CHUNK):
            sys.stdout.buffer.write(chunk)
            size += len(chunk)
        sys.stdout.buffer.flush()
    finally:
        stream.close()
    done.append({"source": src, "destination": "-", "bytes": size})


def _download(ctx: Context, src: str, s: Remote, dst: str, done: Done) -> None:
    """``s`` to the file ``dst`` (into it when it is a folder or ends with ``/``)."""
    if dst == "-":
        _to_stdout(ctx, src, s, done)
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
    if not _dry(ctx):
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
    done.append({"source": src, "destination": str(target), "bytes": size})
    _say(ctx, "download", src, target)


def _delete_source(ctx: Context, s: Remote) -> None:
    """Delete the one object ``s`` a move copied (a planned, literal delete)."""
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
    """A missing key that is a folder (keys exist under ``key/``): say to add ``-r``.

    Raises:
        CliError: when keys exist under ``s.key + "/"`` (status 2).
    """
    under = ctx.store.list_objects(s.bucket, prefix=folder(s.key), delimiter="/")
    if next(iter(under), None) is not None:
        raise CliError(f"{src!r} is a folder: add -r to copy what is under it", EXIT_USAGE)


def _server_copy(ctx: Context, src: str, s: Remote, d: Remote, done: Done) -> None:
    """The object ``s`` to the key ``d`` on the server (no bytes through this machine);
    ``mv`` deletes ``s`` once the copy is read back and found equal (``verify_copy``)."""
    store = ctx.store
    if _dry(ctx):
        size = store.head_object(s.bucket, s.key).size
    else:
        before = store.head_object(s.bucket, s.key) if _moving(ctx) else None
        result = store.copy_object(s.bucket, s.key, d.bucket, d.key)
        written = store.head_object(d.bucket, d.key)
        size = written.size
        if before is not None:
            verify_copy(before, written, result)
            _delete_source(ctx, s)
    done.append({"source": src, "destination": f"s3://{d.bucket}/{d.key}", "bytes": size})
    _say(ctx, "copy", src, f"s3://{d.bucket}/{d.key}")


def _plan(ctx: Context, source: Scope, destination: Scope, moves: list[Move]) -> None:
    """Check the copies (``cp``) or moves (``mv``) before the first one: no destination
    on another copy's source, no two on one key; for ``mv`` also no destination folder
    inside the source folder.

    Raises:
        InvalidArgument: (status 2) an unsafe plan; nothing was copied.
    """
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
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    _refuse_expected_size(ctx, src)
    s, d = parse_remote(src), parse_remote(dst)
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

    Raises:
        CliError: some copies failed or were refused (status 1), or ``--workers`` below 1
            (status 2).
    """
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

    Raises:
        CliError: a pattern that matches nothing (status 3), failed copies (status 1).
        InvalidArgument: an unsafe plan (status 2); nothing was copied.
    """
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


def _files_under(root: Path, *, follow_symlinks: bool) -> list[Path]:
    """The files under ``root``, sorted. A symbolic link to a file is read through
    (aws's default), left out with ``follow_symlinks=False`` (``--no-follow-symlinks``);
    a link to a folder is never descended into."""
    files = (p for p in root.rglob("*") if p.is_file())
    return sorted(p for p in files if follow_symlinks or not p.is_symlink())


def _upload_tree(ctx: Context, src: str, d: Remote | None, done: Done) -> None:
    root = Path(src)
    if not root.is_dir():
        raise CliError(
            f"{src!r} is not a directory", EXIT_NOT_FOUND if not root.exists() else EXIT_USAGE
        )
    if d is None:
        raise CliError(f"{ctx.args.command} -r needs at least one s3:// path", EXIT_USAGE)
    base = folder(d.key)
    jobs: list[Job] = []
    for path in _files_under(root, follow_symlinks=ctx.args.follow_symlinks):
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
        path = root / item.key[len(prefix) :]
        done.append(
            {"source": f"s3://{bucket}/{item.key}", "destination": str(path), "bytes": item.value}
        )
        verb = "folder" if item.key.endswith("/") else "download"
        _say(ctx, verb, f"s3://{bucket}/{item.key}", path)
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
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    _refuse_expected_size(ctx, src)
    s, d = parse_remote(src), parse_remote(dst)
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


def _copy(ctx: Context, done: Done) -> None:
    """One source as aws copies it, or several into one folder (``several``)."""
    copy = copy_tree if ctx.args.recursive else copy_one
    sources: list[str] = ctx.args.source
    if len(sources) > 1:
        copy_several(ctx, sources, ctx.args.destination, done, copy)
    else:
        copy(ctx, sources[0], ctx.args.destination, done)


def _summary(ctx: Context, done: Done) -> None:
    if ctx.json:
        ctx.emit(
            {"copied": done, "count": len(done), "bytes": sum(int(str(x["bytes"])) for x in done)}
        )


def cmd_cp(ctx: Context) -> int:
    """Copy local -> remote, remote -> local or remote -> remote (``-r`` for trees)."""
    done: Done = []
    _copy(ctx, done)
    _summary(ctx, done)
    return EXIT_OK


def cmd_mv(ctx: Context) -> int:
    """``cp``, deleting each source (a local file or an object) once its copy is read
    back and found equal; with ``--dryrun`` nothing is copied or deleted. The moves are
    planned before the first copy: a destination folder inside the source folder, a
    destination that is another move's source, or two sources on one key is refused
    (status 2) and nothing moves. A copy that failed or did not verify keeps its source.

    Raises:
        CliError: as ``cp`` (the sources moved before a failure stay moved).
        InvalidArgument: an unsafe move (status 2).
    """
    done: Done = []
    _copy(ctx, done)
    _summary(ctx, done)
    return EXIT_OK
