"""The asyncio Redis clients (``AsyncRedisClients``, one ``redis.asyncio`` client per
event loop) as a runtime service: ``runtime.aredis`` is the running loop's client.

The runtime imports this module (``core.services.PEER_MODULES["aredis"]``) the first
time it is asked for; it shares the settings given to ``configure(redis=...)``. The
hooks are the clients' own coroutines: ``AsyncRedisClients.ping`` (which server
answered; ``Unhealthy`` when none did) and ``AsyncRedisClients.aclose``.
"""

from __future__ import annotations

from backend.src.libs.core.services import ServiceSpec, declare
from backend.src.libs.redis.async_client import AsyncRedisClients
from backend.src.libs.redis.config import RedisConfig

build = AsyncRedisClients
"""``build(config)``: the per-loop clients on ``config`` (None: read on first use)."""
ping = AsyncRedisClients.ping
close = AsyncRedisClients.aclose

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
