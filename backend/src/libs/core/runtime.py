"""``RuntimeManager``: the process-wide registry of shared services (in the manner of svcs).

Every ``RuntimeManager()`` of a process shares one registry (``RI`` is a ready handle);
``RuntimeManager(isolated=True)`` has its own.

::

    runtime = RuntimeManager()
    runtime.bucket            # Bucket, built on first access from the settings
    runtime.redis             # Redis facade (backend.src.libs.redis)
    runtime.sql               # SQL facade (backend.src.libs.sql)
    runtime.register_factory(Mailer, make_mailer, ping=Mailer.noop, on_close=Mailer.quit)
    runtime.register_value(Clock, clock)      # a ready instance
    runtime.set(Mailer, host="smtp")          # build now; a second set is a no-op
    runtime.get(Mailer)                       # the same instance
    runtime.get(Cache, auto_register=True)    # build lazily on first call
    runtime.ping()            # one PingReport: each service healthy or why not
    runtime.close()           # reverse creation order; logs failures, never raises

    # asyncio services (docs/async.md)
    runtime.abucket           # AsyncBucket: one per process, good on every event loop
    runtime.aredis            # the running loop's redis.asyncio client
    await runtime.aping()     # the same PingReport, probes awaited concurrently
    await runtime.aclose()    # async and sync services, reverse creation order

A service is keyed by its type, or by the string given to ``register(..., name=)``.
Its display name (``names``, reports, string lookups) is the class's ``__name__``, or
``module.QualName`` when another service already shows that name; ``get("Name")``
accepts a display name, a module-qualified name or an alias.

The peers (``Bucket``, ``Redis``, ``SQL``) declare themselves as ``ServiceSpec`` s in a
module beside each (``bucket/service.py``...), which ``core.services`` imports the first
time a peer is asked for: ``runtime.redis``, ``get(Redis)`` and ``get("redis")`` are
the same object.

Each key has its own lock: racing threads build one instance while other services build
in parallel. A factory that raises registers nothing; the next ``get`` tries again. An
instance's awaitable ``ainit()`` is awaited before it is registered (``run_awaitable``).
Services registered without hooks are probed with ``health_check()`` (else ``ping()``)
and closed with ``close()`` (else ``disconnect()``, else ``aclose()``).

Importing this module imports neither the peers, boto3, redis nor mysql; building a
``RuntimeManager`` makes no request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, overload

from backend.src.libs.core.final import FinalClass
from backend.src.libs.core.logs import library_logger
from backend.src.libs.core.services import (
    ServiceSpec,
    Unhealthy,
    declared,
    declared_by_alias,
)

if TYPE_CHECKING:  # the typed accessors only; nothing is imported at run time
    from backend.src.libs.bucket import Bucket, BucketConfig
    from backend.src.libs.bucket.aio.bucket import AsyncBucket
    from backend.src.libs.redis import Redis, RedisConfig
    from backend.src.libs.redis.async_client import AsyncClient
    from backend.src.libs.sql import SQL, SQLConfig

T = TypeVar("T")
log = library_logger("bucket.runtime")

Hook = Callable[[Any], object]


class ServiceNotFound(LookupError):
    """``get`` was asked for a service that is neither registered nor buildable.

    Attributes:
        name: the name asked for.
    """

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"no service {name!r} in the runtime{hint}")
        self.name = name


class CircularDependency(RuntimeError):
    """A service's factory asked the runtime for itself (directly or not)."""


@dataclass(frozen=True)
class ServiceHealth:
    """The health of one service.

    Attributes:
        name: the display name.
        healthy: True when the probe succeeded.
        reason: why it is not healthy (None when healthy).
        latency: seconds the probe took.
        aliases: other names the report accepts for it (``"redis"``).
        detail: what the ping hook said about a healthy service (which server
            answered: ``127.0.0.1:3307 (DB_FAILOVER)``), or None.
    """

    name: str
    healthy: bool
    reason: str | None = None
    latency: float = 0.0
    aliases: tuple[str, ...] = ()
    detail: str | None = None


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
        """The service whose display name or alias is ``name``.

        Raises:
            KeyError: no such service in the report.
        """
        for service in self.services:
            if name == service.name or name in service.aliases:
                return service
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(name == s.name or name in s.aliases for s in self.services)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"healthy": bool, "services": {name: {...}}}``."""
        return {
            "healthy": self.healthy,
            "services": {
                s.name: {
                    "healthy": s.healthy,
                    "reason": s.reason,
                    "latency": round(s.latency, 6),
                    "detail": s.detail,
                }
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


@dataclass(frozen=True)
class _Recipe:
    """How one key is built, probed and closed (hooks None: found on the instance)."""

    factory: Callable[[], Any]
    ping: Hook | None = None
    on_close: Hook | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Built:
    """A built service with its display name and hooks."""

    instance: Any
    name: str
    ping: Hook | None = None
    on_close: Hook | None = None
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, instance: Any, name: str, hooks: _Recipe | ServiceSpec[Any]) -> _Built:
        return cls(instance, name, hooks.ping, hooks.on_close, hooks.aliases)


@dataclass
class _State:
    """One registry. Keys are types, or strings given as names."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    built: dict[object, _Built] = field(default_factory=dict)  # creation order
    recipes: dict[object, _Recipe] = field(default_factory=dict)
    names: dict[object, str] = field(default_factory=dict)  # display name per key seen
    key_locks: dict[object, threading.Lock] = field(default_factory=dict)
    configs: dict[object, Any] = field(default_factory=dict)  # settings from configure()
    building: threading.local = field(default_factory=threading.local)

    def key_lock(self, key: object) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())

    def building_keys(self) -> set[object]:
        keys: set[object] | None = getattr(self.building, "keys", None)
        if keys is None:
            keys = self.building.keys = set()
        return keys

    def name_of(self, key: object, *, record: bool) -> str:
        """The display name of ``key``: its short name, or ``module.QualName`` when
        another key already shows the short name (recorded once, then stable)."""
        with self.lock:
            name = self.names.get(key)
            if name is not None:
                return name
            name = _short_name(key)
            if name in self.names.values():
                name = _qualified_name(key)
            if record:
                self.names[key] = name
            return name

    def find(self, name: str) -> object | None:
        """The key whose string, display name, alias or qualified name is ``name``."""
        with self.lock:
            if name in self.recipes or name in self.built:
                return name
            for key, shown in self.names.items():
                if shown == name:
                    return key
            aliased = [k for k, b in self.built.items() if name in b.aliases]
            aliased += [k for k, r in self.recipes.items() if name in r.aliases]
            if aliased:
                return aliased[0]
            for key in (*self.names, *self.recipes):
                if isinstance(key, type) and _qualified_name(key) == name:
                    return key
        return None


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

    # -------------------------------------------------------- registration
    def register_factory(
        self,
        svc_type: type[T] | str,
        factory: Callable[[], T],
        *,
        ping: Callable[[T], object] | None = None,
        on_close: Callable[[T], object] | None = None,
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Declare how to build ``svc_type`` lazily (on the first ``get``).

        Args:
            svc_type: the key: a type, or a name for services that are not one type.
            factory: builds the service (no arguments).
            ping: probes an instance for ``ping()``; unhealthy when it raises (an
                ``Unhealthy`` message is reported as it is) or returns False. Default:
                the instance's ``health_check()`` / ``ping()``, if any.
            on_close: closes an instance in ``close()`` (may raise: logged, reported).
                Default: the instance's ``close()`` / ``disconnect()`` / ``aclose()``.
            aliases: other names ``get()`` and the reports accept.

        A later declaration replaces an earlier one; an instance already built stays
        until ``close()``.
        """
        with self._state.lock:
            self._state.recipes[svc_type] = _Recipe(factory, ping, on_close, aliases)
            self._state.name_of(svc_type, record=True)

    def register_value(
        self,
        svc_type: type[T] | str,
        value: T,
        *,
        ping: Callable[[T], object] | None = None,
        on_close: Callable[[T], object] | None = None,
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Register a ready instance under ``svc_type`` (hooks as in ``register_factory``).

        Raises:
            RuntimeError: a service is already built under that key (``close()`` first).
        """
        state = self._state
        with state.lock:
            name = state.name_of(svc_type, record=True)
            if svc_type in state.built:
                raise RuntimeError(f"{name} is already built; close() or reset() the runtime first")
            state.built[svc_type] = _Built(value, name, ping, on_close, aliases)

    def register(
        self, cls: Callable[..., Any], *args: Any, name: str | None = None, **kwargs: Any
    ) -> None:
        """Declare ``cls(*args, **kwargs)`` to be built lazily on the first ``get``.

        Args:
            cls: the class (or any callable returning the service).
            name: a string key, for several services of one class (default: ``cls``).

        A key already declared or built keeps its first declaration (no-op).
        """
        key: object = name or cls
        with self._state.lock:
            if key not in self._state.recipes and key not in self._state.built:
                self.register_factory(key, lambda: cls(*args, **kwargs))  # type: ignore[arg-type]

    @overload
    def set(self, cls: type[T], *args: Any, **kwargs: Any) -> T: ...
    @overload
    def set(self, cls: str, *args: Any, **kwargs: Any) -> Any: ...
    def set(self, cls: type[T] | str, *args: Any, **kwargs: Any) -> T | Any:
        """Build ``cls(*args, **kwargs)`` now and register it under ``cls``.

        A second ``set`` of a registered key is a no-op returning the existing instance
        (its arguments are ignored). A string names a declared service or a peer.

        Returns:
            The registered instance.

        Raises:
            Exception: whatever the constructor or ``ainit()`` raised (nothing is
                registered then). ``CircularDependency`` when a constructor asks for
                the service it is building.
        """
        return self.get(cls, *args, auto_register=True, **kwargs)

    # -------------------------------------------------------------- lookup
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

        Lookup order: an instance already built; a factory declared with
        ``register_factory`` / ``register``; a declared peer (``Bucket``, ``Redis``,
        ``SQL``, or their aliases); with ``auto_register=True`` and a class,
        ``cls(*args, **kwargs)``. Arguments are ignored once the instance exists.

        Raises:
            ServiceNotFound: nothing is registered and the service cannot be built
                (a string name, or a class without ``auto_register``).
            TypeError: the key holds an instance of another class.
            Exception: whatever the factory or ``ainit()`` raised; nothing is
                registered and the next call tries again.
        """
        key = self._key(cls_or_name, discover=True)
        built = self._state.built.get(key)
        instance = (
            built.instance
            if built is not None
            else self._build(key, self._recipe(cls_or_name, key, args, kwargs, auto_register))
        )
        if isinstance(cls_or_name, type) and not isinstance(instance, cls_or_name):
            raise TypeError(
                f"service {self._state.name_of(key, record=False)!r} is a "
                f"{type(instance).__name__}, not a {cls_or_name.__name__}"
            )
        return instance

    async def aget(
        self, cls_or_name: type[T] | str, *args: Any, auto_register: bool = False, **kwargs: Any
    ) -> T | Any:
        """``get`` for async code: builds in a worker thread, so the loop keeps running.

        Same arguments, result and errors as ``get``.
        """
        if self._key(cls_or_name, discover=False) in self._state.built:
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
        built = self._state.built.get(self._key(cls_or_name, discover=False))
        return None if built is None else built.instance

    def exists(self, cls_or_name: type[Any] | str) -> bool:
        """True when the service has been built (a declared factory does not count)."""
        return self._key(cls_or_name, discover=False) in self._state.built

    @property
    def names(self) -> tuple[str, ...]:
        """Display names of the built services, in creation order."""
        with self._state.lock:
            return tuple(b.name for b in self._state.built.values())

    def _key(self, cls_or_name: object, *, discover: bool) -> object:
        """The registry key of a type (itself) or of a name (what it names)."""
        if not isinstance(cls_or_name, str):
            return cls_or_name
        if not cls_or_name:
            raise ValueError("a service name must not be empty")
        key = self._state.find(cls_or_name)
        if key is None and discover:
            spec = declared_by_alias(cls_or_name)
            key = spec.svc_type if spec is not None else None
        return cls_or_name if key is None else key

    def _recipe(
        self,
        cls_or_name: object,
        key: object,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        auto_register: bool,
    ) -> _Recipe:
        recipe = self._state.recipes.get(key)
        if recipe is not None:
            return recipe
        spec = declared(key) if isinstance(key, type) else None
        hooks = (spec.ping, spec.on_close, spec.aliases) if spec is not None else (None, None, ())
        direct = auto_register and callable(cls_or_name) and not isinstance(cls_or_name, str)
        if spec is not None and not (direct and (args or kwargs)):
            make, configs, config_key = spec.factory, self._state.configs, spec.svc_type
            return _Recipe(lambda: make(configs.get(config_key)), *hooks)
        if direct:
            cls: Callable[..., Any] = cls_or_name  # type: ignore[assignment]
            return _Recipe(lambda: cls(*args, **kwargs), *hooks)
        hint = (
            "; pass auto_register=True or call set()/register_factory() first"
            if isinstance(cls_or_name, type)
            else "; register it with register_factory(), register() or set() first"
        )
        raise ServiceNotFound(self._state.name_of(key, record=False), hint)

    def _build(self, key: object, recipe: _Recipe) -> Any:
        state = self._state
        name = state.name_of(key, record=True)
        building = state.building_keys()
        if key in building:
            raise CircularDependency(f"service {name!r} asked for itself while being built")
        with state.key_lock(key):
            built = state.built.get(key)
            if built is not None:
                return built.instance
            building.add(key)
            try:
                instance = recipe.factory()
                try:
                    _await_init(instance)
                except BaseException:
                    _close_quietly(_Built(instance, name, on_close=recipe.on_close))
                    raise
            finally:
                building.discard(key)
            with state.lock:
                state.built[key] = _Built.of(instance, name, recipe)
            log.debug("runtime: built %s (%s)", name, type(instance).__name__)
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
        reading their settings from the environment. Each peer's declaration says
        which settings type it takes.

        Raises:
            RuntimeError: a peer given here has already been built (``close()`` or
                ``reset()`` first).
            TypeError: a value is neither the peer's settings nor the peer.
        """
        given = [
            (_peer_spec(alias), value)
            for alias, value in (("bucket", bucket), ("redis", redis), ("sql", sql))
            if value is not None
        ]
        state = self._state
        with state.lock:
            for spec, value in given:
                _check_peer_value(spec, value)
                if spec.svc_type in state.built:
                    raise RuntimeError(
                        f"{spec.display_name} is already built; close() or reset() the "
                        "runtime before configuring it"
                    )
            for spec, value in given:
                if isinstance(value, spec.svc_type):
                    name = state.name_of(spec.svc_type, record=True)
                    state.built[spec.svc_type] = _Built.of(value, name, spec)
                else:
                    state.configs[spec.svc_type] = value
                    _share_with_async_twin(state, spec, value)

    @property
    def bucket(self) -> Bucket:
        """The ``Bucket`` facade (built on first access; no request is made).

        Settings: the config given to ``configure``, else ``BucketConfig.from_env()``
        read on first use (a bad setting surfaces from ``bucket.connect()``).
        """
        return self.get("bucket")  # type: ignore[no-any-return]

    @property
    def redis(self) -> Redis:
        """The ``Redis`` facade (built on first access; no request is made)."""
        return self.get("redis")  # type: ignore[no-any-return]

    @property
    def sql(self) -> SQL:
        """The ``SQL`` facade (built on first access; no request is made)."""
        return self.get("sql")  # type: ignore[no-any-return]

    @property
    def abucket(self) -> AsyncBucket:
        """The ``AsyncBucket`` facade (built on first access; no request or client yet).

        One per process (it holds nothing bound to an event loop): every loop shares it.
        Settings: the ``BucketConfig`` given to ``configure(bucket=...)``, else the
        environment. Closed by ``await aclose()`` (or ``close()``).
        """
        return self.get("abucket")  # type: ignore[no-any-return]

    @property
    def aredis(self) -> AsyncClient:
        """The running event loop's ``redis.asyncio`` client (one per loop), built on first
        use with the settings of ``configure(redis=...)`` or the environment; no request.

        Raises:
            RuntimeError: called outside a running event loop.
        """
        return self.get("aredis").for_running_loop()  # type: ignore[no-any-return]

    async def aping(self, *names: str) -> PingReport:
        """``ping(*names)`` for async code (never raises): the probes run concurrently,
        coroutine hooks awaited on this loop, blocking ones in worker threads."""
        if names:
            targets = await asyncio.to_thread(lambda: [self._target(name) for name in names])
        else:
            targets = self._probed()
        return PingReport(tuple(await asyncio.gather(*(_aprobe(t) for t in targets))))

    async def aclose(self) -> CloseReport:
        """``close()`` for async code (the same ``CloseReport``; never raises): coroutine
        hooks (and ``aclose()`` methods) awaited on this loop, blocking ones in a thread."""
        outcomes = [(b.name, await _aclose_one(b)) for b in reversed(self._take_built())]
        return _close_report(outcomes)

    # ----------------------------------------------------------- lifecycle
    def ping(self, *names: str) -> PingReport:
        """Probe services and collect the answers into one report. Never raises.

        Args:
            *names: services to probe (peers are built if need be, e.g.
                ``ping("bucket", "redis", "sql")``). Default: every built service
                with a ping hook or a ``health_check()`` / ``ping()`` method.

        A service is unhealthy when its ping hook raises or returns False (or, without
        a hook, when its probe returns False, None or its error code, or raises); the
        reason is the hook's message, the service's ``last_error`` or the exception.
        """
        targets = [self._target(name) for name in names] if names else self._probed()
        return PingReport(tuple(_probe(target) for target in targets))

    def _probed(self) -> list[_Built]:
        """The built services with a ping hook or a probe method."""
        with self._state.lock:
            built = list(self._state.built.values())
        return [b for b in built if _probe_call(b) is not None]

    def _target(self, name: str) -> _Built:
        """The built service ``name`` names (built now if need be), or a stand-in that
        reports why it could not be built."""
        key: object = name
        try:
            key = self._key(name, discover=True)
            self.get(key)  # type: ignore[call-overload]
            built = self._state.built[key]
        except Exception as exc:
            shown = self._state.name_of(key, record=False)
            aliases = (name,) if name != shown else ()
            return _Built(_Unbuildable(exc), shown, aliases=aliases)
        if name != built.name and name not in built.aliases:
            return replace(built, aliases=(name,))
        return built

    def close(self) -> CloseReport:
        """Close every service in reverse creation order and empty the registry.

        Runs each service's close hook (default: its ``close()``, else ``disconnect()``,
        else ``aclose()``). A failure is logged and the next service is closed all the
        same. Never raises; idempotent (a second call closes nothing). Services are
        rebuilt on the next ``get``; declared factories and configs are kept
        (``reset()`` drops them).

        Returns:
            A ``CloseReport`` naming what closed and what failed.
        """
        return _close_report([(b.name, _close_one(b)) for b in reversed(self._take_built())])

    def _take_built(self) -> list[_Built]:
        """Every built service, in creation order, and the registry emptied of them."""
        with self._state.lock:
            items = list(self._state.built.values())
            self._state.built.clear()
        return items

    def reset(self) -> CloseReport:
        """``close()``, then forget declared factories, configs and display names (for
        tests). Never raises."""
        report = self.close()
        with self._state.lock:
            self._state.recipes.clear()
            self._state.configs.clear()
            self._state.key_locks.clear()
            self._state.names.clear()
        return report

    def __enter__(self) -> RuntimeManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "process" if self._state is _PROCESS_STATE else "isolated"
        return f"<RuntimeManager {kind} services={list(self.names)!r}>"


# ------------------------------------------------------------------ helpers
class _Unbuildable:
    """Stands in for a service whose construction failed, so ``ping`` can report it."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def health_check(self) -> bool:
        raise self.exc


def _short_name(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, type):
        spec = declared(key)
        return spec.display_name if spec is not None else key.__name__
    return str(getattr(key, "__name__", None) or type(key).__name__)


def _qualified_name(key: object) -> str:
    if isinstance(key, str):
        return key
    module = getattr(key, "__module__", None)
    qualname = getattr(key, "__qualname__", None) or _short_name(key)
    return f"{module}.{qualname}" if module else str(qualname)


def _peer_spec(alias: str) -> ServiceSpec[Any]:
    spec = declared_by_alias(alias)
    if spec is None:  # a peer module that no longer declares itself
        raise ServiceNotFound(alias, "; its package declares no service")
    return spec


def _check_peer_value(spec: ServiceSpec[Any], value: object) -> None:
    settings = spec.settings
    if isinstance(value, spec.svc_type) or (settings is not None and isinstance(value, settings)):
        return
    wanted = f"{settings.__name__} or a " if settings is not None else ""
    raise TypeError(
        f"{spec.display_name} takes a {wanted}{spec.svc_type.__name__}, "
        f"not a {type(value).__name__}"
    )


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
    if callable(init):
        _settle(init())


def _settle(result: object) -> object:
    """``result``, awaited first when it is awaitable."""
    return run_awaitable(result) if inspect.isawaitable(result) else result


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _close_one(built: _Built) -> str | None:
    """Close a service with its hook (else the first of its close methods); the reason
    it failed, or None."""
    instance = built.instance
    try:
        if built.on_close is not None:
            _settle(built.on_close(instance))
            return None
        closers = ("close", "disconnect", "aclose")
        method = next((m for m in closers if callable(getattr(instance, m, None))), None)
        if method is None:
            return None
        result = _settle(getattr(instance, method)())
    except Exception as exc:
        return _reason(exc)
    if _is_error_code(instance, result):
        last = getattr(instance, "last_error", None)
        return f"{method}() returned error code {result}" + (f": {last}" if last else "")
    return None


def _close_quietly(built: _Built) -> None:
    reason = _close_one(built)
    if reason is not None:
        log.warning("runtime: cleaning up half-built %s failed: %s", built.name, reason)


def _is_error_code(instance: Any, result: object) -> bool:
    error = getattr(instance, "error", None)
    return isinstance(result, int) and not isinstance(result, bool) and result == error


def _close_report(outcomes: list[tuple[str, str | None]]) -> CloseReport:
    """The report of closing services in order: ``(name, None)`` closed, ``(name,
    reason)`` failed; each outcome logged."""
    closed: list[str] = []
    failed: list[tuple[str, str]] = []
    for name, reason in outcomes:
        if reason is None:
            closed.append(name)
            log.debug("runtime: closed %s", name)
        else:
            failed.append((name, reason))
            log.error("runtime: closing %s failed: %s", name, reason)
    return CloseReport(tuple(closed), tuple(failed))


def _health(
    built: _Built, started: float, reason: str | None, detail: str | None = None
) -> ServiceHealth:
    latency = time.perf_counter() - started
    return ServiceHealth(built.name, reason is None, reason, latency, built.aliases, detail)


def _probe_call(built: _Built) -> Callable[[], Any] | None:
    """What probes ``built``: its ping hook (given the instance), else its own
    ``health_check()`` / ``ping()``; None when it has neither."""
    if built.ping is not None:
        return partial(built.ping, built.instance)
    for method in ("health_check", "ping"):
        func = getattr(built.instance, method, None)
        if callable(func):
            return func  # type: ignore[no-any-return]
    return None


def _verdict(
    built: _Built,
    probe: Callable[[], Any],
    started: float,
    result: object = None,
    error: Exception | None = None,
) -> ServiceHealth:
    """The health of ``built`` from what ``probe`` returned (``result``) or raised (``error``).

    A ping hook fails when it raises (an ``Unhealthy`` message is the reason as it is) or
    returns False; a text it returns is the detail (which server answered). A service's
    own probe fails when it raises, or returns False, None or its error code (the reason
    is then its ``last_error``).
    """
    if error is not None:
        hooked = built.ping is not None and isinstance(error, Unhealthy)
        return _health(built, started, str(error) if hooked else _reason(error))
    if built.ping is not None:
        if result is False:
            return _health(built, started, "ping hook returned False")
        return _health(built, started, None, result if isinstance(result, str) else None)
    if result is not False and result is not None and not _is_error_code(built.instance, result):
        return _health(built, started, None)
    last = getattr(built.instance, "last_error", None)
    reason = str(last) if last is not None else f"{getattr(probe, '__name__', 'probe')}() failed"
    return _health(built, started, reason)


def _probe(built: _Built) -> ServiceHealth:
    """Probe one service with its ping hook, else its own probe method."""
    probe = _probe_call(built)
    if probe is None:
        return ServiceHealth(
            built.name, False, "has no health_check() or ping() method", aliases=built.aliases
        )
    started = time.perf_counter()
    try:
        result = _settle(probe())
    except Exception as exc:
        return _verdict(built, probe, started, error=exc)
    return _verdict(built, probe, started, result)


async def _aprobe(built: _Built) -> ServiceHealth:
    """``_probe`` on this loop for a coroutine probe, else in a worker thread."""
    probe = _probe_call(built)
    if probe is None or not inspect.iscoroutinefunction(probe):
        return await asyncio.to_thread(_probe, built)
    started = time.perf_counter()
    try:
        result = await probe()
    except Exception as exc:
        return _verdict(built, probe, started, error=exc)
    return _verdict(built, probe, started, result)


async def _aclose_one(built: _Built) -> str | None:
    """``_close_one`` on this loop: a coroutine hook or ``aclose()`` is awaited here
    (a loop-bound client closes in its own loop); a blocking close runs in a thread."""
    hook = built.on_close
    if hook is None:
        func = getattr(built.instance, "aclose", None)
    else:
        func = partial(hook, built.instance)
    if func is None or not inspect.iscoroutinefunction(func):
        return await asyncio.to_thread(_close_one, built)
    try:
        result = func()
        if inspect.isawaitable(result):
            await result
    except Exception as exc:
        return _reason(exc)
    return None


_ASYNC_TWINS = {"bucket": "abucket", "redis": "aredis"}


def _share_with_async_twin(state: _State, spec: ServiceSpec[Any], value: object) -> None:
    """Settings given for ``bucket`` / ``redis`` serve their asyncio twin too
    (``abucket`` / ``aredis``) unless it is already built."""
    twin = next((_ASYNC_TWINS[a] for a in spec.aliases if a in _ASYNC_TWINS), None)
    if twin is None:
        return
    twin_spec = declared_by_alias(twin)
    if twin_spec is not None and twin_spec.svc_type not in state.built:
        state.configs[twin_spec.svc_type] = value


RI = RuntimeManager()
"""The process-wide runtime (same services as every ``RuntimeManager()``)."""

__all__ = [
    "RI",
    "CircularDependency",
    "CloseReport",
    "PingReport",
    "RuntimeManager",
    "ServiceHealth",
    "ServiceNotFound",
    "run_awaitable",
]
