"""The ``Bucket`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it (``core.facade.declare_facade``). The runtime imports this module
(``core.services.PEER_MODULES["bucket"]``) the first time it needs a ``Bucket``.
"""

from __future__ import annotations

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.core.facade import declare_facade

SERVICE = declare_facade(Bucket, BucketConfig, "bucket")
"""The declaration: keyed by ``Bucket``, alias ``"bucket"``, settings ``BucketConfig``."""

build = SERVICE.factory
"""``build(config)``: a ``Bucket`` on ``config`` (None: read from the environment and
``.env`` on first use). Makes no request and never raises."""

__all__ = ["SERVICE", "build"]
