"""Bounds on connections, which uvicorn does not give: a cap checked when a connection is
accepted, and timeouts on reading a request's headers and its body.

uvicorn closes a kept-alive connection idle for ``timeout_keep_alive`` seconds, but any
byte received cancels that timer, so a client sending its headers a byte at a time (a
"slowloris") or never finishing its body holds the connection for good, and a connection
that never sends anything is held too. :func:`guarded_protocol` makes a subclass of
uvicorn's h11 protocol that:

* closes a connection past ``max_connections``, or past ``per_client`` from one client
  address, as soon as it is accepted, with a 503, so idle connections cannot use up the
  process's open files, and one address cannot take every connection;
* gives each request ``header_timeout`` seconds, from the connection's start or the end
  of the previous answer, to arrive with all its headers; past it, 408 and closed;
* gives a request's body ``body_timeout`` seconds from its headers; past it, 408 and
  closed (the call sees its client disconnect, and its work is not done).
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.h11_impl import H11Protocol


def _raw_answer(status: str, error: str, detail: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, written outside h11's state
    machine (which cannot answer a request it has not yet read)."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and header and body timeouts (set by
    :func:`guarded_protocol`)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 256
    per_client: int = 32

    _header_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection, or answer 503 and close it when past a cap."""
        super().connection_made(transport)
        host = self.client[0] if self.client else ""
        mine = sum(1 for other in self.connections
                   if (getattr(other, "client", None) or ("",))[0] == host)
        if len(self.connections) > self.max_connections or mine > self.per_client:
            which = (f"{self.max_connections} connections"
                     if len(self.connections) > self.max_connections
                     else f"{self.per_client} connections from one address")
            transport.write(_raw_answer(
                "503 Service Unavailable", "too many connections",
                f"the service holds at most {which}; try again shortly"))
            transport.close()
            return
        self._watch()

    def data_received(self, data: bytes) -> None:
        """Read as uvicorn does, then start or stop the timers."""
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """After an answer the next request's headers have ``header_timeout`` to arrive."""
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the timers of a connection that has gone."""
        self._cancel_header()
        self._cancel_body()
        super().connection_lost(exc)

    def _watch(self) -> None:
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete:  # waiting for a request's headers
            self._cancel_body()
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(self.header_timeout,
                                                          self._headers_late)
            return
        self._cancel_header()
        if cycle.more_body:
            if self._body_timer is None:
                self._body_timer = self.loop.call_later(self.body_timeout, self._body_late)
        else:
            self._cancel_body()

    def _cancel_header(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.conn.trailing_data[0]:  # part of a request came: say why it is closed
            self.transport.write(_raw_answer(
                "408 Request Timeout", "request timeout",
                f"the request line and headers must arrive within "
                f"{self.header_timeout:g} s"))
        self.transport.close()

    def _body_late(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        self.transport.write(_raw_answer(
            "408 Request Timeout", "request timeout",
            f"the request body must arrive within {self.body_timeout:g} s of its headers"))
        self.transport.close()


def guarded_protocol(*, header_timeout: float, body_timeout: float, max_connections: int,
                     per_client: int) -> type[GuardedProtocol]:
    """A :class:`GuardedProtocol` class with these bounds, to pass to uvicorn as
    ``Config(http=...)``."""
    return type("GuardedProtocol", (GuardedProtocol,), {
        "header_timeout": header_timeout, "body_timeout": body_timeout,
        "max_connections": max_connections, "per_client": per_client,
        "__doc__": GuardedProtocol.__doc__})
