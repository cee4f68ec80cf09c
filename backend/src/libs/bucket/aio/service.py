"""``AsyncBucket`` as a runtime service: how every ``RuntimeManager`` builds, probes and
closes it. The runtime imports this module (``core.services.PEER_MODULES["abucket"]``) the
first time it needs an ``AsyncBucket``. The hooks are coroutines: ``aping()`` /
``aclose()`` await them on the caller's loop, the sync ``ping()`` / ``close()`` on a loop
of their own (an ``AsyncBucket`` holds nothing bound to a loop).
"""

from __future__ import annotations

from backend.src.libs.bucket.aio.bucket import AsyncBucket
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.core.services import ServiceSpec, Unhealthy, declare


def build(config: BucketConfig | None) -> AsyncBucket:
    """An ``AsyncBucket`` on ``config`` (None: read from the environment and ``.env`` by
    the first call). Makes no request, builds no client and never raises."""
    return AsyncBucket(config=config)


async def ping(bucket: AsyncBucket) -> None:
    """One probe request.

    Raises:
        Unhealthy: the probe failed; the message is the facade's ``last_error``.
    """
    if not await bucket.health_check():
        last = bucket.last_error
        raise Unhealthy(str(last) if last is not None else "health_check() failed")


async def close(bucket: AsyncBucket) -> None:
    """``aclose()``: the connections, then the executor (never raises)."""
    await bucket.aclose()


SERVICE = declare(
    ServiceSpec(
        AsyncBucket, build, settings=BucketConfig, ping=ping, on_close=close, aliases=("abucket",)
    )
)
"""The declaration: keyed by ``AsyncBucket``, alias ``"abucket"``, settings ``BucketConfig``."""

__all__ = ["SERVICE", "build", "close", "ping"]
