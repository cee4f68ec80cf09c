"""Writes the benchmark's numbers as ``docs/performance.md`` and a PNG chart beside it.

The file keeps one section per mode (QUICK and full) between HTML comment markers:
writing one mode replaces its own section and keeps the other's as it was, so the full
run's tables (run once, on a quiet machine) stay beside the QUICK ones.
"""

from __future__ import annotations

import re
import shutil
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import targets

ROOT = Path(__file__).resolve().parent.parent
NOTES = Path(__file__).with_name("NOTES.md")
Samples = dict[tuple[str, str, str], list[float]]
UNITS = {"put lag_ms": "ms", "get lag_ms": "ms", "rss_mib": "MiB", "rss_growth_mib": "MiB", "heap_mib": "MiB"}
MEMORY_NAMES = {"put lag_ms": "put: event-loop lag", "get lag_ms": "get: event-loop lag", "rss_mib": "peak RSS", "rss_growth_mib": "RSS growth", "heap_mib": "Python heap peak"}
TITLES = {
    "W1": "W1 single operations (sequential 4 KiB)",
    "W2": "W2 many small objects (16 KiB, threads)",
    "W3": "W3 one large object (file up and down, one process per round)",
    "W4": "W4 listing (and bucket stats)",
    "W5": "W5 start-up",
    "W6": "W6 presigning",
    "W7": "W7 asyncio: 1,000 concurrent 16 KiB PUTs and GETs from one event loop (lag: longest 1 ms tick gap)",
    "W1 local": "W1 local: single operations (sequential 4 KiB)",
    "W2 local": "W2 local: many small objects (16 KiB, threads)",
    "W4 local": "W4 local: listing",
    "W8": "W8 command-line tools, bulk copies (16 KiB files, one large file; one process per command, wall time)",
}
BASELINES = {"W7": "bucket-facade-16threads", "W8": "rclone", "W2": "boto3-sequential", "W1 local": "obstore-local", "W2 local": "obstore-local",
             "W4 local": "obstore-local"}
MODES = {True: "quick", False: "full"}


@dataclass(frozen=True)
class Run:
    """One run's numbers and circumstances."""

    samples: Samples
    extra: dict[str, object]
    machine: str
    server: str
    quick: bool
    elapsed: float


def _median(samples: Samples, key: tuple[str, str, str]) -> float | None:
    values = samples.get(key)
    return statistics.median(values) if values else None


def _speed(samples: Samples, workload: str, op: str, med: float) -> str:
    base = _median(samples, (workload, op, BASELINES.get(workload, "boto3")))
    return f"{base / med:.2f}x" if base and med and op not in UNITS and workload != "W5" else ""


def _rows(samples: Samples) -> list[tuple[str, str, str, float, float, float, str, str]]:
    """(workload, op, contender, median, min, max, speed vs baseline, CPU ms/op) per series."""
    rows = []
    for (workload, op, name), values in sorted(samples.items()):
        if op.endswith(" cpu") or workload == "overhead":
            continue
        med = statistics.median(values)
        cpu = _median(samples, (workload, f"{op} cpu", name))
        rows.append((workload, op, name, med, min(values), max(values), _speed(samples, workload, op, med),
                     f"{cpu:.3f}" if cpu is not None else ""))
    return rows


def _workload_tables(samples: Samples, local: bool) -> list[str]:
    lines: list[str] = []
    current = None
    for workload, op, name, med, low, high, speed, cpu in _rows(samples):
        if workload.endswith(" local") != local:
            continue
        if workload != current:
            current = workload
            lines += ["", f"### {TITLES.get(workload, workload)}", "",
                      "| operation | contender | median | min - max | speed vs baseline | client CPU ms/op |",
                      "|---|---|---|---|---|---|"]
        unit = UNITS.get(op, "s")
        fmt = "{:.1f}" if unit == "MiB" else "{:.4f}"
        label = MEMORY_NAMES.get(op, op)
        lines.append(f"| {label} | {name} | {fmt.format(med)} {unit} | {fmt.format(low)} - {fmt.format(high)} "
                     f"| {speed} | {cpu} |")
    return lines


def _fsync_cost(run: Run) -> list[str]:
    """What the local store's fsyncs cost, from bucket-local against the same store with
    fsync patched out (``bucket-local-nofsync``)."""
    sizes = run.extra["sizes"]
    assert isinstance(sizes, dict)
    parts = []
    for workload, op, n in (("W1 local", "PUT", sizes["w1"]), ("W2 local", "put", sizes["w2"]),
                            ("W2 local", "delete", sizes["w2"])):
        with_fsync = _median(run.samples, (workload, op, "bucket-local"))
        without = _median(run.samples, (workload, op, "bucket-local-nofsync"))
        if with_fsync and without:
            parts.append(f"{workload[:2]} {op}: {(with_fsync - without) / n * 1e3:.2f} ms per object "
                         f"({with_fsync / without:.1f}x the time without fsync)")
    if not parts:
        return []
    return ["", "What fsync costs the local store (bucket-local against the same store with `os.fsync` "
            "patched out, `bucket-local-nofsync`): " + "; ".join(parts) + "."]


def _overhead(samples: Samples) -> list[str]:
    values = {op: _median(samples, ("overhead", op, "bucket-facade")) for op in targets.SMALL_OPS}
    shown = ", ".join(f"{op} {v:.1f} µs" for op, v in values.items() if v is not None)
    if not shown:
        return []
    lines = ["", f"Facade's own CPU per call over its store (no I/O, `bench.overhead`): {shown}."]
    return lines + _tracing_overhead(samples)


def _tracing_overhead(samples: Samples) -> list[str]:
    """What the OpenTelemetry spans add per request (``bench.overhead.tracing_overhead_us``)."""
    found = {op: statistics.median(v) for (w, op, name), v in samples.items()
             if w == "overhead" and name == "bucket-tracing" and v}
    if not found:
        return []
    parts = []
    for route in ("obstore", "botocore"):
        for variant, label in (("api", "opentelemetry-api, no provider"), ("sdk", "SDK provider, batch processor")):
            ops = [f"{op} {found[f'{route} {op} {variant}']:.1f}" for op in targets.SMALL_OPS
                   if f"{route} {op} {variant}" in found]
            if ops:
                parts.append(f"{route} route, {label}: {', '.join(ops)} µs")
    null = found.get("null context")
    off = f"; tracing off or opentelemetry absent: {null:.2f} µs (a shared null context)" if null is not None else ""
    return ["", "CPU a request's span adds (no I/O, `bench.overhead.tracing_overhead_us`; botocore's "
            "route by its tracing handlers alone): " + "; ".join(parts) + off + "."]


def _header(run: Run) -> list[str]:
    extra = run.extra
    mode = "QUICK" if run.quick else "Full"
    return [
        f"## {mode} run",
        "",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; the run took {run.elapsed:.0f} s",
        f"- Machine: {run.machine}",
        f"- Server: {run.server} on 127.0.0.1 (same machine as the client); local stores on {extra.get('local_disk')}",
        f"- Sizes {extra['sizes']}; {extra['threads']} threads for W2; {extra['rounds']} rounds, contenders in a"
        " rotating order",
        f"- HTTP requests per call (W1, counted on the wire by a pass-through proxy): {extra.get('facade_requests')}",
        f"- Connections made while constructing `Bucket` and `RuntimeManager` (W5): "
        f"{extra.get('construction_connections')}",
    ]


def _section(run: Run) -> list[str]:
    samples = run.samples
    lines = _header(run)
    lines += ["", "### Targets", "", *targets.table(samples)]
    lines += _overhead(samples)
    lines += _workload_tables(samples, local=False)
    imports, ours = _median(samples, ("W5", "import boto3", "python")), _median(samples, ("W5", "import bucket", "python"))
    if imports and ours:
        lines += ["", f"Import of `backend.src.libs.bucket` / import of `boto3`: {ours / imports:.2f}"]
    lines += ["", f"### The local store ({run.extra.get('local_disk')})", "",
              "This project's local folder store through the facade (`bucket-local`) beside obstore's own "
              "`LocalStore` on a folder of the same disk (`obstore-local`, the baseline here)."]
    lines += _fsync_cost(run)
    lines += _workload_tables(samples, local=True)
    return lines


def _marked(mode: str, lines: list[str]) -> str:
    return "\n".join([f"<!-- bench:{mode} -->", *lines, f"<!-- /bench:{mode} -->"])


def _kept(out: Path, mode: str) -> str:
    """The ``mode`` section of the file as it is, or a placeholder."""
    text = out.read_text() if out.exists() else ""
    found = re.search(rf"<!-- bench:{mode} -->.*?<!-- /bench:{mode} -->", text, re.DOTALL)
    if found:
        return found.group(0)
    title = "QUICK" if mode == "quick" else "Full"
    how = "make bench QUICK=1" if mode == "quick" else "make bench"
    return _marked(mode, [f"## {title} run", "", f"Not run yet: `{how}`."])


INTRO = [
    "# Performance",
    "",
    "Generated by `make bench` (`python -m bench.run`); do not edit the numbers by hand. Each run",
    "rewrites its own section (QUICK or full) and keeps the other.",
    "",
    "How it is measured: wall time and the client's CPU (`time.process_time()` of the client",
    "process, every thread, divided by the operations) in the same timed run; nothing timed runs",
    "under `tracemalloc` or a profiler. Memory is measured apart, untimed: W3's peak RSS in a",
    "process of its own per round; W4's RSS growth and Python heap peak in a fresh process per",
    "contender after the timed rounds (`bench.w4mem`). Every contender does one of each operation",
    "before the first round (imports, connections, pools). Speed is the baseline's median time",
    "divided by the contender's (higher is faster): raw boto3 with its defaults, raw boto3",
    "sequential for W2, obstore's `LocalStore` for the local store. Client CPU for W4 is per listing.",
]


def write_report(samples: Samples, extra: dict[str, object], *, out: Path, machine: str,
                 server: str, quick: bool, elapsed: float) -> None:
    """Write this mode's section of the markdown report (keeping the other mode's) and
    ``performance.png`` beside it (the chart of this run)."""
    run = Run(samples, extra, machine, server, quick, elapsed)
    mine = _marked(MODES[quick], _section(run))
    sections = {MODES[quick]: mine, MODES[not quick]: _kept(out, MODES[not quick])}
    full_chart = out.with_name(f"{out.stem}-full.png")
    lines = [*INTRO, "", sections["quick"], "", sections["full"], "",
             f"![speed vs baseline](performance.png) (chart of the last run written: "
             f"{'QUICK' if quick else 'full'})", ""]
    if not quick or full_chart.exists():
        lines += [f"![speed vs baseline, full run]({full_chart.name}) (chart of the last full run)", ""]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    lines += ["## Reproduce", "", "```bash", "make bench QUICK=1    # under 3 minutes",
              "make bench            # full: 1 GiB for W3, 100,000 keys for W4 (long)",
              "python -m bench.run --server seaweedfs",
              "python -m bench.cli_bulk --rounds 3  # W8 alone: bucket, aws s3 and rclone commands", "```", ""]
    out.write_text("\n".join(lines))
    _chart(samples, out.with_suffix(".png"))
    if not quick:  # kept apart: the QUICK run that follows rewrites performance.png
        shutil.copyfile(out.with_suffix(".png"), full_chart)


def _chart(samples: Samples, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in _rows(samples) if r[6]]
    groups = sorted({(r[0], r[1]) for r in rows})
    names = sorted({r[2] for r in rows})
    width = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(max(8, len(groups) * 1.1), 5))
    for i, name in enumerate(names):
        values = []
        for group in groups:
            match = [r for r in rows if (r[0], r[1]) == group and r[2] == name]
            values.append(float(match[0][6].rstrip("x")) if match else 0.0)
        ax.bar([g + i * width for g in range(len(groups))], values, width, label=name)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_xticklabels([f"{w}\n{op}" for w, op in groups], fontsize=8)
    ax.set_ylabel("speed vs baseline (log scale, higher is faster)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
