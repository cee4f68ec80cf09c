"""The benchmark's workloads W1-W6; each returns ``{operation: seconds}`` for one round."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench.contenders import Contender, Target

ROOT = Path(__file__).resolve().parent.parent
KiB = 1024
MiB = 1024 * KiB


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def w1_single(c: Contender, n: int, round_no: int) -> dict[str, float]:
    """W1: n sequential 4 KiB PUT, then GET, then HEAD of the same keys."""
    data = os.urandom(4 * KiB)
    keys = [f"w1/{c.name}/{round_no}/{i:05d}" for i in range(n)]
    out = {
        "PUT": _timed(lambda: [c.put(k, data) for k in keys]),
        "GET": _timed(lambda: [c.get(k) for k in keys]),
        "HEAD": _timed(lambda: [c.head(k) for k in keys]),
    }
    for k in keys:
        c.delete(k)
    return out


def w2_many(c: Contender, n: int, threads: int, round_no: int) -> dict[str, float]:
    """W2: n x 16 KiB objects put, got and deleted with ``threads`` threads."""
    data = os.urandom(16 * KiB)
    keys = [f"w2/{c.name}/{round_no}/{i:05d}" for i in range(n)]
    items = [(k, data) for k in keys]
    put = _timed(lambda: c.put_many(items, threads))
    got: list[bytes] = []
    get = _timed(lambda: got.extend(c.get_many(keys, threads)))
    assert got == [data] * n, f"{c.name} returned wrong bytes"
    delete = _timed(lambda: c.delete_many(keys, threads))
    return {"put": put, "get": get, "delete": delete}


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
    """Create n empty keys under w4/ once (with the project's batch put)."""
    if c.count("w4/") >= n:
        return
    c.put_many([(f"w4/{i:07d}", b"") for i in range(n)], 16)


def w4_list(c: Contender, n: int) -> dict[str, float]:
    """W4: list the n keys; records the Python heap growth of the listing (``mem_mib``)."""
    tracemalloc.start()
    counted = 0

    def run() -> None:
        nonlocal counted
        counted = c.count("w4/")

    seconds = _timed(run)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert counted >= n, f"{c.name} listed {counted} of {n}"
    return {"list": seconds, "mem_mib": peak / MiB}


def w6_presign(c: Contender, n: int) -> dict[str, float]:
    """W6: presign n GET URLs."""
    keys = [f"w6/{i}" for i in range(n)]
    return {"presign": _timed(lambda: [c.presign(k) for k in keys])}


def w5_imports(rounds: int) -> dict[str, list[float]]:
    """W5: seconds to import boto3 and ``backend.src.libs.bucket`` in fresh processes."""
    code = "import time; t=time.perf_counter(); import {m}; print(time.perf_counter()-t)"
    # as installed: bytecode caches written and used (PYTHONDONTWRITEBYTECODE would make
    # every run compile the project's sources while boto3's wheel ships its caches)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out: dict[str, list[float]] = {"import boto3": [], "import bucket": []}
    modules = (("import boto3", "boto3"), ("import bucket", "backend.src.libs.bucket"))
    for _, module in modules:  # warm-up: writes the caches
        subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, check=True)
    for _ in range(rounds):
        for label, module in modules:
            done = subprocess.run([sys.executable, "-c", code.format(m=module)], cwd=ROOT, env=env,
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


def facade_requests_per_call(c: Contender, calls: int = 20) -> dict[str, float]:
    """HTTP requests the facade sends per PUT, GET and HEAD (botocore ``before-send``)."""
    from bench.contenders import Facade

    assert isinstance(c, Facade)
    sent: list[str] = []
    client = c.bucket.store.client  # type: ignore[attr-defined]
    handler = lambda **kw: sent.append(kw["request"].method)  # noqa: E731
    client.meta.events.register("before-send", handler)
    data = os.urandom(4 * KiB)
    counts: dict[str, float] = {}
    try:
        for op, run in (("PUT", lambda k: c.put(k, data)), ("GET", c.get), ("HEAD", c.head)):
            sent.clear()
            for i in range(calls):
                run(f"w1/requests/{i}")
            counts[op] = len(sent) / calls
    finally:
        client.meta.events.unregister("before-send", handler)
        for i in range(calls):
            c.delete(f"w1/requests/{i}")
    return counts
