"""``sync``: make a destination hold what a source holds (``sync.sync``), the two sides
on one store, on two (``local://``), or read from other settings files."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING

from backend.src.libs.bucket.cli.commands.select import Filters, included
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, require_remote
from backend.src.libs.bucket.cli.status import EXIT_OK, PROG, CliError
from backend.src.libs.bucket.store import ObjectStore

if TYPE_CHECKING:
    from backend.src.libs.bucket.sync import Include, SyncEvent, SyncReport

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
    ctx.out(
        f"{'(dryrun) ' if report.dry_run else ''}sync: {report.copied} copied, "
        f"{report.skipped} skipped, {report.deleted} deleted, {report.failed_count} failed, "
        f"{report.bytes_copied} bytes; {_VERIFIED[report.verified]}"
    )
    for problem in report.problems:
        ctx.err(f"{PROG}: verify: {problem.key}: {problem.reason}")


def cmd_sync(ctx: Context) -> int:
    """Make the destination hold what the source holds (see ``sync.py``).

    Raises:
        CliError: a settings file is missing (status 2), or some objects failed or did
            not verify (status 1, after the summary).
    """
    from backend.src.libs.bucket.sync import sync

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
    _report(ctx, report)
    if not report.ok:
        raise CliError(
            f"sync incomplete: {report.failed_count} failed, "
            f"{len(report.problems)} verification problem(s)"
        )
    return EXIT_OK
