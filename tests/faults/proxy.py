"""A scriptable HTTP-aware TCP proxy for fault injection (threads, standard library only).

::

    client (boto3) --> FaultProxy 127.0.0.1:<port> --> real S3 server (Ceph RGW)

Every client connection carries exactly one request: the proxy asks the upstream server
for ``Connection: close`` and tells the client the same, so each attempt botocore makes
is one connection and one entry in ``proxy.requests``. Faults are scripted as rules;
the first rule whose filter matches a request (and still has a count left) decides its
fate:

- ``error(status, code, count)``: answer with an S3 XML error body (``503 SlowDown``,
  ``500 InternalError``...) without contacting the server;
- ``reset_upload(after, count)``: forward ``after`` bytes of the request body, then
  reset both connections (RST);
- ``reset_download(after, count)``: forward ``after`` bytes of the response body, then
  reset the client connection;
- ``stall(seconds, count)``: read the request and answer nothing for ``seconds``;
- ``refuse()`` / ``accept()``: close the listening socket (connections are refused, as
  when the server is gone) and open it again on the same port.

A ``Expect: 100-continue`` request that gets a scripted error is answered at once
(the client then never sends its body), which is what a real server does too.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message>"
    "<Resource>{resource}</Resource><RequestId>{request_id}</RequestId></Error>"
)
_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Service is unable to handle request.",
}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Request:
    """One request the proxy saw, and what it did with it (``forward`` or a fault name)."""

    method: str
    target: str
    action: str

    @property
    def path(self) -> str:
        """The path without the query string."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        """The query string ('' when none)."""
        return self.target.split("?", 1)[1] if "?" in self.target else ""


Matcher = Callable[[str, str], bool]


@dataclass
class Rule:
    """A scripted fault: applies to the next ``count`` requests that ``match``."""

    action: str
    count: int
    match: Matcher
    status: int = 503
    code: str = "SlowDown"
    after: int = 0
    seconds: float = 0.0
    used: int = 0


def matcher(method: str | None = None, path: str | None = None, query: str | None = None) -> Matcher:
    """A request filter: the method equals ``method``, the path contains ``path``, and one
    query parameter is ``query`` (``partNumber=2``, ``uploads``; ``uploads=`` too, as
    obstore writes it) or, when ``query`` ends with ``=``, starts with it
    (``uploadId=``). Each None = any."""

    def match(m: str, target: str) -> bool:
        p, _, q = target.partition("?")
        params = q.split("&") if q else []
        return (
            (method is None or m == method)
            and (path is None or path in p)
            and (query is None or any(
                item.startswith(query) if query.endswith("=") else item in (query, query + "=")
                for item in params
            ))
        )

    return match


@dataclass
class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` (``http://host:port``)."""

    upstream: str
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    _rules: list[Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _closing: threading.Event = field(default_factory=threading.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    # ---------------------------------------------------------- lifecycle
    def start(self) -> FaultProxy:
        """Listen on 127.0.0.1 (a free port the first time, the same port afterwards)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop listening and release stalled requests. Idempotent."""
        self._closing.set()
        self.refuse()

    def refuse(self) -> None:
        """Close the listening socket: new connections are refused (the server is gone)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def accept(self) -> None:
        """Listen again on the same port after ``refuse()``."""
        if self._listener is None:
            self.start()

    @property
    def endpoint(self) -> str:
        """The URL clients use: ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------- scripting
    def error(self, status: int = 503, code: str = "SlowDown", *, count: int = 1,
              match: Matcher | None = None) -> Rule:
        """Answer the next ``count`` matching requests with ``status`` and an S3 error."""
        return self._add(Rule("error", count, match or matcher(), status=status, code=code))

    def reset_upload(self, after: int, *, count: int = 1, match: Matcher | None = None) -> Rule:
        """Reset the next ``count`` matching requests after ``after`` body bytes went up."""
        return self._add(Rule("reset_upload", count, match or matcher(), after=after))

    def reset_download(self, after: int, *, count: int = 1, match: Matcher | None = None) -> Rule:
        """Reset the next ``count`` matching responses after ``after`` body bytes came down."""
        return self._add(Rule("reset_download", count, match or matcher(), after=after))

    def stall(self, seconds: float, *, count: int = 1, match: Matcher | None = None) -> Rule:
        """Answer nothing to the next ``count`` matching requests for ``seconds``."""
        return self._add(Rule("stall", count, match or matcher(), seconds=seconds))

    def trickle(self, interval: float, *, after: int = 0, count: int = 1,
                match: Matcher | None = None) -> Rule:
        """Relay the next ``count`` matching responses at full speed for their first
        ``after`` bytes (head included), then one byte every ``interval`` seconds: never
        silent for long, never done."""
        return self._add(Rule("trickle", count, match or matcher(), seconds=interval, after=after))

    def clear(self) -> None:
        """Forget every rule that has not fired yet (the fault is gone)."""
        with self._lock:
            self._rules.clear()

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def _pick(self, method: str, target: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.used < rule.count and rule.match(method, target):
                    rule.used += 1
                    return rule
        return None

    def seen(self, method: str | None = None, path: str | None = None,
             query: str | None = None) -> list[Request]:
        """The requests seen so far that match the filter."""
        match = matcher(method, path, query)
        with self._lock:
            return [r for r in self.requests if match(r.method, r.target)]

    # ------------------------------------------------------------ serving
    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(60)
            head, rest = _read_head(client)
            if head is None:
                return
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].decode("latin-1").split(" ", 2)
            headers = [line.decode("latin-1") for line in lines[1:] if line]
            rule = self._pick(method, target)
            with self._lock:
                self.requests.append(Request(method, target, rule.action if rule else "forward"))
            length = _content_length(headers)
            expects = any(h.lower().replace(" ", "") == "expect:100-continue" for h in headers)
            if rule is not None and rule.action == "error":
                if not expects:
                    _drain(client, rest, length)
                self._answer_error(client, method, target, rule)
                return
            if rule is not None and rule.action == "stall":
                self._closing.wait(rule.seconds)
                _reset(client)
                return
            upstream = self._connect_upstream()
            kept = [h for h in headers if not h.lower().startswith(("connection:", "keep-alive:"))]
            out = "\r\n".join([f"{method} {target} HTTP/1.1", *kept, "Connection: close", "", ""])
            upstream.sendall(out.encode("latin-1"))
            upload_limit = rule.after if rule is not None and rule.action == "reset_upload" else None
            download_limit = rule.after if rule is not None and rule.action == "reset_download" else None
            early = b""
            if expects:  # relay "100 Continue", or a final answer that makes the body moot
                early = _read_until_head(upstream)
                status = int(early.split(b" ", 2)[1]) if early else 0
                if 100 <= status < 200:
                    head_end = early.index(b"\r\n\r\n") + 4
                    client.sendall(early[:head_end])
                    early = early[head_end:]
                else:
                    length = 0
            if not self._pump_request(client, upstream, rest, length, upload_limit):
                return
            if rule is not None and rule.action == "trickle":
                self._trickle_response(upstream, client, early, rule.seconds, rule.after)
                return
            self._pump_response(upstream, client, early, download_limit)
        except OSError:
            _reset(client)
        finally:
            if upstream is not None:
                with contextlib.suppress(OSError):
                    upstream.close()
            with contextlib.suppress(OSError):
                client.close()

    def _connect_upstream(self) -> socket.socket:
        parts = urlsplit(self.upstream)
        sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=60)
        return sock

    def _answer_error(self, client: socket.socket, method: str, target: str, rule: Rule) -> None:
        request_id = f"fault-{next(self._ids):06d}"
        text = _ERROR_BODY.format(
            code=rule.code,
            message=_MESSAGES.get(rule.code, rule.code),
            resource=target.split("?", 1)[0],
            request_id=request_id,
        ).encode()
        body = b"" if method == "HEAD" else text
        length = len(text)
        head = (
            f"HTTP/1.1 {rule.status} {_REASONS.get(rule.status, 'Error')}\r\n"
            "Content-Type: application/xml\r\n"
            f"Content-Length: {length}\r\n"
            f"x-amz-request-id: {request_id}\r\n"
            "Connection: close\r\n\r\n"
        )
        client.sendall(head.encode("latin-1") + body)

    def _pump_request(self, client: socket.socket, upstream: socket.socket, rest: bytes,
                      length: int, limit: int | None) -> bool:
        """Client -> server: the ``length`` bytes of the request body; False after a reset."""
        sent = 0
        data = rest[:length]
        while True:
            if data:
                if limit is not None and sent + len(data) >= limit:
                    upstream.sendall(data[: max(0, limit - sent)])
                    _reset(client)
                    _reset(upstream)
                    return False
                upstream.sendall(data)
                sent += len(data)
            if sent >= length:
                return True
            data = client.recv(min(65536, length - sent))
            if not data:
                return False

    def _trickle_response(self, upstream: socket.socket, client: socket.socket, buffer: bytes,
                          interval: float, after: int) -> None:
        """Server -> client: the first ``after`` bytes of the answer at once, then one byte
        every ``interval`` seconds (until the client goes away or the proxy stops)."""
        answer = _read_all(upstream, buffer)
        client.sendall(answer[:after])
        for i in range(after, len(answer)):
            client.sendall(answer[i : i + 1])
            if self._closing.wait(interval):
                return

    def _pump_response(self, upstream: socket.socket, client: socket.socket, buffer: bytes,
                       limit: int | None) -> None:
        """Server -> client: relay 1xx heads as they are, rewrite the final head
        (``Connection: close``), then count body bytes towards ``limit``."""
        while True:  # heads
            while b"\r\n\r\n" not in buffer:
                chunk = upstream.recv(65536)
                if not chunk:
                    if buffer:
                        client.sendall(buffer)
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            status_line, *lines = head.split(b"\r\n")
            status = int(status_line.split()[1])
            if 100 <= status < 200:
                client.sendall(head + b"\r\n\r\n")
                continue
            kept = [ln for ln in lines if not ln.lower().startswith((b"connection:", b"keep-alive:"))]
            client.sendall(b"\r\n".join([status_line, *kept, b"Connection: close", b"", b""]))
            break
        sent = 0
        data = buffer
        while True:
            if data:
                if limit is not None and sent + len(data) >= limit:
                    client.sendall(data[: max(0, limit - sent)])
                    time.sleep(0.05)
                    _reset(client)
                    return
                client.sendall(data)
                sent += len(data)
            data = upstream.recv(65536)
            if not data:
                return


def _read_all(sock: socket.socket, buffer: bytes) -> bytes:
    while chunk := sock.recv(65536):
        buffer += chunk
    return buffer


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def _read_until_head(sock: socket.socket) -> bytes:
    """Bytes from ``sock`` up to (at least) the end of one response head; b"" on EOF."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        buffer += chunk
    return buffer


def _content_length(headers: list[str]) -> int:
    for header in headers:
        name, _, value = header.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    return 0


def _drain(sock: socket.socket, rest: bytes, length: int) -> None:
    remaining = length - len(rest)
    while remaining > 0:
        chunk = sock.recv(min(65536, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset by peer'."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
