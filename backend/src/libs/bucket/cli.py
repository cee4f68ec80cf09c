"""The ``bucket`` command line: ``python -m backend ...`` or the ``bucket`` console script.

Settings come from the environment and ``.env`` (``BucketConfig.from_env``); the global
options ``--endpoint``, ``--profile``, ``--region``, ``--storage`` and ``--local-root``
override them. Remote paths are written ``s3://bucket/key`` whatever the store (the
local folder store included); ``sync`` also takes ``local://bucket/prefix`` for the
local folder store when the settings name an S3 server, and ``--source-env`` /
``--dest-env`` to read one side's settings from another ``.env`` file.

Exit status: 0 success; 1 failure (storage, network, integrity, a check of
``doctor``); 2 bad usage or invalid argument (bad bucket name...); 3 not found;
130 interrupted. A failure prints one line on stderr (``bucket: error: ...``), never a
traceback unless ``--debug``. ``--json`` prints one JSON document on stdout.
Secrets never reach the output: every line printed is scrubbed of the configured
secret key, session token and SSE-C key.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from backend.src.libs.bucket import batch
from backend.src.libs.bucket.capabilities import BatchDeleteStatus, BucketInspection, presigner
from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.errors import (
    AuthenticationFailed,
    BucketNotFound,
    ConfigError,
    InvalidArgument,
    NotFound,
    ObjectNotFound,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.store import ObjectInfo, ObjectStore, PrefixInfo, ProgressCallback

PROG = "bucket"
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SCRATCH_PREFIX = ".bucket-doctor/"

log = logging.getLogger("bucket.cli")


class CliError(Exception):
    """A failure the CLI reports in one line, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Remote:
    """A parsed ``s3://bucket/key`` (or ``local://bucket/key``) path."""

    scheme: str
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.key}"


def parse_remote(text: str) -> Remote | None:
    """``Remote`` for ``s3://`` and ``local://`` paths, None for a local file path.

    Raises:
        CliError: a remote path without a bucket name (exit status 2).
    """
    for scheme in ("s3", "local"):
        marker = f"{scheme}://"
        if text.startswith(marker):
            bucket, _, key = text[len(marker) :].partition("/")
            if not bucket:
                raise CliError(f"{text!r} names no bucket (write {marker}bucket/key)", EXIT_USAGE)
            return Remote(scheme, bucket, key)
    return None


def require_remote(text: str, *, key: bool | None = None) -> Remote:
    """Parse a path that must be remote; ``key=True`` needs a key, ``False`` forbids one.

    Raises:
        CliError: a local path, or a key missing or present against the rule (status 2).
    """
    remote = parse_remote(text)
    if remote is None:
        raise CliError(f"{text!r} is not a remote path (write s3://bucket/key)", EXIT_USAGE)
    if key is True and not remote.key:
        raise CliError(f"{text!r} names no key (write s3://bucket/key)", EXIT_USAGE)
    if key is False and remote.key:
        raise CliError(f"{text!r} must name a bucket only (s3://bucket)", EXIT_USAGE)
    return remote


def head(store: ObjectStore, bucket: str, key: str) -> ObjectInfo:
    """``store.head_object``, with S3's bare HEAD 404 reported as ``NoSuchKey`` (or
    ``NoSuchBucket`` when the bucket is the missing part).

    Raises:
        ObjectNotFound, BucketNotFound: nothing there.
    """
    try:
        return store.head_object(bucket, key)
    except NotFound as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket"):
            raise
        if not store.bucket_exists(bucket):
            raise BucketNotFound(
                "head_object failed: the bucket does not exist", bucket=bucket, status=404
            ) from exc
        raise ObjectNotFound(
            "head_object failed: the object does not exist", bucket=bucket, key=key, status=404
        ) from exc


def human(size: int | float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"  # pragma: no cover


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else " " * 19


# --------------------------------------------------------------------- context
class Context:
    """What a command needs: parsed options, settings and store (built lazily), output.

    Args:
        args: the parsed command line.
        stdout, stderr: text streams written to (default the process's).
    """

    def __init__(self, args: argparse.Namespace, *, stdout: IO[str], stderr: IO[str]) -> None:
        self.args = args
        self.stdout = stdout
        self.stderr = stderr
        self.json: bool = bool(args.json)
        self._config: BucketConfig | None = None
        self._store: ObjectStore | None = None
        self._secrets: list[str] = []

    # settings and stores
    def config_for(self, env_file: str | None = None, *, local: bool = False) -> BucketConfig:
        """Settings from the environment and ``.env`` (or only ``env_file``), with the
        global options applied; ``local`` forces the local folder store.

        Raises:
            ConfigError: an invalid setting (the message names the variable).
        """
        args = self.args
        overrides: dict[str, Any] = {
            "endpoint_url": args.endpoint,
            "profile": args.profile,
            "region": args.region,
            "storage_type": "local" if local else args.storage,
            "local_root": args.local_root,
        }
        if env_file is not None:
            if not Path(env_file).is_file():
                raise CliError(f"settings file {env_file!r} does not exist", EXIT_USAGE)
            from dotenv import dotenv_values

            environ = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            config = BucketConfig.from_env(environ, **overrides)
        else:
            config = BucketConfig.from_env(env_file=args.env_file, **overrides)
        self._secrets.extend(s for s in config.secrets() if s)
        return config

    @property
    def config(self) -> BucketConfig:
        """The settings of the main store."""
        if self._config is None:
            self._config = self.config_for()
        return self._config

    @property
    def store(self) -> ObjectStore:
        """The main store (``S3Store`` or ``LocalStore``, from the settings). A local
        folder store chosen because no setting points at S3 is announced on stderr
        (its absolute root), unless ``--quiet``."""
        if self._store is None:
            from backend.src.libs.bucket.factory import local_announcement, make_store

            config = self.config
            self._store = make_store(config)
            implicit = "storage_type" not in config.sources
            if config.storage_type == "local" and implicit and not self.args.quiet:
                self.err(local_announcement(config))
        return self._store

    def make_store(self, config: BucketConfig) -> ObjectStore:
        """Another store (for ``sync`` across settings)."""
        from backend.src.libs.bucket.factory import make_store

        return make_store(config)

    def close(self) -> None:
        """Close the main store; never raises."""
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()

    # output
    def scrub(self, text: str) -> str:
        """``text`` with every configured secret replaced by ``***``."""
        for secret in self._secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def out(self, text: str = "") -> None:
        """One line on stdout (scrubbed)."""
        print(self.scrub(text), file=self.stdout)

    def err(self, text: str) -> None:
        """One line on stderr (scrubbed)."""
        print(self.scrub(text), file=self.stderr)

    def emit(self, document: object) -> None:
        """The ``--json`` document of a command."""
        self.out(json.dumps(document, default=_json_default, ensure_ascii=False, indent=None))

    @contextlib.contextmanager
    def progress(self, label: str, total: int | None) -> Iterator[ProgressCallback | None]:
        """A tqdm bar on stderr for transfers above 4 MiB when stderr is a terminal
        (never with ``--json`` or ``--quiet``); yields the callback or None."""
        show = (
            total is not None
            and total >= PROGRESS_MIN_BYTES
            and not self.json
            and not self.args.quiet
            and self.stderr.isatty()
        )
        if not show:
            yield None
            return
        try:  # imported by name: tqdm ships no type stubs
            tqdm: Any = importlib.import_module("tqdm").tqdm
        except ImportError:  # the "cli" extra is not installed: no bar
            yield None
            return
        bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            file=self.stderr,
            leave=False,
        )
        seen = [0]

        def update(done: int, _total: int | None) -> None:
            if done > seen[0]:
                bar.update(done - seen[0])
                seen[0] = done

        try:
            yield update
        finally:
            bar.close()


# -------------------------------------------------------------------- commands
def cmd_ls(ctx: Context) -> int:
    """List buckets, or the objects and prefixes under ``s3://bucket/prefix``."""
    store = ctx.store
    if not ctx.args.path:
        buckets = store.list_buckets()
        if ctx.json:
            ctx.emit([{"name": b.name, "created": b.created} for b in buckets])
        for b in buckets if not ctx.json else ():
            ctx.out(f"{_when(b.created)}  {b.name}")
        return EXIT_OK
    remote = require_remote(ctx.args.path)
    delimiter = None if ctx.args.recursive else "/"
    entries = store.list_objects(remote.bucket, prefix=remote.key, delimiter=delimiter)
    if ctx.json:
        # written item by item: a big listing is never held in memory
        ctx.stdout.write("[")
        for i, entry in enumerate(entries):
            item: dict[str, object]
            if isinstance(entry, PrefixInfo):
                item = {"prefix": entry.prefix}
            else:
                item = {
                    "key": entry.key,
                    "size": entry.size,
                    "etag": entry.etag,
                    "last_modified": entry.last_modified,
                }
            ctx.stdout.write(
                ("," if i else "") + json.dumps(item, default=_json_default, ensure_ascii=False)
            )
        ctx.stdout.write("]\n")
        return EXIT_OK
    for entry in entries:
        if isinstance(entry, PrefixInfo):
            ctx.out(f"{'':19}  {'PRE':>12}  {entry.prefix}")
        else:
            ctx.out(f"{_when(entry.last_modified)}  {entry.size:>12}  {entry.key}")
    return EXIT_OK


def cmd_mb(ctx: Context) -> int:
    """Create a bucket (fails if it exists)."""
    remote = require_remote(ctx.args.bucket, key=False)
    ctx.store.create_bucket(remote.bucket, exist_ok=False)
    if ctx.json:
        ctx.emit({"created": remote.bucket})
    else:
        ctx.out(f"make_bucket: {remote.bucket}")
    return EXIT_OK


def cmd_rb(ctx: Context) -> int:
    """Delete a bucket (``--force`` empties it first)."""
    remote = require_remote(ctx.args.bucket, key=False)
    ctx.store.delete_bucket(remote.bucket, force=ctx.args.force)
    if ctx.json:
        ctx.emit({"deleted": remote.bucket})
    else:
        ctx.out(f"remove_bucket: {remote.bucket}")
    return EXIT_OK


def _target_key(dst: Remote, source_name: str) -> str:
    if not dst.key or dst.key.endswith("/"):
        return dst.key + source_name
    return dst.key


def _copy_one(ctx: Context, src: str, dst: str, done: list[dict[str, object]]) -> None:
    store = ctx.store
    s, d = parse_remote(src), parse_remote(dst)
    if s is None and d is None:
        raise CliError(
            "cp needs at least one s3:// path (use your shell's cp for two files)", EXIT_USAGE
        )
    if s is None and d is not None:  # upload
        path = Path(src)
        if src == "-":
            key = _target_key(d, "stdin")
            if key == d.key and not key:
                raise CliError("cp from stdin needs a key: s3://bucket/key", EXIT_USAGE)
            result = store.put_object(d.bucket, key, sys.stdin.buffer)
            size = result.size
        else:
            if not path.is_file():
                raise CliError(
                    f"{src!r}: no such file"
                    if not path.exists()
                    else f"{src!r} is a directory (use -r)",
                    EXIT_NOT_FOUND if not path.exists() else EXIT_USAGE,
                )
            key = _target_key(d, path.name)
            size = path.stat().st_size
            with ctx.progress(path.name, size) as bar:
                store.upload_file(d.bucket, key, str(path), progress=bar)
        done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
        if not ctx.json:
            ctx.out(f"upload: {src} to s3://{d.bucket}/{key}")
        return
    assert s is not None
    if not s.key:
        raise CliError(f"{src!r} names no key (use -r to copy a whole bucket)", EXIT_USAGE)
    name = s.key.rstrip("/").rsplit("/", 1)[-1]
    if d is None:  # download
        if dst == "-":
            stream = store.open_object(s.bucket, s.key)
            size = 0
            try:
                while chunk := stream.read(1024 * 1024):
                    sys.stdout.buffer.write(chunk)
                    size += len(chunk)
                sys.stdout.buffer.flush()
            finally:
                stream.close()
            done.append({"source": src, "destination": "-", "bytes": size})
            return
        target = Path(dst)
        if target.is_dir() or dst.endswith(("/", os.sep)):
            target = target / name
        target.parent.mkdir(parents=True, exist_ok=True)
        info = head(store, s.bucket, s.key)
        with ctx.progress(name, info.size) as bar:
            size = store.download_file(s.bucket, s.key, str(target), progress=bar)
        done.append({"source": src, "destination": str(target), "bytes": size})
        if not ctx.json:
            ctx.out(f"download: {src} to {target}")
        return
    key = _target_key(d, name)  # remote to remote (server-side copy)
    store.copy_object(s.bucket, s.key, d.bucket, key)
    size = store.head_object(d.bucket, key).size
    done.append({"source": src, "destination": f"s3://{d.bucket}/{key}", "bytes": size})
    if not ctx.json:
        ctx.out(f"copy: {src} to s3://{d.bucket}/{key}")


def _copy_tree(ctx: Context, src: str, dst: str, done: list[dict[str, object]]) -> None:
    store = ctx.store
    s, d = parse_remote(src), parse_remote(dst)
    if s is None:
        root = Path(src)
        if not root.is_dir():
            raise CliError(
                f"{src!r} is not a directory", EXIT_NOT_FOUND if not root.exists() else EXIT_USAGE
            )
        if d is None:
            raise CliError("cp -r needs at least one s3:// path", EXIT_USAGE)
        base = d.key if not d.key or d.key.endswith("/") else d.key + "/"
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            _copy_one(ctx, str(path), f"s3://{d.bucket}/{base}{rel}", done)
        return
    prefix = s.key if not s.key or s.key.endswith("/") else s.key + "/"
    if d is None:
        _download_tree(ctx, s.bucket, prefix, Path(dst), done)
        return
    for entry in store.list_objects(s.bucket, prefix=prefix):
        if not isinstance(entry, ObjectInfo):
            continue
        rel = entry.key[len(prefix) :]
        base = d.key if not d.key or d.key.endswith("/") else d.key + "/"
        _copy_one(ctx, f"s3://{s.bucket}/{entry.key}", f"s3://{d.bucket}/{base}{rel}", done)


def _download_tree(
    ctx: Context, bucket: str, prefix: str, folder: Path, done: list[dict[str, object]]
) -> None:
    """``cp -r s3://bucket/prefix folder``: ``batch.download_directory``, the library's one
    download-to-folder routine (keys escaping ``folder`` refused, folder markers made
    folders). Each failed key gets a line on stderr; any failure exits 1."""
    results = batch.download_directory(ctx.store, bucket, folder, prefix=prefix)
    root = folder.resolve()
    for item in results:
        if item.error is not None:
            ctx.err(f"{PROG}: could not download {item.key!r}: {item.error}")
            continue
        target = root / item.key[len(prefix) :]
        done.append(
            {"source": f"s3://{bucket}/{item.key}", "destination": str(target), "bytes": item.value}
        )
        if not ctx.json:
            verb = "folder" if item.key.endswith("/") else "download"
            ctx.out(f"{verb}: s3://{bucket}/{item.key} to {target}")
    failed = sum(1 for item in results if item.error is not None)
    if failed:
        raise CliError(f"{failed} of {len(results)} key(s) could not be downloaded")


def cmd_cp(ctx: Context) -> int:
    """Copy local -> remote, remote -> local or remote -> remote (``-r`` for trees)."""
    done: list[dict[str, object]] = []
    if ctx.args.recursive:
        _copy_tree(ctx, ctx.args.source, ctx.args.destination, done)
    else:
        _copy_one(ctx, ctx.args.source, ctx.args.destination, done)
    if ctx.json:
        ctx.emit(
            {"copied": done, "count": len(done), "bytes": sum(int(str(x["bytes"])) for x in done)}
        )
    return EXIT_OK


def cmd_rm(ctx: Context) -> int:
    """Delete a key, or (``-r --force``) every key under a prefix."""
    remote = require_remote(ctx.args.path)
    store = ctx.store
    if not ctx.args.recursive:
        if not remote.key:
            raise CliError("rm needs a key (or -r --force for a prefix)", EXIT_USAGE)
        head(store, remote.bucket, remote.key)  # a missing key is an error here
        store.delete_object(remote.bucket, remote.key)
        if ctx.json:
            ctx.emit({"deleted": [remote.key], "errors": []})
        else:
            ctx.out(f"delete: s3://{remote.bucket}/{remote.key}")
        return EXIT_OK
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


def cmd_stat(ctx: Context) -> int:
    """An object's properties and user metadata."""
    remote = require_remote(ctx.args.path, key=True)
    info = head(ctx.store, remote.bucket, remote.key)
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
    """Write an object's bytes to stdout (streamed)."""
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


def cmd_du(ctx: Context) -> int:
    """Objects and bytes under a bucket or prefix (one listing pass)."""
    remote = require_remote(ctx.args.path)
    objects = total = 0
    for entry in ctx.store.list_objects(remote.bucket, prefix=remote.key):
        if isinstance(entry, ObjectInfo):
            objects += 1
            total += entry.size
    if ctx.json:
        ctx.emit(
            {"bucket": remote.bucket, "prefix": remote.key, "objects": objects, "bytes": total}
        )
    else:
        ctx.out(
            f"{objects} objects  {total} bytes ({human(total)})  s3://{remote.bucket}/{remote.key}"
        )
    return EXIT_OK


def _sync_side(ctx: Context, text: str, env_file: str | None) -> tuple[ObjectStore, Remote, bool]:
    remote = require_remote(text)
    if remote.scheme == "local":
        return ctx.make_store(ctx.config_for(env_file, local=True)), remote, True
    if env_file is not None:
        return ctx.make_store(ctx.config_for(env_file)), remote, True
    return ctx.store, remote, False


def cmd_sync(ctx: Context) -> int:
    """Make the destination hold what the source holds (see ``sync.py``)."""
    from backend.src.libs.bucket.sync import SyncEvent, sync

    args = ctx.args
    src_store, src, own_src = _sync_side(ctx, args.source, args.source_env)
    dst_store, dst, own_dst = _sync_side(ctx, args.destination, args.dest_env)

    def folder(key: str) -> str:
        return key if not key or key.endswith("/") else key + "/"

    def event(e: SyncEvent) -> None:
        if ctx.json or args.quiet or e.action == "skip":
            return
        dry = "(dryrun) " if args.dry_run else ""
        where = f"{dst}{e.key}" if dst.key.endswith("/") or not dst.key else f"{dst}/{e.key}"
        if e.action == "copy":
            ctx.out(f"{dry}copy: {src.scheme}://{src.bucket}/{folder(src.key)}{e.key} to {where}")
        elif e.action == "delete":
            ctx.out(f"{dry}delete: {where}")
        elif e.action == "fail":
            ctx.err(f"{PROG}: failed: {e.key}: {e.reason}")

    try:
        report = sync(
            src_store,
            src.bucket,
            dst_store,
            dst.bucket,
            src_prefix=folder(src.key),
            dst_prefix=folder(dst.key),
            dry_run=args.dry_run,
            delete=args.delete,
            verify=args.verify,
            workers=args.workers,
            on_event=event,
        )
    finally:
        for store, own in ((src_store, own_src), (dst_store, own_dst)):
            if own:
                with contextlib.suppress(Exception):
                    store.close()
    if ctx.json:
        ctx.emit(report.as_dict())
    else:
        verified = {True: "verified", False: "VERIFICATION FAILED", None: "not verified"}
        ctx.out(
            f"{'(dryrun) ' if report.dry_run else ''}sync: {report.copied} copied, "
            f"{report.skipped} skipped, {report.deleted} deleted, {report.failed_count} failed, "
            f"{report.bytes_copied} bytes; {verified[report.verified]}"
        )
        for problem in report.problems:
            ctx.err(f"{PROG}: verify: {problem.key}: {problem.reason}")
    if not report.ok:
        raise CliError(
            f"sync incomplete: {report.failed_count} failed, "
            f"{len(report.problems)} verification problem(s)"
        )
    return EXIT_OK


def cmd_bundle(ctx: Context) -> int:
    """``bundle put|get|ls``: evidence bundles (``bundles.py``)."""
    from backend.src.libs.bucket.bundles import BundleStore, EvidenceBundle

    args = ctx.args
    remote = require_remote(args.bucket, key=False)
    bundles = BundleStore(ctx.store, remote.bucket)
    if args.bundle_command == "put":
        raw = (
            sys.stdin.read()
            if args.data == "-"
            else (
                Path(args.data[1:]).read_text("utf-8") if args.data.startswith("@") else args.data
            )
        )
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CliError(f"--data is not valid JSON: {exc}", EXIT_USAGE) from exc
        if not isinstance(data, dict):
            raise CliError("--data must be a JSON object", EXIT_USAGE)
        metadata = {}
        for item in args.meta or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise CliError(f"--meta {item!r} must look like name=value", EXIT_USAGE)
            metadata[name] = value
        bundle = EvidenceBundle.create(args.type, data, id=args.id, metadata=metadata)
        bundles.put(bundle, overwrite=args.overwrite)
        key = bundles.key_of(bundle.id)
        if ctx.json:
            ctx.emit(
                {
                    "id": bundle.id,
                    "type": bundle.type,
                    "key": key,
                    "checksum": bundle.checksum,
                    "created_at": bundle.created_at,
                }
            )
        else:
            ctx.out(
                f"stored bundle {bundle.id} at s3://{remote.bucket}/{key} "
                f"(sha256 {bundle.checksum})"
            )
        return EXIT_OK
    if args.bundle_command == "get":
        bundle = bundles.get(args.id)  # checksum verified, IntegrityError otherwise
        document = json.loads(bundle.to_json())
        ctx.out(json.dumps(document, ensure_ascii=False, indent=None if ctx.json else 2))
        return EXIT_OK
    infos = bundles.list(args.type, year=args.year, month=args.month)
    if ctx.json:
        ctx.emit(
            [
                {
                    "id": i.id,
                    "type": i.type,
                    "year": i.year,
                    "month": i.month,
                    "key": i.key,
                    "size": i.size,
                    "last_modified": i.last_modified,
                }
                for i in infos
            ]
        )
        return EXIT_OK
    for info in infos:
        ctx.out(f"{_when(info.last_modified)}  {info.size:>8}  {info.type:<16} {info.id}")
    return EXIT_OK


def _describe_store(config: BucketConfig) -> str:
    if config.storage_type == "local":
        return f"local folder {Path(config.local_root).expanduser().absolute()}"
    return config.endpoint_url or f"AWS S3 ({config.region})"


def cmd_health(ctx: Context) -> int:
    """One probe request; prints the latency."""
    config = ctx.config
    latency = ctx.store.ping()
    if ctx.json:
        ctx.emit(
            {
                "ok": True,
                "storage": config.storage_type,
                "endpoint": _describe_store(config),
                "selected_by": config.selected_by,
                "latency_ms": round(latency * 1000, 1),
            }
        )
    else:
        ctx.out(
            f"ok: {config.storage_type} {_describe_store(config)} answered in "
            f"{latency * 1000:.1f} ms (chosen by: {config.selected_by})"
        )
    return EXIT_OK


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``: what was checked, ``ok``/``warn``/``fail``/``skip``, the
    finding, and how to fix it."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The check as one line of text."""
        text = f"[{self.status:^4}] {self.name}: {self.detail}"
        if self.fix and self.status in ("warn", "fail"):
            text += f" -> fix: {self.fix}"
        return _one_line(text)


def iam_policy(bucket: str | None) -> dict[str, object]:
    """The IAM policy the CLI and the library need on ``bucket`` (``*`` when unknown)."""
    name = bucket or "*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets"],
                "Resource": "*",
            },
            {
                "Sid": "Bucket",
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:CreateBucket",
                    "s3:DeleteBucket",
                ],
                "Resource": f"arn:aws:s3:::{name}",
            },
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:aws:s3:::{name}/*",
            },
        ],
    }


class _Doctor:
    """The checks of ``bucket doctor``, run in order; later ones skip when an earlier
    one makes them meaningless (no endpoint, no credentials, no scratch bucket)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.checks: list[Check] = []
        self.denied: list[str] = []

    def add(self, name: str, status: str, detail: str, fix: str = "") -> Check:
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        if not self.ctx.json:
            self.ctx.out(check.line())
        return check

    def attempt(self, action: str, func: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``func``; a permission refusal (not a bad key) is recorded under ``action``."""
        try:
            return True, func()
        except AuthenticationFailed:
            raise
        except PermissionDenied:
            self.denied.append(action)
            return False, None

    def run(self) -> list[Check]:
        if self.config.storage_type == "local":
            return self.run_local()
        date = self.endpoint()
        if date is None:
            for name in (
                "clock skew",
                "credentials",
                "addressing style",
                "region",
                "checksum compatibility",
                "presigned URL",
                "permissions",
            ):
                self.add(name, "skip", "the endpoint is unreachable")
            return self.checks
        self.clock(date)
        usable = self.credentials()
        self.addressing()
        if not usable:
            for name in ("region", "checksum compatibility", "presigned URL", "permissions"):
                self.add(name, "skip", "the credentials were refused")
            return self.checks
        self.scratch()
        self.permissions()
        return self.checks

    def run_local(self) -> list[Check]:
        root = Path(self.config.local_root).expanduser().absolute()
        try:
            latency = self.ctx.store.ping()
        except StorageError as exc:
            self.add(
                "local root",
                "fail",
                f"{root}: {exc.message}",
                "set BUCKET_LOCAL_ROOT to a writable folder",
            )
        else:
            self.add(
                "local root",
                "ok",
                f"{root} is writable ({latency * 1000:.1f} ms); local folder store chosen "
                f"by: {self.config.selected_by}",
            )
        for name in (
            "endpoint reachable",
            "credentials",
            "clock skew",
            "addressing style",
            "region",
            "checksum compatibility",
            "presigned URL",
            "permissions",
        ):
            self.add(name, "skip", "not applicable to the local folder store (STORAGE_TYPE=local)")
        return self.checks

    def endpoint(self) -> tuple[datetime, float] | None:
        cfg = self.config
        url = cfg.endpoint_url or f"https://s3.{cfg.region}.amazonaws.com"
        variable = cfg.sources.get("endpoint_url", "S3_ENDPOINT_URL")
        started = time.monotonic()
        headers: Any = None
        status = 0
        try:
            with urllib.request.urlopen(url, timeout=cfg.connect_timeout) as response:
                headers, status = response.headers, response.status
        except urllib.error.HTTPError as exc:  # any HTTP answer means it is reachable
            headers, status = exc.headers, exc.code
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            self.add(
                "endpoint reachable",
                "fail",
                f"{url}: {reason}",
                f"check {variable} (scheme, host, port) and that the server is running "
                "and reachable from this machine",
            )
            return None
        elapsed = time.monotonic() - started
        self.add(
            "endpoint reachable", "ok", f"{url} answered HTTP {status} in {elapsed * 1000:.0f} ms"
        )
        raw_date = headers.get("Date") if headers is not None else None
        try:
            when = parsedate_to_datetime(raw_date) if raw_date else None
        except (TypeError, ValueError):
            when = None
        return (when, elapsed) if when is not None else (datetime.now(UTC), -1.0)

    def clock(self, date: tuple[datetime, float]) -> None:
        server, elapsed = date
        if elapsed < 0:
            self.add(
                "clock skew",
                "warn",
                "the server sent no Date header; skew unknown",
                "keep this machine's clock synchronised (NTP)",
            )
            return
        skew = (datetime.now(UTC) - server).total_seconds() - elapsed / 2
        fix = "synchronise the clock (timedatectl set-ntp true, chrony or ntpd)"
        if abs(skew) > 900:
            self.add(
                "clock skew",
                "fail",
                f"local clock is {skew:+.0f} s off the server's; "
                "S3 refuses signatures beyond 15 min",
                fix,
            )
        elif abs(skew) > 60:
            self.add("clock skew", "warn", f"local clock is {skew:+.0f} s off the server's", fix)
        else:
            self.add("clock skew", "ok", f"{skew:+.1f} s from the server's Date header")

    def credentials(self) -> bool:
        cfg = self.config
        source = cfg.sources.get("access_key") or (
            f"profile {cfg.profile}" if cfg.profile else "boto3's default chain"
        )
        try:
            ok, buckets = self.attempt("s3:ListAllMyBuckets", self.ctx.store.list_buckets)
        except AuthenticationFailed as exc:
            self.add(
                "credentials",
                "fail",
                f"refused by the server ({exc.code}; key from {source})",
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
                "(or BUCKET_USER / BUCKET_PASSWORD, AWS_PROFILE)",
            )
            return False
        except ConfigError as exc:
            self.add(
                "credentials",
                "fail",
                exc.message,
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
            )
            return False
        if ok:
            self.add(
                "credentials",
                "ok",
                f"accepted (key from {source}; {len(buckets)} bucket(s) visible)",
            )
        else:
            self.add("credentials", "ok", f"accepted (key from {source}) but ListBuckets is denied")
        return True

    def addressing(self) -> None:
        cfg = self.config
        style = cfg.effective_addressing_style
        variable = "BUCKET_ADDRESSING_STYLE"
        if not cfg.is_aws and style == "virtual":
            self.add(
                "addressing style",
                "warn",
                f"virtual-hosted for the custom endpoint "
                f"{cfg.endpoint_url}: bucket names become host names, which most "
                "self-hosted servers do not resolve",
                f"set {variable}=path",
            )
        elif cfg.is_aws and style == "path":
            self.add(
                "addressing style",
                "warn",
                "path-style on AWS S3 (deprecated, refused for new buckets)",
                f"set {variable}=auto",
            )
        else:
            self.add(
                "addressing style", "ok", f"{style} ({'AWS' if cfg.is_aws else 'custom'} endpoint)"
            )

    def scratch(self) -> None:
        store, cfg = self.ctx.store, self.config
        bucket = self.ctx.args.bucket or cfg.default_bucket
        temporary = bucket is None
        if bucket is None:
            bucket = f"bucket-doctor-{uuid.uuid4().hex[:12]}"
            created, _ = self.attempt("s3:CreateBucket", lambda: store.create_bucket(bucket))
            if not created:
                for name in ("region", "checksum compatibility", "presigned URL"):
                    self.add(
                        name,
                        "skip",
                        "could not create a scratch bucket",
                        "pass --bucket NAME (a bucket you may write to)",
                    )
                return
        try:
            self.region(bucket)
            self.objects(bucket)
        finally:
            if temporary:
                with contextlib.suppress(StorageError):
                    store.delete_bucket(bucket, force=True)

    def region(self, bucket: str) -> None:
        store = self.ctx.store
        if not isinstance(store, BucketInspection):
            self.add("region", "ok", f"{self.config.region} (the store cannot report one)")
            return
        ok, region = self.attempt("s3:GetBucketLocation", lambda: store.get_bucket_region(bucket))
        variable = self.config.sources.get("region", "AWS_REGION")
        if not ok:
            self.add(
                "region",
                "warn",
                f"{self.config.region} configured; GetBucketLocation denied",
                "grant s3:GetBucketLocation (see the policy below)",
            )
        elif region != self.config.region and not self.config.is_aws:
            # self-hosted servers report their zonegroup ("default"); they accepted the
            # requests signed for the configured region, which is what matters
            self.add(
                "region",
                "ok",
                f"{self.config.region} accepted (the server names its zone group {region!r})",
            )
        elif region != self.config.region:
            self.add(
                "region",
                "fail",
                f"bucket {bucket} is in {region}, the settings say {self.config.region}",
                f"set {variable}={region}",
            )
        else:
            self.add("region", "ok", f"{region} (bucket {bucket} agrees)")

    def objects(self, bucket: str) -> None:
        store, cfg = self.ctx.store, self.config
        key = f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
        body = b"bucket doctor scratch object\n"
        ok, _ = self.attempt("s3:PutObject", lambda: store.put_object(bucket, key, body))
        if not ok:
            self.add(
                "checksum compatibility",
                "skip",
                f"PutObject denied on {bucket}",
                "grant s3:PutObject (see the policy below)",
            )
            self.add("presigned URL", "skip", f"PutObject denied on {bucket}")
            return
        try:
            self.presigned(bucket, key, body)
        finally:
            mode = cfg.effective_checksum_mode
            ok, result = self.attempt(
                "s3:DeleteObject", lambda: store.delete_objects(bucket, [key])
            )
            # S3Store remembers when the server refused a batch delete for its checksum
            refused = isinstance(store, BatchDeleteStatus) and not store.batch_delete_supported
            if not ok:
                self.add(
                    "checksum compatibility",
                    "skip",
                    "DeleteObject denied",
                    "grant s3:DeleteObject (see the policy below)",
                )
            elif refused:
                self.add(
                    "checksum compatibility",
                    "warn",
                    f"the server refused a batch delete "
                    f"for its checksum (mode {mode}); per-key deletes are used instead",
                    "set BUCKET_CHECKSUM_MODE=when_required",
                )
            elif result is not None and not result.ok:
                error = result.errors[0]
                self.add(
                    "checksum compatibility",
                    "fail",
                    f"batch delete failed: {error.code}: {error.message}",
                    "set BUCKET_CHECKSUM_MODE=when_required",
                )
            else:
                self.add(
                    "checksum compatibility", "ok", f"batch delete accepted (checksum mode {mode})"
                )

    def presigned(self, bucket: str, key: str, body: bytes) -> None:
        cfg = self.config
        try:
            url = presigner(self.ctx.store, "presign_url").presign_url(bucket, key, expiration=300)
        except StorageError as exc:
            self.add(
                "presigned URL",
                "fail",
                f"cannot presign: {exc}",
                "use an S3 store for presigned URLs",
            )
            return
        host = urlsplit(url).netloc
        public = "BUCKET_PUBLIC_URL"
        try:
            with urllib.request.urlopen(url, timeout=cfg.connect_timeout + 5) as response:
                got = response.read()
        except urllib.error.HTTPError as exc:
            self.add(
                "presigned URL",
                "fail",
                f"GET through {host} answered HTTP {exc.code}",
                f"set {public} to the endpoint clients use, as the server sees it "
                "(the signature covers the host)",
            )
            return
        except (urllib.error.URLError, OSError) as exc:
            self.add(
                "presigned URL",
                "fail",
                f"{host} is not reachable from here ({getattr(exc, 'reason', exc)})",
                f"set {public} to a URL reachable by clients (now "
                f"{cfg.public_url or 'unset: the endpoint is used'})",
            )
            return
        if got != body:
            self.add(
                "presigned URL",
                "fail",
                f"GET through {host} returned other bytes",
                f"check {public}: it must reach this same server",
            )
            return
        via = f"{public}={cfg.public_url}" if cfg.public_url else "the endpoint (no public URL)"
        self.add("presigned URL", "ok", f"fetched through {host} ({via})")

    def permissions(self) -> None:
        if not self.denied:
            self.add("permissions", "ok", "every operation tried was allowed")
            return
        self.add(
            "permissions",
            "fail",
            f"denied: {', '.join(sorted(set(self.denied)))}",
            "attach the IAM policy printed below to these credentials",
        )


def cmd_doctor(ctx: Context) -> int:
    """Check the setup, one line per check with a fix; prints the IAM policy needed."""
    doctor = _Doctor(ctx)
    checks = doctor.run()
    bucket = ctx.args.bucket or ctx.config.default_bucket
    policy = iam_policy(bucket)
    failed = any(c.status == "fail" for c in checks)
    if ctx.json:
        ctx.emit(
            {
                "ok": not failed,
                "storage": ctx.config.storage_type,
                "endpoint": _describe_store(ctx.config),
                "selected_by": ctx.config.selected_by,
                "checks": [
                    {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix}
                    for c in checks
                ],
                "denied": sorted(set(doctor.denied)),
                "policy": policy,
            }
        )
    elif doctor.denied:
        ctx.out("IAM policy these credentials need:")
        ctx.out(json.dumps(policy, indent=2))
    if failed:
        raise CliError(f"doctor: {sum(c.status == 'fail' for c in checks)} check(s) failed")
    return EXIT_OK


# ---------------------------------------------------------------------- parser
def _add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On sub-commands the defaults are SUPPRESSed, so an option given before the command
    # is not reset by the sub-parser: `bucket --json ls` and `bucket ls --json` both work.
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=default(None),
        help="S3 endpoint URL (overrides S3_ENDPOINT_URL / BUCKET_HOST)",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        help="AWS shared-credentials profile (overrides AWS_PROFILE)",
    )
    group.add_argument("--region", default=default(None), help="region (overrides AWS_REGION)")
    group.add_argument(
        "--storage",
        choices=("s3", "local"),
        default=default(None),
        help="store kind (overrides STORAGE_TYPE)",
    )
    group.add_argument(
        "--local-root",
        metavar="DIR",
        default=default(None),
        help="folder of the local store (overrides BUCKET_LOCAL_ROOT)",
    )
    group.add_argument(
        "--env-file",
        metavar="FILE",
        default=default(".env"),
        help="settings file read under the environment (default .env)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="no progress bars or per-object lines",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log requests to stderr and show tracebacks",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Object storage from the shell: S3, MinIO, Ceph RGW, SeaweedFS or a "
        "local folder, configured by the environment or .env.",
        epilog="Exit status: 0 ok, 1 failure, 2 usage, 3 not found, 130 interrupted.",
    )
    _add_globals(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[Context], int], text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        _add_globals(p, top=False)
        p.set_defaults(func=func)
        return p

    p = command("ls", cmd_ls, "list buckets, or objects under s3://bucket/prefix")
    p.add_argument("path", nargs="?", help="s3://bucket[/prefix] (none: list buckets)")
    p.add_argument("-r", "--recursive", action="store_true", help="every key, no PRE folders")

    p = command("mb", cmd_mb, "make a bucket")
    p.add_argument("bucket", help="s3://bucket")

    p = command("rb", cmd_rb, "remove a bucket")
    p.add_argument("bucket", help="s3://bucket")
    p.add_argument("--force", action="store_true", help="delete its objects first")

    p = command("cp", cmd_cp, "copy files and objects (local<->remote, remote->remote)")
    p.add_argument("source", help="file, directory (-r), s3://bucket/key or - for stdin")
    p.add_argument("destination", help="file, directory, s3://bucket/key or - for stdout")
    p.add_argument("-r", "--recursive", action="store_true", help="copy a tree")

    p = command("rm", cmd_rm, "delete an object (or a prefix with -r --force)")
    p.add_argument("path", help="s3://bucket/key")
    p.add_argument("-r", "--recursive", action="store_true", help="every key under the prefix")
    p.add_argument("--force", action="store_true", help="needed with -r")

    p = command("stat", cmd_stat, "show an object's properties")
    p.add_argument("path", help="s3://bucket/key")

    p = command("cat", cmd_cat, "write an object to stdout")
    p.add_argument("path", help="s3://bucket/key")

    p = command("presign", cmd_presign, "print a presigned URL")
    p.add_argument("path", help="s3://bucket/key")
    p.add_argument(
        "--expires",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="validity in seconds, 1..604800 (default 3600)",
    )
    p.add_argument("--method", choices=("GET", "PUT"), default="GET", help="default GET")

    p = command("du", cmd_du, "count objects and bytes under a bucket or prefix")
    p.add_argument("path", help="s3://bucket[/prefix]")

    p = command("sync", cmd_sync, "copy what is missing or different, then verify")
    p.add_argument("source", help="s3://bucket[/prefix] or local://bucket[/prefix]")
    p.add_argument("destination", help="s3://bucket[/prefix] or local://bucket[/prefix]")
    p.add_argument("--dry-run", action="store_true", help="show what would be done, write nothing")
    p.add_argument("--delete", action="store_true", help="delete destination keys the source lacks")
    p.add_argument(
        "--verify",
        choices=("quick", "full", "off"),
        default="quick",
        help="final check: quick (default), full (hash every object), off",
    )
    p.add_argument("--workers", type=int, default=4, help="objects in parallel (default 4)")
    p.add_argument("--source-env", metavar="FILE", help="read the source's settings from FILE")
    p.add_argument("--dest-env", metavar="FILE", help="read the destination's settings from FILE")

    p = command("bundle", cmd_bundle, "evidence bundles: put, get, ls")
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    bp = bsub.add_parser("put", help="store a bundle (write-once)")
    _add_globals(bp, top=False)
    bp.add_argument("bucket", help="s3://bucket")
    bp.add_argument("--type", required=True, help="bundle type")
    bp.add_argument("--data", required=True, help="JSON object, @file or - for stdin")
    bp.add_argument("--id", help="bundle id (default: a random one)")
    bp.add_argument("--meta", action="append", metavar="NAME=VALUE", help="metadata (repeatable)")
    bp.add_argument("--overwrite", action="store_true", help="replace a stored bundle")
    bg = bsub.add_parser("get", help="print a bundle (its checksum verified)")
    _add_globals(bg, top=False)
    bg.add_argument("bucket", help="s3://bucket")
    bg.add_argument("id", help="bundle id")
    bl = bsub.add_parser("ls", help="list bundles")
    _add_globals(bl, top=False)
    bl.add_argument("bucket", help="s3://bucket")
    bl.add_argument("--type", help="only this type")
    bl.add_argument("--year", type=int, help="only this year (needs --type)")
    bl.add_argument("--month", type=int, help="only this month (needs --year)")

    command("health", cmd_health, "one probe request; prints the latency")

    p = command("doctor", cmd_doctor, "check the setup; one line per check with a fix")
    p.add_argument(
        "--bucket",
        help="bucket for the scratch test (default: the settings' bucket, else a temporary one)",
    )
    return parser


def _status_of(exc: StorageError) -> int:
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, InvalidArgument) and not isinstance(exc, ConfigError):
        return EXIT_USAGE
    return EXIT_FAIL


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line; returns the exit status (never raises, except SystemExit
    from ``--help``).

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        stdout, stderr: where to write (default the process's streams).
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its usage line already
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.CRITICAL + 1,
        stream=err,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    disabled_before = logging.root.manager.disable
    if not args.debug:
        logging.disable(logging.CRITICAL)
    try:
        return _run(args, stdout=out, stderr=err)
    finally:  # main() may run inside another program: give it its logging back
        logging.disable(disabled_before)


def _run(args: argparse.Namespace, *, stdout: IO[str], stderr: IO[str]) -> int:
    """Run the parsed command; its exit status (errors printed as one line)."""
    ctx = Context(args, stdout=stdout, stderr=stderr)
    try:
        return int(args.func(ctx))
    except CliError as exc:
        ctx.err(f"{PROG}: error: {_one_line(exc.message)}")
        return exc.status
    except StorageError as exc:
        if args.debug:
            import traceback

            ctx.err(traceback.format_exc().rstrip())
        ctx.err(f"{PROG}: error: {_one_line(str(exc))}")
        return _status_of(exc)
    except KeyboardInterrupt:
        ctx.err(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except Exception as exc:  # the last resort: one line, never a traceback
        if args.debug:
            import traceback

            ctx.err(traceback.format_exc().rstrip())
        ctx.err(
            f"{PROG}: error: {type(exc).__name__}: {_one_line(str(exc))}"
            + ("" if args.debug else " (run with --debug for details)")
        )
        return EXIT_FAIL
    finally:
        ctx.close()
