"""The ``Redis`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it.

The runtime does not import this package: it imports this module (named in
``core.services.PEER_MODULES["redis"]``) the first time ``runtime.redis``,
``get(Redis)``, ``get("redis")``, ``ping("redis")`` or ``configure(redis=...)`` needs it.
"""

from __future__ import annotations

from backend.src.libs.core.facade import close_hook, ping_hook
from backend.src.libs.core.services import ServiceSpec, declare
from backend.src.libs.redis.client import Redis
from backend.src.libs.redis.config import RedisConfig


def build(config: RedisConfig | None) -> Redis:
    """A ``Redis`` on ``config`` (None: read from the environment and ``.env`` on first
    use). Makes no request and never raises."""
    return Redis(config=config)


SERVICE = declare(
    ServiceSpec(
        Redis,
        build,
        settings=RedisConfig,
        ping=ping_hook,
        on_close=close_hook,
        aliases=("redis",),
    )
)
"""The declaration: keyed by ``Redis``, alias ``"redis"``, settings ``RedisConfig``."""

__all__ = ["SERVICE", "build"]
