"""``.env.example`` lists every variable of every module, each setting commented out with
an example: copied to ``.env`` it changes nothing until a line is uncommented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from backend.src.libs.bucket.base.config import SETTINGS as BUCKET_SETTINGS
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.core.declarations import DeclaredConfig, Table
from backend.src.libs.redis.config import SETTINGS as REDIS_SETTINGS
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.sql.config import SETTINGS as SQL_SETTINGS
from backend.src.libs.sql.config import SQLConfig
from scripts import settings_docs

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
MODULES: list[tuple[Table, type[DeclaredConfig]]] = [
    (BUCKET_SETTINGS, BucketConfig),
    (REDIS_SETTINGS, RedisConfig),
    (SQL_SETTINGS, SQLConfig),
]
COMMENTED = re.compile(r"^# ([A-Z][A-Z0-9_]*)=(.*)$", re.M)
# what an example needs beside it to make a valid config alone
COMPANIONS = {
    "BUCKET_USER": {"BUCKET_PASSWORD": "companion-secret"},
    "BUCKET_PASSWORD": {"BUCKET_USER": "companion-user"},
}


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A working folder without .env, a HOME without ~/.aws, and no declared variable in
    the process environment."""
    for table, _ in MODULES:
        for setting in table.settings:
            for variable in setting.variables:
                monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_env_example_sets_nothing() -> None:
    """Every assignment of .env.example is commented out: python-dotenv reads no variable
    from it (before: BUCKET_HOST, BUCKET_USER, BUCKET_PASSWORD, BUCKET_NAME,
    BUCKET_STORAGE_TYPE... were live)."""
    assert dotenv_values(EXAMPLE) == {}
    live = [line for line in EXAMPLE.read_text().splitlines() if re.match(r"^\s*[A-Za-z_]", line)]
    assert live == []


def test_a_copied_env_example_changes_no_setting(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copied to .env, the example leaves every config as it is without it, and an
    exported AWS_ACCESS_KEY_ID stays the access key in force (before: the copy's
    BUCKET_USER placeholder outranked it)."""
    without = [cls.from_env() for _, cls in MODULES]
    (no_settings / ".env").write_text(EXAMPLE.read_text())
    assert [cls.from_env() for _, cls in MODULES] == without
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXPORTED")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "exported-secret")
    config = BucketConfig.from_env()
    assert config.access_key == "AKIAEXPORTED"
    assert config.sources["access_key"] == "AWS_ACCESS_KEY_ID"


def test_env_example_has_one_commented_line_per_setting() -> None:
    """Each setting of the bucket, redis and sql modules has exactly one commented line,
    its first variable with the declared example, under a comment that names its other
    variables; every variable appears."""
    text = EXAMPLE.read_text()
    lines = dict(COMMENTED.findall(text))
    for table, _ in MODULES:
        for setting in table.settings:
            assert lines.get(setting.variable) == setting.example, setting.variable
            for alias in setting.variables[1:]:
                assert alias not in lines, f"{alias} has its own line"
                assert re.search(rf"\b{alias}\b", text), alias
    listed = text.splitlines()
    for index, line in enumerate(listed):
        if COMMENTED.match(line) and index and not listed[index - 1].startswith("# "):
            raise AssertionError(f"no comment above {line!r}")


@pytest.mark.parametrize(("table", "cls"), MODULES, ids=[t.key for t, _ in MODULES])
def test_each_example_uncommented_is_a_valid_setting(
    table: Table, cls: type[DeclaredConfig]
) -> None:
    """Uncommented alone, each example line gives a valid config, the setting read from
    that variable (the access key and the secret key together)."""
    examples = dict(COMMENTED.findall(EXAMPLE.read_text()))
    for setting in table.settings:
        value = examples[setting.variable]
        if not value:
            continue
        env = {setting.variable: value, **COMPANIONS.get(setting.variable, {})}
        config = cls.from_env(env, env_file=None)
        found = {s.setting: s for s in config.provenance()}[setting.name]
        assert (found.variable, found.kind) == (setting.variable, "mapping"), setting.name


def test_env_example_blocks_are_generated_from_the_declarations() -> None:
    """Each module's block of .env.example is what its declarations give: one comment
    (doc, values, default, aliases) per setting and its first variable with the example,
    commented out (``python -m scripts.settings_docs --write`` fixes drift)."""
    text = EXAMPLE.read_text()
    env_blocks = [b for b in settings_docs.blocks() if b.path == settings_docs.ENV_EXAMPLE]
    assert [b.marker for b in env_blocks] == ["settings:bucket", "settings:redis", "settings:sql"]
    for block in env_blocks:
        assert settings_docs.current(text, block) == block.text, block.marker
