"""Fixtures of the runtime tests: real Redis and MariaDB, and servers the tests own.

- The machine's shared servers (started by ``scripts/services.sh``): Redis on
  127.0.0.1:6379 and MariaDB on 127.0.0.1:3306 (root, empty password, database
  ``bucket_test``). Tests never stop or restart them.
- ``own_redis`` / ``own_mariadb``: a ``redis-server`` and a ``mariadbd`` that the test
  starts on a free port in a temporary folder, so it may stop and restart them.
- ``redis_sentinel`` / ``redis_cluster`` / ``mariadb_pair``: whole topologies started
  once per session by ``scripts/redis-topology.sh`` and ``scripts/mariadb-topology.sh``
  (Debian's redis-server and mariadb-server, free ports) and always stopped after,
  also when a test fails or the session is interrupted. A test that leaves a topology
  beyond repair (a whole cluster shard killed) uses ``own_redis_cluster``, a cluster
  of that test only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.src.libs.core import RuntimeManager
from backend.src.libs.redis import RedisConfig
from backend.src.libs.sql import SQLConfig

TEST_DATABASE = os.environ.get("TEST_DB_DATABASE", "bucket_test")
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``check`` until it is true, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not answer within {seconds} s")


def port_answers(port: int) -> bool:
    """True when something accepts a TCP connection on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class OwnServer:
    """A server process this test session started (and may stop and start again)."""

    def __init__(self, name: str, argv: list[str], port: int, folder: Path) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, seconds: float = 30) -> None:
        """Start the process and wait until its port answers."""
        log = open(self.folder / f"{self.name}.out", "ab")  # noqa: SIM115 - owned by Popen
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(lambda: port_answers(self.port), seconds, self.name)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and wait until the port is closed."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        wait_until(lambda: not port_answers(self.port), 10, f"{self.name} shutdown")

    def restart(self) -> None:
        """Stop, then start again on the same port."""
        self.stop()
        self.start()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnServer]:
    """A redis-server of this test only, on its own free port (no persistence)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: run `bash scripts/services.sh start`", pytrace=False)
    port = free_port()
    server = OwnServer(
        "redis",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        port,
        tmp_path,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    """A mariadbd of this module only: its own datadir, socket and free port; root
    with an empty password; database ``bucket_test``."""
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    if not os.path.exists(mariadbd) or shutil.which("mariadb-install-db") is None:
        pytest.fail("MariaDB is missing: run `bash scripts/services.sh start`", pytrace=False)
    folder = tmp_path_factory.mktemp("mariadb")
    data = folder / "data"
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    server = OwnServer(
        "mariadb",
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={folder / 'mysqld.sock'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
            "--skip-name-resolve",
            f"--pid-file={folder / 'pid'}",
        ],
        port,
        folder,
    )
    server.start(seconds=60)
    subprocess.run(
        [
            "mariadb",
            "--protocol=TCP",
            "-h",
            "127.0.0.1",
            "-P",
            str(port),
            "-uroot",
            "-e",
            f"CREATE DATABASE IF NOT EXISTS `{TEST_DATABASE}`",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    yield server
    server.stop()


def redis_config_for(port: int = 6379, **overrides: object) -> RedisConfig:
    """Settings for a Redis on 127.0.0.1:``port`` (no environment read), short timeouts."""
    env = {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(port),
        "REDIS_CONNECT_TIMEOUT": "2",
        "REDIS_SOCKET_TIMEOUT": "3",
    }
    return RedisConfig.from_env(env, **overrides)


def sql_config_for(port: int = 3306, **overrides: object) -> SQLConfig:
    """Settings for a MariaDB on 127.0.0.1:``port``, database ``bucket_test``."""
    env = {
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(port),
        "DB_USER": "root",
        "DB_PASSWORD": "",
        "DB_DATABASE": TEST_DATABASE,
        "DB_POOL_SIZE": "2",
        "DB_CONNECT_TIMEOUT": "2",
        "DB_POOL_TIMEOUT": "5",
    }
    return SQLConfig.from_env(env, **overrides)


@pytest.fixture
def redis_config() -> RedisConfig:
    """Settings for the machine's Redis, with a cache prefix no other test uses."""
    return redis_config_for(cache_prefix=f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
def sql_config() -> SQLConfig:
    """Settings for the machine's MariaDB, database ``bucket_test``."""
    return sql_config_for()


@pytest.fixture
def runtime() -> Iterator[RuntimeManager]:
    """A runtime with its own registry, reset afterwards."""
    manager = RuntimeManager(isolated=True)
    yield manager
    manager.reset()


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses (the test creates and drops it)."""
    return f"t_{uuid.uuid4().hex[:16]}"


@dataclass(frozen=True)
class Topology:
    """A topology started by one of the project's scripts.

    Attributes:
        script: the script (``scripts/redis-topology.sh``...).
        folder: its folder (pid files, logs, ``*.env``); deleted by ``stop``.
        env: the settings the script printed (``REDIS_SENTINELS=...``, ``DB_FAILOVER=...``).
    """

    script: Path
    folder: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 60) -> str:
        """Run ``script ARGS... folder``; its output (fails the test on an error)."""
        done = subprocess.run(
            ["bash", str(self.script), *args, str(self.folder)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"{self.script.name} {' '.join(args)}: {done.stderr}", pytrace=False)
        return done.stdout.strip()

    def settings(self, prefix: str) -> dict[str, str]:
        """The printed settings whose names start with ``prefix``."""
        return {k: v for k, v in self.env.items() if k.startswith(prefix)}


def _topology(script: str, args: list[str], folder: Path) -> Iterator[Topology]:
    """Start a topology, yield it, and stop it whatever happens (the script's ``stop``
    kills only the processes of its own pid files and deletes only its own folder)."""
    path = SCRIPTS / script
    try:
        done = subprocess.run(
            ["bash", str(path), "start", *args, str(folder)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"{script} start {' '.join(args)} failed: {done.stderr}", pytrace=False)
        env = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        yield Topology(path, folder, env)
    finally:
        subprocess.run(
            ["bash", str(path), "stop", str(folder)], capture_output=True, timeout=60, check=False
        )


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """A Redis primary, a replica and three sentinels (down-after 1 s), with passwords
    on the data nodes and on the sentinels."""
    yield from _topology("redis-topology.sh", ["sentinel"], tmp_path_factory.mktemp("t") / "s")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """A six-node Redis Cluster: three primaries, three replicas (node timeout 1 s)."""
    yield from _topology("redis-topology.sh", ["cluster"], tmp_path_factory.mktemp("t") / "c")


@pytest.fixture
def own_redis_cluster(tmp_path: Path) -> Iterator[Topology]:
    """A six-node Redis Cluster of this test only (three primaries, three replicas, node
    timeout 1 s), which the test may break beyond repair (a whole shard killed); stopped
    after, also when the test fails. Starting it takes 2-3 s."""
    yield from _topology("redis-topology.sh", ["cluster"], tmp_path / "cluster")


@pytest.fixture(scope="session")
def mariadb_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Two MariaDB servers with require_secure_transport=ON and a self-signed CA: "a"
    (certificate for 127.0.0.1) and "b" (certificate for db-b.invalid), user ``app``
    with a client certificate."""
    yield from _topology("mariadb-topology.sh", [], tmp_path_factory.mktemp("t") / "m")
