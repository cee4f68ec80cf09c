"""Process-wide runtime: the ``RuntimeManager`` registry (``RI``) and final metaclasses.

Importing this package imports neither boto3, redis nor mysql. The runtime module (and
asyncio with it) is loaded on first use of one of its names, so that modules which only
need ``FinalClass`` (the ``Bucket`` facade) stay cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.src.libs.core.final import FinalClass, FinalSingleton

if TYPE_CHECKING:
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

_RUNTIME_NAMES = {
    "RI",
    "CircularDependency",
    "CloseReport",
    "PingReport",
    "RuntimeManager",
    "ServiceHealth",
    "ServiceNotFound",
    "run_awaitable",
}

__all__ = [
    "RI",
    "CircularDependency",
    "CloseReport",
    "FinalClass",
    "FinalSingleton",
    "PingReport",
    "RuntimeManager",
    "ServiceHealth",
    "ServiceNotFound",
    "run_awaitable",
]


def __getattr__(name: str) -> Any:
    if name in _RUNTIME_NAMES:
        from backend.src.libs.core import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
