"""``cp`` / ``mv`` with several sources, mc's form (issue 25, item 5): the last path is
the destination folder or prefix, each source lands in it under its own name; the whole
set is checked before the first copy. Runs the installed ``bucket`` on Ceph and on the
local folder store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, MakeFile

pytestmark = pytest.mark.integration


def _keys(cli: Cli, bucket: str) -> list[str]:
    return [i["key"] for i in json.loads(cli.ok("ls", "-r", "--json", f"s3://{bucket}").stdout)]


def test_cp_and_mv_of_several_sources_into_a_folder(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """``cp a.txt b.txt s3://b/multi/`` uploads both under their names (also with the
    prefix written without its ``/``); ``cp -r`` of two folders puts each in the
    sub-folder of its name; several objects download into a folder and move into
    another prefix (the sources gone), byte for byte, one line each."""
    a, b = make_file("a.txt", b"alpha"), make_file("b.txt", b"bravo")
    out = cli.ok("cp", str(a), str(b), f"s3://{new_bucket}/multi/").stdout
    assert out == (
        f"upload: {a} to s3://{new_bucket}/multi/a.txt\n"
        f"upload: {b} to s3://{new_bucket}/multi/b.txt\n"
    )
    cli.ok("cp", str(a), str(b), f"s3://{new_bucket}/bare")
    for rel in ("one/x.txt", "one/sub/y.txt", "two/z.txt"):
        make_file(rel, rel.encode())
    files = tmp_path / "files"
    cli.ok("cp", "-r", str(files / "one"), str(files / "two"), f"s3://{new_bucket}/trees/")
    assert _keys(cli, new_bucket) == [
        "bare/a.txt",
        "bare/b.txt",
        "multi/a.txt",
        "multi/b.txt",
        "trees/one/sub/y.txt",
        "trees/one/x.txt",
        "trees/two/z.txt",
    ]
    down = tmp_path / "down"
    cli.ok("cp", f"s3://{new_bucket}/multi/a.txt", f"s3://{new_bucket}/trees/two/z.txt", f"{down}/")
    assert sorted(p.name for p in down.iterdir()) == ["a.txt", "z.txt"]
    assert (down / "a.txt").read_bytes() == b"alpha"
    moved = cli.ok(
        "mv",
        f"s3://{new_bucket}/bare/a.txt",
        f"s3://{new_bucket}/bare/b.txt",
        f"s3://{new_bucket}/moved/",
    ).stdout.splitlines()
    assert moved == [
        f"move: s3://{new_bucket}/bare/a.txt to s3://{new_bucket}/moved/a.txt",
        f"move: s3://{new_bucket}/bare/b.txt to s3://{new_bucket}/moved/b.txt",
    ]
    assert [k for k in _keys(cli, new_bucket) if k.startswith(("bare/", "moved/"))] == [
        "moved/a.txt",
        "moved/b.txt",
    ]
    cli.ok("cp", f"s3://{new_bucket}/moved/b.txt", str(tmp_path / "b-back"))
    assert (tmp_path / "b-back").read_bytes() == b"bravo"


def test_several_sources_are_checked_before_the_first_copy(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """Refused with status 2 and nothing copied: a destination that is a file, stdin among
    the sources, two sources with one name, and a move onto another source's key (which
    would overwrite it before it is moved). A missing source among good ones: the others
    are copied, one line for the missing one, status 3."""
    a = make_file("a.txt", b"a")
    other = make_file("other/a.txt", b"other a")
    line = cli.fails(2, "cp", str(a), str(other), str(a))
    assert "not a folder" in line
    assert "stdin" in cli.fails(2, "cp", "-", str(a), f"s3://{new_bucket}/x/", input=b"")
    assert "would both land on" in cli.fails(2, "cp", str(a), str(other), f"s3://{new_bucket}/x/")
    assert _keys(cli, new_bucket) == []
    cli.ok("cp", str(a), f"s3://{new_bucket}/a.txt")
    cli.ok("cp", str(a), f"s3://{new_bucket}/d/a.txt")
    before = _keys(cli, new_bucket)
    assert "would both land on" in cli.fails(
        2, "mv", f"s3://{new_bucket}/a.txt", f"s3://{new_bucket}/d/a.txt", f"s3://{new_bucket}/d/"
    )
    cli.ok("cp", str(other), f"s3://{new_bucket}/e/b/a.txt")
    line = cli.fails(
        2, "mv", "-r", f"s3://{new_bucket}/e", f"s3://{new_bucket}/d", f"s3://{new_bucket}/e/b/"
    )
    assert "is read" in line
    assert _keys(cli, new_bucket) == sorted([*before, "e/b/a.txt"])
    result = cli("cp", str(tmp_path / "missing.txt"), str(a), f"s3://{new_bucket}/m/")
    assert result.returncode == 3
    assert result.stdout == f"upload: {a} to s3://{new_bucket}/m/a.txt\n"
    assert result.stderr.splitlines() == [
        f"bucket: could not copy {tmp_path / 'missing.txt'}: "
        f"'{tmp_path / 'missing.txt'}': no such file",
        "bucket: error: 1 of 2 sources failed",
    ]
