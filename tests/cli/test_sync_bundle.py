"""``bucket sync`` and ``bucket bundle`` through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, MakeFile, local_env
from tests.conftest import unique_bucket_name

pytestmark = pytest.mark.integration


def test_sync_between_buckets_dry_run_resume_delete(cli: Cli, make_file: MakeFile) -> None:
    """sync --dry-run prints (dryrun) lines and writes nothing; sync copies 3 objects
    and verifies; a second run copies 0 (JSON); --delete removes an extra key."""
    src, dst = unique_bucket_name("cli"), unique_bucket_name("cli")
    cli.ok("mb", f"s3://{src}")
    try:
        for key, data in {"a.txt": b"a", "d/b.txt": b"bb", "d/e/c.txt": b"ccc"}.items():
            cli.ok("cp", str(make_file(key, data)), f"s3://{src}/{key}")
        dry = cli.ok("sync", "--dry-run", f"s3://{src}", f"s3://{dst}")
        lines = dry.stdout.splitlines()
        assert lines[:3] == [f"(dryrun) copy: s3://{src}/{k} to s3://{dst}/{k}" for k in ("a.txt", "d/b.txt", "d/e/c.txt")] or \
            sorted(lines[:3]) == sorted(f"(dryrun) copy: s3://{src}/{k} to s3://{dst}/{k}" for k in ("a.txt", "d/b.txt", "d/e/c.txt"))
        assert lines[3].startswith("(dryrun) sync: 3 copied, 0 skipped")
        assert "NoSuchBucket" in cli.fails(3, "ls", f"s3://{dst}")
        first = cli.ok("sync", f"s3://{src}", f"s3://{dst}")
        assert first.stdout.splitlines()[-1] == "sync: 3 copied, 0 skipped, 0 deleted, 0 failed, 6 bytes; verified"
        again = json.loads(cli.ok("sync", "--json", f"s3://{src}", f"s3://{dst}").stdout)
        assert (again["copied"], again["skipped"], again["verified"], again["ok"]) == (0, 3, True, True)
        cli.ok("cp", str(make_file("x", b"extra")), f"s3://{dst}/extra.txt")
        kept = json.loads(cli.ok("sync", "--json", f"s3://{src}", f"s3://{dst}").stdout)
        assert (kept["extra"], kept["deleted"]) == (1, 0)
        gone = cli.ok("sync", "--delete", f"s3://{src}", f"s3://{dst}")
        assert f"delete: s3://{dst}/extra.txt" in gone.stdout.splitlines()
        keys = [i["key"] for i in json.loads(cli.ok("ls", "-r", "--json", f"s3://{dst}").stdout)]
        assert keys == ["a.txt", "d/b.txt", "d/e/c.txt"]
    finally:
        cli("rb", "--force", f"s3://{src}")
        cli("rb", "--force", f"s3://{dst}")


def test_sync_s3_to_local_backup_and_back(s3_cli: Cli, make_file: MakeFile, tmp_path: Path) -> None:
    """``sync s3://b local://backup`` copies into the local folder store (bytes checked
    through the local store's own CLI), and ``--dest-env`` names another store's
    settings file for the migration back into a new S3 bucket."""
    src, back = unique_bucket_name("cli"), unique_bucket_name("cli")
    root = tmp_path / "backup-root"
    s3_cli.ok("mb", f"s3://{src}")
    try:
        s3_cli.ok("cp", str(make_file("photo.jpg", b"\xff\xd8jpeg")), f"s3://{src}/img/photo.jpg")
        report = json.loads(s3_cli.ok("--local-root", str(root), "sync", "--json", f"s3://{src}", "local://backup").stdout)
        assert report["copied"] == 1 and report["verified"] is True
        local = Cli("local", local_env(tmp_path), s3_cli.cwd)
        local.env["BUCKET_LOCAL_ROOT"] = str(root)
        assert local.ok("cat", "s3://backup/img/photo.jpg").raw_stdout == b"\xff\xd8jpeg"  # type: ignore[attr-defined]
        env_file = tmp_path / "s3.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in s3_cli.env.items() if k.startswith(("S3_", "AWS_", "BUCKET_"))))
        out = local.ok("sync", "--dest-env", str(env_file), "s3://backup", f"s3://{back}")
        assert out.stdout.splitlines()[-1].startswith("sync: 1 copied")
        assert s3_cli.ok("cat", f"s3://{back}/img/photo.jpg").raw_stdout == b"\xff\xd8jpeg"  # type: ignore[attr-defined]
        assert "does not exist" in local.fails(2, "sync", "--dest-env", str(tmp_path / "none.env"), "s3://backup", f"s3://{back}")
    finally:
        s3_cli("rb", "--force", f"s3://{src}")
        s3_cli("rb", "--force", f"s3://{back}")


def test_sync_missing_source_bucket_fails(cli: Cli) -> None:
    """sync from a bucket that does not exist exits 3 with one line."""
    assert "NoSuchBucket" in cli.fails(3, "sync", f"s3://{unique_bucket_name('gone')}", "s3://some-dest")


def test_bundle_put_get_ls(cli: Cli, new_bucket: str) -> None:
    """bundle put stores a bundle (id, key under evidence/TYPE/YYYY/MM/, sha256),
    bundle get prints it with the same checksum, bundle ls lists it, a second put of
    the same id exits 1 (write-once), and get of an unknown id exits 3."""
    put = json.loads(cli.ok("bundle", "put", "--json", f"s3://{new_bucket}", "--type", "audit",
                            "--id", "case-1", "--data", '{"ok": true, "n": 3}', "--meta", "who=cli").stdout)
    assert put["id"] == "case-1" and put["key"].startswith("evidence/audit/") and put["key"].endswith("/case-1.json")
    assert len(put["checksum"]) == 64
    got = json.loads(cli.ok("bundle", "get", f"s3://{new_bucket}", "case-1").stdout)
    assert got["data"] == {"ok": True, "n": 3} and got["metadata"] == {"who": "cli"}
    assert got["checksum"] == put["checksum"]
    listing = cli.ok("bundle", "ls", f"s3://{new_bucket}").stdout.splitlines()
    assert len(listing) == 1 and listing[0].endswith("audit            case-1")
    items = json.loads(cli.ok("bundle", "ls", "--json", f"s3://{new_bucket}", "--type", "audit").stdout)
    assert [i["id"] for i in items] == ["case-1"]
    assert "already stored" in cli.fails(1, "bundle", "put", f"s3://{new_bucket}", "--type", "audit",
                                         "--id", "case-1", "--data", "{}")
    assert "not valid JSON" in cli.fails(2, "bundle", "put", f"s3://{new_bucket}", "--type", "audit", "--data", "{nope")
    cli.fails(3, "bundle", "get", f"s3://{new_bucket}", "no-such-id")
