"""Metaclasses that forbid subclassing, and a final singleton.

``FinalClass`` makes a class final: defining a subclass raises ``TypeError`` at class
creation time, so the facade's contract cannot be bent by inheritance.
``FinalSingleton`` adds one instance per class per process, created under a lock.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar


class FinalClass(type):
    """Metaclass of classes that may not be subclassed.

    Raises:
        TypeError: when a class lists a ``FinalClass`` class among its bases.
    """

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> FinalClass:
        for base in bases:
            if isinstance(base, FinalClass):
                raise TypeError(f"{base.__name__} is final and cannot be subclassed (by {name})")
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class FinalSingleton(FinalClass):
    """Metaclass of final classes with exactly one instance per process.

    The first call builds the instance under a lock; every later call returns it,
    ignoring its arguments. ``_reset_instance(cls)`` forgets it (for tests).
    Thread-safe.
    """

    _instances: ClassVar[dict[type, Any]] = {}
    _lock: ClassVar[threading.RLock] = threading.RLock()

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = FinalSingleton._instances.get(cls)
        if instance is not None:
            return instance
        with FinalSingleton._lock:
            instance = FinalSingleton._instances.get(cls)
            if instance is None:
                instance = super().__call__(*args, **kwargs)
                FinalSingleton._instances[cls] = instance
            return instance

    def _reset_instance(cls) -> None:
        """Forget the instance of ``cls`` so the next call builds a new one."""
        with FinalSingleton._lock:
            FinalSingleton._instances.pop(cls, None)
