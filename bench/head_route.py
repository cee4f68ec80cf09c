"""Client CPU and wall time per ``get_file_info`` (W1's HEAD through the facade, obstore
engine) with the signed HEAD (``signed_head``) and with botocore's HeadObject in its
place, alternating the two (and which goes first) for ``ROUNDS`` rounds of ``OPS``
sequential HEADs of one 4 KiB object against the project's Ceph RGW (started or reused by
``tests/servers.py``); prints each round's numbers and the min-max of each route.

Run: ``.venv/bin/python -m bench.head_route`` (twice, to see the spread between runs).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from backend.src.libs.bucket import Bucket
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for
from tests.servers import start_ceph

BUCKET = "bench-head-route"
ROUNDS = 6
OPS = 300


def _round(bucket: Bucket) -> tuple[float, float]:
    for _ in range(30):  # warm the connection pool
        bucket.get_file_info(BUCKET, "k")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(OPS):
        info = bucket.get_file_info(BUCKET, "k")
        assert not isinstance(info, int)
    return (time.process_time() - cpu) / OPS * 1e3, (time.perf_counter() - wall) / OPS * 1e3


def main() -> None:
    server, _ = start_ceph()
    setup = S3Store(config_for(server))
    if not setup.bucket_exists(BUCKET):
        setup.create_bucket(BUCKET)
    setup.put_object(BUCKET, "k", b"x" * 4096)
    signed_route = S3Store._signed_route

    def botocore_route(*_: Any) -> None:
        return None

    results: dict[str, list[tuple[float, float]]] = {"signed HEAD": [], "botocore HEAD": []}
    for n in range(ROUNDS):
        for route in list(results)[:: 1 if n % 2 == 0 else -1]:  # alternate which goes first
            S3Store._signed_route = signed_route if route == "signed HEAD" else botocore_route  # type: ignore[method-assign]
            bucket = Bucket(config=config_for(server, engine="obstore"))
            cpu, wall = _round(bucket)
            results[route].append((cpu, wall))
            print(f"round {n} {route:13s} CPU {cpu:.3f} ms/HEAD  wall {wall:.3f} ms/HEAD")
            bucket.close()
    S3Store._signed_route = signed_route  # type: ignore[method-assign]
    for route, rounds in results.items():
        cpus, walls = [r[0] for r in rounds], [r[1] for r in rounds]
        print(
            f"{route:13s} client CPU {min(cpus):.3f}-{max(cpus):.3f} ms/HEAD  "
            f"wall {min(walls):.3f}-{max(walls):.3f} ms/HEAD"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
