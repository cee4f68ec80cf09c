"""The one module that reaches into private names of botocore, boto3 and urllib3
(``docs/architecture.md``, "botocore's private names").

Every such reach is a small function here and nowhere else; ``REACHES`` lists each name
with what uses it and what happens when a release moves it: the function **falls back**
(returns None, logs one WARNING per process naming the attribute; its caller works
without the patch) or **fails loudly** (``RuntimeError`` naming it) when a fallback would
be wrong rather than slower. ``tests/unit/test_botocore_private.py`` holds a canary per
reach. Thread-safety: every function may be called from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    import boto3
    import botocore.session

log = logging.getLogger("bucket.botocore_private")


class Reach(NamedTuple):
    """One private ``name`` read from ``owner`` (``package.module.Name``), the patch that
    needs it (``used_by``) and what happens on a release without it (``when_moved``:
    ``falls back: ...`` or ``fails loudly``)."""

    owner: str
    name: str
    used_by: str
    when_moved: str


REACHES: Final = (
    Reach(
        "botocore.client.BaseClient",
        "_endpoint",
        "signed_head (the HTTP session), deadline.install (the pool classes)",
        "falls back: HEAD through botocore's HeadObject; no attempt deadlines",
    ),
    Reach(
        "botocore.httpsession.URLLib3Session",
        "_pool_classes_by_scheme",
        "deadline.install (connection classes that register each attempt)",
        "falls back: no attempt deadlines (reads bounded by the read timeout only)",
    ),
    Reach(
        "urllib3.connectionpool.HTTPConnectionPool",
        "_put_conn",
        "deadline.install (a connection handed back to its pool is no longer watched)",
        "falls back: no attempt deadlines",
    ),
    Reach(
        "botocore.response.StreamingBody",
        "_raw_stream",
        "deadline.stream_connection (per-read deadlines of a body read by the caller)",
        "falls back: a streamed body keeps its answer's deadline",
    ),
    Reach(
        "botocore.handlers",
        "_handle_200_error",
        "listing_xml.install (a listing page read once, not twice)",
        "falls back: listing pages parsed twice (slower, never wrong)",
    ),
    Reach(
        "botocore.hooks.EventAliaser",
        "_emitter",
        "send_hooks (the emitter under a client's meta.events, whose handlers it reads)",
        "falls back: every client counts as hooked (boto3 carries every request)",
    ),
    Reach(
        "botocore.hooks.HierarchicalEmitter",
        "_handlers",
        "send_hooks (the handlers an event would call: a test double on before-send/before-call)",
        "falls back: every client counts as hooked (boto3 carries every request)",
    ),
    Reach(
        "botocore.hooks.HierarchicalEmitter",
        "_lookup_cache",
        "send_hooks (a new dict on every register/unregister: a cheap sign of a new handler)",
        "falls back: the handlers are read again on every request (~35 us each)",
    ),
    Reach(
        "boto3.session.Session",
        "_session",
        "credentials.configured_endpoint (AWS_ENDPOINT_URL*, the config file's endpoint_url)",
        "fails loudly: a store would otherwise send its data to AWS instead",
    ),
)
"""Every private name reached here (the canary tests walk this table)."""

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _moved(reach: str, consequence: str) -> None:
    """Log once per process that ``reach`` is gone and what that costs."""
    with _warned_lock:
        if reach in _warned:
            return
        _warned.add(reach)
    log.warning(
        "%s is not where this library looks (a botocore/urllib3 release moved it): %s",
        reach,
        consequence,
    )


def endpoint(client: Any) -> Any | None:
    """The ``botocore.endpoint.Endpoint`` a boto3 client sends with (``client._endpoint``):
    the signed HEAD passes it to the ``needs-retry`` handlers and sends on its
    ``http_session``. Falls back (None)."""
    found = getattr(client, "_endpoint", None)
    if found is None:
        _moved("botocore.client.BaseClient._endpoint", "HEAD through botocore, no deadlines")
    return found


def http_session(client: Any) -> Any | None:
    """The ``URLLib3Session`` a boto3 client sends with (``client._endpoint.http_session``),
    on which the signed HEAD shares the store's pools, TLS settings, proxies and deadlines.
    Falls back (None when it has no ``send``)."""
    found = getattr(endpoint(client), "http_session", None)
    if not callable(getattr(found, "send", None)):
        _moved("botocore.endpoint.Endpoint.http_session", "HEAD through botocore")
        return None
    return found


def pool_classes(session: Any) -> MutableMapping[str, type[Any]] | None:
    """A botocore HTTP session's pool classes by scheme
    (``URLLib3Session._pool_classes_by_scheme``), which ``deadline.install`` replaces in
    place: botocore hands this very dict to its pool and proxy managers. Falls back
    (None, also when its keys are not exactly ``http`` and ``https``)."""
    pools = getattr(session, "_pool_classes_by_scheme", None)
    if not isinstance(pools, MutableMapping) or set(pools) != {"http", "https"}:
        _moved(
            "botocore.httpsession.URLLib3Session._pool_classes_by_scheme",
            "no attempt deadlines (reads bounded by the read timeout only)",
        )
        return None
    return pools


def pool_class(
    base: type[Any], connection: type[Any], released: Callable[[Any], None], name: str
) -> type[Any] | None:
    """A subclass ``name`` of the urllib3 pool ``base`` that makes ``connection``s and
    calls ``released(conn)`` whenever a connection is handed back (urllib3's
    ``HTTPConnectionPool._put_conn``, which every release goes through): an idle
    connection's deadline must not cut it. Falls back (None without ``_put_conn``)."""
    put_conn = getattr(base, "_put_conn", None)
    if not callable(put_conn):
        _moved(f"{base.__module__}.{base.__name__}._put_conn", "no attempt deadlines")
        return None

    def _put_conn(self: Any, conn: Any) -> None:
        if conn is not None:
            released(conn)
        put_conn(self, conn)

    return type(name, (base,), {"ConnectionCls": connection, "_put_conn": _put_conn})


def raw_stream(body: Any) -> Any | None:
    """The urllib3 response under a botocore ``StreamingBody`` (``body._raw_stream``),
    whose ``connection`` the watchdog watches during each read by the caller. Falls back
    (None: the body keeps its answer's deadline, which may cut a slow consumer)."""
    found = getattr(body, "_raw_stream", None)
    if found is None:
        _moved(
            "botocore.response.StreamingBody._raw_stream",
            "a streamed body keeps its answer's deadline",
        )
    return found


def handle_200_error_check() -> Callable[..., None] | None:
    """botocore's check for an error inside a 200 answer
    (``botocore.handlers._handle_200_error`` on ``before-parse.s3.*``), which
    ``listing_xml.install`` calls after its own read of a listing page. Falls back (None:
    every page parsed twice, never wrong)."""
    from botocore import handlers

    found = getattr(handlers, "_handle_200_error", None)
    if not callable(found):
        _moved("botocore.handlers._handle_200_error", "listing pages parsed twice")
        return None
    return found  # type: ignore[no-any-return]


def event_emitter(events: Any) -> Any | None:
    """The ``HierarchicalEmitter`` under a client's ``meta.events`` (``EventAliaser.
    _emitter``; an emitter is returned as it is), whose handlers ``send_hooks`` reads.
    Falls back (None: the client counts as hooked, boto3 carries every request)."""
    found = getattr(events, "_emitter", events)
    if not callable(getattr(getattr(found, "_handlers", None), "prefix_search", None)):
        _moved(
            "botocore.hooks.EventAliaser._emitter",
            "every client counts as hooked by a test double (boto3 carries every request)",
        )
        return None
    return found


def handlers(emitter: Any, event_name: str) -> list[Any] | None:
    """The handlers ``emitter`` would call for ``event_name``, most specific first
    (``HierarchicalEmitter._handlers.prefix_search``): ``send_hooks`` looks there for a
    test double that obstore and the signed HEAD would pass by. Falls back (None)."""
    try:
        found = emitter._handlers.prefix_search(event_name)
    except AttributeError:
        found = None
    if found is None:
        _moved(
            "botocore.hooks.HierarchicalEmitter._handlers",
            "every client counts as hooked by a test double (boto3 carries every request)",
        )
        return None
    return list(found)


def registrations(emitter: Any) -> object | None:
    """``emitter``'s lookup cache (``HierarchicalEmitter._lookup_cache``), a new dict after
    every ``register*`` and ``unregister``: ``send_hooks`` reads the handlers again only
    when it changed. Falls back (None: the handlers are read on every request)."""
    try:
        found: object = emitter._lookup_cache
    except AttributeError:
        _moved(
            "botocore.hooks.HierarchicalEmitter._lookup_cache",
            "the handlers are read again on every request (~35 us each)",
        )
        return None
    return found


def core_session(session: boto3.session.Session) -> botocore.session.Session:
    """The botocore session a boto3 session wraps (``session._session``), whose config
    gives ``credentials.configured_endpoint`` the endpoint boto3 itself would use.

    Raises:
        RuntimeError: the attribute is gone (a store configured through
            ``AWS_ENDPOINT_URL*`` would otherwise silently talk to AWS).
    """
    import botocore.session

    try:
        found = session._session
    except AttributeError:
        found = None
    if not isinstance(found, botocore.session.Session):
        raise RuntimeError(
            "boto3.session.Session._session (the botocore session) is gone in this boto3 "
            "release: the endpoint of AWS_ENDPOINT_URL*/endpoint_url cannot be read; "
            "install a boto3 within this library's tested bounds (pyproject.toml)"
        )
    return found
