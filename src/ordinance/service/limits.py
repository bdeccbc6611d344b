"""Bounds on the work the HTTP service accepts (docs/limits.md, "The service").

* :class:`Limits`: the bounds, which :class:`~ordinance.service.gate.Gate` applies to
  deciding work (lanes, queues, the time budget).
* :class:`RateLimiter`: a token bucket per client address for the deciding endpoints
  (429 with ``Retry-After``).
* :class:`HostCheck`: ASGI middleware answering 421 to a ``Host`` header not on the
  allow-list (a DNS-rebinding page in a browser cannot reach the service).

The cheap endpoints (``/healthz``, the schema, the laws) pass none of these gates but
the host check, so they answer while deciding is saturated.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

import attrs
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_CLIENTS = 10_000
"""Client addresses a :class:`RateLimiter` remembers (the least recently seen dropped)."""


@attrs.frozen
class Limits:
    """The service's bounds; ``ordinance serve`` sets them from its options."""

    concurrent: int = 4  # heavy calls (lists, large bodies) worked out at once
    queue: int = 32  # heavy calls waiting for a slot; past this, 503 at once
    light_concurrent: int = 2  # light calls (one request, a small body) at once
    light_queue: int = 64  # light calls waiting for a slot; past this, 503 at once
    light_body: int = 4096  # the largest body, in bytes, of a light call
    seconds: float = 20.0  # a decision's time budget; past it, 503
    rate: float = 100.0  # deciding requests per second per client address
    burst: int = 200  # ... allowed at once before the rate applies
    max_problems: int = 50  # problems listed in an error answer; then a count


DEFAULT_LIMITS = Limits()
"""The bounds of a service started without options."""


class RateLimiter:
    """A token bucket per client address: ``burst`` at once, then ``rate`` a second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def admit(self, client: str) -> float:
        """0 when the client may go on; else the seconds until it may."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait

    def refuse(self, client: str) -> JSONResponse | None:
        """The 429 answer for a client over its rate, or None."""
        wait = self.admit(client)
        if not wait:
            return None
        return JSONResponse({"error": "too many requests",
                             "detail": f"at most {self.rate:g} deciding requests a second "
                                       f"(bursts of {self.burst}) per client"},
                            status_code=429, headers={"Retry-After": str(math.ceil(wait))})


def capped(problems: list[dict[str, object]], limit: int) -> dict[str, object]:
    """An error's problems, at most ``limit`` of them, with how many were left out."""
    out: dict[str, object] = {"problems": problems[:limit]}
    if len(problems) > limit:
        out["more_problems"] = len(problems) - limit
    return out


def default_hosts(bind: str) -> tuple[str, ...]:
    """The Host names accepted by default: the address listened on and localhost's."""
    names = {"localhost", "127.0.0.1", "::1"}
    if bind not in ("0.0.0.0", "::", ""):
        names.add(bind.strip("[]").lower())
    return tuple(sorted(names))


class HostCheck:
    """ASGI middleware: a request whose ``Host`` (port aside) is not allowed gets 421."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(h.lower() for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 421."""
        if scope["type"] == "http":
            host = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            name = name.strip("[]").lower()
            if name not in self.hosts:
                body = json.dumps({
                    "error": "host not allowed",
                    "detail": "this service answers requests addressed to "
                              + ", ".join(sorted(self.hosts))
                              + "; start it with --allowed-host NAME to add one"}).encode()
                await send({"type": "http.response.start", "status": 421,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
