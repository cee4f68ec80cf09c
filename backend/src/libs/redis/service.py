"""The ``Redis`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it (``core.facade.declare_facade``).

The runtime does not import this package: it imports this module (named in
``core.services.PEER_MODULES["redis"]``) the first time ``runtime.redis``,
``get(Redis)``, ``get("redis")``, ``ping("redis")`` or ``configure(redis=...)`` needs it.
"""

from __future__ import annotations

from backend.src.libs.core.facade import declare_facade
from backend.src.libs.redis.client import Redis
from backend.src.libs.redis.config import RedisConfig

SERVICE = declare_facade(Redis, RedisConfig, "redis")
"""The declaration: keyed by ``Redis``, alias ``"redis"``, settings ``RedisConfig``."""

build = SERVICE.factory
"""``build(config)``: a ``Redis`` on ``config`` (None: read from the environment and
``.env`` on first use). Makes no request and never raises."""

__all__ = ["SERVICE", "build"]
