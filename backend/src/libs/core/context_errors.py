"""``ContextErrors``: a facade's ``last_error``, one per thread and per asyncio task.

A facade is shared: ``runtime.bucket`` by every thread of the process, an
``AsyncBucket`` by every task of its loops. With one attribute per instance, a success in
one thread cleared another thread's error before it read it. Here each *context*
(``contextvars``: a thread starts with an empty one, an asyncio task runs in a copy of
its creator's taken when it was created, a callback in the context it was scheduled
from) has its own answer, so ``facade.last_error`` is always the error of the caller's
own last call:

- a new thread reads None until it calls;
- a task starts with what its creator had when it was created, then sees only its own
  calls (its creator never sees a task's errors, nor a task its siblings');
- ``AsyncBucket`` sets, in the awaiting task, the error of the executor job it awaited.

How it is kept, and why nothing leaks: one module-level ``ContextVar`` holds, per
context, an immutable mapping *facade key -> slot*, replaced (copied) on every write so
that a context copied into a task never shares writes with its creator. A slot is a
small object standing for one failure; the error itself is held by the facade, in a
``WeakKeyDictionary`` keyed by the slot. So:

- the context holds only keys and slots, never an error: an error's traceback refers to
  the facade (and its store), and a context that lives as long as its thread (the main
  thread, a pool's workers) would otherwise keep every facade that ever failed there;
- when a context ends (a task finishes, a thread exits) or its entry is replaced, the
  slot is dropped and the facade forgets that error;
- when a facade is dropped, its errors go with it; its stale entries in a living context
  are pruned at that context's next write (each entry knows its facade weakly).

Costs: a read is a ``ContextVar.get`` and two dictionary look-ups; a success with no
error to clear writes nothing; a failure (or the first success after one) copies the
mapping of the facades that have an error in this context (a handful).

Thread-safety: a context is used by one thread at a time; the facade's dictionary takes
concurrent writes from many threads (each inserts its own new slot).
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
