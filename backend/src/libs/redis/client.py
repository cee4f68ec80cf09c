"""``Redis``: the final facade with return codes over a redis-py client.

The same connection pattern as ``Bucket``: building it makes no request; the client
(and its connection pool) is built on first use; ``connect()`` builds it and checks
it with one PING. A connection that dropped (server restarted) is rebuilt by
redis-py's own retry (``max_retries`` attempts, each on a fresh connection, with a
short exponential backoff): no second retry loop is stacked on top.

Every public method returns ``success`` / ``error`` (or its data, or ``error``) and
never raises for a server, network or input error: the failure is logged once through
display-tty's ``Disp`` and kept in ``last_error``. Code that prefers exceptions uses
``redis.client`` (the redis-py client) directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from backend.src.libs.core.codes import ReturnCodes
from backend.src.libs.core.final import FinalClass
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.redis.errors import RedisCommandError, RedisError, translate

if TYPE_CHECKING:
    import redis as redis_py

    from backend.src.libs.redis.cache import JsonCache

T = TypeVar("T")


@dataclass(frozen=True)
class InvalidateResult:
    """What a prefix deletion did.

    Attributes:
        deleted: keys deleted.
        scanned: keys that matched the prefix while scanning.
    """

    deleted: int
    scanned: int


def escape_glob(text: str) -> str:
    """``text`` with Redis glob characters (``* ? [ ] \\``) escaped, for SCAN MATCH."""
    out = []
    for char in text:
        if char in "*?[]\\":
            out.append("\\")
        out.append(char)
    return "".join(out)


class Redis(ReturnCodes[RedisError], metaclass=FinalClass):
    """Redis with return codes (redis-py underneath).

    Args:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        auto_connect: build the client now (no request is made); otherwise on first use.
        debug: log debug messages through ``Disp``.
        config: settings; default ``RedisConfig.from_env()`` (environment and ``.env``),
            read when the client is first built, so a bad setting surfaces as ``error``
            from ``connect()`` or the first operation, never at construction.
        client: a ready ``redis.Redis`` to use instead of building one (it must be
            built with ``decode_responses=True``); ``disconnect`` leaves it open.

    Attributes:
        last_error: the ``RedisError`` of the last failed call; None after a success.
        last_latency: seconds taken by the last ``health_check`` probe.

    Thread-safety: one instance may be shared by threads (redis-py pools connections);
    ``last_error`` is per instance (the last failure of any thread).
    """

    def __init__(
        self,
        error: int = 84,
        success: int = 0,
        auto_connect: bool = True,
        debug: bool = False,
        *,
        config: RedisConfig | None = None,
        client: redis_py.Redis | None = None,
    ) -> None:
        self._init_codes(error=error, success=success, debug=debug)
        self.last_latency: float | None = None
        self._config = config
        self._client: redis_py.Redis | None = client
        self._owns_client = client is None
        self._lock = threading.RLock()
        if auto_connect and client is None:
            self._attempt("connect", self._ensure_client)

    # ------------------------------------------------------------- plumbing
    logger_name = "bucket.Redis"

    def _translate(self, exc: Exception, operation: str) -> RedisError:
        return translate(exc)

    @property
    def config(self) -> RedisConfig:
        """The settings in use (read from the environment on first access).

        Raises:
            RedisConfigError: a setting is invalid (this property raises; methods do not).
        """
        if self._config is None:
            self._config = RedisConfig.from_env()
        return self._config

    @property
    def client(self) -> redis_py.Redis:
        """The redis-py client (built on first access; raises instead of returning codes).

        Raises:
            RedisConfigError: a setting is invalid.
        """
        return self._ensure_client()

    def _ensure_client(self) -> redis_py.Redis:
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    import redis as redis_py
                    from redis.backoff import ExponentialBackoff
                    from redis.retry import Retry

                    config = self.config
                    client = self._client = redis_py.Redis(
                        **config.client_kwargs(),
                        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), config.max_retries),
                    )
                    self.disp.log_debug(f"client built for {config.location}", "connect")
        return client

    # ----------------------------------------------------------- connection
    def connect(self) -> int:
        """Build the client (dropping an old pool) and check it with one PING.

        Returns:
            ``success`` when the server answers and accepts the credentials, else ``error``.
        """
        if self._owns_client:
            self._drop_client()
        return self._code("connect", lambda: self._ensure_client().ping())

    def is_connected(self) -> bool:
        """True when a client is open and answers a PING. Never raises.

        False before the first connection (``auto_connect=False``), after
        ``disconnect()``, or when the PING fails (``last_error`` says why).
        """
        if self._client is None:
            return False
        return self.health_check()

    def health_check(self) -> bool:
        """One PING; never raises. Builds the client if needed and records the latency
        in ``last_latency`` (None on failure)."""
        started = time.perf_counter()
        ok, _ = self._attempt("health_check", lambda: self._ensure_client().ping(), quiet=True)
        self.last_latency = time.perf_counter() - started if ok else None
        return ok

    def _drop_client(self) -> None:
        with self._lock:
            client = self._client
            self._client = None
        if client is not None:
            client.close()
            client.connection_pool.disconnect()

    def disconnect(self) -> int:
        """Close the pool's connections; the next call opens new ones. Idempotent.

        A client given to the constructor is left open. Returns ``success``.
        """
        if self._owns_client:
            try:
                self._drop_client()
            except Exception as exc:  # close must not fail the caller
                self.disp.log_warning(f"disconnect: {exc!r}", "disconnect")
        self.last_error = None
        return self.success

    def close(self) -> None:
        """Same as ``disconnect()``, for ``with`` blocks and the RuntimeManager."""
        self.disconnect()

    def __enter__(self) -> Redis:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    # ------------------------------------------------------------- commands
    def get(self, key: str) -> str | int | None:
        """The string at ``key``, None when there is none, or ``error``."""
        return self._call("get", lambda: self._ensure_client().get(key))  # type: ignore[arg-type,return-value]

    def set(self, key: str, value: str | bytes | int | float, *, ttl: int | None = None) -> int:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds (default: never).

        Returns ``success`` or ``error`` (a ``ttl`` below 1 is refused before any request).
        """

        def run() -> object:
            if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1):
                raise RedisCommandError(
                    f"ttl must be a positive integer, not {ttl!r}", code="InvalidArgument"
                )
            return self._ensure_client().set(key, value, ex=ttl)

        return self._code("set", run)

    def delete(self, key: str, *keys: str) -> int:
        """Delete keys (``success`` also when they did not exist), or ``error``."""
        return self._code("delete", lambda: self._ensure_client().delete(key, *keys))

    def exists(self, key: str) -> bool | int:
        """True or False, or ``error`` when the server cannot say."""
        return self._call("exists", lambda: bool(self._ensure_client().exists(key)))

    def expire(self, key: str, ttl: int) -> bool | int:
        """Make ``key`` expire in ``ttl`` seconds: True, False when there is no such key,
        or ``error``."""
        return self._call("expire", lambda: bool(self._ensure_client().expire(key, ttl)))

    def iter_keys(self, prefix: str, *, count: int = 500) -> Iterator[str] | int:
        """A generator of the keys starting with ``prefix`` (SCAN, never KEYS).

        ``prefix`` is matched literally (glob characters are escaped). The first batch
        is fetched before returning, so an unreachable server returns ``error``; a
        failure later ends the iteration early and sets ``last_error``.
        """

        def first() -> tuple[Iterator[str], list[str]]:
            iterator: Iterator[str] = self._ensure_client().scan_iter(
                match=escape_glob(prefix) + "*", count=count
            )
            head = []
            for key in iterator:
                head.append(key)
                break
            return iterator, head

        started = self._call("iter_keys", first)
        if not isinstance(started, tuple):
            return self.error
        return self._rest(*started)

    def _rest(self, iterator: Iterator[str], head: list[str]) -> Iterator[str]:
        yield from head
        try:
            yield from iterator
        except Exception as exc:
            self._fail("iter_keys", translate(exc))

    def delete_prefix(self, prefix: str, *, batch: int = 500) -> InvalidateResult | int:
        """Delete every key starting with ``prefix`` (SCAN + UNLINK in batches).

        An empty prefix is refused (it would empty the database).

        Returns:
            An ``InvalidateResult`` (keys deleted and matched), or ``error``.
        """

        def run() -> InvalidateResult:
            if not prefix:
                raise RedisCommandError(
                    "refusing to delete every key: give a prefix", code="InvalidArgument"
                )
            client = self._ensure_client()
            deleted = scanned = 0
            pending: list[str] = []
            for key in client.scan_iter(match=escape_glob(prefix) + "*", count=batch):
                scanned += 1
                pending.append(key)
                if len(pending) >= batch:
                    deleted += int(client.unlink(*pending))
                    pending.clear()
            if pending:
                deleted += int(client.unlink(*pending))
            return InvalidateResult(deleted=deleted, scanned=scanned)

        return self._call("delete_prefix", run)

    def cache(self, namespace: str, *, ttl: int | None = None) -> JsonCache:
        """A ``JsonCache`` of ``namespace`` on this connection.

        Args:
            ttl: default seconds a value lives (default ``config.cache_ttl``; 0 = forever).

        Raises:
            ValueError: ``namespace`` is empty or contains ``:`` or a space.
        """
        from backend.src.libs.redis.cache import JsonCache

        return JsonCache(self, namespace, ttl=ttl)

    def __repr__(self) -> str:
        state = "connected" if self._client is not None else "not connected"
        return f"<Redis {state} config={self._config!r}>"


__all__ = ["InvalidateResult", "Redis", "escape_glob"]
