"""What the ``Bucket`` facade adds over its store, in client CPU per call, with no I/O.

The facade is given a store whose ``put_object`` / ``get_object`` / ``head_object``
return a result recorded once (a ``LocalStore`` subclass, so every capability check
the facade makes sees a real store type). The same calls are made directly on that
store and through the facade, alternating which goes first, and the difference of the
medians is the facade's own cost: its return codes, logging, ``last_error`` and
option handling, without a server's noise.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

BUCKET = "overhead"
KEY = "k"
DATA = b"x" * 4096


def _null_store(root: str) -> Any:
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.local.store import LocalStore

    class NullStore(LocalStore):
        """Answers put/get/head with results recorded from one real call."""

        def __init__(self, config: BucketConfig) -> None:
            super().__init__(config)
            self.create_bucket(BUCKET, exist_ok=True)
            self._put = super().put_object(BUCKET, KEY, DATA)
            self._get = super().get_object(BUCKET, KEY)
            self._head = super().head_object(BUCKET, KEY)

        def put_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._put

        def get_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._get

        def head_object(self, *args: Any, **kwargs: Any) -> Any:
            return self._head

    return NullStore(BucketConfig.from_env({"STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": root}))


def _cpu_us(fn: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls * 1e6


def _pairs(store: Any, bucket: Any) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """(direct on the store, through the facade) for each operation."""
    return {
        "PUT": (lambda: store.put_object(BUCKET, KEY, DATA),
                lambda: bucket.upload_stream(BUCKET, DATA, KEY)),
        "GET": (lambda: store.get_object(BUCKET, KEY, start=None, end=None),
                lambda: bucket.download_stream(BUCKET, KEY)),
        "HEAD": (lambda: store.head_object(BUCKET, KEY),
                 lambda: bucket.get_file_info(BUCKET, KEY)),
    }


def facade_overhead_us(rounds: int = 5, calls: int = 5000) -> dict[str, float]:
    """Median CPU µs per call the facade adds over its store, for PUT, GET and HEAD."""
    from backend.src.libs.bucket import Bucket

    with tempfile.TemporaryDirectory() as root:
        store = _null_store(root)
        bucket = Bucket(config=store.config, store=store)
        samples: dict[str, list[float]] = {}
        for op, (direct, facade) in _pairs(store, bucket).items():
            assert facade() != bucket.error, f"{op} through the facade failed"  # and a warm-up
            diffs = []
            for r in range(rounds):
                order = [direct, facade] if r % 2 == 0 else [facade, direct]
                cost = {id(fn): _cpu_us(fn, calls) for fn in order}
                diffs.append(cost[id(facade)] - cost[id(direct)])
            samples[op] = diffs
    return {op: statistics.median(values) for op, values in samples.items()}


if __name__ == "__main__":
    print(facade_overhead_us())
