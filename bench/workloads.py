"""The benchmark's workloads W1-W6; each returns ``{operation: value}`` for one round.

Times are wall seconds; ``"<op> cpu"`` is the client's CPU in ms per operation (see
``bench.measure``). Nothing timed here runs under ``tracemalloc`` or a profiler; W4's
memory is measured by ``w4_memory`` in a separate, untimed pass.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from bench.contenders import Contender, Target, make, no_fsync
from bench.measure import KiB, MiB, results, timed

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["KiB", "MiB"]


def warm_up(c: Contender, threads: int) -> None:
    """One of each operation a contender's workloads use, untimed: imports, connections
    and pools are ready before the first timed round."""
    data = os.urandom(4 * KiB)
    keys = [f"warm/{c.name}/{i:03d}" for i in range(max(2, threads))]
    c.put(keys[0], data)
    c.get(keys[0])
    c.head(keys[0])
    c.delete(keys[0])
    c.put_many([(k, data) for k in keys], threads)
    c.get_many(keys, threads)
    c.delete_many(keys, threads)
    if "W4" in c.workloads:
        c.count("w4/000000")
    if "W6" in c.workloads:
        c.presign(keys[0])


def each(keys: list[str], fn: Callable[[str], object]) -> None:
    """``fn(key)`` for every key, in order (a plain loop: nothing kept)."""
    for k in keys:
        fn(k)


def w1_single(c: Contender, n: int, round_no: int) -> dict[str, float]:
    """W1: n sequential 4 KiB PUT, then GET, then HEAD of the same keys."""
    data = os.urandom(4 * KiB)
    keys = [f"w1/{c.name}/{round_no}/{i:05d}" for i in range(n)]
    out = results(
        PUT=timed(lambda: each(keys, lambda k: c.put(k, data)), n),
        GET=timed(lambda: each(keys, c.get), n),
        HEAD=timed(lambda: each(keys, c.head), n),
    )
    for k in keys:
        c.delete(k)
    return out


def w2_many(c: Contender, n: int, threads: int, round_no: int) -> dict[str, float]:
    """W2: n x 16 KiB objects put, got and deleted with ``threads`` threads (client CPU
    is the whole process's: every thread)."""
    data = os.urandom(16 * KiB)
    keys = [f"w2/{c.name}/{round_no}/{i:05d}" for i in range(n)]
    items = [(k, data) for k in keys]
    put = timed(lambda: c.put_many(items, threads), n)
    got: list[bytes] = []
    get = timed(lambda: got.extend(c.get_many(keys, threads)), n)
    assert got == [data] * n, f"{c.name} returned wrong bytes"
    delete = timed(lambda: c.delete_many(keys, threads), n)
    return results(put=put, get=get, delete=delete)


def w3_large(c: Contender, target: Target, size: int, round_no: int, workdir: Path) -> dict[str, float]:
    """W3: one object of ``size`` bytes up from a file and down to a file, in a fresh
    process so its peak RSS is its own (returned as ``rss_mib``)."""
    source = workdir / "w3-source.bin"
    if not source.exists() or source.stat().st_size != size:
        with source.open("wb") as handle:
            block = os.urandom(MiB)
            for _ in range(size // MiB):
                handle.write(block)
    key = f"w3/{c.name}/{round_no}"
    done = subprocess.run(
        [sys.executable, "-m", "bench.w3", c.name, json.dumps(asdict(target)), key, str(source),
         str(workdir / f"w3-{c.name}.out")],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"W3 {c.name} failed: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def w4_prefill(c: Contender, n: int) -> None:
    """Create n empty keys under w4/ once (with the contender's batch put; fsync off,
    as the prefill is not measured)."""
    if c.count("w4/") >= n:
        return
    with no_fsync():
        c.put_many([(f"w4/{i:07d}", b"") for i in range(n)], 16)


def w4_list(c: Contender, n: int) -> dict[str, float]:
    """W4: list the n keys (wall time and client CPU of the whole listing; no memory
    instrument running: see ``w4_memory``)."""
    counted = 0

    def run() -> None:
        nonlocal counted
        counted = c.count("w4/")

    timing = timed(run)
    assert counted >= n, f"{c.name} listed {counted} of {n}"
    return results(list=timing)


def w4_memory(name: str, target: Target, n: int) -> dict[str, float]:
    """W4's memory, untimed, in a fresh process: RSS growth and Python heap peak of one
    listing of the n keys (``bench.w4mem``)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.w4mem", name, json.dumps(asdict(target)), "w4/", str(n)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"W4 memory {name} failed: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def w6_presign(c: Contender, n: int) -> dict[str, float]:
    """W6: presign n GET URLs (wall time only: no request is made)."""
    keys = [f"w6/{i}" for i in range(n)]
    return {"presign": timed(lambda: each(keys, c.presign), n).wall}


def w5_imports(rounds: int) -> dict[str, list[float]]:
    """W5: seconds to import boto3 and ``backend.src.libs.bucket`` in fresh processes."""
    code = "import time; t=time.perf_counter(); import {m}; print(time.perf_counter()-t)"
    # as installed: bytecode caches written and used (PYTHONDONTWRITEBYTECODE would make
    # every run compile the project's sources while boto3's wheel ships its caches)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # and, beside the target, what a process pays before its first call: the import and
    # Bucket() on the local store (settings read and checked, logging set up; no I/O)
    built = ("import time; t=time.perf_counter(); from backend.src.libs.bucket import Bucket; "
             "Bucket(); print(time.perf_counter()-t)")
    out: dict[str, list[float]] = {"import boto3": [], "import bucket": [], "import bucket + Bucket()": []}
    scripts = (
        ("import boto3", code.format(m="boto3")),
        ("import bucket", code.format(m="backend.src.libs.bucket")),
        ("import bucket + Bucket()", built),
    )
    local = {**env, "STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": tempfile.mkdtemp(prefix="bench-w5-")}
    for _, script in scripts:  # warm-up: writes the caches
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=local, check=True, capture_output=True)
    for _ in range(rounds):
        for label, script in scripts:
            done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=local,
                                  capture_output=True, text=True, check=True)
            out[label].append(float(done.stdout.strip()))
    return out


def w5_construction_requests() -> int:
    """Connections made while constructing ``Bucket`` and ``RuntimeManager`` (must be 0).

    Points both at a listening socket on 127.0.0.1 and counts what connects to it.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted = 0
    stop = threading.Event()

    def accept() -> None:
        nonlocal accepted
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted += 1
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    env = {"S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    code = (
        f"import os; os.environ.update({env!r})\n"
        "from backend.src.libs.bucket import Bucket\n"
        "from backend.src.libs.core import RuntimeManager\n"
        "b = Bucket(); r = RuntimeManager(); print('built')\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code], cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       check=True, capture_output=True, timeout=60)
    time.sleep(0.3)
    stop.set()
    thread.join()
    listener.close()
    return accepted


def facade_requests_per_call(name: str, target: Target, calls: int = 20) -> dict[str, float]:
    """HTTP requests the facade contender ``name`` sends per PUT, GET and HEAD, counted on
    the wire: the facade talks to the server through a pass-through proxy
    (``tests.faults.proxy``, no fault scripted) that records every request line, so the
    count holds for any engine (botocore's or obstore's)."""
    from tests.faults.proxy import FaultProxy

    proxy = FaultProxy(upstream=target.endpoint).start()
    try:
        c = make(name, replace(target, endpoint=proxy.endpoint))
        return _count_requests(c, proxy.requests, calls)
    finally:
        proxy.stop()


def _count_requests(c: Contender, seen: Sequence[object], calls: int) -> dict[str, float]:
    data = os.urandom(4 * KiB)
    keys = [f"w1/requests/{c.name}/{i}" for i in range(calls)]
    c.put(keys[0], data)  # warm-up: whatever a first call does once is not counted
    c.get(keys[0])
    c.head(keys[0])
    counts: dict[str, float] = {}
    try:
        for op, run in (("PUT", lambda k: c.put(k, data)), ("GET", c.get), ("HEAD", c.head)):
            before = len(seen)
            for k in keys:
                run(k)
            counts[op] = (len(seen) - before) / calls
    finally:
        for k in keys:
            c.delete(k)
    return counts
