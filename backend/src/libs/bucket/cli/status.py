"""Exit statuses of the ``bucket`` command and ``CliError``, the one-line failure.

Exit status: 0 success; 1 failure (storage, network, integrity, a check of ``doctor``);
2 bad usage or invalid argument; 3 not found; 130 interrupted.
"""

from __future__ import annotations

from backend.src.libs.bucket.errors import ConfigError, InvalidArgument, NotFound, StorageError

PROG = "bucket"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class CliError(Exception):
    """A failure the CLI reports in one line, with its exit status.

    Args:
        message: the text printed after ``bucket: error:``.
        status: the exit status (default ``EXIT_FAIL``, 1).
    """

    def __init__(self, message: str, status: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def status_of(exc: StorageError) -> int:
    """The exit status of a library error: 3 for anything not found, 2 for an invalid
    argument (a bad setting excepted: 1), 1 otherwise."""
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, InvalidArgument) and not isinstance(exc, ConfigError):
        return EXIT_USAGE
    return EXIT_FAIL
