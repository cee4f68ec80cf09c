"""``make bench``: every workload, every contender, alternating order, medians and ratios.

Usage: python -m bench.run [--quick] [--server ceph|seaweedfs] [--rounds N] [--out docs/performance.md]

Starts the project's local Ceph RGW (or SeaweedFS) under ``.servers/bench-*`` unless
``BUCKET_BENCH_ENDPOINT`` / ``BUCKET_BENCH_ACCESS_KEY`` / ``BUCKET_BENCH_SECRET_KEY``
name a running server, runs W1-W6 for each contender in a rotating order for at least
5 rounds, and writes ``docs/performance.md`` and ``docs/performance.png``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from bench import workloads as W
from bench.contenders import ALL, Contender, Target, make

ROOT = Path(__file__).resolve().parent.parent
Samples = dict[tuple[str, str, str], list[float]]  # (workload, operation, contender) -> seconds


@contextmanager
def server(kind: str) -> Iterator[Target]:
    """A running S3 server and a fresh bench bucket in it."""
    endpoint = os.environ.get("BUCKET_BENCH_ENDPOINT")
    started = False
    folder = ROOT / ".servers" / f"bench-{kind}"
    script = ROOT / "scripts" / f"{'ceph' if kind == 'ceph' else 'seaweedfs'}-s3.sh"
    if endpoint:
        env = {
            "S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("BUCKET_BENCH_ACCESS_KEY", ""),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("BUCKET_BENCH_SECRET_KEY", ""),
        }
    else:
        running = subprocess.run(["bash", str(script), "env", str(folder)], capture_output=True, text=True)
        if running.returncode != 0:
            print(f"starting {kind} under {folder} ...", flush=True)
            running = subprocess.run(["bash", str(script), "start", str(folder)], capture_output=True,
                                     text=True, check=True)
            started = True
        env = dict(line.split("=", 1) for line in running.stdout.splitlines() if "=" in line)
    target = Target(endpoint=env["S3_ENDPOINT_URL"], access_key=env["AWS_ACCESS_KEY_ID"],
                    secret_key=env["AWS_SECRET_ACCESS_KEY"], bucket=f"bench-{int(time.time())}")
    admin = make("bucket-store", target)
    admin.store.create_bucket(target.bucket)  # type: ignore[attr-defined]
    try:
        yield target
    finally:
        try:
            admin.store.delete_bucket(target.bucket, force=True)  # type: ignore[attr-defined]
        finally:
            if started:
                subprocess.run(["bash", str(script), "stop", str(folder)], capture_output=True)


def rotation(names: list[str], round_no: int) -> list[str]:
    """Contenders in a different order each round, so none always runs first or last."""
    shift = round_no % len(names)
    order = names[shift:] + names[:shift]
    return order if round_no % 2 == 0 else order[::-1]


def run(args: argparse.Namespace) -> tuple[Samples, dict[str, object]]:
    quick = args.quick
    sizes = {
        "w1": 10 if quick else 1000,
        "w2": 40 if quick else 2000,
        "w3": (24 if quick else 1024) * W.MiB,
        "w4": 500 if quick else 100_000,
        "w6": 500 if quick else 10_000,
    }
    threads = args.threads
    rounds = args.rounds
    samples: Samples = defaultdict(list)
    extra: dict[str, object] = {"sizes": sizes, "threads": threads, "rounds": rounds}
    names = [n for n in ALL if n in args.contenders]
    with server(args.server) as target, tempfile.TemporaryDirectory() as tmp:
        contenders: dict[str, Contender] = {n: make(n, target, threads=threads) for n in names}
        extra["facade_requests"] = W.facade_requests_per_call(contenders["bucket-facade"])
        print(f"facade requests per call: {extra['facade_requests']}", flush=True)
        W.w4_prefill(contenders["bucket-store"], sizes["w4"])
        spent: dict[str, float] = defaultdict(float)

        def record(workload: str, name: str, results: dict[str, float], started: float) -> None:
            for op, value in results.items():
                samples[(workload, op, name)].append(value)
            spent[workload] += time.perf_counter() - started

        for r in range(rounds):
            for name in rotation(names, r):
                c = contenders[name]
                t = time.perf_counter()
                record("W1", name, W.w1_single(c, sizes["w1"], r), t)
                t = time.perf_counter()
                record("W2", name, W.w2_many(c, sizes["w2"], threads, r), t)
                if name == "boto3":
                    t = time.perf_counter()
                    record("W2", "boto3-sequential", W.w2_many(c, sizes["w2"], 1, r), t)
                t = time.perf_counter()
                record("W3", name, W.w3_large(c, target, sizes["w3"], r, Path(tmp)), t)
                t = time.perf_counter()
                record("W4", name, W.w4_list(c, sizes["w4"]), t)
                t = time.perf_counter()
                record("W6", name, W.w6_presign(c, sizes["w6"]), t)
            if "bucket-facade" in contenders:
                facade = contenders["bucket-facade"]
                started = time.perf_counter()
                stats = facade.bucket.get_bucket_stats(target.bucket, prefix="w4/")  # type: ignore[attr-defined]
                samples[("W4", "stats", "bucket-facade")].append(time.perf_counter() - started)
                assert not isinstance(stats, int), "get_bucket_stats failed"
            where = ", ".join(f"{w} {v:.0f}s" for w, v in sorted(spent.items()))
            print(f"round {r + 1}/{rounds} done (so far: {where})", flush=True)
        for op, values in W.w5_imports(rounds).items():
            samples[("W5", op, "python")].extend(values)
        extra["construction_connections"] = W.w5_construction_requests()
    return samples, extra


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("boto3", "botocore", "minio", "obstore")
        if _installed(p)
    )
    return (f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {versions}")


def _installed(package: str) -> bool:
    try:
        metadata.version(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    parser.add_argument("--server", choices=("ceph", "seaweedfs"), default="ceph")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--contenders", default=",".join(ALL))
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args(argv)
    args.contenders = args.contenders.split(",")
    if args.rounds < 5:
        parser.error("--rounds must be at least 5")
    started = time.perf_counter()
    samples, extra = run(args)
    elapsed = time.perf_counter() - started
    from bench.report import write_report

    write_report(samples, extra, out=Path(args.out), machine=machine(), server=args.server,
                 quick=args.quick, elapsed=elapsed)
    print(f"wrote {args.out} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

