"""The performance issue's targets, checked against one run's medians (no verdict by hand).

Each check is a ratio or an amount for one facade contender; ``bucket-facade`` (the
default engine) decides met / not met, ``bucket-facade-boto3`` is shown beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

Samples = dict[tuple[str, str, str], list[float]]
FACADE = "bucket-facade"
ENGINES = (FACADE, "bucket-facade-boto3")
SMALL_OPS = ("PUT", "GET", "HEAD")


@dataclass(frozen=True)
class Check:
    """One target: ``value(samples, facade)`` against ``limit`` (``at_most`` or at least)."""

    label: str
    value: Callable[[Samples, str], float | None]
    limit: float
    at_most: bool
    unit: str = "x"

    def verdict(self, value: float | None) -> str:
        if value is None:
            return "not measured"
        met = value <= self.limit if self.at_most else value >= self.limit
        return "met" if met else "**not met**"

    def show(self, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.2f}x" if self.unit == "x" else f"{value:.2f} {self.unit}"


def median(samples: Samples, workload: str, op: str, name: str) -> float | None:
    values = samples.get((workload, op, name))
    return statistics.median(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def time_over(workload: str, op: str, other: str) -> Callable[[Samples, str], float | None]:
    """The facade's time / ``other``'s time (lower is better)."""
    return lambda s, f: _ratio(median(s, workload, op, f), median(s, workload, op, other))


def speed_vs(workload: str, op: str, other: str) -> Callable[[Samples, str], float | None]:
    """``other``'s time / the facade's time: the facade's speed relative to ``other``."""
    return lambda s, f: _ratio(median(s, workload, op, other), median(s, workload, op, f))


def speed_vs_fastest(workload: str, op: str) -> Callable[[Samples, str], float | None]:
    """The fastest contender's time / the facade's time."""

    def value(s: Samples, f: str) -> float | None:
        times = [statistics.median(v) for (w, o, _), v in s.items() if (w, o) == (workload, op) and v]
        return _ratio(min(times), median(s, workload, op, f)) if times else None

    return value


def amount(workload: str, op: str) -> Callable[[Samples, str], float | None]:
    """The facade's own median of ``op`` (MiB, ms, µs)."""
    return lambda s, f: median(s, workload, op, f)


ASYNC = "bucket-async"


def fixed(workload: str, op: str, name: str, other: str) -> Callable[[Samples, str], float | None]:
    """``other``'s time / ``name``'s time, whichever facade engine the row is for (W7 has
    one async facade)."""
    return lambda s, _: _ratio(median(s, workload, op, other), median(s, workload, op, name))


def amount_of(workload: str, op: str, name: str) -> Callable[[Samples, str], float | None]:
    """``name``'s own median of ``op``."""
    return lambda s, _: median(s, workload, op, name)


def import_ratio(s: Samples, _: str) -> float | None:
    return _ratio(median(s, "W5", "import bucket", "python"), median(s, "W5", "import boto3", "python"))


def _checks() -> list[Check]:
    checks = []
    for op in SMALL_OPS:
        checks.append(Check(f"W1 {op}: facade time / raw obstore", time_over("W1", op, "obstore"), 1.15, True))
    for op in SMALL_OPS:
        checks.append(Check(f"W1 {op}: facade speed vs raw boto3", speed_vs("W1", op, "boto3"), 1.3, False))
    for op in ("put", "get", "delete"):
        checks.append(Check(f"W2 {op}: facade speed vs minio-py", speed_vs("W2", op, "minio-py"), 1.0, False))
        checks.append(Check(f"W2 {op}: facade speed vs obstore", speed_vs("W2", op, "obstore"), 0.9, False))
    for op in ("upload", "download"):
        checks.append(Check(f"W3 {op}: facade speed vs the fastest", speed_vs_fastest("W3", op), 0.95, False))
    checks += [
        Check("W3 peak RSS", amount("W3", "rss_mib"), 150, True, "MiB"),
        Check("W4 list: facade time / raw obstore", time_over("W4", "list", "obstore"), 1.15, True),
        Check("W4 memory growth (RSS) of the listing", amount("W4", "rss_growth_mib"), 30, True, "MiB"),
        Check("W6 presign: facade speed vs obstore", speed_vs("W6", "presign", "obstore"), 0.8, False),
        Check("W5 import of the facade / import boto3", import_ratio, 0.3, True),
    ]
    for op in ("put", "get"):  # issue 13: AsyncBucket, 1,000 concurrent 16 KiB from one loop
        checks += [
            Check(f"W7 {op}: AsyncBucket speed vs raw obstore async",
                  fixed("W7", op, ASYNC, "obstore-async"), 0.9, False),
            Check(f"W7 {op}: AsyncBucket speed vs sync facade on 16 threads",
                  fixed("W7", op, ASYNC, "bucket-facade-16threads"), 1.5, False),
            Check(f"W7 {op}: event-loop lag, AsyncBucket", amount_of("W7", f"{op} lag_ms", ASYNC), 20,
                  True, "ms"),
        ]
    for op in ("upload small files", "download small files", "upload large file", "download large file"):
        checks.append(Check(f"W8 {op}: bucket command speed vs rclone", fixed("W8", op, "bucket-cli", "rclone"),
                            1.0, False))
    for op in SMALL_OPS:
        checks.append(Check(f"client CPU per W1 {op} through the facade", amount("W1", f"{op} cpu"), 0.6, True,
                            "ms"))
    for op in SMALL_OPS:
        checks.append(Check(f"facade's own CPU over its store, {op} (no I/O)", amount("overhead", op), 10, True,
                            "µs"))
    return checks


CHECKS = _checks()


def table(samples: Samples) -> list[str]:
    """The targets as markdown rows: target, limit, facade, verdict, the boto3 engine."""
    lines = [
        f"| target | limit | {ENGINES[0]} | verdict | {ENGINES[1]} |",
        "|---|---|---|---|---|",
    ]
    for check in CHECKS:
        value = check.value(samples, ENGINES[0])
        other = check.value(samples, ENGINES[1])
        limit = f"{'<=' if check.at_most else '>='} {check.show(check.limit)}"
        lines.append(f"| {check.label} | {limit} | {check.show(value)} | {check.verdict(value)} "
                     f"| {check.show(other)} |")
    return lines
