"""The Redis peer for asyncio code: redis-py's ``redis.asyncio`` client, one per event loop.

``make_async_client(config)`` builds the asyncio twin of ``Redis``'s client (same
topology, retry and timeouts); it raises redis-py's exceptions (``errors.translate``
turns them into ``RedisError``s).

An asyncio client's connections belong to the loop that opened them, so
``AsyncRedisClients`` (the runtime's ``aredis``) keeps one client per loop, built on
first use (no request); ``aclose()`` closes the running loop's and forgets those of
closed loops.

Importing this module imports neither redis-py nor asyncio.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from backend.src.libs.core.services import Unhealthy
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.redis.errors import (
    RedisConnectionError,
    RedisError,
    cluster_down,
    is_unreachable,
    name_down_nodes,
    nodes_to_ask,
    translate,
)

if TYPE_CHECKING:
    import asyncio

    from redis.asyncio import Redis as AsyncRedis
    from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    AsyncClient = AsyncRedis | AsyncRedisCluster


def make_async_client(config: RedisConfig) -> AsyncClient:
    """A ``redis.asyncio`` client for ``config``'s topology (no request is made).

    Raises:
        RedisError: the driver is not installed (code ``MissingDriver``).
    """
    try:
        from redis.asyncio import Redis as AsyncRedis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff, NoBackoff
    except ImportError as exc:
        raise RedisError(
            "the redis driver is not installed: install backend-bucket[redis]",
            code="MissingDriver",
        ) from exc
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), config.max_retries)
    if config.mode == "sentinel":
        from redis.asyncio.sentinel import Sentinel

        sentinel_kwargs: dict[str, Any] = {
            **config.sentinel_kwargs(),
            "retry": Retry(NoBackoff(), 0),  # the asyncio Retry, same policy
        }
        sentinel = Sentinel(list(config.sentinels), sentinel_kwargs=sentinel_kwargs)  # type: ignore[no-untyped-call,unused-ignore]
        client: AsyncClient = sentinel.master_for(
            config.sentinel_master, **config.client_kwargs(), retry=retry
        )
        return client
    if config.mode == "cluster":
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(host, port) for host, port in config.startup_nodes]
        return RedisCluster(startup_nodes=nodes, retry=retry, **config.client_kwargs())
    return AsyncRedis(**config.client_kwargs(), retry=retry)


async def _cluster_nodes(client: AsyncRedisCluster) -> list[AsyncClusterNode]:
    """The nodes ``acheck_cluster`` asks, in ``errors.nodes_to_ask`` order: those of the
    client's slot map, loaded now if need be, else those its startup found (redis-py's
    asyncio client gives up when the first primary of the map is dead).

    Raises:
        redis.exceptions.RedisError: no startup node answered, or one refused.
    """
    try:
        await client.initialize()  # a no-op once the slot map is loaded
    except Exception as exc:
        if not is_unreachable(exc):
            raise
    nodes = client.get_nodes() or list(client.nodes_manager.startup_nodes.values())
    return nodes_to_ask(client.get_default_node(), nodes)


async def acheck_cluster(client: AsyncRedisCluster) -> None:
    """``client.check_cluster`` for a ``redis.asyncio`` cluster client. The nodes are
    asked directly (no routing), so a client that could not load its slot map still
    says why.

    Raises:
        RedisConnectionError: coded ``ClusterDownError`` (``cluster_state:fail`` on the
            node asked, slots not served, nodes down).
        redis.exceptions.RedisError: no node answered, or one refused the command.
    """
    unreachable: Exception = RedisConnectionError("no cluster node is known")
    for node in await _cluster_nodes(client):
        try:
            info = await node.execute_command("CLUSTER INFO")
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            unreachable = exc
            continue
        down = cluster_down(info, node.name)
        if down is not None:
            raise name_down_nodes(down, await node.execute_command("CLUSTER NODES"))
        return
    raise unreachable


class AsyncRedisClients:
    """One ``redis.asyncio`` client per event loop, on one ``RedisConfig``.

    Args:
        config: settings; default ``RedisConfig.from_env()``, read on first use.

    Thread-safety: any thread's loop may ask for its client; the map is kept under a lock.
    """

    def __init__(self, config: RedisConfig | None = None) -> None:
        self._config = config
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    @property
    def config(self) -> RedisConfig:
        """The settings (read from the environment on first access; may raise
        ``RedisConfigError``)."""
        if self._config is None:
            self._config = RedisConfig.from_env()
        return self._config

    def for_running_loop(self) -> AsyncClient:
        """The client of the running event loop, built on first use (no request).

        Raises:
            RuntimeError: no event loop runs in this thread.
            RedisConfigError: a setting is invalid.
        """
        import asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None:
                client = self._clients[loop] = make_async_client(self.config)
        return client

    async def ping(self) -> str:
        """PING from the running loop's client (in Cluster mode ``acheck_cluster``);
        which server answered (``location``).

        Raises:
            Unhealthy: the server did not answer, or the cluster says it is down
                (the message says why, e.g. ``ClusterDownError: cluster_state:fail...``).
        """
        from redis.asyncio.cluster import RedisCluster

        client = self.for_running_loop()
        try:
            if isinstance(client, RedisCluster):
                await acheck_cluster(client)
            else:
                await client.ping()
        except Exception as exc:
            raise Unhealthy(str(translate(exc))) from exc
        return self.config.location

    async def aclose(self) -> None:
        """Close the running loop's client; forget those of closed loops. Never raises."""
        import asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
            for other in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[other]
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # closing never fails the caller
                return


__all__ = ["AsyncRedisClients", "acheck_cluster", "make_async_client"]
