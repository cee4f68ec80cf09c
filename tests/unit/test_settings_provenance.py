"""Where each setting in force came from (``config.provenance()``): the variable and its
source (the process environment, which ``.env`` file, a mapping, explicit, a preset, the
default), the variables it outranks, never a value; and how ``bucket doctor`` and
``bucket health --json`` show it (in-process, on the local folder store)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from backend.src.libs.bucket import cli
from backend.src.libs.bucket.base.config import SETTINGS, BucketConfig
from backend.src.libs.redis.config import RedisConfig

if TYPE_CHECKING:
    from backend.src.libs.core.declarations import SettingSource

SECRET = "dotenv-secret-value-1234"


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty working folder (where ``.env`` is read), a HOME without ~/.aws, and no
    bucket variable in the process environment."""
    for setting in SETTINGS.settings:
        for variable in setting.variables:
            monkeypatch.delenv(variable, raising=False)
    for variable in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def _by_name(config: BucketConfig) -> dict[str, SettingSource]:
    return {s.setting: s for s in config.provenance()}


def test_provenance_names_the_variable_the_source_and_the_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable of .env is ``env_file`` with the file's absolute path, an exported one
    ``environment``; a .env variable that outranks an exported alias says so; what
    nothing set is ``default``; one entry per declared setting, in order."""
    (workdir / ".env").write_text(
        f"BUCKET_USER=placeholder-user\nBUCKET_PASSWORD={SECRET}\nBUCKET_HOST=127.0.0.1\n"
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXPORTED")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    config = BucketConfig.from_env()
    found = _by_name(config)
    assert [s.setting for s in config.provenance()] == [s.name for s in SETTINGS.settings]
    dotenv = str(workdir / ".env")
    access = found["access_key"]
    assert (access.variable, access.kind, access.path) == ("BUCKET_USER", "env_file", dotenv)
    assert [(v, o.kind) for v, o in access.outranked] == [("AWS_ACCESS_KEY_ID", "environment")]
    assert access.describe() == (
        f"BUCKET_USER from .env file {dotenv} (outranks AWS_ACCESS_KEY_ID from process environment)"
    )
    region = found["region"]
    assert (region.variable, region.kind, region.path) == ("AWS_REGION", "environment", None)
    assert (found["endpoint_url"].variable, found["endpoint_url"].kind) == (
        "BUCKET_HOST",
        "env_file",
    )
    assert (found["max_workers"].kind, found["max_workers"].variable) == ("default", None)


def test_provenance_never_holds_a_value(workdir: Path) -> None:
    """No secret (nor any value) is in a ``SettingSource``, its words or its JSON."""
    (workdir / ".env").write_text(f"BUCKET_USER=u\nBUCKET_PASSWORD={SECRET}\n")
    config = BucketConfig.from_env()
    assert config.secret_key == SECRET
    for source in config.provenance():
        assert SECRET not in source.describe()
        assert SECRET not in json.dumps(source.as_dict())
        assert SECRET not in repr(source)


def test_explicit_mapping_preset_and_direct_construction() -> None:
    """An override is ``explicit`` (naming what it outranks), a mapping given to
    ``from_env`` is ``mapping``, the creation settings a preset filled are ``preset``,
    ``replace`` makes a field ``explicit``, and a config built directly counts every
    field away from its default as ``explicit``."""
    config = BucketConfig.from_env(
        {"AWS_REGION": "eu-west-3", "BUCKET_CREATE_PRESET": "archive", "STORAGE_TYPE": "local"},
        region="us-west-2",
    )
    found = _by_name(config)
    assert found["region"].kind == "explicit" and found["region"].variable is None
    assert [v for v, _ in found["region"].outranked] == ["AWS_REGION"]
    assert (found["storage_type"].variable, found["storage_type"].kind) == (
        "STORAGE_TYPE",
        "mapping",
    )
    assert (found["create_versioning"].kind, found["create_versioning"].variable) == (
        "preset",
        "BUCKET_CREATE_PRESET",
    )
    assert found["create_versioning"].describe() == "the preset of BUCKET_CREATE_PRESET"
    assert _by_name(config.replace(max_workers=3))["max_workers"].kind == "explicit"
    direct = _by_name(BucketConfig(storage_type="local", local_root="/srv/objects"))
    assert direct["local_root"].kind == "explicit" and direct["region"].kind == "default"


def test_redis_url_parts_come_from_redis_url() -> None:
    """The peers record it too: fields REDIS_URL gave name it, a REDIS_* variable wins."""
    config = RedisConfig.from_env({"REDIS_URL": "redis://h:6380/2", "REDIS_DB": "3"})
    found = {s.setting: s for s in config.provenance()}
    assert (found["url"].variable, found["host"].variable, found["db"].variable) == (
        "REDIS_URL",
        "REDIS_URL",
        "REDIS_DB",
    )


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_doctor_warns_when_dotenv_hides_an_exported_variable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """doctor's first line is ``settings``: where the settings came from, grouped by
    source; it warns when a .env variable outranks an exported one, naming both and the
    file, with the fix; never a secret. ``--json`` lists every setting's source."""
    monkeypatch.setenv("STORAGE_TYPE", "local")
    monkeypatch.setenv("BUCKET_LOCAL_ROOT", str(workdir / "root"))
    status, out, _ = _run("doctor")
    assert status == 0
    first = out.splitlines()[0]
    assert first.startswith(
        "[ ok ] settings: process environment: STORAGE_TYPE, BUCKET_LOCAL_ROOT;"
    )
    dotenv = workdir / ".env"
    dotenv.write_text(f"BUCKET_USER=placeholder-user\nBUCKET_PASSWORD={SECRET}\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXPORTED")
    status, out, err = _run("doctor")
    first = out.splitlines()[0]
    assert first.startswith(
        f"[warn] settings: BUCKET_USER from {dotenv} outranks the exported AWS_ACCESS_KEY_ID"
        " (access_key)"
    )
    assert f"fix: remove BUCKET_USER from {dotenv}, or export BUCKET_USER" in first
    assert SECRET not in out + err
    status, out, _ = _run("doctor", "--json")
    settings = {s["setting"]: s for s in json.loads(out)["settings"]}
    assert settings["access_key"] == {
        "setting": "access_key",
        "variable": "BUCKET_USER",
        "source": "env_file",
        "file": str(dotenv),
        "outranked": [{"variable": "AWS_ACCESS_KEY_ID", "source": "environment", "file": None}],
    }
    assert SECRET not in out


def test_health_json_lists_every_setting_with_its_source(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``health --json`` holds ``settings``: each declared setting with its variable,
    source and file, and the command-line option for one given explicitly."""
    monkeypatch.setenv("STORAGE_TYPE", "local")
    (workdir / ".env").write_text(f"BUCKET_LOCAL_ROOT={workdir / 'root'}\n")
    status, out, _ = _run("health", "--json", "--region", "eu-west-3")
    assert status == 0
    settings = json.loads(out)["settings"]
    assert [s["setting"] for s in settings] == [s.name for s in SETTINGS.settings]
    found = {s["setting"]: s for s in settings}
    assert (found["storage_type"]["variable"], found["storage_type"]["source"]) == (
        "STORAGE_TYPE",
        "environment",
    )
    assert (found["local_root"]["source"], found["local_root"]["file"]) == (
        "env_file",
        str(workdir / ".env"),
    )
    assert (found["region"]["source"], found["region"]["option"]) == ("explicit", "--region")
    assert found["max_workers"]["source"] == "default"
