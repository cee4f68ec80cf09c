"""``Redis``: the final facade with return codes over a redis-py client.

The lifecycle is ``core.facade``'s: the client is built on first use (no request);
``connect()`` and ``health_check()`` send one PING (in Cluster mode ``check_cluster``).
A dropped connection is rebuilt by redis-py's own retry (``max_retries`` attempts, each
on a fresh connection, short exponential backoff); the facade replays nothing.

The client is redis-py's own for each topology (``RedisConfig.mode``): ``redis.Redis``,
``redis.sentinel.Sentinel(...).master_for(...)`` (each new connection asks the sentinels,
so after a failover the retry lands on the new primary) or ``redis.cluster.RedisCluster``
(routed by slot, the slot map reloaded after a connection error). A failover costs the
calls made while no primary is elected (they return ``error``).

Every public method returns ``success`` / ``error`` (or its data, or ``error``) and never
raises: the failure is logged once on ``bucket.Redis`` and kept in ``last_error``. Code
that prefers exceptions uses ``redis.client`` (the redis-py client).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from backend.src.libs.core.facade import Facade
from backend.src.libs.core.final import FinalClass
from backend.src.libs.redis.cache import InvalidateResult, JsonCache
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.redis.errors import (
    RedisCommandError,
    RedisConnectionError,
    RedisError,
    cluster_down,
    is_unreachable,
    name_down_nodes,
    nodes_to_ask,
    translate,
)

if TYPE_CHECKING:
    import redis as redis_py
    from redis.cluster import RedisCluster

    Client = redis_py.Redis | RedisCluster

_MISS = object()


def _check_ttl(ttl: int | None) -> None:
    """Refuse a ``ttl`` that is not a positive integer (None means never expires)."""
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1):
        raise RedisCommandError(
            f"ttl must be a positive integer, not {ttl!r}", code="InvalidArgument"
        )


def check_cluster(client: RedisCluster) -> None:
    """The Cluster mode probe: ask the cluster its state, not one node whether it is up.

    ``CLUSTER INFO`` on the first node that answers (``errors.nodes_to_ask``), judged by
    ``errors.cluster_down``; only when the cluster is down, one ``CLUSTER NODES`` on the
    same node names the failed nodes. ``acheck_cluster`` is the ``redis.asyncio`` twin.

    Raises:
        RedisConnectionError: coded ``ClusterDownError``, naming ``cluster_state:fail``,
            the node asked, the slots not served and the nodes down.
        redis.exceptions.RedisError: no node answered (the last node's error), or one
            refused the command or the credentials (``translate`` turns it into ours).
    """
    unreachable: Exception = RedisConnectionError("no cluster node is known")
    default = client.get_default_node()  # type: ignore[no-untyped-call,unused-ignore]
    for node in nodes_to_ask(default, client.get_nodes()):  # type: ignore[no-untyped-call,unused-ignore]
        try:
            info = client.cluster_info(target_nodes=node)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            unreachable = exc
            continue
        down = cluster_down(info, node.name)
        if down is not None:
            nodes = client.execute_command("CLUSTER NODES", target_nodes=node)  # type: ignore[no-untyped-call,unused-ignore]
            raise name_down_nodes(down, nodes)
        return
    raise unreachable


def escape_glob(text: str) -> str:
    """``text`` with Redis glob characters (``* ? [ ] \\``) escaped, for SCAN MATCH."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class Redis(Facade[RedisConfig, "Client", RedisError], metaclass=FinalClass):
    """Redis with return codes (redis-py underneath; lifecycle: ``Facade``).

    Args:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        auto_connect: build the client now (default True; no request is made; in
            Cluster mode only the settings are read).
        debug: kept for the seeds' signature; changes nothing.
        config: settings; default ``RedisConfig.from_env()``, read on first use (a bad
            setting surfaces as ``error``, never at construction).
        client: a ready ``redis.Redis`` or ``RedisCluster`` (with
            ``decode_responses=True``) to use; ``disconnect`` leaves it open.

    Attributes:
        last_error: the ``RedisError`` of the calling thread's (or task's) last call;
            None after a success.
        last_latency: seconds taken by the last ``health_check`` probe.

    Thread-safety: shareable by threads (redis-py pools connections).
    """

    logger_name = "bucket.Redis"

    def __init__(
        self,
        error: int = 84,
        success: int = 0,
        auto_connect: bool = True,
        debug: bool = False,
        *,
        config: RedisConfig | None = None,
        client: Client | None = None,
    ) -> None:
        self._init_facade(
            error=error,
            success=success,
            debug=debug,
            auto_connect=auto_connect,
            config=config,
            resource=client,
        )

    # ------------------------------------------------------------- plumbing
    def _translate(self, exc: Exception, operation: str) -> RedisError:
        error = translate(exc)
        config = self._config
        if (
            isinstance(error, RedisConnectionError)
            and config is not None
            and config.mode != "single"
            and error.code != "ClusterDownError"  # reached: the settings are not at fault
            and "(check " not in error.message
        ):  # name the settings that say where the servers are
            error = RedisConnectionError(
                f"{error.message} ({config.location}; check {config.setting_at_fault()})",
                code=error.code,
            )
        return error

    def _read_config(self) -> RedisConfig:
        return RedisConfig.from_env()

    def _auto_open(self) -> object:
        if self.config.mode == "cluster":  # RedisCluster asks a node for the slot map
            return self.config  # when built: not before first use
        return self._ensure()

    def _open(self) -> Client:
        try:
            import redis as redis_py
            from redis.backoff import ExponentialBackoff
            from redis.retry import Retry
        except ImportError as exc:  # the driver is the optional extra backend-bucket[redis]
            raise RedisError(
                "the redis driver is not installed: install backend-bucket[redis] "
                "(pip install 'backend-bucket[redis]'; in a checkout pip install -e '.[redis]')",
                code="MissingDriver",
            ) from exc

        config = self.config
        retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), config.max_retries)
        client: Client
        if config.mode == "sentinel":
            from redis.sentinel import Sentinel

            sentinel = Sentinel(  # type: ignore[no-untyped-call,unused-ignore]
                list(config.sentinels), sentinel_kwargs=config.sentinel_kwargs()
            )
            client = sentinel.master_for(  # type: ignore[no-untyped-call,unused-ignore]
                config.sentinel_master, **config.client_kwargs(), retry=retry
            )
        elif config.mode == "cluster":
            from redis.cluster import ClusterNode, RedisCluster

            nodes = [
                ClusterNode(host, port)  # type: ignore[no-untyped-call]
                for host, port in config.startup_nodes
            ]
            client = RedisCluster(startup_nodes=nodes, retry=retry, **config.client_kwargs())
        else:
            client = redis_py.Redis(**config.client_kwargs(), retry=retry)
        self.log.debug("connect: client built for %s", config.location)
        return client

    def _release(self, resource: Client, *, owned: bool) -> None:
        if not owned:  # a client given to the constructor is left open
            return
        resource.close()
        pool = getattr(resource, "connection_pool", None)  # none on a RedisCluster
        if pool is not None:
            pool.disconnect()
        for sentinel in getattr(getattr(pool, "sentinel_manager", None), "sentinels", ()):
            sentinel.close()  # the connections to the sentinels

    def _probe(self, resource: Client) -> object:
        """PING; in Cluster mode the cluster's own state (``check_cluster``)."""
        from redis.cluster import RedisCluster

        if isinstance(resource, RedisCluster):
            check_cluster(resource)
            return True
        return resource.ping()

    @property
    def client(self) -> Client:
        """The redis-py client (built on first access; raises instead of returning codes):
        a ``redis.Redis`` (also in Sentinel mode) or a ``redis.cluster.RedisCluster``.

        Raises:
            RedisConfigError: a setting is invalid.
            RedisError: Cluster mode and no startup node answers (redis-py's exception).
        """
        return self._ensure()

    @property
    def answered_by(self) -> str | None:
        """Which server answers, for the ping report (None before the first use); never
        raises: ``host:port/db``, ``primary host:port (sentinel mymaster)`` or
        ``cluster of N primaries``."""
        resource, config = self._resource, self._config
        if resource is None or config is None:
            return None
        try:
            if config.mode == "sentinel":
                host, port = resource.connection_pool.get_master_address()  # type: ignore[union-attr]
                return f"primary {host}:{port} (sentinel {config.sentinel_master})"
            if config.mode == "cluster":
                primaries = resource.get_primaries()  # type: ignore[union-attr]
                return f"cluster of {len(primaries)} primaries"
        except Exception as exc:  # a report never fails for its detail
            return f"unknown ({type(exc).__name__})"
        return config.location

    # ------------------------------------------------------------- commands
    def get(self, key: str) -> str | int | None:
        """The string at ``key``, None when there is none, or ``error``."""
        return self._call("get", lambda: self._ensure().get(key))  # type: ignore[arg-type,return-value]

    def set(self, key: str, value: str | bytes | int | float, *, ttl: int | None = None) -> int:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds (default: never).

        Returns ``success`` or ``error`` (a ``ttl`` below 1 is refused before any request).
        """

        def run() -> object:
            _check_ttl(ttl)
            return self._ensure().set(key, value, ex=ttl)

        return self._code("set", run)

    def get_json(self, key: str, default: Any = None) -> Any:
        """The JSON value at ``key``, decoded; ``default`` when there is none.

        ``default`` is also returned when the server cannot say or the value is not JSON
        (``last_error`` says which, code ``InvalidJSON`` for the latter): a JSON value
        may be any number, so the ``error`` code would be ambiguous here.
        """

        def run() -> Any:
            raw = self._ensure().get(key)
            if raw is None:
                return _MISS
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise RedisCommandError(
                    f"{key!r} holds invalid JSON: {exc}", code="InvalidJSON"
                ) from exc

        ok, value = self._attempt("get_json", run)
        return value if ok and value is not _MISS else default

    def set_json(self, key: str, value: Any, *, ttl: int | None = None) -> int:
        """Store ``value`` as compact JSON at ``key``, expiring after ``ttl`` seconds
        (default: never).

        Returns ``success``, or ``error``: a value JSON cannot hold (a set, NaN...) and a
        ``ttl`` below 1 are refused before any request.
        """

        def run() -> object:
            try:
                text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise RedisCommandError(
                    f"value of {key!r} is not JSON: {exc}", code="InvalidArgument"
                ) from exc
            _check_ttl(ttl)
            return self._ensure().set(key, text, ex=ttl)

        return self._code("set_json", run)

    def delete(self, key: str, *keys: str) -> int:
        """Delete keys (``success`` also when they did not exist), or ``error``."""
        return self._code("delete", lambda: self._ensure().delete(key, *keys))

    def exists(self, key: str) -> bool | int:
        """True or False, or ``error`` when the server cannot say."""
        return self._call("exists", lambda: bool(self._ensure().exists(key)))

    def expire(self, key: str, ttl: int) -> bool | int:
        """Make ``key`` expire in ``ttl`` seconds: True, False when there is no such key,
        or ``error``."""
        return self._call("expire", lambda: bool(self._ensure().expire(key, ttl)))

    def iter_keys(self, prefix: str, *, count: int = 500) -> Iterator[str] | int:
        """A generator of the keys starting with ``prefix`` (SCAN, never KEYS).

        ``prefix`` is matched literally (glob characters are escaped). The first batch
        is fetched before returning, so an unreachable server returns ``error``; a
        failure later ends the iteration early and sets ``last_error``.
        """

        def first() -> tuple[Iterator[str], list[str]]:
            iterator: Iterator[str] = self._ensure().scan_iter(
                match=escape_glob(prefix) + "*", count=count
            )
            return iterator, list(itertools.islice(iterator, 1))

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
            client = self._ensure()
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

    def cache(self, namespace: str, *, ttl: int | None = None) -> JsonCache | int:
        """A ``JsonCache`` of ``namespace`` on this connection (no request is made).

        Args:
            namespace: the second part of every key; no ``:``, spaces or glob characters.
            ttl: default seconds a value lives (default ``config.cache_ttl``; 0 = forever).

        Returns:
            The cache, or ``error`` (``last_error`` an ``InvalidArgument``
            ``RedisCommandError``) for an invalid namespace or ttl. Never raises.
        """

        def build() -> JsonCache:
            try:
                return JsonCache(self, namespace, ttl=ttl)
            except ValueError as exc:
                raise RedisCommandError(str(exc), code="InvalidArgument") from exc

        return self._call("cache", build, reconnect=False)


__all__ = ["InvalidateResult", "Redis", "check_cluster", "escape_glob"]
