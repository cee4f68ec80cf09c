"""Process-wide runtime: the ``RuntimeManager`` registry (``RI``), the ``Facade`` base of
the return-code facades, service declarations (``ServiceSpec``, ``declare``) and final
metaclasses.

Importing this package imports neither boto3, redis nor mysql. The runtime, facade and
services modules (and asyncio with them) are loaded on first use of one of their names,
so that modules which only need ``FinalClass`` stay cheap to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backend.src.libs.core.final import FinalClass, FinalSingleton

if TYPE_CHECKING:
    from backend.src.libs.core.facade import Facade
    from backend.src.libs.core.runtime import (
        RI,
        CircularDependency,
        CloseReport,
        PingReport,
        RuntimeManager,
        ServiceHealth,
        ServiceNotFound,
        run_awaitable,
    )
    from backend.src.libs.core.services import ServiceSpec, Unhealthy, declare

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "RI",
            "CircularDependency",
            "CloseReport",
            "PingReport",
            "RuntimeManager",
            "ServiceHealth",
            "ServiceNotFound",
            "run_awaitable",
        ),
        "runtime",
    ),
    **dict.fromkeys(("ServiceSpec", "Unhealthy", "declare"), "services"),
    "Facade": "facade",
}
"""Name -> the ``core`` module that defines it (imported on first use)."""

__all__ = [
    "RI",
    "CircularDependency",
    "CloseReport",
    "Facade",
    "FinalClass",
    "FinalSingleton",
    "PingReport",
    "RuntimeManager",
    "ServiceHealth",
    "ServiceNotFound",
    "ServiceSpec",
    "Unhealthy",
    "declare",
    "run_awaitable",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
