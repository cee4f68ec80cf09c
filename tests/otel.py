"""The OpenTelemetry SDK's in-memory exporter on the global tracer provider, for tests.

A process has one global provider (``trace.set_tracer_provider`` works once): the first
caller sets an SDK ``TracerProvider``; every caller shares the one exporter added to it.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_exporter: Any = None


def memory_exporter() -> Any:
    """The ``InMemorySpanExporter`` every span of this process is exported to (raises
    ``ImportError`` without opentelemetry-sdk)."""
    global _exporter
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    with _lock:
        if _exporter is None:
            if not isinstance(trace.get_tracer_provider(), TracerProvider):
                trace.set_tracer_provider(TracerProvider())
            provider = trace.get_tracer_provider()
            assert isinstance(provider, TracerProvider), "another tracer provider is set"
            exporter = InMemorySpanExporter()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            _exporter = exporter
        return _exporter
