"""Process-wide runtime: the ``RuntimeManager`` registry (``RI``) and final metaclasses.

Importing this package imports neither boto3, redis nor mysql.
"""

from backend.src.libs.core.final import FinalClass, FinalSingleton
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
