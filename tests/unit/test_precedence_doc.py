"""docs/configuration.md's precedence, replayed: each rule of its "Precedence" list, on
every setting of its tables (bucket, redis, sql), through ``from_env`` and the process
environment or a ``.env`` file, checking which variable and which source won
(``config.sources``, ``config.provenance()``) and the value in force.

The cases are built from the page: the list's bold phrases name the rules (a rule the
test does not know, or a known rule missing from the page, fails), and each table row
gives a setting and its variables, highest precedence first.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from backend.src.libs.core.declarations import DeclaredConfig

if TYPE_CHECKING:
    from backend.src.libs.core.declarations import SettingSource

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
CONFIGS: dict[str, str] = {
    "bucket": "backend.src.libs.bucket.base.config:BucketConfig",
    "redis": "backend.src.libs.redis.config:RedisConfig",
    "sql": "backend.src.libs.sql.config:SQLConfig",
}

# A valid value for the settings whose declaration gives no example, and the variables a
# value needs beside it to make a valid config (the access key and the secret key go
# together, a KMS key needs aws:kms, a client certificate its key).
FALLBACK = {
    "session_token": "token-example",
    "sse_kms_key_id": "alias/bucket",
    "sse_customer_key": "00" * 32,
    "role_session_name": "doc-session",
    "role_external_id": "external-id",
    "socket": "/tmp/example.sock",
    "username": "app",
    "password": "secret-example",
    "sentinel_password": "secret-example-2",
}
COMPANIONS: dict[tuple[str, str], dict[str, str]] = {
    ("bucket", "access_key"): {"BUCKET_PASSWORD": "companion-secret"},
    ("bucket", "secret_key"): {"BUCKET_USER": "companion-user"},
    ("bucket", "sse_kms_key_id"): {"BUCKET_SSE": "aws:kms"},
}
FILE_SETTINGS = {"ssl_ca", "ssl_cert", "ssl_key"}
"""SQL settings whose value is a readable file (made per test)."""


def _rules() -> list[str]:
    """The bold phrases of the numbered "Precedence" list, highest first."""
    section = DOC.read_text().split("## Precedence\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. \*\*(.+?)\*\*", section, re.M)


def _rows() -> list[tuple[str, str, tuple[str, ...]]]:
    """``(table, setting, variables)`` of every row of the page's generated tables."""
    rows = []
    text = DOC.read_text()
    for marker, body in re.findall(r"<!-- (settings:[\w:]+) -->\n(.*?)<!-- /\1 -->", text, re.S):
        table = marker.split(":")[1]
        for line in body.splitlines()[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            variables = tuple(re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[1]))
            rows.append((table, cells[0].strip("`"), variables))
    return rows


def _config_class(table: str) -> type[DeclaredConfig]:
    module, name = CONFIGS[table].split(":")
    cls: type[DeclaredConfig] = getattr(importlib.import_module(module), name)
    return cls


def _value(table: str, setting: str, tmp: Path) -> str:
    if setting in FILE_SETTINGS:
        path = tmp / f"{setting}.pem"
        path.write_text("-----BEGIN CERTIFICATE-----\n")
        return str(path)
    declared = _config_class(table)._settings[setting]
    return declared.example or FALLBACK[setting]


def _companions(table: str, setting: str, tmp: Path) -> dict[str, str]:
    extra = dict(COMPANIONS.get((table, setting), {}))
    if table == "sql" and setting in ("ssl_cert", "ssl_key"):
        other = "ssl_key" if setting == "ssl_cert" else "ssl_cert"
        extra[f"DB_{other.upper()}"] = _value(table, other, tmp)
    return extra


def _source(config: DeclaredConfig, setting: str) -> SettingSource:
    (found,) = [s for s in config.provenance() if s.setting == setting]
    return found


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No declared variable in the process environment, a HOME without ~/.aws, and an
    empty working folder (where ``.env`` is read)."""
    for _, _, variables in _rows():
        for variable in variables:
            monkeypatch.delenv(variable, raising=False)
    for variable in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "REDIS_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield monkeypatch


def _env_file(tmp: Path, values: dict[str, str]) -> Path:
    path = tmp / ".env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


# ------------------------------------------------------------------- the rules
def _explicit(table: str, setting: str, variables: tuple[str, ...], tmp: Path, mp: Any) -> None:
    """An explicit value wins over every variable of the setting, set anywhere (REDIS_URL
    has no explicit form: its parts do)."""
    cls = _config_class(table)
    if setting not in cls._overridable():
        return
    value = _value(table, setting, tmp)
    _env_file(tmp, {variables[-1]: value, **_companions(table, setting, tmp)})
    mp.setenv(variables[0], value)
    explicit = cls.from_env(**{setting: value})
    mp.delenv(variables[0])
    assert explicit.sources[setting] == "explicit"
    found = _source(explicit, setting)
    assert found.kind == "explicit" and found.variable is None
    assert {v for v, _ in found.outranked} == set(variables[:1]) | set(variables[-1:])


def _variable_order(
    table: str, setting: str, variables: tuple[str, ...], tmp: Path, mp: Any
) -> None:
    """Of two variables of a setting, the one listed first wins wherever each is set: in
    the process environment or in ``.env``, either way round."""
    cls = _config_class(table)
    value = _value(table, setting, tmp)
    for high, low in combinations(variables, 2):
        for high_in_file in (True, False):
            in_file = {high if high_in_file else low: value, **_companions(table, setting, tmp)}
            _env_file(tmp, in_file)
            exported = low if high_in_file else high
            mp.setenv(exported, value)
            config = cls.from_env()
            mp.delenv(exported)
            found = _source(config, setting)
            assert found.variable == high, (setting, high, low, found)
            assert found.kind == ("env_file" if high_in_file else "environment")
            assert found.path == (str(tmp / ".env") if high_in_file else None)
            assert [v for v, _ in found.outranked] == [low]
            if setting in config.sources:
                assert config.sources[setting] == high


def _environment_over_file(
    table: str, setting: str, variables: tuple[str, ...], tmp: Path, mp: Any
) -> None:
    """One variable set in both: the process environment's value is the one in force."""
    cls = _config_class(table)
    value = _value(table, setting, tmp)
    companions = _companions(table, setting, tmp)
    for variable in variables:
        _env_file(tmp, {variable: "placeholder-from-dotenv", **companions})
        mp.setenv(variable, value)
        config = cls.from_env()
        mp.delenv(variable)
        found = _source(config, setting)
        assert (found.variable, found.kind, found.path) == (variable, "environment", None)
        expected = cls.from_env({variable: value, **companions}, env_file=None)
        if setting in {f.name for f in dataclasses.fields(cls)}:  # type: ignore[arg-type]
            assert getattr(config, setting) == getattr(expected, setting)


def _default(table: str, setting: str, variables: tuple[str, ...], tmp: Path, mp: Any) -> None:
    """Nothing set: the setting is at its default, and says so."""
    (tmp / ".env").unlink(missing_ok=True)
    config = _config_class(table).from_env()
    found = _source(config, setting)
    assert (found.kind, found.variable, found.outranked) == ("default", None, ())


RULES: dict[str, Callable[[str, str, tuple[str, ...], Path, Any], None]] = {
    "explicit values": _explicit,
    "the variables of a setting, in the table's order": _variable_order,
    "for one variable, the process environment over `.env`": _environment_over_file,
    "the default": _default,
}


def test_the_page_lists_the_rules_the_test_replays() -> None:
    """The page's "Precedence" list is, in order, the rules this test replays; each
    table row names a declared setting and exactly its variables."""
    assert _rules() == list(RULES)
    rows = _rows()
    assert {table for table, _, _ in rows} == set(CONFIGS)
    for table, setting, variables in rows:
        assert _config_class(table)._settings[setting].variables == variables


@pytest.mark.parametrize("rule", list(RULES))
def test_precedence_rule_on_every_setting(
    rule: str, clean: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each rule of docs/configuration.md's precedence list holds for every setting of
    its tables: the winner's variable and source (process environment, ``.env`` and
    its path, explicit, default) are the ones the rule names."""
    for table, setting, variables in _rows():
        RULES[rule](table, setting, variables, tmp_path, clean)
