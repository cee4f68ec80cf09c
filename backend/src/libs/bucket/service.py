"""The ``Bucket`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it. The runtime imports this module (``core.services.PEER_MODULES["bucket"]``)
the first time it needs a ``Bucket``.
"""

from __future__ import annotations

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.core.facade import close_hook, ping_hook
from backend.src.libs.core.services import ServiceSpec, declare


def build(config: BucketConfig | None) -> Bucket:
    """A ``Bucket`` on ``config`` (None: read from the environment and ``.env`` on first
    use). Makes no request and never raises."""
    return Bucket(config=config)


SERVICE = declare(
    ServiceSpec(
        Bucket,
        build,
        settings=BucketConfig,
        ping=ping_hook,
        on_close=close_hook,
        aliases=("bucket",),
    )
)
"""The declaration: keyed by ``Bucket``, alias ``"bucket"``, settings ``BucketConfig``."""

__all__ = ["SERVICE", "build"]
