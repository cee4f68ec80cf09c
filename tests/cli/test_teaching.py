"""What teaches the command line (issue 25, item 8): examples at the end of every
``--help``, ``bucket completion bash|zsh|fish``, the ``http://host:port/bucket`` address
that names ``--endpoint``, and messages that name the flags typed (``--overwrite``, not
``overwrite=True``). Runs the installed ``bucket`` on Ceph and on the local store."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.src.libs.bucket.cli import build_parser
from backend.src.libs.bucket.cli.commands import COMMANDS
from backend.src.libs.bucket.cli.examples import EXAMPLES
from tests.cli.conftest import BUCKET_BIN, Cli, MakeFile

pytestmark = pytest.mark.integration

HELPS = [(), *((name,) for name in COMMANDS), *(("bundle", a) for a in ("put", "get", "ls"))]


def test_every_help_ends_with_examples(cli: Cli) -> None:
    """``bucket --help`` and ``bucket CMD --help`` (each command, each bundle action) exit
    0 and end with an ``examples:`` block of 2 to 4 ``bucket ...`` lines (the tool's then
    states the exit statuses)."""
    for words in HELPS:
        out = cli.ok(*words, "--help").stdout
        block = out.rsplit("\nexamples:\n", 1)
        assert len(block) == 2, (words, out[-300:])
        lines = block[1].split("\n\nexit status:")[0].strip("\n").splitlines()
        assert 2 <= len(lines) <= 4 and all(line.startswith("  bucket ") for line in lines), words
    assert cli.ok("--help").stdout.rstrip().endswith("130 interrupted.")


def _command(line: str) -> list[str]:
    """The arguments of an example line: its comment, pipe and redirection cut off."""
    words = shlex.split(line, comments=True)
    for i, word in enumerate(words):
        if word in ("|", "<", ">"):
            return words[1:i]
    return words[1:]


def test_every_example_parses() -> None:
    """Each example line of every help is a command line the parser takes (no typo in a
    flag, the positionals in place), for every command that has a help."""
    parser = build_parser()
    for lines in EXAMPLES.values():
        for line in lines:
            assert line.startswith("bucket "), line
            parser.parse_args(_command(line))
    assert set(COMMANDS) <= set(EXAMPLES), set(COMMANDS) - set(EXAMPLES)


def _bash_complete(script: str, line: str) -> list[str]:
    """What bash offers for ``line`` (a trailing space: a new word) with ``script``."""
    program = (
        'source /dev/stdin; read -ra COMP_WORDS <<< "$1"; [[ $1 == *" " ]] && COMP_WORDS+=("");'
        ' COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bucket; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "-c", program, "_", line], input=script, text=True, capture_output=True, check=True
    )
    return [w for w in done.stdout.splitlines() if w]


CASES = [
    ("bucket c", ["cat", "completion", "cp"]),
    ("bucket cp --content-", ["--content-disposition", "--content-encoding", "--content-type"]),
    ("bucket --endpoint http://x:9000 vers", ["versioning"]),
    ("bucket versioning ", ["enable", "info", "suspend"]),
    ("bucket bundle ", ["get", "ls", "put"]),
    ("bucket bundle put --over", ["--overwrite"]),
    ("bucket sync --verify ", ["full", "off", "quick"]),
    ("bucket --storage ", ["local", "s3"]),
    ("bucket ls --versi", ["--versions"]),
]


def test_completion_scripts_complete_commands_flags_and_choices(cli: Cli, tmp_path: Path) -> None:
    """``bucket completion bash`` prints a script with which bash completes the commands,
    the flags of the command typed, sub-actions and option choices (a global option's
    value is skipped when looking for the command); zsh's and fish's scripts do the same
    where those shells are installed; another shell exits 2."""
    script = cli.ok("completion", "bash").stdout
    for line, expected in CASES:
        assert sorted(_bash_complete(script, line)) == expected, line
    refused = cli("completion", "tcsh")
    assert refused.returncode == 2 and "invalid choice: 'tcsh'" in refused.stderr
    zsh, fish = shutil.which("zsh"), shutil.which("fish")
    if zsh:
        path = tmp_path / "_bucket"
        path.write_text(cli.ok("completion", "zsh").stdout)
        for line, expected in CASES:
            assert _zsh_complete(zsh, path, line) == expected, line
    if fish:
        path = tmp_path / "bucket.fish"
        path.write_text(cli.ok("completion", "fish").stdout)
        for line, expected in CASES:
            done = subprocess.run(
                [fish, "-c", f"source {path}; complete -C {shlex.quote(line)}"],
                capture_output=True,
                text=True,
                check=True,
            )
            got = sorted(w.split("\t")[0] for w in done.stdout.splitlines())
            assert got == expected, (line, got)


_ZSH_HARNESS = """
compadd() { [[ $1 == -- ]] && shift; print -rl -- ${(M)@:#$PREFIX*} }
_describe() { local d; for d in ${(P)4}; do [[ ${d%%:*} == $PREFIX* ]] && print -r -- ${d%%:*}; done }
_files() { : }
compdef() { : }
source $1
words=(${=2}); [[ $2 == *" " ]] && words+=("")
CURRENT=${#words}; PREFIX=${words[CURRENT]}
_bucket
true
"""


def _zsh_complete(zsh: str, script: Path, line: str) -> list[str]:
    """What the zsh script offers for ``line``: ``_bucket`` run with zsh's completion
    builtins standing in (they filter by ``$PREFIX`` as zsh does)."""
    done = subprocess.run(
        [zsh, "-f", "-c", _ZSH_HARNESS, "_", str(script), line],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(w for w in done.stdout.splitlines() if w)


def test_an_http_address_names_the_endpoint_option(cli: Cli) -> None:
    """``bucket ls http://127.0.0.1:9000/media/docs`` exits 2 saying to name the server
    with --endpoint and the object with s3://media/docs (before: it suggested
    s3://127.0.0.1:9000/media, a bucket named after the host)."""
    line = cli.fails(2, "ls", "http://127.0.0.1:9000/media/docs")
    assert "--endpoint http://127.0.0.1:9000 s3://media/docs" in line
    assert "s3://127.0.0.1" not in line
    line = cli.fails(2, "cp", "x.txt", "https://s3.example.com/")
    assert "--endpoint https://s3.example.com s3://bucket/key" in line


def test_messages_name_the_flags(cli: Cli, new_bucket: str, make_file: MakeFile) -> None:
    """Library errors are said with the CLI's flags, on stderr and in --json: a second
    ``bundle put`` of an id says --overwrite (not overwrite=True), a bad storage class
    --storage-class, too many tags --tagging; on the local store an upload option it
    cannot keep is ``--cache-control is not supported by the local folder store``."""
    bucket = f"s3://{new_bucket}"
    cli.ok("bundle", "put", bucket, "--type", "audit", "--id", "c1", "--data", "{}")
    line = cli.fails(1, "bundle", "put", bucket, "--type", "audit", "--id", "c1", "--data", "{}")
    assert "(add --overwrite to replace it)" in line and "overwrite=True" not in line
    path = make_file("a.txt", b"a")
    line = cli.fails(2, "cp", "--storage-class", "BOGUS", str(path), f"{bucket}/a")
    assert "--storage-class must be one of" in line and "storage_class" not in line
    many = "&".join(f"k{i}=v" for i in range(11))
    assert "--tagging: S3 allows 10 tags" in cli.fails(
        2, "cp", "--tagging", many, str(path), f"{bucket}/a"
    )
    if cli.kind == "local":
        line = cli.fails(1, "cp", "--cache-control", "max-age=60", str(path), f"{bucket}/a")
        assert line.endswith("--cache-control is not supported by the local folder store")
        doc = json.loads(cli("--json", "cp", "--sse", "AES256", str(path), f"{bucket}/a").stdout)
        assert doc["error"]["message"] == "--sse is not supported by the local folder store"


def test_the_installed_help_is_the_parsers() -> None:
    """The console script prints the parser's own help (no stale copy)."""
    done = subprocess.run(
        [str(BUCKET_BIN), "cp", "--help"], capture_output=True, text=True, check=True
    )
    assert done.stdout == build_parser()._subparsers._group_actions[0].choices["cp"].format_help()  # type: ignore[union-attr]
