"""``sync``: make a destination hold what a source holds: two remote sides
(``sync.sync``; one store, two (``local://``), or read from other settings files), or a
plain folder and a remote side (``folder_sync``, as ``aws s3 sync ./site s3://b/site``)."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from backend.src.libs.bucket.base.store import ObjectStore
from backend.src.libs.bucket.cli.commands.select import Filters, included
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote, require_remote
from backend.src.libs.bucket.cli.status import EXIT_OK, EXIT_USAGE, PROG, CliError

if TYPE_CHECKING:
    from backend.src.libs.bucket.features.sync import Include, SyncEvent, SyncReport

    OnEvent = Callable[[SyncEvent], None]

_VERIFIED = {True: "verified", False: "VERIFICATION FAILED", None: "not verified"}


@contextlib.contextmanager
def _side(ctx: Context, text: str, env_file: str | None) -> Iterator[tuple[ObjectStore, Remote]]:
    """The store and path of one side; a store of its own (``local://``, or other settings)
    is closed after."""
    remote = require_remote(text)
    if remote.scheme != "local" and env_file is None:
        yield ctx.store, remote
        return
    store = ctx.make_store(ctx.config_for(env_file, local=remote.scheme == "local"))
    try:
        yield store, remote
    finally:
        with contextlib.suppress(Exception):
            store.close()


def _include(filters: Filters | None) -> Include | None:
    """``--exclude`` / ``--include`` as ``sync``'s ``include`` rule on the path relative to
    each side's prefix: the keys they leave out are neither copied nor, with
    ``--delete``, deleted (as aws does). None without filters."""
    return functools.partial(included, filters=filters) if filters else None


def _lines(ctx: Context, copied: Callable[[str], str], deleted: Callable[[str], str]) -> OnEvent:
    """The ``on_event`` that prints one line per sync event, as aws does (none for skips
    and extras, none with ``--json`` or ``-q``): ``copied(key)`` is the copy's line,
    ``deleted(key)`` the path deleted."""
    dry = "(dryrun) " if ctx.args.dry_run else ""

    def on_event(e: SyncEvent) -> None:
        if ctx.json or ctx.quiet:
            return
        if e.action == "copy":
            ctx.out(dry + copied(e.key))
        elif e.action == "delete":
            ctx.out(f"{dry}delete: {deleted(e.key)}")
        elif e.action == "fail":
            ctx.err(f"{PROG}: failed: {e.key}: {e.reason}")

    return on_event


def _store_lines(ctx: Context, src: Remote, dst: Remote) -> OnEvent:
    """``copy: s3://a/k to s3://b/k``, ``delete: s3://b/k``."""
    source = f"{src.scheme}://{src.bucket}/{folder(src.key)}"
    target = f"{dst.scheme}://{dst.bucket}/{folder(dst.key)}"
    return _lines(
        ctx, lambda key: f"copy: {source}{key} to {target}{key}", lambda key: target + key
    )


def _folder_lines(ctx: Context, local: str, remote: Remote, *, upload: bool) -> OnEvent:
    """``upload: site/a to s3://b/site/a``, ``download: s3://b/site/a to out/a``,
    ``delete: ...`` (the destination's path)."""
    base = f"{remote.scheme}://{remote.bucket}/{folder(remote.key)}"

    def shown(key: str) -> str:
        return _shown(os.path.join(local, key))

    if upload:
        return _lines(
            ctx, lambda key: f"upload: {shown(key)} to {base}{key}", lambda key: base + key
        )
    return _lines(ctx, lambda key: f"download: {base}{key} to {shown(key)}", shown)


def _shown(path: str) -> str:
    """A local path as aws prints it: relative to the working folder."""
    folder_name, name = os.path.split(path)
    try:
        return os.path.join(os.path.relpath(folder_name or os.curdir), name)
    except ValueError:  # another drive (Windows)
        return os.path.abspath(path)


def _sync_folder(ctx: Context, local: str, remote_text: str, *, upload: bool) -> SyncReport:
    """A plain folder to a remote prefix (``upload``) or back (``folder_sync``).

    Raises:
        CliError: ``--workers`` below 1 (status 2).
    """
    from backend.src.libs.bucket.features import folder_sync

    args = ctx.args
    if args.workers < 1:
        raise CliError(f"--workers must be 1 or more, not {args.workers}", EXIT_USAGE)
    with _side(ctx, remote_text, args.dest_env if upload else args.source_env) as (store, remote):
        options = folder_sync.FolderSyncOptions(
            dry_run=args.dry_run,
            delete=args.delete,
            size_only=args.size_only,
            exact_timestamps=args.exact_timestamps,
            follow_symlinks=args.follow_symlinks,
            verify=args.verify,
            workers=args.workers,
            include=_include(args.filters),
            on_event=_folder_lines(ctx, local, remote, upload=upload),
        )
        prefix = folder(remote.key)
        if upload:
            return folder_sync.upload_folder(
                local, store, remote.bucket, prefix=prefix, options=options
            )
        return folder_sync.download_folder(
            store, remote.bucket, local, prefix=prefix, options=options
        )


def _sync_stores(ctx: Context) -> SyncReport:
    """Two remote sides: ``sync.sync``."""
    from backend.src.libs.bucket.features.sync import sync

    args = ctx.args
    with (
        _side(ctx, args.source, args.source_env) as (src_store, src),
        _side(ctx, args.destination, args.dest_env) as (dst_store, dst),
    ):
        return sync(
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
            on_event=_store_lines(ctx, src, dst),
            include=_include(args.filters),
        )


def cmd_sync(ctx: Context) -> int:
    """Make the destination hold what the source holds: between two remote paths (see
    ``sync.py``) or between a plain folder and a remote path (``folder_sync.py``); prints
    the summary.

    Raises:
        CliError: two folders (status 2), a settings file is missing (status 2), or
            some objects failed or did not verify (status 1, after the summary).
    """
    args = ctx.args
    ctx.store  # noqa: B018 - settings first: a bad setting is reported before a bad path
    src, dst = parse_remote(args.source), parse_remote(args.destination)
    if src is None and dst is None:
        raise CliError("sync needs at least one s3:// path (use rsync for two folders)", EXIT_USAGE)
    if src is None:
        report = _sync_folder(ctx, args.source, args.destination, upload=True)
    elif dst is None:
        report = _sync_folder(ctx, args.destination, args.source, upload=False)
    else:
        report = _sync_stores(ctx)
    if ctx.json:
        ctx.emit(report.as_dict())
    else:
        if not ctx.quiet:  # -q, --only-show-errors: the summary is not an error
            ctx.out(
                f"{'(dryrun) ' if report.dry_run else ''}sync: {report.copied} copied, "
                f"{report.skipped} skipped, {report.deleted} deleted, "
                f"{report.failed_count} failed, {report.bytes_copied} bytes; "
                f"{_VERIFIED[report.verified]}"
            )
        for problem in report.problems:
            ctx.err(f"{PROG}: verify: {problem.key}: {problem.reason}")
    if not report.ok:
        raise CliError(
            f"sync incomplete: {report.failed_count} failed, "
            f"{len(report.problems)} verification problem(s)"
        )
    return EXIT_OK
