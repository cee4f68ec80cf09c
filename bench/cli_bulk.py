"""W8: the command-line tools side by side on bulk work (issue 25, item 9).

``bucket`` (this project's installed command), ``aws s3`` and ``rclone``, each with its
defaults, each run as a process of its own: upload a folder of small files
(``cp -r`` / ``cp --recursive`` / ``rclone copy``), download it into an empty folder,
then upload and download one large file. Wall time of each command, from the spawn to
its exit; ratios against rclone in the report. A tool that is not installed is left
out (``aws`` from PyPI's awscli, ``rclone`` from Debian's package).

Standalone (numbers on stdout, nothing written)::

    python -m bench.cli_bulk [--quick] [--rounds N] [--tools bucket-cli,aws-cli,rclone]

with ``BUCKET_BENCH_ENDPOINT`` / ``_ACCESS_KEY`` / ``_SECRET_KEY`` naming a running server
(else the bench's own Ceph is started, as ``bench.run`` does). ``BENCH_BUCKET_REF`` naming
another ``bucket`` executable (another checkout's, say) adds it as the tool ``bucket-ref``,
for a before/after comparison in one run.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.contenders import Target
from bench.measure import KiB, MiB

BUCKET_BIN = Path(sys.executable).parent / "bucket"
SMALL = 16 * KiB
Argv = Callable[[str, str], list[str]]
"""(source, destination) -> the command line."""


@dataclass(frozen=True)
class Tool:
    """One command-line tool: how it copies a folder and a file, each way, and its
    environment (built from the target)."""

    name: str
    tree: Argv
    file: Argv
    remote: Callable[[Target, str], str]
    env: Callable[[Target], dict[str, str]]

    def run(self, argv: list[str], target: Target) -> float:
        """Seconds from spawn to exit.

        Raises:
            RuntimeError: the command failed (its stderr in the message).
        """
        started = time.perf_counter()
        done = subprocess.run(argv, env=self.env(target), capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
        return elapsed


def _base_env(target: Target) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "BUCKET_", "RCLONE_"))}
    if target.endpoint.startswith("http://"):
        env.pop("AWS_CA_BUNDLE", None)  # rclone refuses a CA bundle on a plain-HTTP endpoint
    return env


def _aws_env(target: Target) -> dict[str, str]:
    return {
        **_base_env(target),
        "AWS_ACCESS_KEY_ID": target.access_key,
        "AWS_SECRET_ACCESS_KEY": target.secret_key,
        "AWS_DEFAULT_REGION": target.region,
        "AWS_REGION": target.region,
    }


def _bucket_env(target: Target) -> dict[str, str]:
    return {**_aws_env(target), "S3_ENDPOINT_URL": target.endpoint}


def _rclone_env(target: Target) -> dict[str, str]:
    return {
        **_base_env(target),
        "RCLONE_CONFIG_BENCH_TYPE": "s3",
        "RCLONE_CONFIG_BENCH_PROVIDER": "Ceph",
        "RCLONE_CONFIG_BENCH_ENDPOINT": target.endpoint,
        "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": target.access_key,
        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": target.secret_key,
        "RCLONE_CONFIG_BENCH_REGION": target.region,
    }


def tools() -> dict[str, Tool]:
    """The tools installed here, by name."""
    found: dict[str, Tool] = {}
    if BUCKET_BIN.exists():
        found["bucket-cli"] = Tool(
            "bucket-cli",
            tree=lambda s, d: [str(BUCKET_BIN), "-q", "cp", "-r", s, d],
            file=lambda s, d: [str(BUCKET_BIN), "-q", "cp", s, d],
            remote=lambda t, key: f"s3://{t.bucket}/{key}",
            env=_bucket_env,
        )
    reference = os.environ.get("BENCH_BUCKET_REF")
    if reference:
        found["bucket-ref"] = Tool(
            "bucket-ref",
            tree=lambda s, d: [reference, "-q", "cp", "-r", s, d],
            file=lambda s, d: [reference, "-q", "cp", s, d],
            remote=lambda t, key: f"s3://{t.bucket}/{key}",
            env=_bucket_env,
        )
    aws = shutil.which("aws")
    if aws and subprocess.run([aws, "--version"], capture_output=True, check=False).returncode == 0:
        quiet = ["--only-show-errors", "--no-progress"]
        found["aws-cli"] = Tool(
            "aws-cli",
            tree=lambda s, d: [aws, "s3", "cp", "--recursive", *quiet, s, d, "--endpoint-url", ENDPOINT[0]],
            file=lambda s, d: [aws, "s3", "cp", *quiet, s, d, "--endpoint-url", ENDPOINT[0]],
            remote=lambda t, key: f"s3://{t.bucket}/{key}",
            env=_aws_env,
        )
    rclone = shutil.which("rclone")
    if rclone:
        found["rclone"] = Tool(
            "rclone",
            tree=lambda s, d: [rclone, "copy", s, d],
            file=lambda s, d: [rclone, "copyto", s, d],
            remote=lambda t, key: f"bench:{t.bucket}/{key}",
            env=_rclone_env,
        )
    return found


ENDPOINT = [""]
"""The endpoint aws is pointed at (its ``--endpoint-url``; set by ``w8_cli_bulk``)."""


@dataclass(frozen=True)
class Inputs:
    """The folder of small files and the large file every tool uploads."""

    folder: Path
    large: Path
    files: int


def make_inputs(workdir: Path, files: int, large: int) -> Inputs:
    """``files`` files of 16 KiB in one folder and one file of ``large`` bytes."""
    folder = workdir / "w8-small"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"f{i:05d}.bin").write_bytes(os.urandom(SMALL))
    path = workdir / "w8-large.bin"
    with open(path, "wb") as handle:
        for _ in range(large // MiB):
            handle.write(os.urandom(MiB))
    return Inputs(folder, path, files)


def _check_tree(got: Path, inputs: Inputs, name: str) -> None:
    names = sorted(p.name for p in got.iterdir())
    assert len(names) == inputs.files, f"{name}: {len(names)} files downloaded of {inputs.files}"
    for sample in (names[0], names[-1]):
        assert filecmp.cmp(got / sample, inputs.folder / sample, shallow=False), f"{name}: {sample} differs"


def one_tool(tool: Tool, target: Target, inputs: Inputs, round_no: int, scratch: Path) -> dict[str, float]:
    """The four operations of W8 for one tool, one round: seconds each; the downloads are
    checked (untimed) and removed."""
    base = f"w8/{tool.name}/{round_no}"
    out = scratch / f"{tool.name}-{round_no}"
    times = {
        "upload small files": tool.run(tool.tree(str(inputs.folder), tool.remote(target, f"{base}/small")), target),
        "download small files": tool.run(tool.tree(tool.remote(target, f"{base}/small"), str(out)), target),
    }
    _check_tree(out, inputs, tool.name)
    large = scratch / f"{tool.name}-{round_no}.bin"
    times["upload large file"] = tool.run(tool.file(str(inputs.large), tool.remote(target, f"{base}/large.bin")),
                                          target)
    times["download large file"] = tool.run(tool.file(tool.remote(target, f"{base}/large.bin"), str(large)),
                                            target)
    assert large.stat().st_size == inputs.large.stat().st_size, f"{tool.name}: large file size differs"
    shutil.rmtree(out)
    large.unlink()
    return times


def clean(target: Target, prefix: str = "w8/") -> None:
    """Delete what W8 uploaded (untimed)."""
    from bench.contenders import make

    store = make("bucket-store", target).store  # type: ignore[attr-defined]
    keys = [e.key for e in store.list_objects(target.bucket, prefix=prefix)]
    for start in range(0, len(keys), 1000):
        store.delete_objects(target.bucket, keys[start : start + 1000])


def w8_cli_bulk(target: Target, inputs: Inputs, round_no: int, names: list[str], scratch: Path) -> dict[
        tuple[str, str], float]:
    """One round of W8: ``{(operation, tool): seconds}`` for the tools named that are
    installed, in a rotating order."""
    ENDPOINT[0] = target.endpoint
    available = tools()
    chosen = [n for n in names if n in available]
    shift = round_no % len(chosen) if chosen else 0
    order = chosen[shift:] + chosen[:shift]
    out: dict[tuple[str, str], float] = {}
    for name in order:
        for op, seconds in one_tool(available[name], target, inputs, round_no, scratch).items():
            out[(op, name)] = seconds
    clean(target)
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.run import server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tools", default="bucket-cli,aws-cli,rclone")
    args = parser.parse_args(argv)
    files, large = (200, 32 * MiB) if args.quick else (2000, 256 * MiB)
    samples: dict[tuple[str, str], list[float]] = {}
    with server("ceph") as target, tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp), files, large)
        for r in range(args.rounds):
            for key, seconds in w8_cli_bulk(target, inputs, r, args.tools.split(","), Path(tmp)).items():
                samples.setdefault(key, []).append(seconds)
    print(f"W8: {files} files of 16 KiB, one file of {large // MiB} MiB; {args.rounds} rounds; wall seconds")
    print("| operation | tool | median | min - max | speed vs rclone |")
    print("|---|---|---|---|---|")
    for (op, name), values in sorted(samples.items()):
        med = statistics.median(values)
        base = samples.get((op, "rclone"))
        ratio = f"{statistics.median(base) / med:.2f}x" if base else ""
        print(f"| {op} | {name} | {med:.2f} s | {min(values):.2f} - {max(values):.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
