"""``Facade``: the lifecycle shared by the return-code facades ``Bucket``, ``Redis``, ``SQL``.

A facade holds its settings and one resource it opens lazily (a store, a client, a
connection pool)::

    not connected --first use, connect()--> connected --disconnect(), close()--> not connected

- **Settings**: ``config`` is the one given to the constructor, else read from the
  environment on first access, so a bad setting surfaces as ``error``, never at
  construction.
- **Lazy open**: the resource is built once, on first use, under a lock; no request. A
  resource given to the constructor is borrowed: never forgotten.
- **Replay after reconnect**: a call made with ``reconnect=True`` that fails with an
  error ``_is_dropped`` accepts runs once more after ``_reconnect()``, never twice.
  Calls that may have had an effect (one-shot streams, SQL writes) pass ``reconnect=False``.

Nothing here raises to the caller: failures become ``error`` and ``last_error``
(``ReturnCodes``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from backend.src.libs.core.codes import ReturnCodes
from backend.src.libs.core.services import ServiceSpec, Unhealthy, declare

C = TypeVar("C")
R = TypeVar("R")
E = TypeVar("E", bound=Exception)
T = TypeVar("T")
F = TypeVar("F", bound="Facade[Any, Any, Any]")


class Facade(ReturnCodes[E], Generic[C, R, E]):
    """Settings, lazy open, probe, close and replay of a return-code facade.

    A subclass with a constructor of its own calls ``_init_facade`` at its end (the
    default takes the codes, ``auto_connect``, ``debug`` and ``config``). It implements:

    - ``_read_config()``: the settings from the environment (may raise the config error);
    - ``_open()``: build the resource from ``config`` (no request; called under the lock);
    - ``_release(resource, owned=...)``: close it (``owned`` False for a borrowed one);
    - ``_probe(resource)``: one request that proves the server answers;
    - ``_translate(exc, operation)``: any exception as the facade's error type.

    They may override ``_is_dropped`` (default: nothing is replayed), ``_reconnect``
    (default: nothing), ``_connect_probe`` (default: ``_probe`` of the resource),
    ``_auto_open`` (what ``auto_connect`` does; default: build the resource) and
    ``_forget`` (state tied to an opened resource, cleared when it is dropped).

    Attributes:
        last_latency: seconds the last ``health_check`` probe took; None after a failure.

    Thread-safety: the resource is built once under ``_lock``; every method may be
    called from any thread.
    """

    last_latency: float | None
    _config: C | None
    _resource: R | None
    _owns_resource: bool
    _lock: threading.RLock

    def __init__(
        self,
        error: int = 84,
        success: int = 0,
        auto_connect: bool = True,
        debug: bool = False,
        *,
        config: C | None = None,
    ) -> None:
        self._init_facade(
            error=error,
            success=success,
            debug=debug,
            auto_connect=auto_connect,
            config=config,
            resource=None,
        )

    def _init_facade(
        self,
        *,
        error: int,
        success: int,
        debug: bool,
        auto_connect: bool,
        config: C | None,
        resource: R | None,
    ) -> None:
        """Set the codes, the settings and the (borrowed) resource; with ``auto_connect``
        run ``_auto_open`` now (a failure is kept in ``last_error`` and logged at DEBUG)."""
        self._init_codes(error=error, success=success, debug=debug)
        self.last_latency = None
        self._config = config
        self._resource = resource
        self._owns_resource = resource is None
        self._lock = threading.RLock()
        if auto_connect and resource is None:
            self._attempt("connect", self._auto_open, quiet=True)

    # --------------------------------------------------------------- hooks
    def _read_config(self) -> C:
        raise NotImplementedError

    def _open(self) -> R:
        raise NotImplementedError

    def _release(self, resource: R, *, owned: bool) -> None:
        raise NotImplementedError

    def _probe(self, resource: R) -> object:
        raise NotImplementedError

    def _is_dropped(self, error: E) -> bool:
        """True when ``error`` means the connection dropped and a replay may succeed."""
        return False

    def _reconnect(self) -> None:
        """What to do before replaying a call whose connection dropped (default: nothing)."""

    def _connect_probe(self) -> object:
        return self._probe(self._ensure())

    def _auto_open(self) -> object:
        return self._ensure()

    def _forget(self) -> None:
        """Clear state tied to the opened resource (called under the lock)."""

    # ------------------------------------------------------------ settings
    @property
    def config(self) -> C:
        """The settings in use (read from the environment and ``.env`` on first access).

        Raises:
            Exception: the facade's config error (``ConfigError``, ``RedisConfigError``,
                ``SQLConfigError``) naming the invalid variable. This property raises;
                the facade's methods do not.
        """
        config = self._config
        if config is None:
            config = self._config = self._read_config()
        return config

    # ------------------------------------------------------------ resource
    def _ensure(self) -> R:
        """The resource, built on first use (once, under the lock)."""
        resource = self._resource
        if resource is None:
            with self._lock:
                resource = self._resource
                if resource is None:
                    resource = self._resource = self._open()
        return resource

    def _detach(self) -> R | None:
        """The resource, forgotten when this facade opened it (a borrowed one stays)."""
        with self._lock:
            resource = self._resource
            if self._owns_resource:
                self._resource = None
            self._forget()
        return resource

    def _release_quietly(self, resource: R, operation: str, *, owned: bool) -> None:
        try:
            self._release(resource, owned=owned)
        except Exception as exc:  # closing must not fail the caller
            self.log.warning("%s: releasing the connection failed: %r", operation, exc)

    # -------------------------------------------------------------- replay
    def _replaying(self, operation: str, func: Callable[[], T]) -> Callable[[], T]:
        """``func``, run once more after ``_reconnect()`` when it fails with an error
        ``_is_dropped`` accepts. The second failure is final."""

        def run() -> T:
            try:
                return func()
            except Exception as exc:
                error = self._translate(exc, operation)
                if not self._is_dropped(error):
                    raise
                self.log.debug("%s: %s; reconnecting once", operation, error)
                self._reconnect()
                return func()

        return run

    def _call(self, operation: str, func: Callable[[], T], *, reconnect: bool = True) -> T | int:
        """Run ``func`` (replayed once after a dropped connection when ``reconnect``):
        its result, or ``self.error`` on failure."""
        return super()._call(operation, self._replaying(operation, func) if reconnect else func)

    def _code(self, operation: str, func: Callable[[], object], *, reconnect: bool = True) -> int:
        """Run ``func`` (replayed as in ``_call``): ``self.success`` or ``self.error``."""
        return super()._code(operation, self._replaying(operation, func) if reconnect else func)

    # ---------------------------------------------------------- connection
    def connect(self) -> int:
        """Drop what this facade opened, open anew and check it with one request.

        Returns:
            ``success`` when the server answers and accepts the credentials, else ``error``.
        """
        resource = self._detach()
        if resource is not None and self._owns_resource:
            self._release_quietly(resource, "connect", owned=True)
        return self._code("connect", self._connect_probe, reconnect=False)

    def is_connected(self) -> bool:
        """True when something is open and answers one probe request. Never raises.

        False before the first connection (``auto_connect=False``), after
        ``disconnect()``, or when the probe fails (``last_error`` says why).
        """
        if self._resource is None:
            return False
        return self.health_check()

    @property
    def answered_by(self) -> str | None:
        """Which server answered last, for the ping report's ``detail`` (None here)."""
        return None

    def health_check(self) -> bool:
        """One probe request; never raises. Opens the resource if need be and records the
        request's latency in ``last_latency`` (None on failure)."""
        ok, latency = self._attempt("health_check", self._timed_probe, quiet=True)
        self.last_latency = latency if ok else None
        return ok

    def _timed_probe(self) -> float:
        resource = self._ensure()
        started = time.perf_counter()
        self._probe(resource)
        return time.perf_counter() - started

    def disconnect(self) -> int:
        """Release the connection; the next call (or ``connect()``) opens a new one.

        Idempotent: returns ``success``, also when already disconnected. A borrowed
        resource (given to the constructor) is kept; the facade says what it releases.
        """
        resource = self._detach()
        if resource is not None:
            self._release_quietly(resource, "disconnect", owned=self._owns_resource)
        self.last_error = None
        return self.success

    def close(self) -> None:
        """Same as ``disconnect()``, for ``with`` blocks and the RuntimeManager."""
        self.disconnect()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    def __repr__(self) -> str:
        state = "connected" if self._resource is not None else "not connected"
        return f"<{type(self).__name__} {state} config={self._config!r}>"


def ping_hook(facade: Facade[Any, Any, Any]) -> str | None:
    """The RuntimeManager's probe of a facade: its ``health_check()``.

    Returns:
        The facade's ``answered_by`` (which server answered, for the report's
        ``detail``), or None when it has none.

    Raises:
        Unhealthy: the probe failed; the message is the facade's ``last_error``.
    """
    if not facade.health_check():
        last = facade.last_error
        raise Unhealthy(str(last) if last is not None else "health_check() failed")
    return facade.answered_by


def close_hook(facade: Facade[Any, Any, Any]) -> None:
    """The RuntimeManager's close of a facade: ``disconnect()``, which never raises."""
    facade.disconnect()


def declare_facade(cls: type[F], settings: type[Any], alias: str) -> ServiceSpec[F]:
    """Declare the facade ``cls`` as a runtime service: built as ``cls(config=config)``
    (None: the facade reads its settings on first use; no request), probed with
    ``ping_hook``, closed with ``close_hook``, known as ``alias``."""
    return declare(
        ServiceSpec(
            cls,
            lambda config: cls(config=config),
            settings=settings,
            ping=ping_hook,
            on_close=close_hook,
            aliases=(alias,),
        )
    )


__all__ = ["Facade", "close_hook", "declare_facade", "ping_hook"]
