"""Issue 14, "Install and first run": what a newcomer meets before the first request.

The Makefile's two install sets, no log line of the library's own on stderr (piped or on
a terminal: the application's logging decides, issue 23), the peers' missing drivers named as extras, README and docker-compose.yml agreeing with
``.env.example``, and the packaging files (``py.typed``, ``LICENSE``, ``bucket --version``).
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.servers import ROOT


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_", "REDIS_", "DB_"))
        and k not in ("STORAGE_TYPE", "NO_COLOR", "FORCE_COLOR")
    }
    return env | {"PYTHONPATH": str(ROOT)} | extra


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


# ------------------------------------------------------------------ make demo
def _recipe(makefile: str, target: str) -> str:
    """The recipe lines of ``target`` in the Makefile's text."""
    found = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)*)", makefile, re.M)
    assert found, f"no rule for {target}"
    return found.group(1)


def _make_n(folder: Path, target: str) -> str:
    """What ``make -n target`` would run in ``folder`` (a copy of the Makefile); run as a
    make of its own, not a sub-make of ``make test`` (whose MAKEFLAGS and MAKELEVEL would
    add "Entering directory" lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_demo_installs_the_cli_extra_only_and_make_test_upgrades(tmp_path: Path) -> None:
    """On a fresh clone make demo creates the venv and installs '.[cli]' (never the dev set)
    under .venv/.installed-demo; with that stamp make demo installs nothing more, while
    make install (what make test runs) installs '.[dev]' and then stamps both, so a later
    make demo installs nothing either."""
    for name in ("Makefile", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    fresh = _make_n(tmp_path, "demo")
    assert "-m venv --without-pip .venv" in fresh
    assert "install --no-compile -e '.[cli]'" in fresh and "[dev]" not in fresh
    assert "touch .venv/.installed-demo" in fresh and "bash scripts/demo.sh" in fresh

    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\nexit 0\n")
    python.chmod(0o755)
    demo_stamp = venv / ".installed-demo"
    demo_stamp.touch()
    os.utime(tmp_path / "pyproject.toml", (1, 1))  # older than the stamps
    assert _make_n(tmp_path, "demo").strip() == "bash scripts/demo.sh"
    upgrade = _make_n(tmp_path, "install")
    assert "-e '.[dev]'" in upgrade
    assert "touch .venv/.installed .venv/.installed-demo" in upgrade
    (venv / ".installed").touch()
    assert "pip" not in _make_n(tmp_path, "install")
    assert _make_n(tmp_path, "demo").strip() == "bash scripts/demo.sh"


def test_make_up_and_down_fall_back_to_docker_compose() -> None:
    """make up / make down run $(COMPOSE): the compose plugin when `docker compose version`
    answers, else the standalone docker-compose."""
    makefile = (ROOT / "Makefile").read_text()
    assert "docker compose version >/dev/null 2>&1" in makefile
    assert 'echo "docker compose" || echo docker-compose' in makefile
    assert _recipe(makefile, "up").strip() == "$(COMPOSE) up -d"
    assert _recipe(makefile, "down").strip() == "$(COMPOSE) down"


# ---------------------------------------------------------------- log lines
# The library writes no log line itself (issue 23: one NullHandler on ``bucket``, nothing
# else; tests/unit/test_library_logging.py): its records go where the application's
# logging sends them, in its format, so there are no colours of ours to turn off.
_LOG_AN_ERROR = """
    from backend.src.libs.bucket import Bucket, BucketConfig
    bucket = Bucket(config=BucketConfig.from_env({"BUCKET_STORAGE_TYPE": "local",
                                                  "BUCKET_LOCAL_ROOT": "store"}))
    assert bucket.create_bucket("Not_A_Bucket_Name") == bucket.error
    assert bucket.get_bucket_file("nosuch", "k") == bucket.error
"""


def _on_a_terminal(tmp_path: Path, **env: str) -> str:
    """Run _LOG_AN_ERROR with standard error on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_LOG_AN_ERROR)],
            cwd=tmp_path,
            env=_clean_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=60,
        )
        assert done.returncode == 0
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return b"".join(chunks).decode(errors="replace")


def test_a_failure_writes_no_log_line_on_a_pipe_or_a_terminal(tmp_path: Path) -> None:
    """An application that configures no logging: a facade's failure (and a missing
    key asked about) writes nothing on standard error, piped or on a terminal, with or
    without NO_COLOR (the library adds no handler; display-tty's coloured one is gone)."""
    done = _python(_LOG_AN_ERROR, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert _on_a_terminal(tmp_path) == ""
    assert _on_a_terminal(tmp_path, NO_COLOR="1") == ""


# ------------------------------------------------------------ missing drivers
@pytest.mark.parametrize(
    ("peer", "module", "extra"),
    [("redis", "redis", "backend-bucket[redis]"), ("sql", "mysql", "backend-bucket[sql]")],
)
def test_a_missing_driver_names_the_extra(
    tmp_path: Path, peer: str, module: str, extra: str
) -> None:
    """Without the peer's driver, RuntimeManager().<peer> is built, its last_error after the
    first use and the runtime's ping report say which extra to install; no traceback."""
    done = _python(
        f"""
        import sys
        sys.modules[{module!r}] = None  # the driver is not installed
        from backend.src.libs.core.runtime import RuntimeManager
        runtime = RuntimeManager()
        peer = runtime.{peer}
        assert peer.health_check() is False
        print("last_error:", peer.last_error)
        report = runtime.ping({peer!r})
        print("healthy:", report.services[0].healthy)
        print("reason:", report.services[0].reason)
        runtime.close()
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "ModuleNotFoundError" not in done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert f"install {extra}" in lines["last_error"]
    assert lines["healthy"] == "False"
    assert f"install {extra}" in lines["reason"]


# ------------------------------------------------- README, compose, .env.example
def _env_example() -> dict[str, str]:
    """The example value of each variable of .env.example (every line is commented out:
    ``# NAME=value``)."""
    found = re.findall(r"^# ?([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    return {name: value.strip() for name, value in found}


def test_compose_images_are_pinned_and_agree_with_env_example() -> None:
    """Every image in docker-compose.yml (its default and .env.example's) names a version,
    never :latest or a bare name; both files give the same images."""
    compose = (ROOT / "docker-compose.yml").read_text()
    images = re.findall(r"^\s*image:\s*\$\{(\w+):-([^}]+)\}\s*$", compose, re.M)
    assert len(images) == 4, images
    example = _env_example()
    for variable, default in images:
        for image in (default, example[variable]):
            name, _, tag = image.rpartition(":")
            assert name and tag and tag != "latest", f"{variable}: {image} is not pinned"
            assert re.search(r"\d", tag), f"{variable}: {image} names no version"
        assert example[variable] == default, variable
    assert "image:" not in re.sub(r"^\s*image:\s*\$\{\w+:-[^}]+\}\s*$", "", compose, flags=re.M)


def test_compose_uses_the_current_minio_region_and_a_quiet_redis_healthcheck() -> None:
    """MinIO's region is MINIO_SITE_REGION (MINIO_REGION is deprecated); Redis's
    healthcheck sets REDISCLI_AUTH only when a password is set (an empty one makes
    redis-cli print a warning on every check)."""
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "MINIO_SITE_REGION: ${BUCKET_REGION:-us-east-1}" in compose
    assert not re.search(r"^\s*MINIO_REGION:", compose, re.M)
    health = re.search(r"redis-cli ping[^\n]*", compose)
    assert health
    line = compose[compose.rindex("\n", 0, health.start()) : health.end()]
    assert 'if [ -n \\"$$REDIS_PASSWORD\\" ]; then export REDISCLI_AUTH=' in line


def test_readme_credentials_are_those_of_env_example() -> None:
    """The MinIO credentials README gives (for the tests and for .env) are the root user
    and password docker-compose.yml takes from .env, i.e. .env.example's values."""
    readme = (ROOT / "README.md").read_text()
    example = _env_example()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "MINIO_ROOT_USER: ${BUCKET_USER" in compose
    assert "MINIO_ROOT_PASSWORD: ${BUCKET_PASSWORD" in compose
    assert "minioadmin" not in readme
    keys = dict(re.findall(r"BUCKET_TEST_S3_(ACCESS_KEY|SECRET_KEY)=(\S+)", readme))
    assert keys == {"ACCESS_KEY": example["BUCKET_USER"], "SECRET_KEY": example["BUCKET_PASSWORD"]}
    for name in ("BUCKET_USER", "BUCKET_PASSWORD"):
        shown = re.findall(rf"^{name}=(\S+)$", readme, re.M)
        assert shown == [example[name]], name


def test_readme_has_an_install_section_with_the_extras() -> None:
    """README's Install section shows pip install with the cli, redis and sql extras, and
    every extra it names exists in pyproject.toml."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "pip install -e '.[redis,sql,cli]'" in section
    assert "pip install -e '.[cli]'" in section
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for named in re.findall(r"\.\[([\w,]+)\]", section):
        assert set(named.split(",")) <= set(extras), named


# ------------------------------------------------------------------ packaging
def test_the_package_is_typed_and_the_wheel_ships_py_typed() -> None:
    """Each regular package under the namespace backend.src.libs has its py.typed (PEP 561
    puts the marker in the packages of a namespace, not in the namespace), the wheel takes
    backend/src/libs whole, and .gitignore (which hatch honours) hides no marker.
    (tests/unit/test_packaging.py checks the built wheel itself.)"""
    libs = ROOT / "backend" / "src" / "libs"
    packages = sorted(p.name for p in libs.iterdir() if (p / "__init__.py").is_file())
    assert packages == ["bucket", "core", "redis", "sql"]
    markers = [f"backend/src/libs/{name}/py.typed" for name in packages]
    assert all((ROOT / marker).is_file() for marker in markers)
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    assert wheel["only-include"] == ["backend/src/libs"]
    assert "exclude" not in wheel
    ignored = subprocess.run(
        ["git", "check-ignore", *markers], cwd=ROOT, check=False, capture_output=True, text=True
    )
    assert ignored.returncode == 1, ignored.stdout + ignored.stderr  # 1: none ignored


def test_license_file_is_mit_as_pyproject_says() -> None:
    """LICENSE holds the MIT text with "the bucket authors", as pyproject's license says."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert re.search(r"Copyright \(c\) \d{4} the bucket authors", text)
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_bucket_version_prints_the_package_version(tmp_path: Path) -> None:
    """`bucket --version` (python -m backend) prints "bucket <version>", the version the
    installed distribution's metadata holds (both are version.py's __version__), and exits
    0, with no settings and no server."""
    from importlib import metadata

    done = subprocess.run(
        [sys.executable, "-m", "backend", "--version"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"bucket {metadata.version('backend-bucket')}"
