"""``ContextErrors``: a facade's ``last_error``, one per thread and per asyncio task.

A facade is shared by threads and tasks, so each *context* (``contextvars``: a new
thread starts empty, an asyncio task runs in a copy of its creator's taken at creation)
has its own answer: ``facade.last_error`` is the error of the caller's own last call. A
new thread reads None until it calls; a task starts with what its creator had, then sees
only its own calls.

How nothing leaks: one ``ContextVar`` holds, per context, an immutable mapping *facade
key -> slot*, copied on every write (a task never shares writes with its creator). The
error itself is held by the facade in a ``WeakKeyDictionary`` keyed by the slot, so:

- a context never holds an error (whose traceback would keep the facade alive as long
  as a long-lived thread's context);
- when a context ends or its entry is replaced, the slot goes and the facade forgets
  that error;
- when a facade is dropped, its errors go with it; its stale entries in a living context
  are pruned at that context's next write.

A read is a ``ContextVar.get`` and two look-ups; a success with no error to clear
writes nothing. The facade's dictionary takes concurrent writes (each a new slot).
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Mapping
from typing import Generic, TypeVar

E = TypeVar("E", bound=Exception)


class _Slot:
    """One failure of one facade in one context: the key its error is kept under."""

    __slots__ = ("__weakref__", "owner")

    def __init__(self, owner: weakref.ref[object]) -> None:
        self.owner = owner


_EMPTY: Mapping[object, _Slot] = {}
_SLOTS: contextvars.ContextVar[Mapping[object, _Slot]] = contextvars.ContextVar(
    "bucket_last_errors", default=_EMPTY
)
"""Per context: facade key -> the slot of its last error there (absent: None)."""


class ContextErrors(Generic[E]):
    """The per-context last error of one facade (``owner``).

    ``get()`` is the calling context's error (None when its last call succeeded, or it
    made none); ``set(error)`` records it for the calling context only.
    """

    __slots__ = ("_errors", "_key", "_owner")

    def __init__(self, owner: object) -> None:
        self._key = object()  # unique while any context holds it: never reused
        self._owner: weakref.ref[object] = weakref.ref(owner)
        self._errors: weakref.WeakKeyDictionary[_Slot, E] = weakref.WeakKeyDictionary()

    def get(self) -> E | None:
        """The error of the calling context's last call, or None."""
        slot = _SLOTS.get().get(self._key)
        return None if slot is None else self._errors.get(slot)

    def set(self, error: E | None) -> None:
        """Record ``error`` (None: a success) for the calling context only."""
        slots = _SLOTS.get()
        key = self._key
        if error is None and key not in slots:
            return  # the hot path: nothing to clear
        kept = {k: s for k, s in slots.items() if k is not key and s.owner() is not None}
        if error is not None:
            slot = _Slot(self._owner)
            self._errors[slot] = error
            kept[key] = slot
        _SLOTS.set(kept)


__all__ = ["ContextErrors"]
