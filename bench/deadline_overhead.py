"""Client CPU and wall time per 4 KiB GET with and without the attempt deadlines.

``deadline.install`` gives an ``S3Store``'s client connection classes that register each
attempt with a watchdog (two dictionary updates under a lock). This measures what that
costs, alternating the two modes (and which goes first) for 6 rounds of 300 GETs against the project's Ceph RGW
(started or reused by ``tests/servers.py``), and prints the medians.

Run: ``.venv/bin/python -m bench.deadline_overhead``
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from backend.src.libs.bucket.s3 import deadline
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for
from tests.servers import start_ceph

BUCKET = "bench-deadline-overhead"
ROUNDS = 6
OPS = 300


def _round(store: S3Store) -> tuple[float, float]:
    for _ in range(20):  # warm the connection pool
        store.get_object(BUCKET, "k")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(OPS):
        store.get_object(BUCKET, "k")
    return (time.process_time() - cpu) / OPS * 1e3, (time.perf_counter() - wall) / OPS * 1e3


def main() -> None:
    server, _ = start_ceph()
    setup = S3Store(config_for(server))
    setup.create_bucket(BUCKET)
    setup.put_object(BUCKET, "k", b"x" * 4096)
    real_install = deadline.install

    def no_install(*_: Any, **__: Any) -> bool:
        return False

    results: dict[str, list[tuple[float, float]]] = {"with deadlines": [], "without": []}
    for n in range(ROUNDS):
        for mode in list(results)[:: 1 if n % 2 == 0 else -1]:  # alternate which goes first
            deadline.install = real_install if mode == "with deadlines" else no_install
            store = S3Store(config_for(server))
            results[mode].append(_round(store))
            store.close()
    deadline.install = real_install
    setup.delete_bucket(BUCKET, force=True)
    for mode, rounds in results.items():
        cpu = statistics.median(r[0] for r in rounds)
        wall = statistics.median(r[1] for r in rounds)
        print(f"{mode:15s} client CPU {cpu:.3f} ms/GET  wall {wall:.3f} ms/GET")


if __name__ == "__main__":
    main()
