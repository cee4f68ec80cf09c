"""Running ``bucket``: parse, set up logging, run the command, and turn every failure
into one line on stderr and an exit status (never a traceback unless ``--debug``)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import IO

from backend.src.libs.bucket.cli.commands import COMMANDS
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import one_line
from backend.src.libs.bucket.cli.parsing import build_parser
from backend.src.libs.bucket.cli.status import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    status_of,
)
from backend.src.libs.bucket.errors import StorageError


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
        return run(args, stdout=out, stderr=err)
    finally:  # main() may run inside another program: give it its logging back
        logging.disable(disabled_before)


def _traceback(ctx: Context) -> None:
    """The current exception's traceback on stderr, with ``--debug`` only."""
    if ctx.args.debug:
        ctx.err(traceback.format_exc().rstrip())


def run(args: argparse.Namespace, *, stdout: IO[str], stderr: IO[str]) -> int:
    """Run the parsed command; its exit status (errors printed as one line). Never
    raises; closes the store."""
    ctx = Context(args, stdout=stdout, stderr=stderr)
    try:
        return int(COMMANDS[args.command](ctx))
    except CliError as exc:
        ctx.err(f"{PROG}: error: {one_line(exc.message)}")
        return exc.status
    except StorageError as exc:
        _traceback(ctx)
        ctx.err(f"{PROG}: error: {one_line(str(exc))}")
        return status_of(exc)
    except KeyboardInterrupt:
        ctx.err(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except Exception as exc:  # the last resort: one line, never a traceback
        _traceback(ctx)
        ctx.err(
            f"{PROG}: error: {type(exc).__name__}: {one_line(str(exc))}"
            + ("" if args.debug else " (run with --debug for details)")
        )
        return EXIT_FAIL
    finally:
        ctx.close()
