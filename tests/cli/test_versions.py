"""Versions and bucket settings (issue 25, item 6): ``ls --versions``, ``stat s3://bucket``
and ``versioning enable|suspend|info``, on Ceph; on the local folder store, which keeps
one version per key and no bucket settings, one clear line and status 1."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli, MakeFile

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("cli", ["s3"], indirect=True)
def test_versioning_ls_versions_and_stat_of_a_bucket(
    cli: Cli, new_bucket: str, make_file: MakeFile
) -> None:
    """versioning info says off, enable turns it on (read back from the server), two
    writes and a delete of docs/a.txt leave two versions and a delete marker, which
    ls --versions lists newest first with their ids (the marker as DELETE, latest
    marked); --json gives each with is_latest/delete_marker; stat s3://bucket prints
    region, versioning, encryption, object lock and lifecycle; suspend turns it off."""
    bucket = new_bucket
    assert cli.ok("versioning", "info", f"s3://{bucket}").stdout == (
        f"s3://{bucket} versioning: off (never enabled)\n"
    )
    assert cli.ok("versioning", "enable", f"s3://{bucket}").stdout == (
        f"s3://{bucket} versioning: enabled\n"
    )
    cli.ok("cp", str(make_file("one", b"1")), f"s3://{bucket}/docs/a.txt")
    cli.ok("cp", str(make_file("two", b"22")), f"s3://{bucket}/docs/a.txt")
    cli.ok("rm", f"s3://{bucket}/docs/a.txt")
    cli.ok("cp", str(make_file("three", b"333")), f"s3://{bucket}/docs/b.txt")
    lines = cli.ok("ls", "--versions", f"s3://{bucket}/docs/").stdout.splitlines()
    cells = [line[19:].split() for line in lines]
    assert [c[0] for c in cells] == ["DELETE", "2", "1", "3"]
    assert [c[-1] for c in cells] == ["docs/a.txt"] * 3 + ["docs/b.txt"]
    assert [c[1] == "latest" for c in cells] == [True, False, False, True]
    docs = json.loads(cli.ok("ls", "--versions", "--json", f"s3://{bucket}/docs/a").stdout)
    assert [(d["delete_marker"], d["is_latest"], d["size"]) for d in docs] == [
        (True, True, 0),
        (False, False, 2),
        (False, False, 1),
    ]
    assert len({d["version_id"] for d in docs}) == 3
    assert all(d["version_id"] in lines[i] for i, d in enumerate(docs))
    assert "no key matches" in cli.fails(3, "ls", "--versions", f"s3://{bucket}/docs/*.zip")
    shown = cli.ok("stat", f"s3://{bucket}").stdout.splitlines()
    assert [line.split()[0] for line in shown] == [
        "bucket",
        "region",
        "versioning",
        "encryption",
        "object_lock",
        "lifecycle",
    ]
    assert shown[2] == "versioning     enabled" and shown[5] == "lifecycle      0 rule(s)"
    doc = json.loads(cli.ok("stat", "--json", f"s3://{bucket}").stdout)
    assert doc["bucket"] == bucket and doc["versioning"] == "Enabled"
    assert doc["lifecycle_rules"] == 0 and doc["region"]
    cli.ok("versioning", "suspend", f"s3://{bucket}")
    info = json.loads(cli.ok("versioning", "info", "--json", f"s3://{bucket}").stdout)
    assert info == {"bucket": bucket, "versioning": "Suspended"}
    assert "NoSuchBucket" in cli.fails(3, "stat", "s3://no-such-bucket-25-6")
    assert "bucket only" in cli.fails(2, "versioning", "info", f"s3://{bucket}/key")


def test_versions_on_the_local_store_say_why_not(local_cli: Cli) -> None:
    """On the local folder store, ls --versions, stat s3://bucket and each versioning
    action exit 1 with one line saying the store keeps no versions / bucket settings;
    --json carries the code NotImplemented; a stat of an object still works."""
    local_cli.ok("mb", "s3://media")
    for args in (
        ("ls", "--versions", "s3://media"),
        ("versioning", "enable", "s3://media"),
        ("versioning", "suspend", "s3://media"),
        ("versioning", "info", "s3://media"),
    ):
        assert "keeps one version of each object" in local_cli.fails(1, *args)
    assert "has no bucket settings" in local_cli.fails(1, "stat", "s3://media")
    doc = json.loads(local_cli("--json", "stat", "s3://media").stdout)
    assert doc["error"]["code"] == "NotImplemented" and doc["error"]["status"] == 1
