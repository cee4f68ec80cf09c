"""The ``SQL`` facade as a runtime service: how every ``RuntimeManager`` builds, probes
and closes it (``core.facade.declare_facade``).

The runtime does not import this package: it imports this module (named in
``core.services.PEER_MODULES["sql"]``) the first time ``runtime.sql``,
``get(SQL)``, ``get("sql")``, ``ping("sql")`` or ``configure(sql=...)`` needs it.
"""

from __future__ import annotations

from backend.src.libs.core.facade import declare_facade
from backend.src.libs.sql.client import SQL
from backend.src.libs.sql.config import SQLConfig

SERVICE = declare_facade(SQL, SQLConfig, "sql")
"""The declaration: keyed by ``SQL``, alias ``"sql"``, settings ``SQLConfig``."""

build = SERVICE.factory
"""``build(config)``: a ``SQL`` on ``config`` (None: read from the environment and
``.env`` on first use). Makes no request and never raises."""

__all__ = ["SERVICE", "build"]
