"""``sync``: make a destination hold what a source holds: two remote sides
(``sync.sync``; one store, two (``local://``), or read from other settings files), or a
plain folder and a remote side (``folder_sync``, as ``aws s3 sync ./site s3://b/site``)."""

from __future__ import annotations

import contextlib
import functools
import os
from typing import TYPE_CHECKING

from backend.src.libs.bucket.base.store import ObjectStore
from backend.src.libs.bucket.cli.commands.select import Filters, included
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote, require_remote
from backend.src.libs.bucket.cli.status import EXIT_OK, EXIT_USAGE, PROG, CliError

if TYPE_CHECKING:
    from backend.src.libs.bucket.features.folder_sync import FolderSyncOptions
    from backend.src.libs.bucket.features.sync import Include, SyncEvent, SyncReport

_VERIFIED = {True: "verified", False: "VERIFICATION FAILED", None: "not verified"}


def _side(ctx: Context, text: str, env_file: str | None) -> tuple[ObjectStore, Remote, bool]:
    """The store and path of one side, and whether the command owns (closes) that store."""
    remote = require_remote(text)
    if remote.scheme == "local":
        return ctx.make_store(ctx.config_for(env_file, local=True)), remote, True
    if env_file is not None:
        return ctx.make_store(ctx.config_for(env_file)), remote, True
    return ctx.store, remote, False


def _include(filters: Filters | None) -> Include | None:
    """``--exclude`` / ``--include`` as ``sync``'s ``include`` rule on the path relative to
    each side's prefix: the keys they leave out are neither copied nor, with
    ``--delete``, deleted (as aws does). None without filters."""
    return functools.partial(_passes, filters=filters) if filters else None


def _passes(relative: str, *, filters: Filters) -> bool:
    return included(relative, filters)


class _Lines:
    """Prints one line per sync event (none for skips, none with ``--json`` or ``-q``)."""

    def __init__(self, ctx: Context, src: Remote, dst: Remote) -> None:
        self.ctx = ctx
        self.src = src
        self.dst = dst
        self.dry = "(dryrun) " if ctx.args.dry_run else ""

    def __call__(self, e: SyncEvent) -> None:
        ctx, src, dst = self.ctx, self.src, self.dst
        if ctx.json or ctx.args.quiet or e.action == "skip":
            return
        where = f"{dst}{e.key}" if dst.key.endswith("/") or not dst.key else f"{dst}/{e.key}"
        if e.action == "copy":
            source = f"{src.scheme}://{src.bucket}/{folder(src.key)}{e.key}"
            ctx.out(f"{self.dry}copy: {source} to {where}")
        elif e.action == "delete":
            ctx.out(f"{self.dry}delete: {where}")
        elif e.action == "fail":
            ctx.err(f"{PROG}: failed: {e.key}: {e.reason}")


def _report(ctx: Context, report: SyncReport) -> None:
    if ctx.json:
        ctx.emit(report.as_dict())
        return
    if not ctx.quiet:  # -q, --only-show-errors: the summary is not an error
        ctx.out(
            f"{'(dryrun) ' if report.dry_run else ''}sync: {report.copied} copied, "
            f"{report.skipped} skipped, {report.deleted} deleted, {report.failed_count} failed, "
            f"{report.bytes_copied} bytes; {_VERIFIED[report.verified]}"
        )
    for problem in report.problems:
        ctx.err(f"{PROG}: verify: {problem.key}: {problem.reason}")


class _FolderLines:
    """Prints aws's lines for a folder sync: ``upload: site/a to s3://b/site/a``,
    ``download: s3://b/site/a to out/a``, ``delete: ...`` (none for skips, none with
    ``--json`` or ``-q``)."""

    def __init__(self, ctx: Context, local: str, remote: Remote, *, upload: bool) -> None:
        self.ctx = ctx
        self.local = local
        self.remote = f"{remote.scheme}://{remote.bucket}/{folder(remote.key)}"
        self.upload = upload
        self.dry = "(dryrun) " if ctx.args.dry_run else ""

    def __call__(self, e: SyncEvent) -> None:
        ctx = self.ctx
        if ctx.json or ctx.args.quiet or e.action in ("skip", "extra"):
            return
        local, remote = _shown(os.path.join(self.local, e.key)), self.remote + e.key
        if e.action == "copy":
            line = (
                f"upload: {local} to {remote}" if self.upload else f"download: {remote} to {local}"
            )
            ctx.out(self.dry + line)
        elif e.action == "delete":
            ctx.out(f"{self.dry}delete: {remote if self.upload else local}")
        elif e.action == "fail":
            ctx.err(f"{PROG}: failed: {e.key}: {e.reason}")


def _shown(path: str) -> str:
    """A local path as aws prints it: relative to the working folder."""
    folder_name, name = os.path.split(path)
    try:
        return os.path.join(os.path.relpath(folder_name or os.curdir), name)
    except ValueError:  # another drive (Windows)
        return os.path.abspath(path)


def _folder_options(ctx: Context, lines: _FolderLines) -> FolderSyncOptions:
    from backend.src.libs.bucket.features.folder_sync import FolderSyncOptions

    args = ctx.args
    return FolderSyncOptions(
        dry_run=args.dry_run,
        delete=args.delete,
        size_only=args.size_only,
        exact_timestamps=args.exact_timestamps,
        follow_symlinks=args.follow_symlinks,
        verify=args.verify,
        workers=args.workers,
        include=_include(args.filters),
        on_event=lines,
    )


def _sync_folder(ctx: Context, local: str, remote_text: str, *, upload: bool) -> SyncReport:
    """A plain folder to a remote prefix (``upload``) or back (``folder_sync``).

    Raises:
        CliError: ``--workers`` below 1 (status 2).
    """
    from backend.src.libs.bucket.features import folder_sync

    if ctx.args.workers < 1:
        raise CliError(f"--workers must be 1 or more, not {ctx.args.workers}", EXIT_USAGE)
    env_file = ctx.args.dest_env if upload else ctx.args.source_env
    store, remote, own = _side(ctx, remote_text, env_file)
    options = _folder_options(ctx, _FolderLines(ctx, local, remote, upload=upload))
    try:
        if upload:
            return folder_sync.upload_folder(
                local, store, remote.bucket, prefix=folder(remote.key), options=options
            )
        return folder_sync.download_folder(
            store, remote.bucket, local, prefix=folder(remote.key), options=options
        )
    finally:
        if own:
            with contextlib.suppress(Exception):
                store.close()


def _finish(ctx: Context, report: SyncReport) -> int:
    """Print the summary; status 1 (``CliError``) when something failed or differed."""
    _report(ctx, report)
    if not report.ok:
        raise CliError(
            f"sync incomplete: {report.failed_count} failed, "
            f"{len(report.problems)} verification problem(s)"
        )
    return EXIT_OK


def cmd_sync(ctx: Context) -> int:
    """Make the destination hold what the source holds: between two remote paths (see
    ``sync.py``) or between a plain folder and a remote path (``folder_sync.py``).

    Raises:
        CliError: two folders (status 2), a settings file is missing (status 2), or
            some objects failed or did not verify (status 1, after the summary).
    """
    args = ctx.args
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    src, dst = parse_remote(args.source), parse_remote(args.destination)
    if src is None and dst is None:
        raise CliError("sync needs at least one s3:// path (use rsync for two folders)", EXIT_USAGE)
    if src is None or dst is None:
        upload = src is None
        local = args.source if upload else args.destination
        remote = args.destination if upload else args.source
        return _finish(ctx, _sync_folder(ctx, local, remote, upload=upload))
    return _finish(ctx, _sync_stores(ctx))


def _sync_stores(ctx: Context) -> SyncReport:
    """Two remote sides: ``sync.sync``."""
    from backend.src.libs.bucket.features.sync import sync

    args = ctx.args
    src_store, src, own_src = _side(ctx, args.source, args.source_env)
    dst_store, dst, own_dst = _side(ctx, args.destination, args.dest_env)
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
            on_event=_Lines(ctx, src, dst),
            include=_include(args.filters),
        )
    finally:
        for store, own in ((src_store, own_src), (dst_store, own_dst)):
            if own:
                with contextlib.suppress(Exception):
                    store.close()
    return report
