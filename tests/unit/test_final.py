"""FinalClass and FinalSingleton metaclasses."""

from __future__ import annotations

import threading

import pytest

from backend.src.libs.bucket import Bucket
from backend.src.libs.core import FinalClass, FinalSingleton


def test_bucket_cannot_be_subclassed() -> None:
    """Subclassing the facade raises TypeError at class creation."""
    with pytest.raises(TypeError, match="final"):

        class Sub(Bucket):  # type: ignore[misc]
            pass


def test_final_class_is_usable() -> None:
    """A final class still instantiates normally."""

    class Leaf(metaclass=FinalClass):
        def __init__(self, value: int) -> None:
            self.value = value

    assert Leaf(3).value == 3


def test_final_singleton_builds_once_across_threads() -> None:
    """32 threads racing on construction get one and the same instance, built once."""
    built: list[int] = []

    class One(metaclass=FinalSingleton):
        def __init__(self) -> None:
            built.append(1)

    seen: list[object] = []
    barrier = threading.Barrier(32)

    def make() -> None:
        barrier.wait()
        seen.append(One())

    threads = [threading.Thread(target=make) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert len({id(s) for s in seen}) == 1
    One._reset_instance()  # type: ignore[attr-defined]
    assert One() is not seen[0]
