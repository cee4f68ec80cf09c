"""What scripts rely on (issue 14): named settings files that must exist, a sync onto
itself refused, ``-q`` honoured by every command, valid JSON on failure, SIGTERM handled
as SIGINT (temporaries removed, exit 143), ``gc`` for what killed writers left, and the
default local store announced unless ``-q``.

Every test runs the installed ``bucket`` command in a subprocess, on the local store and,
where it applies, on Ceph RGW."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket.base.files import find_temporaries, is_temporary
from backend.src.libs.bucket.cli.output import Output
from tests.cli.conftest import BUCKET_BIN, Cli, MakeFile, _base_env
from tests.conftest import unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

HEX = "0123456789abcdef" * 2


@pytest.fixture
def default_cli(bucket_bin: Path, tmp_path: Path) -> Cli:
    """``bucket`` with no setting at all: the default local store in its working folder."""
    work = tmp_path / "work"
    work.mkdir()
    return Cli("default", _base_env(tmp_path), work)


def _error_document(stdout: str) -> dict[str, object]:
    document = json.loads(stdout)
    assert set(document) == {"error"}, document
    error = document["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    return error  # type: ignore[no-any-return]


# ------------------------------------------------------------ named settings files
def test_a_named_env_file_that_does_not_exist_is_an_error(local_cli: Cli) -> None:
    """``bucket --env-file nosuch.env ls`` exits 2 naming the file (it used to list the
    local default); without ``--env-file`` a missing ``.env`` is fine."""
    line = local_cli.fails(2, "--env-file", "nosuch.env", "ls")
    assert "nosuch.env" in line and "does not exist" in line
    line = local_cli.fails(2, "ls", "--env-file", "nosuch.env")
    assert "nosuch.env" in line
    local_cli.ok("ls")  # no .env in the working folder: fine
    done = local_cli("--json", "--env-file", "nosuch.env", "ls")
    assert done.returncode == 2
    assert "nosuch.env" in _error_document(done.stdout)["message"]


# ---------------------------------------------------------------- sync onto itself
def test_sync_local_to_s3_without_s3_settings_is_refused(
    default_cli: Cli, make_file: MakeFile
) -> None:
    """With no S3 setting, ``s3://media`` is the local store too: ``sync local://media
    s3://media`` (with or without ``--delete``) exits non-zero naming the overlap and
    changes nothing."""
    default_cli.ok("-q", "mb", "s3://media")
    default_cli.ok("-q", "cp", str(make_file("a.txt", b"a")), "s3://media/a.txt")
    for extra in ((), ("--delete",)):
        done = default_cli("-q", "sync", *extra, "local://media", "s3://media")
        assert done.returncode == 2, (done.stdout, done.stderr)
        assert "overlap" in done.stderr and "same local store" in done.stderr
    listing = json.loads(default_cli.ok("--json", "ls", "-r", "s3://media").stdout)
    assert [e["key"] for e in listing] == ["a.txt"]


# ------------------------------------------------------------------------- quiet
def test_quiet_silences_cp_and_rm(
    cli: Cli, new_bucket: str, make_file: MakeFile, tmp_path: Path
) -> None:
    """``-q`` prints nothing on stdout for cp (upload, download, server copy, -r both
    ways) and rm (one key, -r --force); without it each prints its lines."""
    b = f"s3://{new_bucket}"
    src = make_file("q/one.txt", b"one")
    make_file("q/two.txt", b"two")
    assert cli.ok("cp", str(src), f"{b}/loud.txt").stdout.startswith("upload: ")
    runs = [
        ("cp", str(src), f"{b}/one.txt"),
        ("cp", f"{b}/one.txt", str(tmp_path / "down.txt")),
        ("cp", f"{b}/one.txt", f"{b}/copy.txt"),
        ("cp", "-r", str(src.parent), f"{b}/tree/"),
        ("cp", "-r", f"{b}/tree/", str(tmp_path / "tree")),
        ("rm", f"{b}/copy.txt"),
        ("rm", "-r", "--force", f"{b}/tree/"),
    ]
    for args in runs:
        done = cli.ok("-q", *args)
        assert done.stdout == "" and done.stderr == "", (args, done.stdout, done.stderr)
    assert (tmp_path / "down.txt").read_bytes() == b"one"
    assert sorted(p.name for p in (tmp_path / "tree").iterdir()) == ["one.txt", "two.txt"]
    keys = [e["key"] for e in json.loads(cli.ok("--json", "ls", "-r", b).stdout)]
    assert keys == ["loud.txt", "one.txt"]
    assert cli.ok("rm", f"{b}/loud.txt").stdout.startswith("delete: ")


def test_quiet_silences_mb_and_rb(cli: Cli) -> None:
    """``-q`` prints nothing for mb and rb; without it each names the bucket."""
    name = f"quiet-{uuid.uuid4().hex[:12]}"
    for args in (("mb", f"s3://{name}"), ("rb", f"s3://{name}")):
        done = cli.ok("-q", *args)
        assert done.stdout == "" and done.stderr == "", (args, done.stdout, done.stderr)
    assert cli.ok("mb", f"s3://{name}").stdout == f"make_bucket: {name}\n"
    assert cli.ok("rb", f"s3://{name}").stdout == f"remove_bucket: {name}\n"


# ------------------------------------------------------------------- JSON errors
FAILURES = [
    ("ls-missing-bucket", ("ls", "s3://{missing}"), 3),
    ("stat-missing-key", ("stat", "s3://{bucket}/nope"), 3),
    ("rm-missing-key", ("rm", "s3://{bucket}/nope"), 3),
    ("cp-missing-file", ("cp", "nope.txt", "s3://{bucket}/x"), 3),
    ("cat-missing-key", ("cat", "s3://{bucket}/nope"), 3),
    ("rm-r-without-force", ("rm", "-r", "s3://{bucket}/"), 2),
    ("local-path", ("stat", "nope.txt"), 2),
    ("unknown-flag", ("ls", "--no-such-flag"), 2),
    ("bad-bucket-name", ("mb", "s3://Bad_Name"), 2),
]


@pytest.mark.parametrize(("name", "args", "status"), FAILURES, ids=[f[0] for f in FAILURES])
def test_json_failure_is_one_error_document(
    cli: Cli, new_bucket: str, name: str, args: tuple[str, ...], status: int
) -> None:
    """With ``--json`` a failure prints ``{"error": {"code", "message"}}`` on stdout (it
    printed ``[`` or nothing), with the exit status and stderr line of the text run."""
    filled = [a.format(bucket=new_bucket, missing=unique_bucket_name("none")) for a in args]
    text = cli(*filled)
    done = cli("--json", *filled)
    assert text.returncode == done.returncode == status, (done.stdout, done.stderr)
    error = _error_document(done.stdout)
    assert error["status"] == status
    assert "error" in done.stderr
    if name == "ls-missing-bucket":
        assert error["code"] == "NoSuchBucket"


def test_json_listing_cut_short_is_still_one_array() -> None:
    """An ``ls --json`` array that fails after some items ends with the error document as
    its last element, closed: stdout stays valid JSON. One that fails at once gives only
    the error document."""
    out = io.StringIO()
    output = Output(out, io.StringIO(), json=True, quiet=False)

    def items() -> Iterator[dict[str, object]]:
        yield {"key": "a"}
        yield {"key": "b"}
        raise OSError("the listing broke")

    with pytest.raises(OSError):
        output.emit_items(items())
    output.emit_error("StorageError", "the listing broke")
    assert json.loads(out.getvalue()) == [
        {"key": "a"},
        {"key": "b"},
        {"error": {"code": "StorageError", "message": "the listing broke"}},
    ]
    out = io.StringIO()
    output = Output(out, io.StringIO(), json=True, quiet=False)

    def nothing() -> Iterator[dict[str, object]]:
        raise OSError("no bucket")
        yield {}  # pragma: no cover

    with pytest.raises(OSError):
        output.emit_items(nothing())
    output.emit_error("NoSuchBucket", "no bucket")
    assert json.loads(out.getvalue()) == {"error": {"code": "NoSuchBucket", "message": "no bucket"}}


# ----------------------------------------------------------------------- SIGTERM
def _wait_for(predicate: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.name != ".bucket.json"]


def test_sigterm_during_an_upload_to_the_local_store_leaves_no_temporary(local_cli: Cli) -> None:
    """``bucket cp - local`` killed by SIGTERM while its hidden ``.tmp`` grows in the
    store exits 143 and leaves no temporary (it used to leave the ``.tmp``) and no object."""
    local_cli.ok("-q", "mb", "s3://media")
    root = Path(local_cli.env["BUCKET_LOCAL_ROOT"])
    proc = subprocess.Popen(
        [str(BUCKET_BIN), "cp", "-", "s3://media/big.bin"],
        env=local_cli.env,
        cwd=local_cli.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(os.urandom(1 << 20) * 30)  # 30 MiB, the pipe kept open after
        proc.stdin.flush()
        _wait_for(lambda: any(is_temporary(p.name) for p in (root / "media").iterdir()))
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert b"terminated" in err and b"Traceback" not in err
    assert _hidden(root) == []
    assert json.loads(local_cli.ok("--json", "ls", "-r", "s3://media").stdout) == []


class _SlowProxy:
    """A TCP proxy to ``upstream`` that sends the answers back slowly (about 1 MiB/s), so
    a download is still running when the test signals it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, 0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, 0.06), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, pause: float) -> None:
        try:
            while chunk := src.recv(64 * 1024):
                dst.sendall(chunk)
                time.sleep(pause)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.server.close()


def test_sigterm_during_a_download_from_ceph_leaves_no_part_file(
    s3_cli: Cli, ceph_server: S3Server, tmp_path: Path, make_file: MakeFile
) -> None:
    """``bucket cp s3://... file`` killed by SIGTERM while its hidden ``.part`` grows beside
    the target exits 143 and leaves neither the ``.part`` nor the target."""
    name = unique_bucket_name("term")
    s3_cli.ok("-q", "mb", f"s3://{name}")
    try:
        big = make_file("big.bin", os.urandom(1 << 20) * 12)  # 12 MiB
        s3_cli.ok("-q", "cp", str(big), f"s3://{name}/big.bin")
        host, port = ceph_server.endpoint.split("://", 1)[1].rsplit(":", 1)
        proxy = _SlowProxy((host, int(port.rstrip("/"))))
        dl = tmp_path / "dl"
        dl.mkdir()
        env = {**s3_cli.env, "S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}
        proc = subprocess.Popen(
            [str(BUCKET_BIN), "cp", f"s3://{name}/big.bin", str(dl / "big.bin")],
            env=env,
            cwd=s3_cli.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for(
                lambda: any(p.suffix == ".part" and p.stat().st_size > 0 for p in dl.iterdir())
            )
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proxy.close()
        assert proc.returncode == 143, err
        assert list(dl.iterdir()) == []
    finally:
        s3_cli("rb", "--force", f"s3://{name}")


# ---------------------------------------------------------------------------- gc
def test_gc_removes_old_temporaries_only(local_cli: Cli, tmp_path: Path) -> None:
    """``bucket gc`` removes the store's ``.tmp`` and (given a folder) download ``.part``
    files older than ``--older-than``, keeps fresh ones, objects and other hidden files;
    ``--dry-run`` removes nothing; ``--json`` is one document; ``-q`` prints nothing."""
    local_cli.ok("-q", "mb", "s3://media")
    local_cli.ok("-q", "cp", "-", "s3://media/keep.txt", input=b"keep")
    bucket = Path(local_cli.env["BUCKET_LOCAL_ROOT"]) / "media"
    old_tmp, new_tmp = bucket / f".{HEX}.tmp", bucket / f".{HEX[::-1]}.tmp"
    dl = tmp_path / "dl"
    dl.mkdir()
    old_part, other = dl / f".movie.mp4.{HEX}.part", dl / ".hidden.part"
    for path in (old_tmp, new_tmp, old_part, other):
        path.write_bytes(b"x" * 10)
    two_hours_ago = time.time() - 7200
    for path in (old_tmp, old_part, other):
        os.utime(path, (two_hours_ago, two_hours_ago))

    dry = local_cli.ok("gc", "--dry-run", "--older-than", "3600")
    assert str(old_tmp) in dry.stdout and str(new_tmp) not in dry.stdout and old_tmp.exists()
    done = local_cli.ok("--json", "gc", "--older-than", "3600")
    document = json.loads(done.stdout)
    assert [d["path"] for d in document["removed"]] == [str(old_tmp)]
    assert document["count"] == 1 and document["bytes"] == 10
    assert not old_tmp.exists() and new_tmp.exists()
    assert local_cli.ok("-q", "gc", str(dl)).stdout == ""
    assert not old_part.exists() and other.exists()
    assert local_cli.ok("cat", "s3://media/keep.txt").stdout == "keep"
    assert [t.path for t in find_temporaries(tmp_path, older_than=0)] == [new_tmp]
    local_cli.fails(2, "gc", "--older-than", "-1")


# ------------------------------------------------------------ the default store
def test_default_local_store_is_announced_unless_quiet(default_cli: Cli) -> None:
    """With no setting, the local store in the working folder is named on stderr (its
    absolute path); ``-q`` silences it; docs/cli.md says how to pin it."""
    done = default_cli.ok("ls")
    assert f"local folder {default_cli.cwd / '.bucket-data'}" in done.stderr
    assert default_cli.ok("-q", "ls").stderr == ""
    assert default_cli.ok("-q", "mb", "s3://media").stderr == ""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert "BUCKET_LOCAL_ROOT" in docs and "pin" in docs
