"""Exit statuses of the ``bucket`` command and ``CliError``, the one-line failure.

Exit status: 0 success; 1 failure (storage, network, integrity, a check of ``doctor``,
an invalid setting); 2 bad usage or invalid argument (a settings file named on the
command line that does not exist included); 3 not found; 130 interrupted (SIGINT,
Ctrl-C); 143 terminated (SIGTERM: ``docker stop``, systemd, ``timeout``).
"""

from __future__ import annotations

from backend.src.libs.bucket.base.errors import ConfigError, InvalidArgument, NotFound, StorageError

PROG = "bucket"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM killed

CODES = {
    EXIT_FAIL: "Failed",
    EXIT_USAGE: "UsageError",
    EXIT_NOT_FOUND: "NotFound",
    EXIT_INTERRUPTED: "Interrupted",
    EXIT_TERMINATED: "Terminated",
}
"""The ``code`` of the ``--json`` error document of a failure that has no code of its own
(a ``CliError``), by exit status."""


class CliError(Exception):
    """A failure the CLI reports in one line, with its exit status.

    Args:
        message: the text printed after ``bucket: error:``.
        status: the exit status (default ``EXIT_FAIL``, 1).
        code: the ``code`` of the ``--json`` error document (default: by ``status``,
            ``CODES``).
    """

    def __init__(self, message: str, status: int = EXIT_FAIL, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or CODES.get(status, "Failed")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C raises ``KeyboardInterrupt``: the same
    ``finally`` and ``except BaseException`` blocks run, so temporaries are removed."""


def status_of(exc: StorageError) -> int:
    """The exit status of a library error: 3 for anything not found, 2 for an invalid
    argument (a bad setting excepted: 1), 1 otherwise."""
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, InvalidArgument) and not isinstance(exc, ConfigError):
        return EXIT_USAGE
    return EXIT_FAIL
