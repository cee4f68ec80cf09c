"""What the return-code facades (``Bucket``, ``Redis``, ``SQL``) share.

Each facade calls its exception-based core through ``_call`` / ``_code``: on success it
returns the data (or ``success``) and clears ``last_error``; on any exception (a bug
below too) it turns it into the facade's error type, logs it once, keeps it in
``last_error`` and returns ``error``.

Logging (``core.logs``): one record per failed call on the facade's logger
(``bucket.Bucket``, ``bucket.Redis``...), at WARNING with the operation, the error's code
and its reason; at DEBUG when the failure is an answer (a ``NotFound`` of an operation in
``reads``) or the call was quiet (``health_check``, ``auto_connect``). ``debug`` changes
nothing (kept for the seeds' signature): the application sets the levels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partialmethod
from typing import ClassVar, Generic, Literal, Protocol, TypeVar

from backend.src.libs.core.context_errors import ContextErrors

T = TypeVar("T")
E = TypeVar("E", bound=Exception)

_DEBUG, _INFO, _WARNING, _ERROR, _CRITICAL = 10, 20, 30, 40, 50
"""``logging``'s levels (``logging`` itself is imported on first use)."""


class Log(Protocol):
    """What a facade logs through: a ``logging.Logger`` (or a stand-in that passes its
    records on to one, as ``AsyncBucket``'s per-call logger does)."""

    def log(self, level: int, msg: object, *args: object) -> None: ...

    def debug(self, msg: object, *args: object) -> None: ...

    def warning(self, msg: object, *args: object) -> None: ...


class Disp:
    """``facade.disp``, kept for the seeds' code: display-tty's ``log_debug`` ...
    ``log_critical`` (a message, then the calling function's name), written to the
    facade's stdlib logger."""

    def __init__(self, log: Log) -> None:
        self._log = log

    def _write(self, level: int, string: str = "", func_name: str | None = None) -> None:
        if func_name:
            self._log.log(level, "(%s) %s", func_name, string)
        else:
            self._log.log(level, "%s", string)

    log_debug = partialmethod(_write, _DEBUG)
    log_info = partialmethod(_write, _INFO)
    log_warning = partialmethod(_write, _WARNING)
    log_error = partialmethod(_write, _ERROR)
    log_critical = partialmethod(_write, _CRITICAL)


class Unknown(int):
    """The answer of a yes/no question (``file_exists``...) when the server could not
    say: equal to the facade's ``error`` code but falsy, so ``if bucket.file_exists(b,
    k):`` never takes the "yes" branch; ``last_error`` says why. Its ``str`` is the
    code, its ``repr`` ``Unknown(84)``; ``isinstance(answer, bool)`` tells an answer
    from it."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return f"Unknown({int(self)})"

    def __str__(self) -> str:
        return int.__repr__(self)


class ReturnCodes(Generic[E]):
    """Mixin of the facades with numeric return codes.

    Subclasses set ``logger_name`` (and ``reads``), call ``_init_codes`` from
    ``__init__`` and implement ``_translate`` (any exception -> their error type).

    Attributes:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        debug: kept for the seeds' signature (``Bucket(84, 0, True, debug)``); it changes
            no level and adds no handler (see the module's docstring).
        last_error: the error of the calling thread's (or asyncio task's) last call;
            None after a success (``core.context_errors``: one per thread and task).
    """

    logger_name: ClassVar[str] = "bucket"
    reads: ClassVar[frozenset[str]] = frozenset()
    """The operations that ask about a key or a bucket: their ``NotFound`` (any
    ``FileNotFoundError``) is an answer, logged at DEBUG; elsewhere it is a failure."""
    error: int
    success: int
    debug: bool

    def _init_codes(self, *, error: int, success: int, debug: bool) -> None:
        self.error = error
        self.success = success
        self.debug = debug
        self._last_errors: ContextErrors[E] = ContextErrors(self)
        self._log: Log | None = None

    @property
    def last_error(self) -> E | None:
        """The error of the calling thread's (or asyncio task's) last call on this facade;
        None after a success, or before any call there. Another thread's or task's calls
        never change it (``core.context_errors``)."""
        return self._last_errors.get()

    @last_error.setter
    def last_error(self, error: E | None) -> None:
        """Record ``error`` (None: a success) for the calling thread or task only."""
        self._last_errors.set(error)

    @property
    def log(self) -> Log:
        """This facade's stdlib logger, ``logging.getLogger(logger_name)`` (on first use)."""
        log = self._log
        if log is None:
            from backend.src.libs.core.logs import library_logger

            log = self._log = library_logger(self.logger_name)
        return log

    @log.setter
    def log(self, log: Log) -> None:
        """Log through ``log`` instead: ``AsyncBucket`` hands its per-call facades its own
        logger, which writes at DEBUG for a call its caller cancelled."""
        self._log = log

    @property
    def disp(self) -> Disp:
        """The seeds' ``disp`` (display-tty's ``log_*`` methods) on this facade's logger."""
        return Disp(self.log)

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
        answer = isinstance(exc, FileNotFoundError) and operation in self.reads
        self.log.log(_DEBUG if quiet or answer else _WARNING, "%s failed: %s", operation, exc)
