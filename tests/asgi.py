"""A minimal in-process ASGI client (httpx, which Starlette's TestClient needs, is not a
dependency): one HTTP request through the app, the whole answer back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp


def call(app: ASGIApp, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of one request; the body is sent in one chunk."""
    sent: list[dict[str, Any]] = []
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                   for k, v in (headers or {}).items()]
    if not any(k == b"content-length" for k, _ in raw_headers):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": raw_headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the app never needs more: a disconnect would end it
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    got = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], got, answer


def post_json(app: ASGIApp, body: bytes, path: str = "/v1/decide"
              ) -> tuple[int, Any]:
    """POST ``body`` as application/json; ``(status, decoded JSON answer)``."""
    status, _, answer = call(app, "POST", path, body,
                             {"content-type": "application/json"})
    return status, json.loads(answer)
