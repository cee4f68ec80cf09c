"""The commands of ``bucket``, by the name the parser gives them (``args.command``)."""

from __future__ import annotations

from collections.abc import Callable

from backend.src.libs.bucket.cli.commands.buckets import cmd_du, cmd_health, cmd_mb, cmd_rb
from backend.src.libs.bucket.cli.commands.bundles import cmd_bundle
from backend.src.libs.bucket.cli.commands.copy import cmd_cp, cmd_mv
from backend.src.libs.bucket.cli.commands.gc import cmd_gc
from backend.src.libs.bucket.cli.commands.objects import (
    cmd_cat,
    cmd_ls,
    cmd_presign,
    cmd_rm,
    cmd_stat,
)
from backend.src.libs.bucket.cli.commands.sync import cmd_sync
from backend.src.libs.bucket.cli.commands.versions import cmd_versioning
from backend.src.libs.bucket.cli.completion import cmd_completion
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.doctor import cmd_doctor

Command = Callable[[Context], int]
"""Runs one command; returns its exit status, raises ``CliError`` or ``StorageError``."""

COMMANDS: dict[str, Command] = {
    "ls": cmd_ls,
    "mb": cmd_mb,
    "rb": cmd_rb,
    "cp": cmd_cp,
    "mv": cmd_mv,
    "rm": cmd_rm,
    "stat": cmd_stat,
    "cat": cmd_cat,
    "presign": cmd_presign,
    "du": cmd_du,
    "versioning": cmd_versioning,
    "sync": cmd_sync,
    "bundle": cmd_bundle,
    "health": cmd_health,
    "doctor": cmd_doctor,
    "gc": cmd_gc,
    "completion": cmd_completion,
}
