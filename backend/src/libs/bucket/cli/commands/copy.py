"""``cp``: upload (a file, a tree or stdin), download (to a file, a folder or stdout) and
server-side copy; every copy made is recorded for the ``--json`` summary."""

from __future__ import annotations

import contextlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backend.src.libs.bucket import batch
from backend.src.libs.bucket.cli.commands.select import included, matching_objects
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import (
    Remote,
    folder,
    parse_remote,
    split_glob,
    target_key,
)
from backend.src.libs.bucket.cli.status import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.errors import ObjectNotFound, StorageError
from backend.src.libs.bucket.options import WriteOptions
from backend.src.libs.bucket.store import ProgressCallback

Done = list[dict[str, object]]
"""The copies made: ``{"source", "destination", "bytes"}`` each."""

CHUNK = 1024 * 1024
UPLOAD_FLAGS = ("content_type", "metadata", "cache_control", "sse", "storage_class")


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


def _write_options(ctx: Context) -> WriteOptions | None:
    """The ``--content-type``, ``--metadata``, ``--sse``, ``--storage-class`` of an upload."""
    a = ctx.args
    if not any(getattr(a, name) for name in UPLOAD_FLAGS):
        return None
    return WriteOptions.from_arguments(
        config=ctx.config,
        content_type=a.content_type,
        metadata=_metadata(a.metadata),
        cache_control=a.cache_control,
        sse=a.sse,
        storage_class=a.storage_class,
    )


def _refuse_upload_flags(ctx: Context) -> None:
    given = [f"--{name.replace('_', '-')}" for name in UPLOAD_FLAGS if getattr(ctx.args, name)]
    if given:
        raise CliError(f"{', '.join(given)}: only for uploads (a local source)", EXIT_USAGE)


def _upload(ctx: Context, src: str, d: Remote, done: Done) -> None:
    """A file (or ``-``, stdin) to ``d``."""
    store = ctx.store
    options = _write_options(ctx)
    if src == "-":
        key = target_key(d, "stdin")
        if key == d.key and not key:
            raise CliError("cp from stdin needs a key: s3://bucket/key", EXIT_USAGE)
        size = 0
        if not _dry(ctx):
            size = store.put_object(d.bucket, key, sys.stdin.buffer, options=options).size
    else:
        path = Path(src)
        if not path.is_file():
            missing = not path.exists()
            raise CliError(
                f"{src!r}: no such file" if missing else f"{src!r} is a directory (add -r)",
                EXIT_NOT_FOUND if missing else EXIT_USAGE,
            )
        key = target_key(d, path.name)
        size = path.stat().st_size
        if not _dry(ctx):
            with _bar(ctx, path.name, size) as bar:
                store.upload_file(d.bucket, key, str(path), options=options, progress=bar)
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    _say(ctx, "upload", src, f"s3://{d.bucket}/{key}")


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
    store = ctx.store
    name = s.key.rstrip("/").rsplit("/", 1)[-1]
    target = Path(dst)
    if target.is_dir() or dst.endswith(("/", os.sep)):
        target = target / name
    try:
        info = store.head_object(s.bucket, s.key)
    except ObjectNotFound:
        _refuse_prefix(ctx, src, s)
        raise
    size = info.size
    if not _dry(ctx):
        target.parent.mkdir(parents=True, exist_ok=True)
        with _bar(ctx, name, info.size) as bar:
            size = store.download_file(s.bucket, s.key, str(target), progress=bar)
    done.append({"source": src, "destination": str(target), "bytes": size})
    _say(ctx, "download", src, target)


def _refuse_prefix(ctx: Context, src: str, s: Remote) -> None:
    """A missing key that is a folder (keys exist under ``key/``): say to add ``-r``.

    Raises:
        CliError: when keys exist under ``s.key + "/"`` (status 2).
    """
    under = ctx.store.list_objects(s.bucket, prefix=folder(s.key), delimiter="/")
    if next(iter(under), None) is not None:
        raise CliError(f"{src!r} is a folder: add -r to copy what is under it", EXIT_USAGE)


def _server_copy(ctx: Context, src: str, s: Remote, d: Remote, done: Done) -> None:
    """``s`` to ``d`` on the server (no bytes through this machine)."""
    store = ctx.store
    key = target_key(d, s.key.rstrip("/").rsplit("/", 1)[-1])
    if (s.bucket, s.key) == (d.bucket, key):
        raise CliError(f"{src!r} and its destination are the same object", EXIT_USAGE)
    if _dry(ctx):
        size = store.head_object(s.bucket, s.key).size
    else:
        store.copy_object(s.bucket, s.key, d.bucket, key)
        size = store.head_object(d.bucket, key).size
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    _say(ctx, "copy", src, f"s3://{d.bucket}/{key}")


def copy_one(ctx: Context, src: str, dst: str, done: Done) -> None:
    """Copy one file or object (or, with wildcards in a remote source, every object
    they match); ``src`` or ``dst`` may be ``-`` (stdin, stdout).

    Raises:
        CliError: two local paths, no key in a remote source, a missing source file
            (status 3), a folder without ``-r`` (status 2), a pattern matching nothing
            (status 3), upload flags on a download or server-side copy (status 2).
        StorageError: the store failed.
    """
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
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
    if split_glob(s.key)[1] is not None:
        _copy_listed(ctx, s, dst, done, recursive=False)
    elif s.key.endswith("/"):
        raise CliError(f"{src!r} is a folder: add -r to copy what is under it", EXIT_USAGE)
    elif d is None:
        _download(ctx, src, s, dst, done)
    else:
        _server_copy(ctx, src, s, d, done)


def _run(ctx: Context, jobs: list[tuple[str, str]], done: Done) -> None:
    """``copy_one`` for each ``(source, destination)``, ``--workers`` at a time; a failed
    copy gets a line on stderr and the others go on.

    Raises:
        CliError: some copies failed (status 1), or ``--workers`` below 1 (status 2).
    """
    if ctx.args.workers < 1:
        raise CliError(f"--workers must be 1 or more, not {ctx.args.workers}", EXIT_USAGE)
    with ThreadPoolExecutor(max_workers=ctx.args.workers) as pool:
        futures = [pool.submit(copy_one, ctx, src, dst, done) for src, dst in jobs]
        failed = 0
        for (src, _), future in zip(jobs, futures, strict=True):
            exc = future.exception()
            if exc is None:
                continue
            if not isinstance(exc, (StorageError, CliError, OSError)):
                raise exc
            failed += 1
            ctx.err(f"{PROG}: could not copy {src}: {getattr(exc, 'message', None) or exc}")
    if failed:
        raise CliError(f"{failed} of {len(jobs)} copies failed")


def _local_target(root: Path, relative: str) -> Path:
    """``root / relative``, refused when it would land outside ``root``.

    Raises:
        CliError: ``relative`` escapes ``root`` (``..``, an absolute remainder).
    """
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise CliError(f"{relative!r} would be written outside {str(root)!r}", EXIT_USAGE)
    return target


def _copy_listed(ctx: Context, s: Remote, dst: str, done: Done, *, recursive: bool) -> None:
    """Every object a remote source names (a folder with ``-r``, a pattern) to the folder or
    prefix ``dst``, keeping the paths relative to the source.

    Raises:
        CliError: a pattern that matches nothing (status 3), failed copies (status 1).
    """
    d = parse_remote(dst)
    jobs: list[tuple[str, str]] = []
    for info, relative in matching_objects(
        ctx.store, s, recursive=recursive, filters=ctx.args.filters
    ):
        source = f"{s.scheme}://{s.bucket}/{info.key}"
        if relative.endswith("/") or not relative:
            continue  # a folder marker: the folders are made for the files in them
        if d is None:
            try:
                jobs.append((source, str(_local_target(Path(dst), relative))))
            except CliError as exc:
                ctx.err(f"{PROG}: could not download {info.key!r}: {exc.message}")
        else:
            jobs.append((source, f"{d.scheme}://{d.bucket}/{folder(d.key)}{relative}"))
    if not jobs and split_glob(s.key)[1] is not None:
        raise CliError(f"no key matches {str(s)!r}", EXIT_NOT_FOUND)
    _run(ctx, jobs, done)


def _upload_tree(ctx: Context, src: str, d: Remote | None, done: Done) -> None:
    root = Path(src)
    if not root.is_dir():
        raise CliError(
            f"{src!r} is not a directory", EXIT_NOT_FOUND if not root.exists() else EXIT_USAGE
        )
    if d is None:
        raise CliError(f"{ctx.args.command} -r needs at least one s3:// path", EXIT_USAGE)
    base = folder(d.key)
    jobs = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if included(rel, ctx.args.filters):
            jobs.append((str(path), f"{d.scheme}://{d.bucket}/{base}{rel}"))
    _run(ctx, jobs, done)


def _download_tree(ctx: Context, bucket: str, prefix: str, target: Path, done: Done) -> None:
    """``cp -r s3://bucket/prefix folder``: ``batch.download_directory``, the library's one
    download-to-folder routine (keys escaping ``target`` refused, folder markers made
    folders). Each failed key gets a line on stderr; any failure exits 1."""
    results = batch.download_directory(
        ctx.store, bucket, target, prefix=prefix, max_workers=ctx.args.workers
    )
    root = target.resolve()
    for item in results:
        if item.error is not None:
            ctx.err(f"{PROG}: could not download {item.key!r}: {item.error}")
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
    """``cp -r``: a folder up, a prefix down, or a prefix to another on the server;
    ``--exclude`` / ``--include`` choose among the paths relative to the source.

    Raises:
        CliError: the source folder is missing (status 3) or a file (status 2), two local
            paths, or some copies failed (status 1).
        StorageError: the store failed.
    """
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    s, d = parse_remote(src), parse_remote(dst)
    if s is None:
        _upload_tree(ctx, src, d, done)
        return
    _refuse_upload_flags(ctx)
    plain = not (ctx.args.filters or ctx.args.dry_run or split_glob(s.key)[1])
    if d is None and plain:
        _download_tree(ctx, s.bucket, folder(s.key), Path(dst), done)
        return
    _copy_listed(ctx, s, dst, done, recursive=True)


def _copy(ctx: Context, done: Done) -> None:
    if ctx.args.recursive:
        copy_tree(ctx, ctx.args.source, ctx.args.destination, done)
    else:
        copy_one(ctx, ctx.args.source, ctx.args.destination, done)


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


def _remove_source(ctx: Context, item: dict[str, object]) -> None:
    source, destination = str(item["source"]), str(item["destination"])
    if source in ("-", destination):
        return
    remote = parse_remote(source)
    if remote is None:
        Path(source).unlink()
    else:
        ctx.store.delete_object(remote.bucket, remote.key)


def cmd_mv(ctx: Context) -> int:
    """``cp``, then delete each source copied (a local file or an object); with
    ``--dryrun`` nothing is copied or deleted. A copy that failed keeps its source.

    Raises:
        CliError: as ``cp`` (the sources copied before a failure are still removed).
    """
    done: Done = []
    try:
        _copy(ctx, done)
    finally:
        if not ctx.args.dry_run:
            for item in done:
                _remove_source(ctx, item)
    _summary(ctx, done)
    return EXIT_OK
