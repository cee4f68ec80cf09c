"""docs/cli.md shows real output: every ```console block marked ``<!-- replayed -->`` is run,
in the order of the document, by the installed ``bucket`` on a fresh local store, and
what it prints (stdout, then stderr) must be what the block shows, but for what changes
from run to run: dates, latencies, SHA-256 digests (of bundles holding their date), the
year/month folder of a bundle, and the store's root and working folder, which the doc
shows as ``/srv/data`` and ``/home/me/work``. A command may end in ``| head -N`` or
``| tail -N`` (the lines of its stdout kept); stdin is empty."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import BUCKET_BIN, Cli

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
BLOCK = re.compile(r"<!-- replayed -->\n```console\n(.*?)```", re.S)
DATE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+00:00)?")
VARYING = (
    (DATE, "<date>"),
    (re.compile(r"\b\d+(\.\d+)? ms\b"), "<t> ms"),
    (re.compile(r'"latency_ms": \d+(\.\d+)?'), '"latency_ms": <t>'),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"/\d{4}/\d\d/"), "/<yyyy>/<mm>/"),
)
PARALLEL = ("cp", "mv", "sync")  # with -r (cp, mv) or always (sync): lines as copies finish


def _steps(text: str) -> list[tuple[str, str]]:
    """``(command, expected output)`` of every replayed block, in document order."""
    steps: list[tuple[str, str]] = []
    for block in BLOCK.findall(text):
        for line in block.splitlines(keepends=True):
            if line.startswith("$ "):
                steps.append((line[2:].strip(), ""))
            else:
                command, out = steps[-1]
                steps[-1] = (command, out + line)
    return steps


def _pipe(argv: list[str]) -> tuple[list[str], Callable[[str], str]]:
    """A command ending in ``| head -N`` or ``| tail -N``: the command, and what keeps the
    first (last) N lines of its stdout; any other command as it is. Stdin is empty."""
    if len(argv) > 3 and argv[-3] == "|" and argv[-2] in ("head", "tail"):
        n = int(argv[-1].lstrip("-n"))

        def keep(text: str) -> str:
            lines = text.splitlines(keepends=True)
            return "".join(lines[:n] if argv[-2] == "head" else lines[-n:])

        return argv[:-3], keep
    return argv, lambda text: text


def _same(command: str, got: str, expected: str) -> bool:
    for pattern, placeholder in VARYING:
        got, expected = pattern.sub(placeholder, got), pattern.sub(placeholder, expected)
    verb = command.split()[1]
    parallel = verb == "sync" or (" -r " in f" {command} " and verb in PARALLEL)
    if parallel:  # --workers: the lines come in the order the copies finish
        return sorted(got.splitlines()) == sorted(expected.splitlines())
    return got == expected


def test_replayed_blocks_print_what_the_doc_shows(local_cli: Cli, tmp_path: Path) -> None:
    """Each replayed command of docs/cli.md prints exactly the lines shown under it, and
    ``echo $?`` shows its exit status."""
    work = local_cli.cwd
    root = local_cli.env["BUCKET_LOCAL_ROOT"]
    (work / "site" / "css").mkdir(parents=True)
    (work / "report.txt").write_text("hello\n")
    (work / "notes.txt").write_text("notes\n")
    (work / "site" / "index.html").write_text("<h1>hi</h1>\n")
    (work / "site" / "css" / "app.css").write_text("p {}\n\n")
    steps = _steps(DOC.read_text())
    assert len(steps) >= 30, "the replayed blocks of docs/cli.md are missing"
    status = 0
    for command, expected in steps:
        if command == "echo $?":
            assert expected == f"{status}\n", (command, expected, status)
            continue
        argv, keep = _pipe(shlex.split(command))
        assert argv[0] == "bucket", command
        done = subprocess.run(
            [str(BUCKET_BIN), *argv[1:]],
            env=local_cli.env,
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        status = done.returncode
        shown = (
            (keep(done.stdout) + done.stderr)
            .replace(root, "/srv/data")
            .replace(str(work), "/home/me/work")
        )
        assert _same(command, shown, expected), (command, shown, expected)
