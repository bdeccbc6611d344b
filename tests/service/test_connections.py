"""Bounds on connections (issue 19; docs/limits.md, "The service"): the cap checked when a
connection is accepted, the header and body timeouts uvicorn lacks, the open-file limit,
and SIGTERM ending work in flight. Each is tested at its edge with short timeouts."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

import ordinance
from ordinance.cli import serve as cli_serve
from ordinance.service import server
from ordinance.service.connections import guarded_protocol

from .test_server import START_TIMEOUT, Server, call, example, free_port

HOME = "home-address-hold-request.yaml"
SHORT = 0.5  # seconds: the header and body timeouts of these tests


class _Counted:
    """The bundled law set, counting its decisions."""

    def __init__(self, laws: ordinance.OrdinanceSet) -> None:
        self.laws = laws
        self.decided = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.laws, name)

    def decide(self, *args: Any, **kwargs: Any) -> Any:
        self.decided += 1
        return self.laws.decide(*args, **kwargs)


@pytest.fixture
def guarded(bundled: ordinance.OrdinanceSet) -> Iterator[tuple[int, _Counted]]:
    """A service in a thread with a cap of 4 connections, 3 from one address, and 0.5 s
    timeouts."""
    laws = _Counted(bundled)
    port = free_port()
    protocol = guarded_protocol(header_timeout=SHORT, body_timeout=SHORT, max_connections=4,
                                per_client=3)
    instance = uvicorn.Server(uvicorn.Config(
        server.create_app(laws), host="127.0.0.1", port=port,  # type: ignore[arg-type]
        log_level="warning", http=protocol))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not instance.started:
        assert time.monotonic() < deadline and thread.is_alive(), "did not start"
        time.sleep(0.02)
    yield port, laws
    instance.should_exit = True
    thread.join(timeout=10)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _one_answer(sock: socket.socket) -> bytes:
    """One answer on a kept-alive connection: its headers and Content-Length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_headers_sent_a_byte_at_a_time_get_408_at_the_timeout(
        guarded: tuple[int, _Counted]) -> None:
    """A slowloris client: each byte used to reset uvicorn's only timer."""
    port, _ = guarded
    with _connect(port) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        with pytest.raises(OSError):  # noqa: PT012 - it keeps sending until cut off
            for _ in range(50):
                time.sleep(0.1)
                sock.sendall(b"a")
        answer = _answer(sock)
        assert time.monotonic() - start < 5 * SHORT + 1
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "request timeout"


def test_a_connection_that_sends_nothing_is_closed(guarded: tuple[int, _Counted]) -> None:
    port, _ = guarded
    with _connect(port) as sock:
        assert _answer(sock) == b""  # closed, with nothing to answer


def test_a_body_that_never_ends_gets_408_and_is_not_decided(
        guarded: tuple[int, _Counted]) -> None:
    port, laws = guarded
    body = json.dumps(example(HOME), default=str).encode()
    with _connect(port) as sock:
        sock.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:-1])
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"body" in answer and laws.decided == 0


def test_a_kept_alive_connection_is_not_cut_while_it_is_used(
        guarded: tuple[int, _Counted]) -> None:
    """The header timeout starts again after each answer."""
    port, _ = guarded
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with _connect(port) as sock:
        for _ in range(4):  # 4 x 0.3 s: longer than one timeout in all
            sock.sendall(request)
            assert _one_answer(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.3)


def _connect_from(port: int, source: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    sock.settimeout(5)
    return sock


def _refused(sock: socket.socket) -> str:
    """The `detail` of the 503 a connection got before it sent anything."""
    with sock:
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 503 ")
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "too many connections"
    return str(body["detail"])


def test_a_connection_past_the_cap_is_refused_when_accepted(
        guarded: tuple[int, _Counted]) -> None:
    """Past 3 from one address, then past 4 in all, a connection gets 503 and is closed
    when accepted; another address still gets in while one address is at its cap."""
    port, _ = guarded
    held = [_connect_from(port, "127.0.0.1") for _ in range(3)]
    try:
        time.sleep(0.1)
        assert "3 connections from one address" in _refused(_connect_from(port, "127.0.0.1"))
        held.append(_connect_from(port, "127.0.0.2"))
        time.sleep(0.1)
        assert "at most 4 connections;" in _refused(_connect_from(port, "127.0.0.3"))
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    status, _, _ = call(f"http://127.0.0.1:{port}/healthz", None, method="GET")
    assert status == 200


def test_the_connection_cap_fits_the_open_file_limit(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """Issue 19: 1,100 idle sockets under a 1,024 open-file limit took the service down."""
    import resource

    raised: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 1024))
    monkeypatch.setattr(resource, "setrlimit", lambda _, limits: raised.append(limits))
    assert cli_serve._fit_open_files(256) == 256
    assert cli_serve._fit_open_files(2000) == 1024 - cli_serve.FILES_KEPT_BACK
    assert "the open-file limit is 1024" in capsys.readouterr().err
    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, 4096))
    assert cli_serve._fit_open_files(2000) == 2000
    assert cli_serve._fit_open_files(5000) == 4096 - cli_serve.FILES_KEPT_BACK
    assert raised == [(4096, 4096)] * 2  # the soft limit was raised to the hard one


@pytest.mark.slow
def test_sigterm_ends_a_long_list_within_the_grace(tmp_path: Path) -> None:
    """Issue 19: after SIGTERM a long decision kept computing. Now calls in flight get
    `--grace` seconds, then their work stops before its next request and the process
    ends; the list here would take about a minute."""
    laws = ordinance.load()
    request = json.loads(json.dumps(example(HOME), default=str))
    request["data"] = sorted(laws.model.hierarchy.categories)
    body = json.dumps([request] * 600).encode()
    service = Server(tmp_path, "--grace", "1", "--time-budget", "300")
    try:
        sock = socket.create_connection(("127.0.0.1", service.port))
        sock.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(1.5)  # the list is being decided
        assert service.proc.poll() is None
        start = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        service.proc.wait(timeout=30)
        assert time.monotonic() - start < 10  # the grace, then at most one decision
        sock.settimeout(5)
        answer = _answer(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"the service is shutting down" in answer
    finally:
        service.stop()
    assert "Traceback" not in service.stderr()


def test_connections_on_the_listening_socket_have_nagle_off() -> None:
    """`serve` binds its socket itself (to report a busy port first). Made without
    IPPROTO_TCP, asyncio left Nagle's algorithm on for its connections, and every
    kept-alive answer waited ~40 ms for the client's delayed acknowledgement."""
    import asyncio

    nodelay: list[int] = []

    class Recorder(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def scenario() -> None:
        listening = cli_serve.listen("127.0.0.1", free_port())
        server = await asyncio.get_running_loop().create_server(Recorder, sock=listening)
        port = listening.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
    assert nodelay and nodelay[0] != 0
