"""What the return-code facades (``Bucket``, ``Redis``, ``SQL``) share.

Each facade calls its exception-based core through ``_call`` / ``_code``: on success it
returns the data (or ``success``) and clears ``last_error``; on any exception it turns
it into the facade's error type, logs it once through display-tty's ``Disp``, keeps it
in ``last_error`` and returns ``error``. Nothing escapes: a bug below still becomes an
error code with a message, never a traceback in the caller's request.
The lifecycle around it (settings, lazy open, probe, close, replay) is ``core.facade``.

Colours: display-tty colours its log lines unconditionally; ``plain_logging`` gives a
facade's logger an uncoloured handler first (the same layout) when standard error is not
a terminal or ``NO_COLOR`` is set (https://no-color.org), so piped output holds no escape
codes. A logger that already has a handler (the application configured logging) is left
as it is, as display-tty leaves it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")
E = TypeVar("E", bound=Exception)

#: display-tty's line layout, without its colour codes.
PLAIN_FORMAT = "[%(asctime)s] %(levelname)s %(name)s: '%(message)s'"


def colour_wanted(stream: object = None, environ: Mapping[str, str] | None = None) -> bool:
    """True when log lines on ``stream`` (default standard error) may carry ANSI colours:
    it is a terminal and ``NO_COLOR`` is not set to a non-empty value."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def plain_logging(name: str) -> None:
    """Give logger ``name`` an uncoloured standard-error handler when colours are not
    wanted (``colour_wanted``) and no handler would see its records yet; display-tty
    then adds none of its own. Otherwise nothing changes."""
    import logging  # here: importing a facade module stays cheap (W5)

    logger = logging.getLogger(name)
    if logger.hasHandlers() or colour_wanted():
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    logger.addHandler(handler)


class ReturnCodes(Generic[E]):
    """Mixin of the facades with numeric return codes.

    Subclasses set ``logger_name``, call ``_init_codes`` from ``__init__`` and implement
    ``_translate`` (any exception -> their error type).

    Attributes:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        debug: debug messages through ``Disp``.
        last_error: the error of the last failed call; None after a success.
    """

    logger_name: ClassVar[str] = "bucket"
    error: int
    success: int
    debug: bool
    last_error: E | None

    def _init_codes(self, *, error: int, success: int, debug: bool) -> None:
        self.error = error
        self.success = success
        self.debug = debug
        self.last_error = None
        self._disp: Any = None

    @property
    def disp(self) -> Any:
        """The display-tty ``Disp`` logger of this instance (built on first use)."""
        if self._disp is None:
            from display_tty import initialise_logger

            plain_logging(self.logger_name)
            self._disp = initialise_logger(self.logger_name, self.debug)
        return self._disp

    @disp.setter
    def disp(self, logger: Any) -> None:
        """Log through ``logger`` (``log_error``, ``log_warning``, ``log_debug``) instead:
        ``AsyncBucket`` hands its per-call facades a logger that is quiet for a call its
        caller cancelled."""
        self._disp = logger

    def _translate(self, exc: Exception, operation: str) -> E:
        """``exc`` as this facade's error type (``exc`` itself when it already is one)."""
        raise NotImplementedError

    def _attempt(
        self, operation: str, func: Callable[[], T], *, quiet: bool = False
    ) -> tuple[bool, T | None]:
        """Run ``func``: ``(True, result)``, or ``(False, None)`` after logging the failure
        once (at DEBUG when ``quiet``) and keeping it in ``last_error``."""
        try:
            result = func()
        except Exception as exc:  # never raise from the facade, even on a bug below
            self._fail(operation, self._translate(exc, operation), quiet=quiet)
            return False, None
        self.last_error = None
        return True, result

    def _call(self, operation: str, func: Callable[[], T]) -> T | int:
        """Run ``func``: its result, or ``self.error`` on failure."""
        ok, result = self._attempt(operation, func)
        return result if ok else self.error  # type: ignore[return-value]

    def _code(self, operation: str, func: Callable[[], object]) -> int:
        """Run ``func``: ``self.success`` or ``self.error``."""
        ok, _ = self._attempt(operation, func)
        return self.success if ok else self.error

    def _fail(self, operation: str, exc: E, *, quiet: bool = False) -> None:
        self.last_error = exc
        if quiet:
            self.disp.log_debug(f"{operation}: {exc}", operation)
        else:
            self.disp.log_error(f"{operation}: {exc}", operation)
