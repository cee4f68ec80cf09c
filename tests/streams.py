"""Streams the upload tests hand to the stores."""

from __future__ import annotations

import io


class UnsizedStream(io.RawIOBase):
    """A readable stream of unknown length (no seek, no tell, no len) that breaks with
    ``OSError`` once ``fail_after`` bytes were read (default: never)."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise OSError("the source broke in the middle of the upload")
        n = min(len(buffer), len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n
