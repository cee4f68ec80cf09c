"""Parallel ``cp -r`` / ``mv -r`` print one whole line per object (issue 25, item 2): the
lines of 16 workers never merge, whatever order the copies finish in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.integration

COUNT = 300
LINE = re.compile(r"^(upload|download|copy|move): \S+ to \S+$")


def _check_lines(stdout: str, verb: str) -> None:
    """Every stdout line is one whole ``verb: SRC to DST`` line, one per object."""
    lines = stdout.splitlines()
    bad = [line for line in lines if not LINE.match(line) or not line.startswith(f"{verb}: ")]
    assert not bad, bad[:5]
    assert len(lines) == COUNT, len(lines)
    assert stdout.endswith("\n")


def test_parallel_copies_print_whole_lines(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """Upload, server-side copy, download and move of 300 small objects with --workers 16:
    every stdout line matches ``^(upload|download|copy|move): \\S+ to \\S+$`` (the line of
    its command), one line per object, none merged with another."""
    tree = tmp_path / "many"
    tree.mkdir()
    for i in range(COUNT):
        (tree / f"f{i:04d}.txt").write_bytes(b"x" * (i % 7))
    fast = ("--workers", "16", "--no-progress")
    _check_lines(cli.ok("cp", "-r", *fast, str(tree), f"s3://{new_bucket}/a").stdout, "upload")
    copy = cli.ok("cp", "-r", *fast, f"s3://{new_bucket}/a", f"s3://{new_bucket}/b/")
    _check_lines(copy.stdout, "copy")
    down = cli.ok(
        "cp", "-r", *fast, "--exclude", "none", f"s3://{new_bucket}/b", str(tmp_path / "d")
    )
    _check_lines(down.stdout, "download")
    plain = cli.ok("cp", "-r", *fast, f"s3://{new_bucket}/b", str(tmp_path / "e"))
    _check_lines(plain.stdout, "download")
    moved = cli.ok("mv", "-r", *fast, f"s3://{new_bucket}/b", f"s3://{new_bucket}/c/")
    _check_lines(moved.stdout, "move")
