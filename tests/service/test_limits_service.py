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
from ordinance.service.limits import Limits, RateLimiter, default_hosts

from ..asgi import call as asgi_call
from .test_server import _InThreadServer, call, example

HOME = "home-address-hold-request.yaml"


class _Slow:
    """The bundled law set with `decide` waiting on an event first (a stand-in for an
    expensive request)."""

    def __init__(self, laws: ordinance.OrdinanceSet) -> None:
        self.laws = laws
        self.release = threading.Event()
        self.started = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.laws, name)

    def decide(self, *args: Any, **kwargs: Any) -> Any:
        self.started += 1
        self.release.wait(30)
        return self.laws.decide(*args, **kwargs)


def test_decisions_past_the_cap_and_its_queue_get_503_and_healthz_still_answers(
        bundled: ordinance.OrdinanceSet) -> None:
    slow = _Slow(bundled)
    limits = Limits(concurrent=2, queue=1, seconds=30)
    app = server.create_app(slow, limits=limits)  # type: ignore[arg-type]
    with _InThreadServer(app) as url, ThreadPoolExecutor(max_workers=4) as pool:
        held = [pool.submit(call, url + "/v1/decide", example(HOME), timeout=60)
                for _ in range(3)]  # two at work, one waiting
        deadline = time.monotonic() + 10
        while slow.started < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        status, headers, answer = call(url + "/v1/decide", example(HOME))
        assert status == 503 and answer["error"] == "the service is busy"
        assert int(headers["retry-after"]) >= 1
        start = time.monotonic()
        status, _, health = call(url + "/healthz", None, method="GET")
        assert status == 200 and health["status"] == "ok"
        assert time.monotonic() - start < 1  # the cheap endpoint does not queue
        assert slow.started == 2  # never more than the cap at once
        slow.release.set()
        assert [f.result()[0] for f in held] == [200, 200, 200]


def test_a_decision_over_its_time_budget_is_503_and_keeps_its_slot(
        bundled: ordinance.OrdinanceSet) -> None:
    slow = _Slow(bundled)
    app = server.create_app(slow, limits=Limits(concurrent=1, queue=0, seconds=0.5))  # type: ignore[arg-type]
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
    assert status == 400 and "data_public" in json.loads(answer)["detail"]


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
