"""``cp``: upload (a file, a tree or stdin), download (to a file, a folder or stdout) and
server-side copy; every copy made is recorded for the ``--json`` summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from backend.src.libs.bucket import batch
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote, target_key
from backend.src.libs.bucket.cli.status import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.store import ObjectInfo

Done = list[dict[str, object]]
"""The copies made: ``{"source", "destination", "bytes"}`` each."""

CHUNK = 1024 * 1024


def _upload(ctx: Context, src: str, d: Remote, done: Done) -> None:
    """A file (or ``-``, stdin) to ``d``."""
    store = ctx.store
    if src == "-":
        key = target_key(d, "stdin")
        if key == d.key and not key:
            raise CliError("cp from stdin needs a key: s3://bucket/key", EXIT_USAGE)
        size = store.put_object(d.bucket, key, sys.stdin.buffer).size
    else:
        path = Path(src)
        if not path.is_file():
            missing = not path.exists()
            raise CliError(
                f"{src!r}: no such file" if missing else f"{src!r} is a directory (use -r)",
                EXIT_NOT_FOUND if missing else EXIT_USAGE,
            )
        key = target_key(d, path.name)
        size = path.stat().st_size
        with ctx.progress(path.name, size) as bar:
            store.upload_file(d.bucket, key, str(path), progress=bar)
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    if not ctx.json:
        ctx.out(f"upload: {src} to s3://{d.bucket}/{key}")


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
    target.parent.mkdir(parents=True, exist_ok=True)
    info = store.head_object(s.bucket, s.key)
    with ctx.progress(name, info.size) as bar:
        size = store.download_file(s.bucket, s.key, str(target), progress=bar)
    done.append({"source": src, "destination": str(target), "bytes": size})
    if not ctx.json:
        ctx.out(f"download: {src} to {target}")


def _server_copy(ctx: Context, src: str, s: Remote, d: Remote, done: Done) -> None:
    """``s`` to ``d`` on the server (no bytes through this machine)."""
    store = ctx.store
    key = target_key(d, s.key.rstrip("/").rsplit("/", 1)[-1])
    store.copy_object(s.bucket, s.key, d.bucket, key)
    size = store.head_object(d.bucket, key).size
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    if not ctx.json:
        ctx.out(f"copy: {src} to s3://{d.bucket}/{key}")


def copy_one(ctx: Context, src: str, dst: str, done: Done) -> None:
    """Copy one file or object; ``src`` or ``dst`` may be ``-`` (stdin, stdout).

    Raises:
        CliError: two local paths, no key in a remote source, a missing source file
            (status 3) or a folder without ``-r`` (status 2).
        StorageError: the store failed.
    """
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    s, d = parse_remote(src), parse_remote(dst)
    if s is None:
        if d is None:
            raise CliError(
                "cp needs at least one s3:// path (use your shell's cp for two files)", EXIT_USAGE
            )
        _upload(ctx, src, d, done)
        return
    if not s.key:
        raise CliError(f"{src!r} names no key (use -r to copy a whole bucket)", EXIT_USAGE)
    if d is None:
        _download(ctx, src, s, dst, done)
    else:
        _server_copy(ctx, src, s, d, done)


def _upload_tree(ctx: Context, src: str, d: Remote | None, done: Done) -> None:
    root = Path(src)
    if not root.is_dir():
        raise CliError(
            f"{src!r} is not a directory", EXIT_NOT_FOUND if not root.exists() else EXIT_USAGE
        )
    if d is None:
        raise CliError("cp -r needs at least one s3:// path", EXIT_USAGE)
    base = folder(d.key)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        copy_one(ctx, str(path), f"s3://{d.bucket}/{base}{rel}", done)


def _download_tree(ctx: Context, bucket: str, prefix: str, target: Path, done: Done) -> None:
    """``cp -r s3://bucket/prefix folder``: ``batch.download_directory``, the library's one
    download-to-folder routine (keys escaping ``target`` refused, folder markers made
    folders). Each failed key gets a line on stderr; any failure exits 1."""
    results = batch.download_directory(ctx.store, bucket, target, prefix=prefix)
    root = target.resolve()
    for item in results:
        if item.error is not None:
            ctx.err(f"{PROG}: could not download {item.key!r}: {item.error}")
            continue
        path = root / item.key[len(prefix) :]
        done.append(
            {"source": f"s3://{bucket}/{item.key}", "destination": str(path), "bytes": item.value}
        )
        if not ctx.json:
            verb = "folder" if item.key.endswith("/") else "download"
            ctx.out(f"{verb}: s3://{bucket}/{item.key} to {path}")
    failed = sum(1 for item in results if item.error is not None)
    if failed:
        raise CliError(f"{failed} of {len(results)} key(s) could not be downloaded")


def copy_tree(ctx: Context, src: str, dst: str, done: Done) -> None:
    """``cp -r``: a folder up, a prefix down, or a prefix to another on the server.

    Raises:
        CliError: the source folder is missing (status 3) or a file (status 2), two local
            paths, or some keys could not be downloaded (status 1).
        StorageError: the store failed.
    """
    store = ctx.store
    s, d = parse_remote(src), parse_remote(dst)
    if s is None:
        _upload_tree(ctx, src, d, done)
        return
    prefix = folder(s.key)
    if d is None:
        _download_tree(ctx, s.bucket, prefix, Path(dst), done)
        return
    base = folder(d.key)
    for entry in store.list_objects(s.bucket, prefix=prefix):
        if isinstance(entry, ObjectInfo):
            rel = entry.key[len(prefix) :]
            copy_one(ctx, f"s3://{s.bucket}/{entry.key}", f"s3://{d.bucket}/{base}{rel}", done)


def cmd_cp(ctx: Context) -> int:
    """Copy local -> remote, remote -> local or remote -> remote (``-r`` for trees)."""
    done: Done = []
    if ctx.args.recursive:
        copy_tree(ctx, ctx.args.source, ctx.args.destination, done)
    else:
        copy_one(ctx, ctx.args.source, ctx.args.destination, done)
    if ctx.json:
        ctx.emit(
            {"copied": done, "count": len(done), "bytes": sum(int(str(x["bytes"])) for x in done)}
        )
    return EXIT_OK
