"""The one module that reaches into private names of botocore, boto3 and urllib3.

Four speed and safety patches of this library need something the engines do not publish:
the attempt deadlines (``deadline.py``: the client's connection pool classes and the
pool's hand-back of a connection), a body's socket (``deadline.stream_connection``), the
listing reader (``listing_xml.install``: botocore's check for an error hidden in a 200
answer) and the signed HEAD (``signed_head.py``: the client's endpoint and HTTP session);
``credentials.configured_endpoint`` reads the botocore session a boto3 session wraps, and
``send_hooks`` reads the handlers on a client's events (is a test double there?).
Every such reach is a small function here, and nowhere else: ``ruff check --select SLF001``
reports this module alone (the two names read with ``getattr``, which ruff cannot see, are
found by the canary test's scan of the other modules). Each function's docstring says what it reaches, why, and what
happens when a release moves it: either it **falls back** (returns None, logs one WARNING
per process naming the attribute, and its caller keeps working without the patch) or it
**fails loudly** (raises ``RuntimeError`` naming the attribute at first use), when a
fallback would be wrong rather than slower.

``tests/unit/test_botocore_private.py`` holds a canary per reach: on a release that moved
an attribute it fails naming it (``REACHES`` lists them). The releases they passed with are
named in ``docs/architecture.md`` ("botocore's private names").

Thread-safety: every function may be called from any thread; none keeps state but the set
of warnings already logged.
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
    """One private name this module reads: where it lives, and who needs it."""

    owner: str
    """The object or class it is read from, as ``package.module.Name``."""
    name: str
    """The private attribute."""
    used_by: str
    """The patch that needs it."""
    when_moved: str
    """What happens on a release without it (``falls back: ...`` or ``fails loudly``)."""


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
    """The ``botocore.endpoint.Endpoint`` a boto3 client sends with (``client._endpoint``).

    Why: the signed HEAD passes it to botocore's ``needs-retry`` handlers, as botocore's
    own endpoint does, and its ``http_session`` is reached through it.

    When moved: falls back (None; the signed HEAD is then botocore's HeadObject, and the
    deadlines are not installed).
    """
    try:
        found = client._endpoint
    except AttributeError:
        found = None
    if found is None:
        _moved("botocore.client.BaseClient._endpoint", "HEAD through botocore, no deadlines")
    return found


def http_session(client: Any) -> Any | None:
    """The HTTP session a boto3 client sends with (``client._endpoint.http_session``,
    a ``botocore.httpsession.URLLib3Session``): its connection pools, TLS settings,
    proxies and the attempt deadlines ``deadline.install`` gave it.

    Why: the signed HEAD (``signed_head``) is sent on it, so it shares every connection
    and setting of the store's other requests.

    When moved: falls back (None when the endpoint has no session with a ``send`` method;
    the caller then uses botocore's ``head_object``).
    """
    found = getattr(endpoint(client), "http_session", None)
    if not callable(getattr(found, "send", None)):
        _moved("botocore.endpoint.Endpoint.http_session", "HEAD through botocore")
        return None
    return found


def pool_classes(session: Any) -> MutableMapping[str, type[Any]] | None:
    """The connection pool classes of a botocore HTTP session, by scheme
    (``URLLib3Session._pool_classes_by_scheme``: ``{"http": ..., "https": ...}``).

    Why: ``deadline.install`` replaces both with pools whose connections register each
    attempt with the watchdog. botocore hands this very dict to its pool managers (and
    to the proxy managers it makes later), so updating it in place reaches them all.

    When moved: falls back (None, also when the dict is not exactly the two schemes;
    ``deadline.install`` then leaves the client as it is, bounded by the read timeout).
    """
    try:
        pools = session._pool_classes_by_scheme
    except AttributeError:
        pools = None
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
    """A subclass ``name`` of the urllib3 pool ``base`` that makes ``connection``s (its
    ``ConnectionCls``) and calls ``released(conn)`` whenever a connection is handed back
    to the pool (urllib3's ``HTTPConnectionPool._put_conn``, which every release goes
    through: a response read to its end, a connection closed after an error).

    Why: a connection back in the pool is idle; its attempt deadline must not cut it.

    When moved: falls back (None when ``base`` has no ``_put_conn``; ``deadline.install``
    then installs nothing).
    """
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
    """The urllib3 response under a botocore ``StreamingBody`` (``body._raw_stream``).

    Why: its ``connection`` is the socket the watchdog must watch while the caller reads
    (``deadline.stream_connection``), and must stop watching between reads.

    When moved: falls back (None; such a body keeps the deadline of its answer,
    ``read + Content-Length / 64 KiB/s``, so a consumer slower than that may be cut).
    """
    try:
        found = body._raw_stream
    except AttributeError:
        found = None
    if found is None:
        _moved(
            "botocore.response.StreamingBody._raw_stream",
            "a streamed body keeps its answer's deadline",
        )
    return found


def handle_200_error_check() -> Callable[..., None] | None:
    """botocore's check for an error inside a 200 answer (``botocore.handlers.
    _handle_200_error``), registered on ``before-parse.s3.*``.

    Why: it parses every 200 body once more only to look for ``<Error>``;
    ``listing_xml.install`` unregisters it and calls it after reading a listing page, with
    the empty document when the page was read (~40% of a listing's client CPU).

    When moved: falls back (None; ``listing_xml`` then registers its reader as an
    ordinary handler: every page parsed twice, as fast as before that pass, never wrong).
    """
    from botocore import handlers

    found = getattr(handlers, "_handle_200_error", None)
    if not callable(found):
        _moved("botocore.handlers._handle_200_error", "listing pages parsed twice")
        return None
    return found  # type: ignore[no-any-return]


def event_emitter(events: Any) -> Any | None:
    """The ``botocore.hooks.HierarchicalEmitter`` under a client's ``meta.events`` (an
    ``EventAliaser``: ``events._emitter``; an emitter handed in as it is).

    Why: ``send_hooks`` reads which handlers a request's events would call; the aliaser
    only forwards ``register`` / ``emit`` to this emitter.

    When moved: falls back (None; ``send_hooks`` then counts the client as hooked: boto3
    carries every request of the store, slower and never past a test double).
    """
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
    (``HierarchicalEmitter._handlers.prefix_search``, what its ``emit`` calls).

    Why: a handler on ``before-send`` (moto's ``mock_aws``, a recorder) or a new one on
    ``before-call`` (botocore's ``Stubber``) answers the requests botocore sends; obstore
    and the signed HEAD would pass it by (``send_hooks``).

    When moved: falls back (None; the client counts as hooked).
    """
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
    """An object that is replaced whenever a handler is registered on ``emitter`` or
    removed from it: its lookup cache (``HierarchicalEmitter._lookup_cache``, set to a new
    dict by every ``register*`` and ``unregister``).

    Why: ``send_hooks`` reads the handlers again only when this changed (~0.1 us a
    request instead of ~35 us).

    When moved: falls back (None; the handlers are read on every request).
    """
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
    """The botocore session a boto3 session wraps (``session._session``).

    Why: ``credentials.configured_endpoint`` reads the endpoint boto3 itself would use
    (``AWS_ENDPOINT_URL_S3``, the config file's ``endpoint_url``) from its full and scoped
    config, which boto3 does not publish.

    When moved: fails loudly (``RuntimeError`` naming the attribute): without it a store
    configured through those variables would silently talk to AWS.
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


__all__ = [
    "REACHES",
    "Reach",
    "core_session",
    "endpoint",
    "event_emitter",
    "handle_200_error_check",
    "handlers",
    "http_session",
    "pool_class",
    "pool_classes",
    "raw_stream",
    "registrations",
]
