"""Process-wide runtime: final metaclasses (and, later, the RuntimeManager)."""

from backend.src.libs.core.final import FinalClass, FinalSingleton

__all__ = ["FinalClass", "FinalSingleton"]
