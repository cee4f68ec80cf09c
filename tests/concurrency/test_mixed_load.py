"""16 threads x 500 mixed operations on one ``Bucket`` from one ``RuntimeManager`` on Ceph.

Each thread owns its keys (so the expected content of every key is known without locks)
and reads a shared, never-rewritten set of keys too; every read is checked by SHA-256 and
at the end the whole bucket is compared with what the threads wrote.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.src.libs.bucket import ObjectInfo
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.core import RuntimeManager
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

THREADS = 16
OPERATIONS = 500
SHARED = {f"shared/{i}": hashlib.sha256(str(i).encode()).digest() * (i + 1) for i in range(8)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sixteen_threads_mixed_operations(ceph_server: S3Server) -> None:
    """16 threads x 500 put/get/head/list/delete/copy on one Bucket: 0 errors, every read
    returns the bytes last written to that key, and the final bucket matches exactly."""
    runtime = RuntimeManager(isolated=True)
    runtime.configure(bucket=config_for(ceph_server, max_pool_connections=THREADS, max_retries=3))
    bucket = runtime.bucket
    direct = S3Store(config_for(ceph_server))
    name = unique_bucket_name("conc")
    assert bucket.create_bucket(name) == bucket.success
    for key, data in SHARED.items():
        assert bucket.upload_stream(name, data, key) == bucket.success
    errors: list[str] = []
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(index: int) -> dict[str, str]:
        rng = random.Random(index)
        mine: dict[str, str] = {}  # key -> sha256 of what is there now
        local: Counter[str] = Counter()

        def fail(what: str) -> None:
            with lock:
                errors.append(f"thread {index}: {what}: {bucket.last_error!r}")

        for step in range(OPERATIONS):
            op = rng.choices(["put", "get", "head", "list", "delete", "copy", "shared"],
                             weights=[30, 25, 10, 8, 10, 7, 10])[0]
            local[op] += 1
            key = f"t{index:02d}/k{rng.randrange(12)}"
            if op == "put":
                data = f"{index}:{step}:".encode() * rng.randrange(1, 400)
                if bucket.upload_stream(name, data, key) != bucket.success:
                    fail(f"put {key}")
                mine[key] = _sha(data)
            elif op == "get" and key in mine:
                got = bucket.download_stream(name, key)
                if not isinstance(got, bytes) or _sha(got) != mine[key]:
                    fail(f"get {key} returned wrong bytes")
            elif op == "head" and key in mine:
                info = bucket.get_file_info(name, key)
                if not isinstance(info, ObjectInfo) or info.key != key:
                    fail(f"head {key}")
            elif op == "list":
                listed = bucket.list_files(name, prefix=f"t{index:02d}/")
                keys = sorted(e.key for e in listed) if not isinstance(listed, int) else None  # type: ignore[union-attr]
                if keys != sorted(mine):
                    fail(f"list t{index:02d}/ gave {keys} not {sorted(mine)}")
            elif op == "delete":
                if bucket.delete_file(name, key) != bucket.success:
                    fail(f"delete {key}")
                mine.pop(key, None)
            elif op == "copy" and key in mine:
                target = f"t{index:02d}/k{(int(key.rsplit('k', 1)[1]) + rng.randrange(1, 12)) % 12}"
                if bucket.copy_file(name, key, target) != bucket.success:
                    fail(f"copy {key} -> {target}")
                mine[target] = mine[key]
            elif op == "shared":
                shared_key = rng.choice(list(SHARED))
                got = bucket.download_stream(name, shared_key)
                if not isinstance(got, bytes) or got != SHARED[shared_key]:
                    fail(f"shared read {shared_key}")
        with lock:
            counts.update(local)
        return mine

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS)))
        assert errors == []
        assert sum(counts.values()) == THREADS * OPERATIONS
        expected = {k: _sha(v) for k, v in SHARED.items()}
        for mine in results:
            expected.update(mine)
        on_server = {
            e.key: _sha(direct.get_object(name, e.key))  # type: ignore[union-attr]
            for e in direct.list_objects(name)
        }
        assert on_server == expected
    finally:
        direct.delete_bucket(name, force=True)
        direct.close()
        runtime.close()
