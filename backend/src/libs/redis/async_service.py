"""The asyncio Redis clients (``AsyncRedisClients``, one ``redis.asyncio`` client per
event loop) as a runtime service: ``runtime.aredis`` is the running loop's client.

The runtime imports this module (``core.services.PEER_MODULES["aredis"]``) the first
time it is asked for; it shares the settings given to ``configure(redis=...)``.
"""

from __future__ import annotations

from backend.src.libs.core.services import ServiceSpec, declare
from backend.src.libs.redis.async_client import AsyncRedisClients
from backend.src.libs.redis.config import RedisConfig


def build(config: RedisConfig | None) -> AsyncRedisClients:
    """The per-loop clients on ``config`` (None: read on first use). No request."""
    return AsyncRedisClients(config)


async def ping(clients: AsyncRedisClients) -> str:
    """PING from the running loop's client; which server answered.

    Raises:
        Unhealthy: the server did not answer.
    """
    return await clients.ping()


async def close(clients: AsyncRedisClients) -> None:
    """Close the running loop's client (never raises)."""
    await clients.aclose()


SERVICE = declare(
    ServiceSpec(
        AsyncRedisClients,
        build,
        settings=RedisConfig,
        ping=ping,
        on_close=close,
        aliases=("aredis",),
    )
)
"""The declaration: keyed by ``AsyncRedisClients``, alias ``"aredis"``."""

__all__ = ["SERVICE", "build", "close", "ping"]
