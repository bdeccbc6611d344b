"""Bounds on the work the HTTP service accepts (issue 19; docs/limits.md): the cap on
decisions at once and its queue, the time budget, the rate per client, the cap on the
problems an error lists, and the Host allow-list. Each is tested at its edge, with a
decision made slow on purpose rather than by timing real ones."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ordinance
from ordinance.service import server
from ordinance.service.gate import Gate, Lane, Stop, Stopped, stop_point
from ordinance.service.limits import Limits, RateLimiter, default_hosts

from ..asgi import call as asgi_call
from .test_server import _InThreadServer, call, example

HOME = "home-address-hold-request.yaml"


class _Slow:
    """The bundled law set with `decide` waiting on an event first (a stand-in for an
    expensive request)."""

    def __init__(self, laws: ordinance.OrdinanceSet, held: int = 10**9) -> None:
        self.laws = laws
        self.release = threading.Event()
        self.started = 0
        self.held = held  # how many of the first decisions wait for `release`

    def __getattr__(self, name: str) -> Any:
        return getattr(self.laws, name)

    def decide(self, *args: Any, **kwargs: Any) -> Any:
        self.started += 1
        if self.started <= self.held:
            self.release.wait(30)
        return self.laws.decide(*args, **kwargs)


def _until(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never came to pass"
        time.sleep(0.02)


def test_decisions_past_the_cap_and_its_queue_get_503_and_healthz_still_answers(
        bundled: ordinance.OrdinanceSet) -> None:
    slow = _Slow(bundled)
    limits = Limits(concurrent=2, queue=1, seconds=30)
    app = server.create_app(slow, limits=limits)  # type: ignore[arg-type]
    heavy = [example(HOME)]  # a list: the heavy lane
    with _InThreadServer(app) as url, ThreadPoolExecutor(max_workers=4) as pool:
        held = [pool.submit(call, url + "/v1/decide", heavy, timeout=60)
                for _ in range(3)]  # two at work, one waiting
        _until(lambda: slow.started >= 2)
        time.sleep(0.1)  # the third is in the queue
        status, headers, answer = call(url + "/v1/decide", heavy)
        assert status == 503 and answer["error"] == "the service is busy"
        assert int(headers["retry-after"]) >= 1
        start = time.monotonic()
        status, _, health = call(url + "/healthz", None, method="GET")
        assert status == 200 and health["status"] == "ok"
        assert time.monotonic() - start < 1  # the cheap endpoint does not queue
        assert slow.started == 2  # never more than the cap at once
        slow.release.set()
        assert [f.result()[0] for f in held] == [200, 200, 200]


def test_a_light_call_does_not_wait_behind_heavy_ones(bundled: ordinance.OrdinanceSet) -> None:
    """One request in a small body has its own lane: with every heavy slot taken and the
    heavy queue full, it is still decided at once (issue 19: a cheap decision waited
    110.8 s behind big calls)."""
    slow = _Slow(bundled, held=1)
    app = server.create_app(slow, limits=Limits(concurrent=1, queue=0, seconds=30))  # type: ignore[arg-type]
    with _InThreadServer(app) as url, ThreadPoolExecutor(max_workers=1) as pool:
        big = pool.submit(call, url + "/v1/decide", [example(HOME)], timeout=60)
        _until(lambda: slow.started >= 1)
        status, _, answer = call(url + "/v1/decide", [example(HOME)])
        assert status == 503 and answer["error"] == "the service is busy"
        status, _, answer = call(url + "/v1/decide", example(HOME))
        assert status == 200 and answer["outcome"] == "prohibited"
        slow.release.set()
        assert big.result()[0] == 200


def test_a_large_single_body_is_heavy(bundled: ordinance.OrdinanceSet) -> None:
    """The light lane is for small bodies only: one request padded past `light_body`
    bytes waits with the heavy calls."""
    gate = Gate(Limits(light_body=100))
    assert gate.lane(light=True) is gate.light and gate.lane(light=False) is gate.heavy
    slow = _Slow(bundled, held=1)
    app = server.create_app(slow, limits=Limits(concurrent=1, queue=0, seconds=30,  # type: ignore[arg-type]
                                                light_body=100))
    with _InThreadServer(app) as url, ThreadPoolExecutor(max_workers=1) as pool:
        big = pool.submit(call, url + "/v1/decide", example(HOME), timeout=60)
        _until(lambda: slow.started >= 1)
        status, _, answer = call(url + "/v1/decide", example(HOME))
        assert status == 503 and answer["error"] == "the service is busy"
        slow.release.set()
        assert big.result()[0] == 200


def test_a_decision_over_its_time_budget_is_503_and_keeps_its_slot(
        bundled: ordinance.OrdinanceSet) -> None:
    """One decision is not interrupted (a thread cannot be stopped from outside): past the
    budget its call is answered 503 and its slot stays taken until it ends."""
    slow = _Slow(bundled)
    limits = Limits(light_concurrent=1, light_queue=0, seconds=0.5)
    app = server.create_app(slow, limits=limits)  # type: ignore[arg-type]
    with _InThreadServer(app) as url:
        status, _, answer = call(url + "/v1/decide", example(HOME))
        assert status == 503 and answer["error"] == "over the time budget"
        # Its thread still runs: the one slot is taken, so the next call is refused.
        status, _, answer = call(url + "/v1/decide", example(HOME))
        assert status == 503 and answer["error"] == "the service is busy"
        slow.release.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status, _, answer = call(url + "/v1/decide", example(HOME))
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200 and answer["outcome"] == "prohibited"


def test_a_client_past_its_rate_gets_429() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [limiter.admit("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.admit("a") > 0  # the burst is spent
    assert limiter.admit("b") == 0  # another client is not held back
    now[0] += 0.5  # one token back at two a second
    assert limiter.admit("a") == 0
    refused = limiter.refuse("a")
    assert refused is not None and refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


def test_the_rate_applies_over_http(bundled: ordinance.OrdinanceSet) -> None:
    app = server.create_app(bundled, limits=Limits(rate=0.5, burst=2))
    statuses = [asgi_call(app, "POST", "/v1/decide", json.dumps(example(HOME)).encode(),
                          {"content-type": "application/json"})[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert asgi_call(app, "GET", "/healthz")[0] == 200  # not a deciding call


def test_an_error_lists_at_most_max_problems(bundled: ordinance.OrdinanceSet) -> None:
    app = server.create_app(bundled, limits=Limits(max_problems=5))
    bad = [{"holder": {"kind": f"k{i}"}, "data": ["x"]} for i in range(40)]
    status, _, body = asgi_call(app, "POST", "/v1/decide", json.dumps(bad).encode(),
                                {"content-type": "application/json"})
    answer = json.loads(body)
    assert status == 422 and len(answer["problems"]) == 5
    assert answer["more_problems"] > 40


def test_a_host_not_allowed_gets_421(bundled: ordinance.OrdinanceSet) -> None:
    app = server.create_app(bundled, hosts=default_hosts("127.0.0.1"))
    for host, status in (("127.0.0.1:8080", 200), ("localhost", 200), ("[::1]:8080", 200),
                         ("evil.example", 421), ("127.0.0.1.evil.example:8080", 421)):
        got, _, body = asgi_call(app, "GET", "/healthz", headers={"host": host})
        assert got == status, (host, body)
    got, _, body = asgi_call(app, "GET", "/healthz", headers={"host": "evil.example"})
    assert json.loads(body)["error"] == "host not allowed"


def test_default_hosts() -> None:
    assert default_hosts("0.0.0.0") == ("127.0.0.1", "::1", "localhost")
    assert "10.0.0.5" in default_hosts("10.0.0.5")


def test_work_of_a_client_that_has_gone_is_not_started(bundled: ordinance.OrdinanceSet) -> None:
    """Issue 19: a call whose client disconnected before its turn is dropped, not decided."""
    import asyncio

    slow = _Slow(bundled)
    slow.release.set()
    app = server.create_app(slow)  # type: ignore[arg-type]
    body = json.dumps(example(HOME)).encode()
    messages = [{"type": "http.request", "body": body, "more_body": False},
                {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/decide", "raw_path": b"",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("testserver", 80),
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert slow.started == 0
    assert next(m for m in sent if m["type"] == "http.response.start")["status"] == 499


def test_a_key_given_twice_in_an_http_body_is_400(bundled: ordinance.OrdinanceSet) -> None:
    """Issue 19: last-one-wins could flip prohibited to permitted; now it is refused."""
    app = server.create_app(bundled)
    body = b'{"holder": {"kind": "sheriff", "state": "CA"}, "data": ["home_address"], ' \
           b'"data_public": false, "data_public": true}'
    status, _, answer = asgi_call(app, "POST", "/v1/decide", body,
                                  {"content-type": "application/json"})
    detail = json.loads(answer)["detail"]
    assert status == 400 and "data_public" in detail
    assert detail.startswith("line 1, column 96: duplicate key `data_public`"), detail


def test_a_list_over_its_time_budget_stops_deciding(bundled: ordinance.OrdinanceSet) -> None:
    """The 503 at the deadline also ends the work: a list of requests stops between two
    of them, so its thread gives its slot back soon after (issue 19: a 1,000-request body
    ran for 12 minutes)."""
    class Paced(_Slow):
        def decide(self, *args: Any, **kwargs: Any) -> Any:
            self.started += 1
            time.sleep(0.05)
            return self.laws.decide(*args, **kwargs)

    paced = Paced(bundled)
    app = server.create_app(paced, limits=Limits(concurrent=1, queue=0, seconds=0.3))  # type: ignore[arg-type]
    with _InThreadServer(app) as url:
        status, _, answer = call(url + "/v1/decide", [example(HOME)] * 60, timeout=60)
        assert status == 503 and answer["error"] == "over the time budget"
        time.sleep(0.5)
        assert paced.started < 20  # not all 60: the thread stopped at the deadline
        status, _, _ = call(url + "/v1/decide", example(HOME))
        assert status == 200  # the slot is free again


def test_a_queue_is_served_in_turn_by_client() -> None:
    """A client with many calls waiting gets one slot when it frees, then the next client
    one: a second client's call waits for one of the first's, not for all of them."""
    import asyncio

    async def scenario() -> list[str]:
        lane = Lane(concurrent=1, queue=10)
        served: list[str] = []

        async def one(client: str, name: str) -> None:
            await lane.acquire(client)
            served.append(name)

        await lane.acquire("a")  # the slot is busy
        tasks = [asyncio.ensure_future(one("a", f"a{i}")) for i in (1, 2, 3)]
        await asyncio.sleep(0)
        tasks.append(asyncio.ensure_future(one("b", "b1")))
        await asyncio.sleep(0)
        assert lane.waiting == 4 and not lane.full()
        for _ in range(4):
            lane.release()
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        lane.release()
        assert lane.busy == 0 and lane.waiting == 0
        return served

    assert asyncio.run(scenario()) == ["a1", "b1", "a2", "a3"]


def test_a_call_that_leaves_the_queue_gives_up_its_place() -> None:
    import asyncio

    async def scenario() -> None:
        lane = Lane(concurrent=1, queue=1)
        await lane.acquire("a")
        waiting = asyncio.ensure_future(lane.acquire("b"))
        await asyncio.sleep(0)
        assert lane.full()
        waiting.cancel()
        await asyncio.sleep(0)
        assert lane.waiting == 0 and not lane.full()
        lane.release()
        assert lane.busy == 0

    asyncio.run(scenario())


def test_stop_point_raises_only_in_work_told_to_stop() -> None:
    stop_point()  # outside a gate's work: nothing happens
    from ordinance.service.gate import _run_stoppable

    stop = Stop()
    assert _run_stoppable(stop, lambda: "done") == "done"
    stop.set("the client disconnected")
    stop.set("later reasons are not kept")
    try:
        _run_stoppable(stop, stop_point)
    except Stopped as stopped:
        assert str(stopped) == "the client disconnected"
    else:
        raise AssertionError("stop_point did not stop")
    stop_point()  # the thread is no longer told to stop


def test_a_list_stops_when_its_client_disconnects(bundled: ordinance.OrdinanceSet) -> None:
    """Issue 19: work went on after the client left. A list now stops between two
    requests once its client has gone, and its slot is free again."""
    import socket

    class Paced(_Slow):
        def decide(self, *args: Any, **kwargs: Any) -> Any:
            self.started += 1
            time.sleep(0.05)
            return self.laws.decide(*args, **kwargs)

    paced = Paced(bundled)
    app = server.create_app(paced, limits=Limits(concurrent=1, queue=0, seconds=60))  # type: ignore[arg-type]
    body = json.dumps([example(HOME)] * 200, default=str).encode()
    with _InThreadServer(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            _until(lambda: paced.started >= 3)
        _until(lambda: call(url + "/v1/decide", [example(HOME)])[0] == 200)
        assert paced.started < 100  # not all 200: it stopped when the client went
