"""Fixtures for the CLI tests: the installed ``bucket`` command and the environments
(the real Ceph server, the local folder store) it runs in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import unique_bucket_name
from tests.servers import S3Server

BUCKET_BIN = Path(sys.executable).parent / "bucket"


@dataclass
class Cli:
    """Runs ``bucket`` with a fixed environment and working folder.

    Every run checks that no configured secret appears on stdout or stderr, and that no
    traceback is printed unless ``--debug`` was given.
    """

    kind: str
    env: dict[str, str]
    cwd: Path
    secrets: tuple[str, ...] = ()

    def __call__(
        self, *args: str, input: bytes | None = None, extra_env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra_env or {})}
        done = subprocess.run(
            [str(BUCKET_BIN), *args], env=env, cwd=self.cwd, input=input,
            capture_output=True, timeout=timeout, check=False,
        )
        result = subprocess.CompletedProcess(
            done.args, done.returncode,
            done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
        )
        result.raw_stdout = done.stdout  # type: ignore[attr-defined]
        for secret in (*self.secrets, *(v for k, v in env.items() if "SECRET" in k)):
            assert secret not in result.stdout and secret not in result.stderr, "secret leaked"
        if "--debug" not in args:
            assert "Traceback" not in result.stderr
        return result

    def ok(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        """Run and require exit status 0."""
        result = self(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def fails(self, status: int, *args: str, **kwargs: object) -> str:
        """Run, require exit status ``status`` and exactly one ``bucket: error:`` line on
        stderr; returns that line."""
        result = self(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == status, (args, result.returncode, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("bucket: error: "), lines[0]
        return lines[0]


def _base_env(tmp: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),  # no ~/.aws of the machine
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }


@pytest.fixture(scope="session")
def bucket_bin() -> Path:
    """The installed console script (``pip install -e . --no-deps`` creates it)."""
    if not BUCKET_BIN.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e",
                        str(Path(__file__).resolve().parents[2]), "--no-deps"], check=True)
    assert BUCKET_BIN.exists(), f"{BUCKET_BIN} is missing"
    return BUCKET_BIN


def s3_env(server: S3Server, tmp: Path) -> dict[str, str]:
    """The environment naming ``server`` (short timeouts, no retries)."""
    return {
        **_base_env(tmp),
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": server.region,
        "BUCKET_CONNECT_TIMEOUT": "2",
        "BUCKET_MAX_RETRIES": "0",
    }


def local_env(tmp: Path) -> dict[str, str]:
    """The environment selecting the local folder store under ``tmp/root``."""
    return {**_base_env(tmp), "STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": str(tmp / "root")}


@pytest.fixture
def s3_cli(bucket_bin: Path, ceph_server: S3Server, tmp_path: Path) -> Cli:
    """``bucket`` pointed at the real Ceph server."""
    work = tmp_path / "work"
    work.mkdir()
    return Cli("s3", s3_env(ceph_server, tmp_path), work, (ceph_server.secret_key,))


@pytest.fixture
def local_cli(bucket_bin: Path, tmp_path: Path) -> Cli:
    """``bucket`` on the local folder store."""
    work = tmp_path / "work"
    work.mkdir()
    return Cli("local", local_env(tmp_path), work)


@pytest.fixture(params=["s3", "local"])
def cli(request: pytest.FixtureRequest) -> Cli:
    """The same test with the S3 server and with the local folder store."""
    return request.getfixturevalue(f"{request.param}_cli")  # type: ignore[no-any-return]


@pytest.fixture
def new_bucket(cli: Cli) -> Iterator[str]:
    """A bucket made with ``bucket mb`` for one test, force-removed after it."""
    name = unique_bucket_name("cli")
    cli.ok("mb", f"s3://{name}")
    yield name
    cli("rb", "--force", f"s3://{name}")


MakeFile = Callable[[str, bytes], Path]


@pytest.fixture
def make_file(tmp_path: Path) -> MakeFile:
    """Writes a file under the test's folder and returns its path."""

    def make(name: str, data: bytes) -> Path:
        path = tmp_path / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return make
