"""Running ``bucket``: parse, set up logging, run the command, and turn every failure
into one line on stderr and an exit status (never a traceback unless ``--debug``).

With ``--json`` a failure is also an ``{"error": {"code", "message"}}`` document on
stdout (``Output.emit_error``): stdout is one valid JSON document whatever happens.

SIGTERM (``docker stop``, systemd, ``timeout``) is handled as SIGINT is: it raises
``Terminated`` (a ``KeyboardInterrupt``) in the main thread, so every ``finally`` that
removes a temporary file runs, and the command exits 143.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import IO

from backend.src.libs.bucket.base.errors import StorageError
from backend.src.libs.bucket.cli.commands import COMMANDS
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import Output, one_line
from backend.src.libs.bucket.cli.parsing import build_parser
from backend.src.libs.bucket.cli.status import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    PROG,
    CliError,
    Terminated,
    status_of,
)
from backend.src.libs.bucket.cli.words import cli_words, describe


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
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    complaint = io.StringIO()
    try:
        with contextlib.redirect_stderr(complaint):
            args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse printed its usage line (or --help) already
        status = int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
        err.write(complaint.getvalue())
        if status and "--json" in arguments:
            lines = complaint.getvalue().strip().splitlines() or ["invalid command line"]
            message = lines[-1].split(": error: ", 1)[-1]
            Output(out, err, json=True, quiet=True).emit_error("UsageError", message, status=status)
        return status
    err.write(complaint.getvalue())
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.CRITICAL + 1,
        stream=err,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    disabled_before = logging.root.manager.disable
    if not args.debug:
        logging.disable(logging.CRITICAL)
    try:
        with _sigterm_raises():
            return run(args, stdout=out, stderr=err)
    finally:  # main() may run inside another program: give it its logging back
        logging.disable(disabled_before)


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    """Raise ``Terminated`` once; a second SIGTERM during the cleanup is ignored."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` while the command runs (main thread only: Python
    runs signal handlers there); the previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        ctx.emit_error(exc.code, one_line(exc.message), status=exc.status)
        return exc.status
    except StorageError as exc:
        _traceback(ctx)
        ctx.err(f"{PROG}: error: {one_line(describe(exc))}")
        status = status_of(exc)
        ctx.emit_error(
            exc.code,
            one_line(cli_words(exc.message)),
            bucket=exc.bucket,
            key=exc.key,
            status=status,
        )
        return status
    except Terminated:
        ctx.err(f"{PROG}: terminated")
        ctx.emit_error("Terminated", "terminated by SIGTERM", status=EXIT_TERMINATED)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        ctx.err(f"{PROG}: interrupted")
        ctx.emit_error("Interrupted", "interrupted", status=EXIT_INTERRUPTED)
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
        ctx.emit_error(type(exc).__name__, one_line(str(exc)), status=EXIT_FAIL)
        return EXIT_FAIL
    finally:
        ctx.close()
