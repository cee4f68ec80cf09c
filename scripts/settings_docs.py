"""The settings tables of ``docs/configuration.md`` and the blocks of ``.env.example``,
generated from the declared settings (``core.declarations``).

A developer tool of this repository (it writes the repository's files), kept out of the
library and its wheel. Each generated part sits between two
marker lines that name its table (and docs group), so the prose around it stays
hand-written::

    <!-- settings:bucket:encryption -->      # docs/configuration.md
    ...generated table...
    <!-- /settings:bucket:encryption -->

    # settings:redis                          # .env.example
    ...generated variables...
    # /settings:redis

Usage (from the repository root)::

    python -m scripts.settings_docs --check   # exit 1 and name what drifted
    python -m scripts.settings_docs --write   # rewrite the generated parts
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backend.src.libs.core.declarations import Setting, Table

ROOT = Path(__file__).resolve().parents[1]
DOC = Path("docs/configuration.md")
ENV_EXAMPLE = Path(".env.example")
TABLE_MODULES = (
    "backend.src.libs.bucket.base.config",
    "backend.src.libs.redis.config",
    "backend.src.libs.sql.config",
)
"""The config modules whose ``SETTINGS`` are documented, in the order of the files."""

_HEADER = (
    "| setting (field) | variables, highest precedence first | default | values | notes |\n"
    "|---|---|---|---|---|\n"
)
_WIDTH = 95
COMMENTED = "# "
"""What starts a setting's line in ``.env.example``: every one is commented out."""


@dataclass(frozen=True)
class Block:
    """One generated part of a file: its path (relative to the root), the marker that
    delimits it, and the text between the markers."""

    path: Path
    marker: str
    text: str


def tables() -> list[Table]:
    """The declared tables, imported from ``TABLE_MODULES``."""
    return [importlib.import_module(name).SETTINGS for name in TABLE_MODULES]


def shown_default(setting: Setting) -> str:
    """The default as the docs show it: ``shown_default``, ``none``, or the value in code."""
    if setting.shown_default:
        return setting.shown_default
    value = setting.default
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def shown_values(setting: Setting) -> str:
    """The accepted values in words: the declared ``form``, or what kind and bounds say."""
    if setting.form:
        text = setting.form
    elif setting.kind == "int":
        text = f"integer {setting.low}-{setting.high}"
    elif setting.kind == "float":
        text = "seconds, > 0"
    elif setting.kind == "bool":
        text = "`true` or `false`"
    elif setting.choices:
        quoted = [f"`{c}`" for c in setting.choices]
        text = " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]
    else:
        text = ""
    if setting.secret:
        return f"{text}; secret, masked everywhere" if text else "secret, masked everywhere"
    return text


def markdown_table(table: Table, group: str) -> str:
    """The docs table of ``table``'s settings in ``group``."""
    rows = [
        f"| `{s.name}` | {', '.join(f'`{v}`' for v in s.variables)} | {shown_default(s)} "
        f"| {shown_values(s)} | {s.doc} |\n"
        for s in table.settings
        if s.group == group
    ]
    return _HEADER + "".join(rows)


def env_lines(table: Table) -> str:
    """The ``.env.example`` lines of ``table``: per setting a comment (doc, values,
    default, the aliases in precedence order) and its first variable with the example
    value, commented out (``# BUCKET_HOST=127.0.0.1``): a copy of the file sets nothing
    until a line is uncommented."""
    out: list[str] = []
    for s in table.settings:
        values = shown_values(s)
        about = f"{values}; default {shown_default(s)}" if values else f"default {shown_default(s)}"
        aliases = f" Also read from {', '.join(s.variables[1:])}." if s.variables[1:] else ""
        plain = f"{s.doc} ({about}).{aliases}".replace("`", "")
        comment = plain[:1].upper() + plain[1:]
        out.extend(textwrap.wrap(comment, _WIDTH, initial_indent="# ", subsequent_indent="# "))
        out.append(f"{COMMENTED}{s.variable}={s.example}")
    return "\n".join(out) + "\n"


def blocks(declared: Sequence[Table] | None = None) -> list[Block]:
    """Every generated part: one docs table per table and group, one ``.env.example``
    block per table."""
    out: list[Block] = []
    for table in tables() if declared is None else declared:
        for group in table.groups:
            marker = f"settings:{table.key}:{group}" if group else f"settings:{table.key}"
            out.append(Block(DOC, marker, markdown_table(table, group)))
        out.append(Block(ENV_EXAMPLE, f"settings:{table.key}", env_lines(table)))
    return out


def _markers(path: Path, marker: str) -> tuple[str, str]:
    if path.suffix == ".md":
        return f"<!-- {marker} -->\n", f"<!-- /{marker} -->\n"
    return f"# {marker}\n", f"# /{marker}\n"


def current(text: str, block: Block) -> str | None:
    """The text between ``block``'s markers in ``text``, or None without both markers."""
    start, end = _markers(block.path, block.marker)
    head, found, rest = text.partition(start)
    body, found_end, _ = rest.partition(end)
    if not found or not found_end or (head and not head.endswith("\n")):
        return None
    return body


def replaced(text: str, block: Block) -> str:
    """``text`` with the part between ``block``'s markers replaced by ``block.text``.

    Raises:
        ValueError: the markers are missing.
    """
    start, end = _markers(block.path, block.marker)
    body = current(text, block)
    if body is None:
        raise ValueError(f"{block.path}: markers {start.strip()} / {end.strip()} not found")
    return text.replace(start + body, start + block.text, 1)


def drift(root: Path = ROOT, declared: Sequence[Table] | None = None) -> list[str]:
    """``path: marker`` of every generated part that differs from the declarations
    (or whose markers are missing); empty when all are in step."""
    found: list[str] = []
    for block in blocks(declared):
        if current((root / block.path).read_text(encoding="utf-8"), block) != block.text:
            found.append(f"{block.path}: {block.marker}")
    return found


def write(root: Path = ROOT) -> list[str]:
    """Rewrite the generated parts that drifted; returns their ``path: marker``.

    Raises:
        ValueError: a file lacks the markers of one of its parts.
    """
    changed = drift(root)
    for block in blocks():
        path = root / block.path
        path.write_text(replaced(path.read_text(encoding="utf-8"), block), encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``--check`` (default): 1 when a generated part drifted; ``--write``: rewrite them."""
    parser = argparse.ArgumentParser(prog="python -m scripts.settings_docs")
    parser.add_argument("--write", action="store_true", help="rewrite the generated parts")
    parser.add_argument("--check", action="store_true", help="report drift (the default)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.write:
        for name in write(args.root):
            print(f"rewrote {name}")
        return 0
    stale = drift(args.root)
    for name in stale:
        print(f"out of step with the declarations: {name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
