"""Canaries of ``botocore_private``: one per private name of botocore, boto3 or urllib3
the library reaches. On a release that moved a name, its canary fails naming the
attribute and what the library loses; the library itself then falls back or fails as
``botocore_private`` documents. No network: clients are built, never sent with.

A last test scans the library for a private name reached anywhere else (``getattr``
with a private name, which ruff's SLF001 cannot see, included)."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket.s3 import botocore_private, deadline, listing_xml

LIBRARY = Path(botocore_private.__file__).resolve().parent


def _client() -> Any:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    return session.client("s3", endpoint_url="http://127.0.0.1:1")


def _lost(owner: str, name: str) -> str:
    """The canary's message: the attribute, who needs it and what happens without it."""
    (reach,) = [r for r in botocore_private.REACHES if (r.owner, r.name) == (owner, name)]
    return (
        f"{owner}.{name} is gone in this release: {reach.used_by} needs it; "
        f"the library {reach.when_moved}"
    )


def test_client_endpoint_and_its_http_session() -> None:
    """``BaseClient._endpoint`` exists and holds the HTTP session the signed HEAD sends on."""
    client = _client()
    assert hasattr(client, "_endpoint"), _lost("botocore.client.BaseClient", "_endpoint")
    assert botocore_private.endpoint(client) is not None
    session = botocore_private.http_session(client)
    assert session is not None and callable(session.send), (
        "botocore.endpoint.Endpoint.http_session has no send(): signed_head falls back to "
        "botocore's HeadObject"
    )


def test_pool_classes_by_scheme_reach_the_pool_manager() -> None:
    """``URLLib3Session._pool_classes_by_scheme`` exists, holds botocore's two pool classes,
    and is the dict its pool manager reads: after ``deadline.install`` the manager makes
    deadline-watched pools."""
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    client = _client()
    session = botocore_private.http_session(client)
    owner = "botocore.httpsession.URLLib3Session"
    assert hasattr(session, "_pool_classes_by_scheme"), _lost(owner, "_pool_classes_by_scheme")
    pools = botocore_private.pool_classes(session)
    assert pools is not None, _lost(owner, "_pool_classes_by_scheme")
    assert (pools["http"], pools["https"]) == (AWSHTTPConnectionPool, AWSHTTPSConnectionPool)
    assert deadline.install(client, connect_timeout=1.0, read_timeout=1.0)
    pool = session._manager.connection_from_url("http://127.0.0.1:1/")  # type: ignore[union-attr]
    assert type(pool).__name__ == "DeadlineHTTPConnectionPool", (
        "botocore's pool manager no longer reads URLLib3Session._pool_classes_by_scheme: "
        "deadline.install changes nothing (no attempt deadlines)"
    )
    assert type(pool).ConnectionCls.__name__ == "DeadlineHTTPConnection"


def test_put_conn_is_how_urllib3_takes_a_connection_back() -> None:
    """urllib3's ``HTTPConnectionPool._put_conn(conn)`` exists and is what both of its
    release paths call (a response released, a connection dropped in ``urlopen``); the
    fence's pool calls ``released`` on it, then urllib3's own."""
    import urllib3.connectionpool
    import urllib3.response
    from botocore.awsrequest import AWSHTTPConnection, AWSHTTPConnectionPool

    owner = "urllib3.connectionpool.HTTPConnectionPool"
    base = urllib3.connectionpool.HTTPConnectionPool
    assert callable(getattr(base, "_put_conn", None)), _lost(owner, "_put_conn")
    assert list(inspect.signature(base._put_conn).parameters) == ["self", "conn"]
    for caller in (urllib3.response.HTTPResponse.release_conn, base.urlopen):
        assert "_put_conn(" in inspect.getsource(caller), (
            f"{caller.__qualname__} no longer hands connections back through _put_conn: "
            "deadline.install's pools would keep idle connections watched"
        )
    released: list[object] = []
    pool_class = botocore_private.pool_class(
        AWSHTTPConnectionPool, AWSHTTPConnection, released.append, "Canary"
    )
    assert pool_class is not None
    pool = pool_class("127.0.0.1", 1, maxsize=1)
    connection = AWSHTTPConnection("127.0.0.1", 1)
    pool._put_conn(connection)
    assert released == [connection] and pool.pool is not None and pool.pool.qsize() == 1


def test_streaming_body_raw_stream_and_its_connection() -> None:
    """``StreamingBody._raw_stream`` is the stream it was built on; urllib3's response
    names its connection publicly (``connection``)."""
    import urllib3.response
    from botocore.response import StreamingBody

    raw = io.BytesIO(b"abc")
    body = StreamingBody(raw, 3)
    owner = "botocore.response.StreamingBody"
    assert hasattr(body, "_raw_stream"), _lost(owner, "_raw_stream")
    assert botocore_private.raw_stream(body) is raw
    assert isinstance(inspect.getattr_static(urllib3.response.HTTPResponse, "connection"), property)


def _before_parse(client: Any, body: bytes) -> int:
    model = client.meta.service_model.operation_model("ListObjectsV2")
    answer: dict[str, object] = {"status_code": 200, "body": body, "headers": {}}
    client.meta.events.emit(
        "before-parse.s3.ListObjectsV2",
        operation_model=model,
        response_dict=answer,
        customized_response_dict={},
    )
    status: int = answer["status_code"]  # type: ignore[assignment]
    return status


def test_handle_200_error_is_registered_where_listing_xml_unregisters_it() -> None:
    """``botocore.handlers._handle_200_error`` exists, is on ``before-parse.s3.*`` of a new
    client (an error hidden in a 200 becomes a 500), and unregistering it by that event
    name removes it (what ``listing_xml.install`` does before registering its reader)."""
    error = b'<?xml version="1.0"?><Error><Code>InternalError</Code></Error>'
    check = botocore_private.handle_200_error_check()
    assert check is not None, _lost("botocore.handlers", "_handle_200_error")
    client = _client()
    assert _before_parse(client, error) == 500
    client.meta.events.unregister("before-parse.s3.*", check)
    assert _before_parse(client, error) == 200, (
        "botocore registers _handle_200_error under another event name: listing_xml.install "
        "leaves it in place and every listing page is parsed twice"
    )
    installed = _client()
    listing_xml.install(installed)
    assert _before_parse(installed, error) == 500  # the check still runs, after the reader


def test_event_handlers_and_their_registrations() -> None:
    """``EventAliaser._emitter`` is the client's ``HierarchicalEmitter``; its
    ``_handlers.prefix_search`` gives the handlers ``emit`` calls (a ``before-send``
    handler, an active ``Stubber``'s ``before-call`` ones); its ``_lookup_cache`` is a new
    object after every ``register`` and ``unregister`` and the same one across emits
    (what ``send_hooks`` compares on every request)."""
    from botocore.stub import Stubber

    client = _client()
    events = client.meta.events
    assert hasattr(events, "_emitter"), _lost("botocore.hooks.EventAliaser", "_emitter")
    emitter = botocore_private.event_emitter(events)
    owner = "botocore.hooks.HierarchicalEmitter"
    assert emitter is not None, _lost(owner, "_handlers")
    assert hasattr(emitter, "_lookup_cache"), _lost(owner, "_lookup_cache")
    called: list[str] = []

    def handler(event_name: str, **_: object) -> None:
        called.append(event_name)

    first = botocore_private.registrations(emitter)
    events.register("before-send.s3", handler)
    registered = botocore_private.registrations(emitter)
    assert registered is not first, (
        "HierarchicalEmitter._lookup_cache is no longer replaced on register: send_hooks "
        "would not see a handler registered after the client was built"
    )
    assert handler in (botocore_private.handlers(emitter, "before-send.s3.PutObject") or [])
    events.emit("before-send.s3.PutObject", request=None)
    assert called == ["before-send.s3.PutObject"]
    assert botocore_private.registrations(emitter) is registered, (
        "an emit replaced HierarchicalEmitter._lookup_cache: send_hooks would read the "
        "handlers again on every request"
    )
    events.unregister("before-send.s3", handler)
    assert botocore_private.registrations(emitter) is not registered
    assert handler not in (botocore_private.handlers(emitter, "before-send.s3.PutObject") or [])
    with Stubber(client) as stub:
        calling = botocore_private.handlers(emitter, "before-call.s3.PutObject") or []
        assert any(getattr(h, "__self__", None) is stub for h in calling), (
            "botocore's Stubber no longer registers on before-call: send_hooks would not "
            "see it"
        )


def test_boto3_session_wraps_a_botocore_session() -> None:
    """``boto3.session.Session._session`` is the botocore session it wraps."""
    import boto3
    import botocore.session

    session = boto3.session.Session(region_name="us-east-1")
    assert isinstance(getattr(session, "_session", None), botocore.session.Session), _lost(
        "boto3.session.Session", "_session"
    )
    assert botocore_private.core_session(session) is session._session


def test_moved_names_fall_back_or_fail_as_documented(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On objects without the names: the fallbacks return None (one WARNING each, naming
    the attribute), ``core_session`` raises naming it."""

    class Bare:
        pass

    monkeypatch.setattr(botocore_private, "_warned", set())

    with caplog.at_level("WARNING", logger="bucket.botocore_private"):
        assert botocore_private.endpoint(Bare()) is None
        assert botocore_private.pool_classes(Bare()) is None
        assert botocore_private.raw_stream(Bare()) is None
        assert botocore_private.pool_class(Bare, Bare, print, "X") is None
        assert botocore_private.event_emitter(Bare()) is None
        assert botocore_private.handlers(Bare(), "before-send.s3.PutObject") is None
        assert botocore_private.registrations(Bare()) is None
    assert "BaseClient._endpoint" in caplog.text and "_pool_classes_by_scheme" in caplog.text
    with pytest.raises(RuntimeError, match=r"boto3\.session\.Session\._session"):
        botocore_private.core_session(Bare())  # type: ignore[arg-type]


def test_every_reach_in_the_table_is_checked_here() -> None:
    """Each entry of ``REACHES`` names a real owner and is the subject of a canary above."""
    source = Path(__file__).read_text()
    for reach in botocore_private.REACHES:
        module, _, name = reach.owner.rpartition(".")
        try:
            importlib.import_module(reach.owner)
        except ImportError:
            owner = getattr(importlib.import_module(module), name, None)
            assert owner is not None, f"{reach.owner} is gone in this release"
        assert f'"{reach.name}"' in source, f"no canary for {reach.owner}.{reach.name}"


def _private_reaches(path: Path) -> list[str]:
    """``x._name`` on anything but self/cls, and ``getattr(x, "_name")``, in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            continue
        name = node.args[1].value
        if isinstance(name, str) and name.startswith("_") and not name.startswith("__"):
            found.append(f"{path.name}:{node.lineno} getattr {name}")
    return found


def test_no_other_module_reaches_a_private_name_by_getattr() -> None:
    """Only ``botocore_private`` reads a private name with ``getattr``/``hasattr`` (ruff's
    SLF001 sees ``x._name`` but not these): every other module of the library has none."""
    reaches = [
        reach
        for path in sorted(LIBRARY.rglob("*.py"))
        if path.name != "botocore_private.py"
        for reach in _private_reaches(path)
    ]
    assert reaches == []
