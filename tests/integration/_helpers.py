"""Helpers shared by the issue-3 integration tests."""

from __future__ import annotations

from typing import Any


class RequestLog:
    """Records every HTTP request a boto3 client sends (botocore ``before-send``)."""

    def __init__(self, client: Any) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request: Any, **kwargs: Any) -> None:
        self.requests.append((request.method, request.url, dict(request.headers)))

    def count(self, method: str | None = None, contains: str = "") -> int:
        """How many requests matched ``method`` and had ``contains`` in the URL."""
        return sum(
            1 for m, url, _ in self.requests if (method is None or m == method) and contains in url
        )
