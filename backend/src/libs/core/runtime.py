"""``RuntimeManager``: the process-wide registry of shared services.

Every ``RuntimeManager()`` of a process sees the same services (``RI`` is a ready
handle); ``RuntimeManager(isolated=True)`` has its own registry (tests, embedding).

::

    runtime = RuntimeManager()
    runtime.bucket            # Bucket, built on first access from the settings
    runtime.redis             # Redis facade (backend.src.libs.redis)
    runtime.sql               # SQL facade (backend.src.libs.sql)
    runtime.set(Mailer, host="smtp")          # build now; a second set is a no-op
    runtime.get(Mailer)                       # the same instance
    runtime.get(Cache, auto_register=True)    # build lazily on first call
    runtime.ping()            # one PingReport: each service healthy or why not
    runtime.close()           # reverse creation order; logs failures, never raises

Services are keyed by name: ``cls.__name__`` for a class, or the string given. The
three peers are registered as ``"Bucket"``, ``"Redis"`` and ``"SQL"`` (``"bucket"``,
``"redis"`` and ``"sql"`` are accepted as aliases), so ``runtime.get(Bucket)`` and
``runtime.bucket`` are the same object.

Creation is thread-safe: each name has its own lock, so many threads racing on ``get``
build exactly one instance while other names build in parallel. A constructor (or
async initialiser) that raises registers nothing, and the next ``get`` tries again.
A service whose instance has an ``ainit()`` method returning an awaitable is awaited
before it is registered: with ``asyncio.run`` outside an event loop, and in a helper
thread with its own loop when called from inside a running loop (``await
runtime.aget(...)`` does the same without blocking the caller's loop).

Importing this module imports neither boto3, redis nor mysql: the peers are imported
when first built. Building a ``RuntimeManager`` makes no request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from backend.src.libs.core.final import FinalClass

if TYPE_CHECKING:
    from backend.src.libs.bucket import Bucket, BucketConfig
    from backend.src.libs.redis import Redis, RedisConfig
    from backend.src.libs.sql import SQL, SQLConfig

T = TypeVar("T")
log = logging.getLogger("bucket.runtime")

PEER_NAMES: dict[str, str] = {"bucket": "Bucket", "redis": "Redis", "sql": "SQL"}
"""Alias -> registry name of the three peers."""


class ServiceNotFound(LookupError):
    """``get`` was asked for a service that is neither registered nor buildable.

    Attributes:
        name: the registry name asked for.
    """

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"no service {name!r} in the runtime{hint}")
        self.name = name


class CircularDependency(RuntimeError):
    """A service's constructor asked the runtime for itself (directly or not)."""


@dataclass(frozen=True)
class ServiceHealth:
    """The health of one service.

    Attributes:
        name: the registry name.
        healthy: True when the probe succeeded.
        reason: why it is not healthy (None when healthy).
        latency: seconds the probe took.
    """

    name: str
    healthy: bool
    reason: str | None = None
    latency: float = 0.0


@dataclass(frozen=True)
class PingReport:
    """Every probed service in one report (in creation order).

    Attributes:
        services: one ``ServiceHealth`` per probed service.
    """

    services: tuple[ServiceHealth, ...] = ()

    @property
    def healthy(self) -> bool:
        """True when every probed service is healthy (and vacuously when none was)."""
        return all(s.healthy for s in self.services)

    @property
    def failing(self) -> tuple[str, ...]:
        """Names of the services that are not healthy."""
        return tuple(s.name for s in self.services if not s.healthy)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of every probed service."""
        return tuple(s.name for s in self.services)

    def __getitem__(self, name: str) -> ServiceHealth:
        name = PEER_NAMES.get(name, name)
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and PEER_NAMES.get(name, name) in self.names

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"healthy": bool, "services": {name: {...}}}``."""
        return {
            "healthy": self.healthy,
            "services": {
                s.name: {"healthy": s.healthy, "reason": s.reason, "latency": round(s.latency, 6)}
                for s in self.services
            },
        }


@dataclass(frozen=True)
class CloseReport:
    """What ``close()`` did.

    Attributes:
        closed: names closed without error, in the order they were closed.
        failed: ``(name, reason)`` of each service whose close failed (it is dropped too).
    """

    closed: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every close succeeded."""
        return not self.failed


@dataclass
class _State:
    """One registry: instances in creation order, factories, per-name locks, configs."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    instances: dict[str, Any] = field(default_factory=dict)
    factories: dict[str, Callable[[], Any]] = field(default_factory=dict)
    name_locks: dict[str, threading.Lock] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    building: threading.local = field(default_factory=threading.local)

    def name_lock(self, name: str) -> threading.Lock:
        with self.lock:
            lock = self.name_locks.get(name)
            if lock is None:
                lock = self.name_locks[name] = threading.Lock()
            return lock

    def building_names(self) -> set[str]:
        names: set[str] | None = getattr(self.building, "names", None)
        if names is None:
            names = self.building.names = set()
        return names


_PROCESS_STATE = _State()


class RuntimeManager(metaclass=FinalClass):
    """The registry of the process's shared services (final: cannot be subclassed).

    Args:
        isolated: use a private registry instead of the process-wide one (default False:
            every ``RuntimeManager()`` of the process shares its services).

    Thread-safety: every method may be called from any thread; creation of each
    service happens once, under that service's own lock.
    """

    def __init__(self, *, isolated: bool = False) -> None:
        self._state = _State() if isolated else _PROCESS_STATE

    # ------------------------------------------------------------ container
    @overload
    def set(self, cls: type[T], *args: Any, **kwargs: Any) -> T: ...
    @overload
    def set(self, cls: str, *args: Any, **kwargs: Any) -> Any: ...
    def set(self, cls: type[T] | str, *args: Any, **kwargs: Any) -> T | Any:
        """Build ``cls(*args, **kwargs)`` now and register it under ``cls.__name__``.

        A second ``set`` of a registered name is a no-op returning the existing instance
        (its arguments are ignored). A string names a registered factory or peer.

        Returns:
            The registered instance.

        Raises:
            Exception: whatever the constructor or ``ainit()`` raised (nothing is
                registered then). ``CircularDependency`` when a constructor asks for
                the service it is building.
        """
        return self.get(cls, *args, auto_register=True, **kwargs)

    def register(self, cls: type[Any], *args: Any, name: str | None = None, **kwargs: Any) -> None:
        """Declare ``cls(*args, **kwargs)`` to be built lazily on the first ``get``.

        Args:
            cls: the class (or any callable returning the service).
            name: the registry name (default ``cls.__name__``).

        A name already registered or built keeps its first declaration (no-op).
        """
        key = name or _name_of(cls)
        with self._state.lock:
            if key not in self._state.factories and key not in self._state.instances:
                self._state.factories[key] = lambda: cls(*args, **kwargs)

    @overload
    def get(
        self, cls_or_name: type[T], *args: Any, auto_register: bool = False, **kwargs: Any
    ) -> T: ...
    @overload
    def get(
        self, cls_or_name: str, *args: Any, auto_register: bool = False, **kwargs: Any
    ) -> Any: ...
    def get(
        self, cls_or_name: type[T] | str, *args: Any, auto_register: bool = False, **kwargs: Any
    ) -> T | Any:
        """The service registered under ``cls_or_name``, built on first call if need be.

        Lookup order: an instance already built; a factory declared with ``register``
        (and the three peers); with ``auto_register=True`` and a class,
        ``cls(*args, **kwargs)``. Arguments are ignored once the instance exists.

        Raises:
            ServiceNotFound: nothing is registered and the service cannot be built
                (a string name, or a class without ``auto_register``).
            TypeError: the name belongs to an instance of another class.
            Exception: whatever the constructor or ``ainit()`` raised; nothing is
                registered and the next call tries again.
        """
        key = _key(cls_or_name)
        instance = self._state.instances.get(key, _MISSING)
        if instance is _MISSING:
            factory = self._factory(cls_or_name, key, args, kwargs, auto_register)
            instance = self._build(key, factory)
        if isinstance(cls_or_name, type) and not isinstance(instance, cls_or_name):
            raise TypeError(
                f"service {key!r} is a {type(instance).__name__}, not a {cls_or_name.__name__}"
            )
        return instance

    async def aget(
        self, cls_or_name: type[T] | str, *args: Any, auto_register: bool = False, **kwargs: Any
    ) -> T | Any:
        """``get`` for async code: builds in a worker thread, so the loop keeps running.

        Same arguments, result and errors as ``get``.
        """
        key = _key(cls_or_name)
        instance = self._state.instances.get(key, _MISSING)
        if instance is not _MISSING:
            return self.get(cls_or_name)
        return await asyncio.to_thread(
            lambda: self.get(cls_or_name, *args, auto_register=auto_register, **kwargs)
        )

    @overload
    def get_if_exists(self, cls_or_name: type[T]) -> T | None: ...
    @overload
    def get_if_exists(self, cls_or_name: str) -> Any | None: ...
    def get_if_exists(self, cls_or_name: type[T] | str) -> T | Any | None:
        """The instance if it has been built, else None. Never builds anything."""
        return self._state.instances.get(_key(cls_or_name))

    def exists(self, cls_or_name: type[Any] | str) -> bool:
        """True when the service has been built (a declared factory does not count)."""
        return _key(cls_or_name) in self._state.instances

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the built services, in creation order."""
        with self._state.lock:
            return tuple(self._state.instances)

    def _factory(
        self,
        cls_or_name: type[Any] | str,
        key: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        auto_register: bool,
    ) -> Callable[[], Any]:
        factory = self._state.factories.get(key)
        if factory is not None:
            return factory
        if key in _PEER_BUILDERS and not (auto_register and (args or kwargs)):
            builder = _PEER_BUILDERS[key]
            return lambda: builder(self._state)
        if auto_register and callable(cls_or_name) and not isinstance(cls_or_name, str):
            cls = cls_or_name
            return lambda: cls(*args, **kwargs)
        hint = (
            "; pass auto_register=True or call set()/register() first"
            if isinstance(cls_or_name, type)
            else "; register it with set() or register() first"
        )
        raise ServiceNotFound(key, hint)

    def _build(self, key: str, factory: Callable[[], Any]) -> Any:
        state = self._state
        building = state.building_names()
        if key in building:
            raise CircularDependency(f"service {key!r} asked for itself while being built")
        with state.name_lock(key):
            instance = state.instances.get(key, _MISSING)
            if instance is not _MISSING:
                return instance
            building.add(key)
            try:
                instance = factory()
                try:
                    _await_init(instance)
                except BaseException:
                    _close_quietly(key, instance)
                    raise
            finally:
                building.discard(key)
            with state.lock:
                state.instances[key] = instance
            log.debug("runtime: built %s (%s)", key, type(instance).__name__)
            return instance

    # ---------------------------------------------------------------- peers
    def configure(
        self,
        *,
        bucket: BucketConfig | Bucket | None = None,
        redis: RedisConfig | Redis | None = None,
        sql: SQLConfig | SQL | None = None,
    ) -> None:
        """Give the peers explicit settings (a config) or ready instances.

        A config is used when the peer is first built (instead of the environment and
        ``.env``); an instance is registered as the peer at once. Unset peers keep
        reading their settings from the environment.

        Raises:
            RuntimeError: a peer given here has already been built (``close()`` or
                ``reset()`` first).
        """
        given = {"Bucket": bucket, "Redis": redis, "SQL": sql}
        with self._state.lock:
            for name, value in given.items():
                if value is not None and name in self._state.instances:
                    raise RuntimeError(
                        f"{name} is already built; close() or reset() the runtime before "
                        "configuring it"
                    )
            for name, value in given.items():
                if value is None:
                    continue
                if _is_config(value):
                    self._state.configs[name] = value
                else:
                    self._state.instances[name] = value

    @property
    def bucket(self) -> Bucket:
        """The ``Bucket`` facade (built on first access; no request is made).

        Settings: the config given to ``configure``, else ``BucketConfig.from_env()``
        read on first use (a bad setting surfaces from ``bucket.connect()``).
        """
        return self.get("Bucket")  # type: ignore[no-any-return]

    @property
    def redis(self) -> Redis:
        """The ``Redis`` facade (built on first access; no request is made)."""
        return self.get("Redis")  # type: ignore[no-any-return]

    @property
    def sql(self) -> SQL:
        """The ``SQL`` facade (built on first access; no request is made)."""
        return self.get("SQL")  # type: ignore[no-any-return]

    # ----------------------------------------------------------- lifecycle
    def ping(self, *names: str) -> PingReport:
        """Probe services and collect the answers into one report. Never raises.

        Args:
            *names: services to probe (peers are built if need be, e.g.
                ``ping("bucket", "redis", "sql")``). Default: every built service
                that has a ``health_check()`` or ``ping()`` method.

        Each probe calls ``health_check()`` (else ``ping()``); False, an error code or an
        exception makes the service unhealthy, with the service's ``last_error`` (or
        the exception) as the reason.
        """
        if names:
            targets: list[tuple[str, Any]] = []
            for name in names:
                key = PEER_NAMES.get(name, name)
                try:
                    targets.append((key, self.get(key)))
                except Exception as exc:
                    targets.append((key, _Unbuildable(exc)))
        else:
            with self._state.lock:
                targets = [
                    (k, v) for k, v in self._state.instances.items() if _probe_of(v) is not None
                ]
        return PingReport(tuple(_probe(name, instance) for name, instance in targets))

    def close(self) -> CloseReport:
        """Close every service in reverse creation order and empty the registry.

        Calls each service's ``close()`` (else ``disconnect()``, else ``aclose()``).
        A failure is logged and the next service is closed all the same. Never raises;
        idempotent (a second call closes nothing). Services are rebuilt on the next
        ``get``; declared factories and configs are kept (``reset()`` drops them).

        Returns:
            A ``CloseReport`` naming what closed and what failed.
        """
        with self._state.lock:
            items = list(self._state.instances.items())
            self._state.instances.clear()
        closed: list[str] = []
        failed: list[tuple[str, str]] = []
        for name, instance in reversed(items):
            reason = _close_one(instance)
            if reason is None:
                closed.append(name)
                log.debug("runtime: closed %s", name)
            else:
                failed.append((name, reason))
                log.error("runtime: closing %s failed: %s", name, reason)
        return CloseReport(tuple(closed), tuple(failed))

    def reset(self) -> CloseReport:
        """``close()``, then forget declared factories and configs (for tests). Never raises."""
        report = self.close()
        with self._state.lock:
            self._state.factories.clear()
            self._state.configs.clear()
            self._state.name_locks.clear()
        return report

    def __enter__(self) -> RuntimeManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "process" if self._state is _PROCESS_STATE else "isolated"
        return f"<RuntimeManager {kind} services={list(self.names)!r}>"


# ------------------------------------------------------------------ helpers
class _Missing:
    pass


_MISSING: Any = _Missing()


class _Unbuildable:
    """Stands in for a peer whose construction failed, so ``ping`` can report it."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def health_check(self) -> bool:
        raise self.exc


def _name_of(cls: Any) -> str:
    return str(getattr(cls, "__name__", None) or type(cls).__name__)


def _key(cls_or_name: type[Any] | str) -> str:
    if isinstance(cls_or_name, str):
        if not cls_or_name:
            raise ValueError("a service name must not be empty")
        return PEER_NAMES.get(cls_or_name, cls_or_name)
    return _name_of(cls_or_name)


def _is_config(value: object) -> bool:
    return type(value).__name__ in ("BucketConfig", "RedisConfig", "SQLConfig")


def _build_bucket(state: _State) -> Any:
    from backend.src.libs.bucket import Bucket

    return Bucket(config=state.configs.get("Bucket"))


def _build_redis(state: _State) -> Any:
    from backend.src.libs.redis import Redis

    return Redis(config=state.configs.get("Redis"))


def _build_sql(state: _State) -> Any:
    from backend.src.libs.sql import SQL

    return SQL(config=state.configs.get("SQL"))


_PEER_BUILDERS: dict[str, Callable[[_State], Any]] = {
    "Bucket": _build_bucket,
    "Redis": _build_redis,
    "SQL": _build_sql,
}


def run_awaitable(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code, inside or outside an event loop.

    Outside a running loop it runs with ``asyncio.run``; inside one (this thread is
    running a loop, which must not be re-entered) it runs in a helper thread with its
    own loop, and this thread waits. Objects bound to the caller's loop cannot be
    awaited that way: use ``await`` there instead.

    Raises:
        Exception: whatever the awaitable raised.
    """

    async def wrapper() -> T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapper())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="runtime-ainit") as pool:
        return pool.submit(asyncio.run, wrapper()).result()


def _await_init(instance: Any) -> None:
    init = getattr(instance, "ainit", None)
    if init is None or not callable(init):
        return
    result = init()
    if inspect.isawaitable(result):
        run_awaitable(result)


def _close_one(instance: Any) -> str | None:
    """Close ``instance``; the reason it failed, or None."""
    for method in ("close", "disconnect", "aclose"):
        func = getattr(instance, method, None)
        if func is None or not callable(func):
            continue
        try:
            result = func()
            if inspect.isawaitable(result):
                result = run_awaitable(result)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        error = getattr(instance, "error", _MISSING)
        if isinstance(result, int) and not isinstance(result, bool) and result == error:
            last = getattr(instance, "last_error", None)
            return f"{method}() returned error code {result}" + (f": {last}" if last else "")
        return None
    return None


def _close_quietly(name: str, instance: Any) -> None:
    reason = _close_one(instance)
    if reason is not None:
        log.warning("runtime: cleaning up half-built %s failed: %s", name, reason)


def _probe_of(instance: Any) -> Callable[[], Any] | None:
    for method in ("health_check", "ping"):
        func = getattr(instance, method, None)
        if func is not None and callable(func):
            return func  # type: ignore[no-any-return]
    return None


def _probe(name: str, instance: Any) -> ServiceHealth:
    probe = _probe_of(instance)
    if probe is None:
        return ServiceHealth(name, False, "has no health_check() or ping() method")
    started = time.perf_counter()
    try:
        result = probe()
        if inspect.isawaitable(result):
            result = run_awaitable(result)
    except Exception as exc:
        return ServiceHealth(
            name, False, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
        )
    latency = time.perf_counter() - started
    error = getattr(instance, "error", _MISSING)
    ok = (
        result is not False
        and result is not None
        and not (isinstance(result, int) and not isinstance(result, bool) and result == error)
    )
    if ok:
        return ServiceHealth(name, True, None, latency)
    last = getattr(instance, "last_error", None)
    reason = str(last) if last is not None else f"{getattr(probe, '__name__', 'probe')}() failed"
    return ServiceHealth(name, False, reason, latency)


RI = RuntimeManager()
"""The process-wide runtime (same services as every ``RuntimeManager()``)."""

__all__ = [
    "PEER_NAMES",
    "RI",
    "CircularDependency",
    "CloseReport",
    "PingReport",
    "RuntimeManager",
    "ServiceHealth",
    "ServiceNotFound",
    "run_awaitable",
]
