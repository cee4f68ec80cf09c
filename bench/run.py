"""``make bench``: every workload, every contender, alternating order, medians and ratios.

Usage: python -m bench.run [--quick] [--server ceph|seaweedfs] [--rounds N] [--out docs/performance.md]
                           [--contenders a,b,...] [--local-root FOLDER] [--cli-tools a,b,...]

Starts the project's local Ceph RGW (or SeaweedFS) under ``.servers/bench-*`` unless
``BUCKET_BENCH_ENDPOINT`` / ``BUCKET_BENCH_ACCESS_KEY`` / ``BUCKET_BENCH_SECRET_KEY``
name a running server, runs W1-W6 for each contender in a rotating order for at least
5 rounds (the local-store contenders W1, W2 and W4 on a temporary folder), runs W8 (the
``bucket``, ``aws s3`` and ``rclone`` commands on bulk copies, ``bench.cli_bulk``) each
round, measures W4's memory in a separate untimed pass, and writes its mode's section (QUICK or full)
of ``docs/performance.md``, keeping the other mode's, and ``docs/performance.png``.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from importlib import metadata
from pathlib import Path

from bench import workloads as W
from bench.cli_bulk import make_inputs, w8_cli_bulk
from bench.contenders import ALL, Contender, Target, make
from bench.overhead import facade_overhead_us, tracing_overhead_us
from bench.w7 import w7_async

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
        except Exception as exc:  # cleanup must not hide the run's own error
            print(f"could not delete the bench bucket {target.bucket}: {exc}", file=sys.stderr)
        finally:
            if started:
                subprocess.run(["bash", str(script), "stop", str(folder)], capture_output=True)


def rotation(names: list[str], round_no: int) -> list[str]:
    """Contenders in a different order each round, so none always runs first or last."""
    shift = round_no % len(names)
    order = names[shift:] + names[:shift]
    return order if round_no % 2 == 0 else order[::-1]


def sizes_for(quick: bool) -> dict[str, int]:
    """Operations (W1, W2), bytes (W3), keys (W4) and URLs (W6) for a QUICK or a full run."""
    return {
        "w1": 10 if quick else 1000,
        "w2": 40 if quick else 2000,
        "w3": (24 if quick else 1024) * W.MiB,
        "w4": 500 if quick else 100_000,
        "w6": 500 if quick else 10_000,
        "w7": 1000,  # issue 13: 1,000 concurrent 16 KiB PUTs and GETs, QUICK too
        "w8_files": 200 if quick else 2000,  # issue 25: CLI bulk copies, 16 KiB files
        "w8_large": (32 if quick else 256) * W.MiB,
    }


class Bench:
    """One run's state: the contenders, their samples and the time spent per workload."""

    def __init__(self, target: Target, names: list[str], sizes: dict[str, int], threads: int, tmp: Path) -> None:
        self.target, self.names, self.sizes, self.threads, self.tmp = target, names, sizes, threads, tmp
        self.contenders: dict[str, Contender] = {n: make(n, target, threads=threads) for n in names}
        self.samples: Samples = defaultdict(list)
        self.spent: dict[str, float] = defaultdict(float)

    def record(self, workload: str, name: str, fn: Callable[[], dict[str, float]]) -> None:
        """Run one workload for one contender and keep its numbers."""
        started = time.perf_counter()
        for op, value in fn().items():
            self.samples[(workload, op, name)].append(value)
        self.spent[workload.split()[0]] += time.perf_counter() - started

    def prepare(self) -> None:
        """W4's keys in every store, and one warm-up of every contender (untimed)."""
        fillers = [n for n in ("bucket-store", "bucket-local", "obstore-local") if n in self.contenders]
        if "bucket-store" not in fillers:
            W.w4_prefill(make("bucket-store", self.target), self.sizes["w4"])
        for name in fillers:
            W.w4_prefill(self.contenders[name], self.sizes["w4"])
        for c in self.contenders.values():
            W.warm_up(c, self.threads)

    def contender_round(self, c: Contender, r: int) -> None:
        """Every workload ``c`` takes part in, once."""
        s = self.sizes

        def label(workload: str) -> str:
            return f"{workload} local" if c.local else workload

        if "W1" in c.workloads:
            self.record(label("W1"), c.name, lambda: W.w1_single(c, s["w1"], r))
        if "W2" in c.workloads:
            self.record(label("W2"), c.name, lambda: W.w2_many(c, s["w2"], self.threads, r))
        if c.name == "boto3":
            self.record("W2", "boto3-sequential", lambda: W.w2_many(c, s["w2"], 1, r))
        if "W3" in c.workloads:
            self.record("W3", c.name, lambda: W.w3_large(c, self.target, s["w3"], r, self.tmp))
        if "W4" in c.workloads:
            self.record(label("W4"), c.name, lambda: W.w4_list(c, s["w4"]))
        if "W6" in c.workloads:
            self.record("W6", c.name, lambda: W.w6_presign(c, s["w6"]))

    def stats_round(self) -> None:
        """The facade's bucket stats over W4's keys (wall time)."""
        facade = self.contenders.get("bucket-facade")
        if facade is None:
            return
        started = time.perf_counter()
        stats = facade.bucket.get_bucket_stats(self.target.bucket, prefix="w4/")  # type: ignore[attr-defined]
        self.samples[("W4", "stats", "bucket-facade")].append(time.perf_counter() - started)
        assert not isinstance(stats, int), "get_bucket_stats failed"

    def memory(self) -> None:
        """W4's memory pass: one fresh process per contender, untimed."""
        started = time.perf_counter()
        for name, c in self.contenders.items():
            if "W4" in c.workloads:
                workload = "W4 local" if c.local else "W4"
                for op, value in W.w4_memory(name, self.target, self.sizes["w4"]).items():
                    self.samples[(workload, op, name)].append(value)
        self.spent["W4 memory"] += time.perf_counter() - started


def run(args: argparse.Namespace) -> tuple[Samples, dict[str, object]]:
    sizes = sizes_for(args.quick)
    extra: dict[str, object] = {"sizes": sizes, "threads": args.threads, "rounds": args.rounds}
    names = [n for n in ALL if n in args.contenders]
    with server(args.server) as target, tempfile.TemporaryDirectory() as tmp, \
            tempfile.TemporaryDirectory(prefix="bench-local-", dir=args.local_root) as local:
        target = replace(target, local_root=local)
        extra["local_disk"] = filesystem(Path(local))
        extra["facade_requests"] = {
            n: W.facade_requests_per_call(n, target) for n in ("bucket-facade", "bucket-facade-boto3") if n in names
        }
        print(f"HTTP requests per call (on the wire): {extra['facade_requests']}", flush=True)
        bench = Bench(target, names, sizes, args.threads, Path(tmp))
        bench.prepare()
        tools = [t for t in args.cli_tools.split(",") if t]
        inputs = make_inputs(Path(tmp), sizes["w8_files"], sizes["w8_large"]) if tools else None
        for r in range(args.rounds):
            for name in rotation(names, r):
                bench.contender_round(bench.contenders[name], r)
            bench.stats_round()
            if "bucket-facade" in names:  # W7: the async facade (issue 13), one loop
                for (op, name), value in w7_async(target, sizes["w7"], r).items():
                    bench.samples[("W7", op, name)].append(value)
            if inputs is not None:  # W8: the command-line tools on bulk copies (issue 25)
                started = time.perf_counter()
                for (op, name), value in w8_cli_bulk(target, inputs, r, tools, Path(tmp)).items():
                    bench.samples[("W8", op, name)].append(value)
                bench.spent["W8"] += time.perf_counter() - started
            where = ", ".join(f"{w} {v:.0f}s" for w, v in sorted(bench.spent.items()))
            print(f"round {r + 1}/{args.rounds} done (so far: {where})", flush=True)
        bench.memory()
        samples = bench.samples
        for op, values in W.w5_imports(args.rounds).items():
            samples[("W5", op, "python")].extend(values)
        extra["construction_connections"] = W.w5_construction_requests()
        for op, us in facade_overhead_us(args.rounds).items():
            samples[("overhead", op, "bucket-facade")].append(us)
        if _installed("opentelemetry-sdk"):  # the spans of s3/tracing.py (issue 23)
            for name, us in tracing_overhead_us(args.rounds).items():
                samples[("overhead", name, "bucket-tracing")].append(us)
    return samples, extra


def filesystem(path: Path) -> str:
    """The mount point, type and device of the file system holding ``path``."""
    try:
        mounts = [line.split()[:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return str(path)
    resolved = str(path.resolve())
    holding = [m for m in mounts if m[1] == "/" or resolved == m[1] or resolved.startswith(m[1] + "/")]
    if not holding:
        return str(path)
    device, point, kind = max(holding, key=lambda m: len(m[1]))
    return f"{point} ({kind}, {device})"


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
    parser.add_argument("--local-root", default=None,
                        help="folder (on the disk to measure) for the local-store contenders; default: the temp dir")
    parser.add_argument("--cli-tools", default="bucket-cli,aws-cli,rclone",
                        help="W8's command-line tools (those installed); '' leaves W8 out")
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
    print(f"wrote {args.out} ({'QUICK' if args.quick else 'full'} section) in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

