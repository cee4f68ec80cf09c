"""Issue 22's CLI faults, each as the example that reproduced it, on Ceph and on the local
store: ``rm`` of a literal key holding wildcards (4), ``mv -r`` into its own source (2),
``cp -r`` / ``mv -r`` re-reading listed keys as patterns (7) or recursing on them (8), and
two keys landing on one downloaded file (9). The invariants over random trees are in
``tests/unit/test_destructive_properties.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.cli.conftest import Cli
from tests.conftest import unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration


def _put(cli: Cli, bucket: str, tree: dict[str, bytes]) -> None:
    for key, data in tree.items():
        cli.ok("cp", "-", f"s3://{bucket}/{key}", input=data)


def _tree(cli: Cli, bucket: str) -> dict[str, bytes]:
    listed = json.loads(cli.ok("ls", "-r", "--json", f"s3://{bucket}/").stdout)
    keys = [entry["key"] for entry in listed]
    return {key: cli.ok("cat", f"s3://{bucket}/{key}").raw_stdout for key in keys}  # type: ignore[attr-defined]


def test_rm_takes_an_existing_key_literally(cli: Cli, new_bucket: str) -> None:
    """``rm 's3://b/d/report[1].txt'``, ``what?.txt`` and ``all*`` delete exactly the key of
    that name when it exists, and nothing else (issue 22, fault 4)."""
    tree = {
        "d/report[1].txt": b"L",
        "d/report1.txt": b"1",
        "d/what?.txt": b"Q",
        "d/whatX.txt": b"X",
        "d/whatY.txt": b"Y",
        "d/all*": b"A",
        "d/all-the-rest.txt": b"R",
    }
    _put(cli, new_bucket, tree)
    for key in ("d/report[1].txt", "d/what?.txt", "d/all*"):
        result = cli.ok("rm", f"s3://{new_bucket}/{key}")
        assert result.stdout == f"delete: s3://{new_bucket}/{key}\n"
        del tree[key]
    assert _tree(cli, new_bucket) == tree


def test_rm_pattern_without_a_literal_key_and_raw(cli: Cli, new_bucket: str) -> None:
    """A wildcard path naming no existing key expands over its folder only (not across
    ``/``, never the sibling folder ``d-other/``); ``--raw`` never expands (status 3)."""
    _put(cli, new_bucket, {"d/w1.txt": b"1", "d/w2.txt": b"2", "d/sub/w3.txt": b"3",
                           "d-other/w4.txt": b"4"})
    assert cli("rm", "--raw", f"s3://{new_bucket}/d/w?.txt").returncode == 3
    result = cli.ok("rm", f"s3://{new_bucket}/d/w?.txt")
    assert sorted(result.stdout.splitlines()) == [
        f"delete: s3://{new_bucket}/d/w1.txt", f"delete: s3://{new_bucket}/d/w2.txt"]
    assert _tree(cli, new_bucket) == {"d/sub/w3.txt": b"3", "d-other/w4.txt": b"4"}


def test_rm_recursive_prefix_is_a_folder(cli: Cli, new_bucket: str) -> None:
    """``rm -r --force s3://b/site`` deletes ``site/...`` only, never ``site-other/``."""
    _put(cli, new_bucket, {"site/a": b"a", "site/b/c": b"c", "site-other/x": b"x", "site": b"s"})
    cli.ok("rm", "-r", "--force", f"s3://{new_bucket}/site")
    assert _tree(cli, new_bucket) == {"site-other/x": b"x", "site": b"s"}


@pytest.mark.parametrize("workers", ["1", "4"])
def test_mv_into_its_own_source_is_refused(cli: Cli, new_bucket: str, workers: str) -> None:
    """``mv -r s3://b/a s3://b/a/a/`` and ``mv -r s3://b/p/q s3://b/p/`` (with ``p/q/q/x``)
    are refused with status 2 before anything moves: every object keeps its bytes
    (issue 22, fault 2: X was lost)."""
    tree = {"a/x": b"X", "a/a/x": b"Y", "p/q/x": b"X2", "p/q/q/x": b"Y2"}
    _put(cli, new_bucket, tree)
    line = cli.fails(2, "mv", "-r", "--workers", workers, f"s3://{new_bucket}/a",
                     f"s3://{new_bucket}/a/a/")
    assert "lies inside the source" in line
    line = cli.fails(2, "mv", "-r", "--workers", workers, f"s3://{new_bucket}/p/q",
                     f"s3://{new_bucket}/p/")
    assert "'p/q/q/x' would land on 'p/q/x'" in line
    assert _tree(cli, new_bucket) == tree


def test_mv_to_a_parent_folder_without_overlap(cli: Cli, new_bucket: str) -> None:
    """A move up one folder whose destinations are not sources goes through: each object
    exactly once, at its destination."""
    _put(cli, new_bucket, {"p/q/x": b"X", "p/q/y": b"Y", "p/z": b"Z"})
    cli.ok("mv", "-r", f"s3://{new_bucket}/p/q", f"s3://{new_bucket}/p/")
    assert _tree(cli, new_bucket) == {"p/x": b"X", "p/y": b"Y", "p/z": b"Z"}


def test_cp_and_mv_copy_listed_keys_literally(cli: Cli, new_bucket: str, tmp_path: Path) -> None:
    """``cp -r`` / ``mv -r`` of a folder holding ``report[1].txt``, ``what?.txt`` and ``a*``
    copy each key as itself and end (issue 22, faults 7 and 8: the wrong key was copied,
    or the copy recursed without end); a filtered download writes the right paths."""
    tree = {"d/report[1].txt": b"L", "d/report1.txt": b"1", "d/what?.txt": b"Q", "d/a*": b"A"}
    _put(cli, new_bucket, tree)
    cli.ok("cp", "-r", f"s3://{new_bucket}/d", f"s3://{new_bucket}/out/", timeout=60)
    copied = {k.replace("d/", "out/", 1): v for k, v in tree.items()}
    assert _tree(cli, new_bucket) == {**tree, **copied}
    cli.ok("mv", "-r", f"s3://{new_bucket}/out", f"s3://{new_bucket}/moved", timeout=60)
    moved = {k.replace("d/", "moved/", 1): v for k, v in tree.items()}
    assert _tree(cli, new_bucket) == {**tree, **moved}
    down = tmp_path / "down"
    cli.ok("cp", "-r", "--exclude", "what*", f"s3://{new_bucket}/d", str(down), timeout=60)
    files = {p.relative_to(down).as_posix(): p.read_bytes() for p in down.rglob("*") if p.is_file()}
    assert files == {"report[1].txt": b"L", "report1.txt": b"1", "a*": b"A"}


@pytest.fixture
def raw_bucket(ceph_server: S3Server) -> Iterator[tuple[object, str]]:
    """A Ceph bucket written with boto3 itself, for keys the library refuses to write."""
    client = boto3.client(
        "s3", endpoint_url=ceph_server.endpoint, aws_access_key_id=ceph_server.access_key,
        aws_secret_access_key=ceph_server.secret_key, region_name=ceph_server.region,
    )
    name = unique_bucket_name("raw")
    client.create_bucket(Bucket=name)
    yield client, name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=entry["Key"])
    client.delete_bucket(Bucket=name)


@pytest.mark.parametrize("other", ["a/../plain.txt", "./plain.txt", "a//../plain.txt"])
def test_two_keys_never_land_on_one_file(
    s3_cli: Cli, raw_bucket: tuple[object, str], tmp_path: Path, other: str
) -> None:
    """``cp -r s3://b/ DIR`` with ``plain.txt`` and a key that resolves to the same file
    refuses the odd key (a line on stderr, status 1) and writes ``plain.txt``'s bytes,
    whatever order the transfers finish in (issue 22, fault 9); ``mv -r`` keeps it."""
    client, bucket = raw_bucket
    client.put_object(Bucket=bucket, Key="plain.txt", Body=b"PLAIN")  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key=other, Body=b"OTHER")  # type: ignore[attr-defined]
    for command in ("cp", "mv"):
        down = tmp_path / command
        result = s3_cli(command, "-r", f"s3://{bucket}/", str(down))
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert f"could not download {other!r}" in result.stderr
        assert (down / "plain.txt").read_bytes() == b"PLAIN"
        assert [p.name for p in down.rglob("*") if p.is_file()] == ["plain.txt"]
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]  # type: ignore[attr-defined]
    assert [entry["Key"] for entry in listed] == sorted([other])
