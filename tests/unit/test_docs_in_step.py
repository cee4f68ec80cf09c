"""The docs and .env.example stay in step with the code's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.src.libs.bucket.config import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
ALL_VARIABLES = sorted({v for names in VARIABLES.values() for v in names})


@pytest.mark.parametrize("variable", ALL_VARIABLES)
def test_configuration_doc_lists_every_variable(variable: str) -> None:
    """docs/configuration.md names every variable BucketConfig reads."""
    assert f"`{variable}`" in (ROOT / "docs" / "configuration.md").read_text()


def test_env_example_lists_every_bucket_variable() -> None:
    """.env.example mentions every BUCKET_* variable (aliases may be left out)."""
    text = (ROOT / ".env.example").read_text()
    missing = [v for v in ALL_VARIABLES if v.startswith("BUCKET_") and v not in text]
    assert missing == []
