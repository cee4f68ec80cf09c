"""The docs and .env.example stay in step with the code's settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from backend.src.libs.bucket.base.config import SETTINGS as BUCKET_SETTINGS
from backend.src.libs.bucket.base.config import VARIABLES
from backend.src.libs.redis.config import SETTINGS as REDIS_SETTINGS
from backend.src.libs.sql.config import SETTINGS as SQL_SETTINGS
from scripts import settings_docs

ROOT = Path(__file__).resolve().parents[2]
ALL_VARIABLES = sorted({v for names in VARIABLES.values() for v in names})
EVERY_MODULE = sorted(
    {
        v
        for table in (BUCKET_SETTINGS, REDIS_SETTINGS, SQL_SETTINGS)
        for s in table.settings
        for v in s.variables
    }
)


@pytest.mark.parametrize("variable", EVERY_MODULE)
def test_configuration_doc_lists_every_variable(variable: str) -> None:
    """docs/configuration.md names every variable BucketConfig, RedisConfig and SQLConfig read."""
    assert f"`{variable}`" in (ROOT / "docs" / "configuration.md").read_text()


def test_env_example_lists_every_bucket_variable() -> None:
    """.env.example mentions every BUCKET_* variable (aliases may be left out)."""
    text = (ROOT / ".env.example").read_text()
    missing = [v for v in ALL_VARIABLES if v.startswith("BUCKET_") and v not in text]
    assert missing == []


def test_generated_tables_and_env_example_match_the_declarations() -> None:
    """Every generated part of docs/configuration.md and .env.example is what the
    declarations give (run ``python -m scripts.settings_docs --write``)."""
    assert settings_docs.drift(ROOT) == []
    assert settings_docs.main(["--check", "--root", str(ROOT)]) == 0


def test_a_changed_declaration_is_caught_as_drift() -> None:
    """Changing one declaration's doc, default or aliases makes the check name the part."""
    port = BUCKET_SETTINGS["max_retries"]
    for change in ({"doc": "another doc"}, {"default": 4}, {"variables": ("BUCKET_MAX_RETRIES",)}):
        changed = dataclasses.replace(port, **change)  # type: ignore[arg-type]
        table = dataclasses.replace(
            BUCKET_SETTINGS,
            settings=tuple(changed if s is port else s for s in BUCKET_SETTINGS.settings),
        )
        assert settings_docs.drift(ROOT, [table]) == [
            "docs/configuration.md: settings:bucket",
            ".env.example: settings:bucket",
        ]


def test_write_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    """--write puts the generated parts back between their markers and keeps the prose."""
    (tmp_path / "docs").mkdir()
    for name in ("docs/configuration.md", ".env.example"):
        text = (ROOT / name).read_text()
        for block in settings_docs.blocks():
            if str(block.path) == name:
                text = text.replace(block.text, "stale\n", 1)
        (tmp_path / name).write_text(text)
    assert settings_docs.main(["--root", str(tmp_path)]) == 1
    assert settings_docs.main(["--write", "--root", str(tmp_path)]) == 0
    for name in ("docs/configuration.md", ".env.example"):
        assert (tmp_path / name).read_text() == (ROOT / name).read_text()


def test_missing_markers_are_an_error(tmp_path: Path) -> None:
    """A file without a part's markers is reported as drift and refused by --write."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "configuration.md").write_text("# no markers\n")
    (tmp_path / ".env.example").write_text("# no markers\n")
    assert len(settings_docs.drift(tmp_path)) == len(settings_docs.blocks())
    with pytest.raises(ValueError, match="markers"):
        settings_docs.write(tmp_path)
