"""``gc``: find and remove the temporary files (``files.is_temporary``: a local store
write's ``.<32 hex>.tmp``, a download's ``.<name>.<32 hex>.part``) that writers killed
outright (SIGKILL, a crash) left behind; those younger than a grace period are left to
the writes still running."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from backend.src.libs.bucket.base.files import find_temporaries
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import human
from backend.src.libs.bucket.cli.status import EXIT_OK, EXIT_USAGE, CliError


def _folders(ctx: Context) -> list[Path]:
    """The folders to sweep: those given, else the local store's root."""
    if ctx.args.folder:
        return [Path(f) for f in ctx.args.folder]
    config = ctx.config
    if config.storage_type != "local":
        raise CliError(
            "gc sweeps folders: the settings choose an S3 store, so name the FOLDER(s) "
            "where downloads were written (or use --storage local for the local store)",
            EXIT_USAGE,
        )
    return [Path(config.local_root).expanduser().absolute()]


def cmd_gc(ctx: Context) -> int:
    """Remove (``--dry-run``: list) temporaries older than ``--older-than`` seconds.

    Raises:
        CliError: a negative grace period, a FOLDER that is not a folder, or no FOLDER
            with an S3 store (status 2).
    """
    args = ctx.args
    grace = float(args.older_than)
    if grace < 0:
        raise CliError(f"--older-than must be 0 or more seconds, not {args.older_than}", EXIT_USAGE)
    folders = _folders(ctx)
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise CliError(f"{str(folder)!r} is not a folder", EXIT_USAGE)
    dry = "(dryrun) " if args.dry_run else ""
    found: list[dict[str, object]] = []
    total = 0
    for folder in folders:
        for temp in find_temporaries(folder, older_than=grace):
            if not args.dry_run:
                with contextlib.suppress(FileNotFoundError):  # its writer removed it
                    os.unlink(temp.path)
            found.append({"path": str(temp.path), "bytes": temp.size, "age": round(temp.age)})
            total += temp.size
            if not ctx.json and not ctx.quiet:
                ctx.out(f"{dry}remove: {temp.path} ({human(temp.size)}, {temp.age:.0f} s old)")
    if ctx.json:
        ctx.emit({"removed": found, "count": len(found), "bytes": total, "dry_run": args.dry_run})
    elif not ctx.quiet:
        where = ", ".join(str(f) for f in folders)
        ctx.out(
            f"{dry}gc: {len(found)} temporary file(s), {human(total)} "
            f"{'to remove' if args.dry_run else 'removed'} under {where} "
            f"(older than {grace:g} s)"
        )
    return EXIT_OK
