"""A real HTTP server on 127.0.0.1 for testing HTTP channels, failing on demand.

It records every request, and, like a careful provider, remembers the ``Idempotency-Key`` of
each request it accepted (answered 2xx): a repeat is answered 200 with the same ``id`` and not
delivered again. Replies come from a queue (``server.queue(Reply(503))``), then from rules
(``server.rule(lambda r: r.json()["to"] == "bad", Reply(400))``), else 200.
A ``delay`` holds the answer back *after* the request was recorded: with a 2xx status that is
the provider that accepted and then timed out. A ``trickle`` sends the answer one byte at a
time, that many seconds apart, status line and headers included: a server that never lets a
per-read timeout fire.

>>> import httpx
>>> with LocalHttpServer() as server:
...     server.queue(Reply(503))
...     first = httpx.post(server.url, json={"to": "x"}, headers={"Idempotency-Key": "k"})
...     second = httpx.post(server.url, json={"to": "x"}, headers={"Idempotency-Key": "k"})
>>> first.status_code, second.status_code, len(server.requests), list(server.deliveries)
(503, 200, 2, ['k'])
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_DELAY = 10.0  # seconds; every delay is cut short when the server stops


@dataclass(frozen=True)
class Reply:
    """What the server answers: a status, a JSON body, after ``delay`` seconds, each byte
    ``trickle`` seconds after the one before (0: all at once)."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    trickle: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class LocalHttpServer:
    """``with LocalHttpServer() as server:`` serves on ``server.url`` until the block ends."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.deliveries: dict[str, RecordedRequest] = {}  # accepted, by Idempotency-Key
        self._queue: deque[Reply] = deque()
        self._rules: list[tuple[Callable[[RecordedRequest], bool], Reply]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        self._queue.extend(replies)

    def rule(self, when: Callable[[RecordedRequest], bool], reply: Reply) -> None:
        """Answer every request for which ``when`` is true with ``reply``."""
        self._rules.append((when, reply))

    def start(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes the handlers that are holding an answer back
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=MAX_DELAY)

    def __enter__(self) -> LocalHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, request: RecordedRequest) -> tuple[Reply, dict[str, Any]]:
        """The reply to a request, and the JSON body to send."""
        key = request.headers.get("idempotency-key")
        with self._lock:
            self.requests.append(request)
            if key is not None and key in self.deliveries:
                return Reply(200), {"id": key, "repeat": True}
            reply = self._queue.popleft() if self._queue else self._rule_reply(request)
            if key is not None and 200 <= reply.status < 300:
                self.deliveries[key] = request
        body = reply.body if reply.body is not None else {"id": key, "status": reply.status}
        return reply, body

    def _rule_reply(self, request: RecordedRequest) -> Reply:
        return next((reply for when, reply in self._rules if when(request)), Reply(200))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = RecordedRequest("POST", self.path, headers, self.rfile.read(length))
                reply, body = server._answer(request)
                if reply.delay and server._stopping.wait(min(reply.delay, MAX_DELAY)):
                    return  # stopping: drop the connection unanswered
                data = json.dumps(body).encode()
                if reply.trickle:
                    self._trickle(reply, data)
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (a timeout test): nothing to answer

            def _trickle(self, reply: Reply, data: bytes) -> None:
                head = (
                    f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                )
                for byte in head.encode() + data:
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up: what a total timeout is for
                    if server._stopping.wait(reply.trickle):
                        return
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
