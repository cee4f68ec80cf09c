"""The ``SQL`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it.

The runtime does not import this package: it imports this module (named in
``core.services.PEER_MODULES["sql"]``) the first time ``runtime.sql``,
``get(SQL)``, ``get("sql")``, ``ping("sql")`` or ``configure(sql=...)`` needs it.
"""

from __future__ import annotations

from backend.src.libs.core.facade import close_hook, ping_hook
from backend.src.libs.core.services import ServiceSpec, declare
from backend.src.libs.sql.client import SQL
from backend.src.libs.sql.config import SQLConfig


def build(config: SQLConfig | None) -> SQL:
    """A ``SQL`` on ``config`` (None: read from the environment and ``.env`` on first
    use). Makes no request and never raises."""
    return SQL(config=config)


SERVICE = declare(
    ServiceSpec(
        SQL,
        build,
        settings=SQLConfig,
        ping=ping_hook,
        on_close=close_hook,
        aliases=("sql",),
    )
)
"""The declaration: keyed by ``SQL``, alias ``"sql"``, settings ``SQLConfig``."""

__all__ = ["SERVICE", "build"]
