"""An httpx transport whose every request ends within a total time, however the server
trickles its answer.

httpx's timeouts are per operation: ``read`` bounds each read, so a server sending one byte
a second keeps a request alive for as long as it likes. This transport gives each request a
deadline (``total`` seconds from its start) and bounds every connect, read and write of the
socket by the time left, so the request fails with a timeout once the deadline is reached:
the same exception as a per-read timeout, which HTTP channels already retry.

It is httpcore's connection pool with a network backend that applies the deadline; the
deadline travels in a context variable, set while the request is sent and while its answer
is read.

>>> import httpx
>>> client = httpx.Client(transport=DeadlineTransport(total=2.0))
>>> client.close()
"""

from __future__ import annotations

import contextlib
import time
import typing
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

import httpcore
import httpx

_deadline: ContextVar[float | None] = ContextVar("winlang_http_deadline", default=None)

# httpcore's exceptions as httpx's, most specific first (what httpx's own transport does).
_EXCEPTIONS: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for source, target in _EXCEPTIONS:
            if isinstance(error, source):
                raise target(str(error)) from error
        raise


@contextlib.contextmanager
def _until(deadline: float) -> Iterator[None]:
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _left(timeout: float | None, late: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the request's deadline; ``late`` raised once
    none is left."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the request's total time is up")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose operations end by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> _Stream:
        bounded = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's synchronous sockets, each bounded by the request's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        bounded = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(
            self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        )

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        bounded = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _Answer(httpx.SyncByteStream):
    """The response body, read under the request's deadline."""

    def __init__(self, stream: Iterable[bytes], deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._stream)
        while True:  # the deadline set for each step only: nothing leaks between yields
            with _as_httpx(), _until(self._deadline):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class DeadlineTransport(httpx.BaseTransport):
    """Pooled HTTP/1.1 connections (as httpx's default transport); each request, its
    answer's body included, ends within ``total`` seconds."""

    def __init__(self, total: float) -> None:
        self.total = total
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_Backend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.total
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(), _until(deadline):
            answer = self._pool.handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Answer(answer.stream, deadline),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()
