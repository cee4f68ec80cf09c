"""Everything the ``bucket`` command prints: text lines, ``--json`` documents, progress bars.

Every line goes through ``redact.scrub`` (the project's one redaction rule), so no
configured secret reaches stdout or stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from backend.src.libs.bucket.base import redact
from backend.src.libs.bucket.base.store import ProgressCallback

PROGRESS_MIN_BYTES = 4 * 1024 * 1024
_END = object()  # the end of an iterator (emit_items)


def human(size: int | float) -> str:
    """``1536`` -> ``1.5 KiB`` (B, KiB, MiB, GiB, TiB)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def when(value: datetime | None) -> str:
    """A date as ``YYYY-MM-DD HH:MM:SS`` in UTC; 19 spaces for None (keeps columns)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else " " * 19


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def json_default(value: object) -> object:
    """How ``--json`` writes what ``json`` cannot: dates in ISO 8601, bytes as UTF-8
    (bad bytes replaced), anything else as ``str``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(document: object, *, indent: int | None = None) -> str:
    """``document`` as JSON text (non-ASCII kept, ``json_default`` for the rest)."""
    return json.dumps(document, default=json_default, ensure_ascii=False, indent=indent)


class Output:
    """Where a command writes: stdout and stderr, in text or (``json``, ``--json``: one
    document on stdout, no per-object lines) JSON; ``quiet`` is ``--quiet``.

    Thread-safe: one lock serialises every write, and each line goes out in one ``write``
    with its newline, so lines printed by parallel copies stay whole and never merge.
    """

    def __init__(self, stdout: IO[str], stderr: IO[str], *, json: bool, quiet: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json = json
        self.quiet = quiet
        self._documents = 0  # --json documents written (or begun) on stdout
        self._array_open = False  # emit_items wrote "[" and not yet "]"
        self._lock = threading.Lock()  # the one writer: a line at a time, whole

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***`` (``redact.scrub``)."""
        return redact.scrub(text)

    def _write(self, stream: IO[str], text: str) -> None:
        with self._lock:
            stream.write(text)

    def out(self, text: str = "") -> None:
        """One whole line on stdout (scrubbed); safe from any thread."""
        self._write(self.stdout, self.scrub(text) + "\n")

    def err(self, text: str) -> None:
        """One whole line on stderr (scrubbed); safe from any thread."""
        self._write(self.stderr, self.scrub(text) + "\n")

    def emit(self, document: object) -> None:
        """The ``--json`` document of a command, on one line."""
        self._documents += 1
        self.out(to_json(document))

    def result(self, document: object, line: str, *, always: bool = False) -> None:
        """A command's result: ``document`` with ``--json``, else ``line`` (not with ``-q``,
        unless ``always``)."""
        if self.json:
            self.emit(document)
        elif always or not self.quiet:
            self.out(line)

    def emit_items(self, items: Iterable[object]) -> None:
        """A JSON array written item by item (a big listing is never held in memory); a
        listing that fails leaves stdout to ``emit_error`` (nothing written before the
        first item is at hand) or the array open for it to close."""
        iterator = iter(items)
        first = next(iterator, _END)
        self._documents += 1
        if first is _END:
            self._write(self.stdout, "[]\n")
            return
        self._array_open = True
        self._write(self.stdout, "[" + self.scrub(to_json(first)))
        for item in iterator:
            self._write(self.stdout, "," + self.scrub(to_json(item)))
        self._write(self.stdout, "]\n")
        self._array_open = False

    def emit_error(self, code: str, message: str, **details: object) -> None:
        """With ``--json``, a failure as ``{"error": {"code", "message", ...details}}`` (the
        ``details`` not None) on stdout, so that stdout is always one valid JSON document:
        the error document when nothing was written yet, the last element of an
        ``emit_items`` array cut short (then closed), nothing after a whole document (a
        ``sync`` or ``rm -r`` summary names what failed). Nothing without ``--json``."""
        if not self.json:
            return
        error: dict[str, object] = {"code": code, "message": message}
        error.update({k: v for k, v in details.items() if v is not None})
        text = self.scrub(to_json({"error": error}))
        with contextlib.suppress(Exception):  # stdout may be a closed pipe by now
            if self._array_open:
                self._write(self.stdout, "," + text + "]\n")
                self._array_open = False
            elif not self._documents:
                self._write(self.stdout, text + "\n")
            self._documents += 1
            self.stdout.flush()

    @contextlib.contextmanager
    def progress(self, label: str, total: int | None) -> Iterator[ProgressCallback | None]:
        """A tqdm bar on stderr for transfers of 4 MiB or more when stderr is a terminal
        (never with ``--json`` or ``--quiet``, nor without tqdm, the "cli" extra); yields
        the progress callback, or None when no bar is shown."""
        show = (
            total is not None
            and total >= PROGRESS_MIN_BYTES
            and not self.json
            and not self.quiet
            and self.stderr.isatty()
        )
        if not show:
            yield None
            return
        try:  # imported by name: tqdm ships no type stubs
            tqdm: Any = importlib.import_module("tqdm").tqdm
        except ImportError:  # the "cli" extra is not installed: no bar
            yield None
            return
        bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            file=self.stderr,
            leave=False,
        )
        seen = [0]

        def update(done: int, _total: int | None) -> None:
            if done > seen[0]:
                bar.update(done - seen[0])
                seen[0] = done

        try:
            yield update
        finally:
            bar.close()
