"""The HTTP/JSON service (``ordinance serve``): decide requests over HTTP, on Starlette.

Endpoints (the OpenAPI 3.1 document at ``GET /openapi.json`` describes the JSON ones;
``GET /`` and ``/intake...`` are the web intake page of :mod:`ordinance.service.intake`):

``POST /v1/decide``
    Body: one request object, or a list of at most :data:`MAX_LIST` of them
    (``Content-Type: application/json``, at most ``max_body`` bytes). Answers the
    decision (``Decision.to_dict()``, the same JSON as ``ordinance check --format
    json``), or a list of decisions in the same order. With a decision log, every
    decision is committed to the log *before* the answer is sent; if it cannot be,
    the answer is 503 and the decision is not acknowledged.
``POST /v1/next-question``
    Body: ``{"request": {...the request so far...}, "skipped": [facts]}``. Answers
    ``{"question": ..., "outcome": ..., "summary": ..., "missing_facts": [...]}``: what
    an intake form should ask next (the interview of ``ordinance ask``), or a null
    question once the outcome is settled.
``GET /v1/schema``
    The JSON Schema of a request.
``GET /v1/laws``
    The catalogue of the law set (as ``ordinance laws --format json``).
``GET /healthz``
    ``{"status": "ok", "ordinance_set": digest, "laws": n, "reloads": n}``.
``POST /v1/reload``
    Only when enabled (``ordinance serve --allow-reload``; otherwise 404 with
    a hint): load the law set again in a
    worker thread and, only if it checks, swap it in with one assignment.
    Requests already being decided finish on the set they started with. A set
    that fails to check is refused (422 with its diagnostics) and the old one
    keeps serving. ``SIGHUP`` does the same when ``sighup=True``.

Every error is a JSON object ``{"error": message, ...}`` and never carries a stack
trace: 400 invalid JSON, 404 unknown path, 405 wrong method, 413 body too large
(checked against ``Content-Length`` and again while a streamed body is read),
415 not ``application/json``, 422 a request that fails validation (``problems``
names each field, with ``index`` for a request in a list) or a reloaded law set
that fails to check (``diagnostics``), 503 the decision log cannot be written,
500 anything unexpected (logged here, nothing internal sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import math
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ..engine import inputs
from ..engine.evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED
from ..engine.lawset import OrdinanceSet
from ..language.errors import LawError, Problem, RequestError
from ..outputs.catalog import catalog
from ..version import __version__
from .decisionlog import DecisionLog, LogError
from .gate import Gate, stop_point
from .intake import Intake
from .limits import DEFAULT_LIMITS, HostCheck, Limits, RateLimiter, capped

MAX_LIST = 1000
"""The most requests one ``POST /v1/decide`` may carry as a list."""

DEFAULT_MAX_BODY = 1_000_000
"""The default limit on a request body, in bytes."""

MAX_INT_DIGITS = inputs.MAX_INT_DIGITS
"""Integers in a body may have at most this many digits (the same bound as request files)."""

logger = logging.getLogger("ordinance.service.server")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class _BadJSON(ValueError):
    """A body that is not JSON the service accepts."""


def _reject_constant(name: str) -> Any:
    raise _BadJSON(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadJSON(f"the number {text[:40]} is out of range")
    return value


def parse_body(body: bytes) -> Any:
    """Decode a JSON body strictly: UTF-8, no NaN or Infinity, no key twice in an object,
    bounded nesting.

    Raises:
        _BadJSON: with a message fit to send back (position of a syntax error).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _BadJSON(f"not UTF-8 (bad byte at offset {error.start})") from None
    if not text.strip():
        raise _BadJSON("the body is empty; expected a request object or a list of them")
    try:
        return inputs.loads_json(text, parse_constant=_reject_constant,
                                 parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise _BadJSON(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise _BadJSON("nested too deeply") from None
    except _BadJSON:
        raise
    except ValueError as error:  # an integer with too many digits, or a key given twice
        raise _BadJSON(str(error)) from None


class _Service:
    """The handlers, bound to the current law set, body limit and optional decision log.

    ``self.laws`` is only ever replaced whole, by one assignment (see :meth:`reload`);
    a handler reads it once and uses that set to the end, so a reload never mixes two
    law sets in one answer.
    """

    def __init__(self, laws: OrdinanceSet, max_body: int, log: DecisionLog | None,
                 loader: Callable[[], OrdinanceSet] | None, endpoint: bool,
                 limits: Limits = DEFAULT_LIMITS, reload_token: str | None = None) -> None:
        self.laws = laws
        self.reload_token = reload_token
        self.limits = limits
        self.gate = Gate(limits)
        self.rates = RateLimiter(limits.rate, limits.burst)
        self.max_body = max_body
        self.log = log
        self.loader = loader
        self.endpoint = endpoint and loader is not None
        self.reloads = 0
        self._reloading: asyncio.Lock | None = None

    # ------------------------------------------------------------ POST /v1/decide

    async def decide(self, request: Request) -> Response:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        light = len(body) <= self.limits.light_body and body.lstrip()[:1] == b"{"
        return await self.run(request, self._decide_body, body, light=light)

    async def run(self, request: Request, work: Callable[..., Response], *args: Any,
                  light: bool) -> Response:
        """``work(*args)`` for ``request`` within the service's limits
        (:meth:`~ordinance.service.gate.Gate.run`): in the light lane or the heavy one,
        waiting in turn with other clients' calls, stopped if the client goes."""
        answer: Response = await self.gate.run(
            work, *args, light=light, client=_client(request),
            gone=request.is_disconnected, disconnect=lambda: _disconnected(request))
        return answer

    def refuse(self, request: Request) -> Response | None:
        """The 429 answer for a client past its rate of deciding requests, or None."""
        return self.rates.refuse(_client(request))

    async def _body(self, request: Request) -> bytes | Response:
        """The body of a JSON POST, or the error response that refuses it."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            shown = media_type or "no content type"
            return _error(415, "unsupported content type",
                          detail=f"send the request as application/json, not {shown}")
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                return _error(400, "invalid Content-Length header")
            if length > self.max_body:
                return self._too_large()
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body:
                    return self._too_large()
        except ClientDisconnect:
            return _error(400, "the client disconnected before sending the whole body")
        return bytes(body)

    def _too_large(self) -> JSONResponse:
        return _error(413, "request body too large",
                      detail=f"the limit is {self.max_body} bytes; send fewer requests "
                             "per call", limit=self.max_body)

    def _decide_body(self, body: bytes) -> Response:
        """Parse, validate, decide and log (in a worker thread: this is CPU and disk work)."""
        try:
            document = parse_body(body)
        except _BadJSON as error:
            return _error(400, "invalid JSON", detail=str(error))
        batch = isinstance(document, list)
        items: list[Any] = document if isinstance(document, list) else [document]
        if batch and not items:
            return self._invalid([Problem("(top level)", "the list of requests is empty")])
        if len(items) > MAX_LIST:
            return self._invalid([Problem("(top level)",
                                          f"a list may hold at most {MAX_LIST} requests, "
                                          f"not {len(items)}; send them in several calls")])
        laws = self.laws  # read once: a reload meanwhile does not change this answer
        validated = []
        problems: list[dict[str, object]] = []
        for index, item in enumerate(items):
            try:
                validated.append(laws.request(item))
            except RequestError as error:
                for problem in error.problems:
                    problems.append({"index": index, **problem.to_dict()} if batch
                                    else problem.to_dict())
        if problems:
            return _error(422, "invalid request", **capped(problems, self.limits.max_problems))
        decisions: list[dict[str, Any]] = []
        for valid in validated:
            stop_point()  # its client went, its time ran out, or the service is stopping
            decisions.append(laws.decide(valid).to_dict())
        if self.log is not None:
            try:  # one transaction for the whole list: all of it is logged, or none
                self.log.record_many(list(zip(items, decisions, strict=True)))
            except LogError as error:
                logger.error("ordinance: %s", error)
                cause = getattr(error, "cause", "the log cannot be written")
                return _error(503, "decision log unavailable",
                              detail=f"{cause}: the decision could not be recorded in the "
                                     "decision log, so it is not given; try again later")
        return JSONResponse(decisions if batch else decisions[0])

    # ------------------------------------------------------------ POST /v1/next-question

    async def next_question(self, request: Request) -> Response:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        return await self.run(request, self._next_question_body, body,
                              light=len(body) <= self.limits.light_body)

    def _next_question_body(self, body: bytes) -> Response:
        """What an intake form should ask next about a partial request (worker thread)."""
        from .interview import Interview  # imported when asked for: only this endpoint uses it

        try:
            document = parse_body(body)
        except _BadJSON as error:
            return _error(400, "invalid JSON", detail=str(error))
        laws = self.laws
        problems = _next_question_problems(document, laws)
        if problems:
            return self._invalid(problems)
        try:
            interview = Interview(laws, document.get("request", {}))
        except RequestError as error:
            return self._invalid(list(error.problems))
        interview.skipped = set(document.get("skipped", ()))
        question = interview.next_question()
        decision = interview.decision
        return JSONResponse({
            "question": question.to_dict() if question is not None else None,
            "outcome": decision.outcome if decision is not None else None,
            "summary": decision.summary if decision is not None else None,
            "missing_facts": [m.fact for m in decision.missing_facts] if decision else [],
            "ordinance_set": laws.digest,
        })

    def _invalid(self, problems: list[Problem]) -> JSONResponse:
        return _error(422, "invalid request", **capped([p.to_dict() for p in problems],
                                                       self.limits.max_problems))

    # ------------------------------------------------------------ the GET endpoints

    async def schema(self, request: Request) -> Response:
        return JSONResponse(self._request_schema())

    def _request_schema(self) -> dict[str, Any]:
        from .schema import request_schema  # imported when asked for: only this endpoint uses it

        return request_schema(self.laws.model)

    async def laws_catalog(self, request: Request) -> Response:
        return JSONResponse(catalog(self.laws))

    async def health(self, request: Request) -> Response:
        laws = self.laws
        return JSONResponse({"status": "ok", "ordinance_set": laws.digest,
                             "laws": len(laws.model.laws), "reloads": self.reloads})

    # ------------------------------------------------------------ reloading

    async def reload_endpoint(self, request: Request) -> Response:
        if not self.endpoint:
            return _error(404, "reload is not enabled",
                          detail="start the service with `ordinance serve --allow-reload` "
                                 "to reload the law set over HTTP, or send it SIGHUP")
        if self.reload_token is not None and not hmac.compare_digest(
                request.headers.get("authorization", "").encode(),
                f"Bearer {self.reload_token}".encode()):
            return _error(401, "reload needs the token",
                          detail="send `Authorization: Bearer <token>`, the token the service "
                                 "was started with (ORDINANCE_RELOAD_TOKEN)")
        status, answer = await self.reload()
        return JSONResponse(answer, status_code=status)

    async def reload(self) -> tuple[int, dict[str, Any]]:
        """Load the law set again and swap it in if it checks: ``(status, answer)``.

        Reloads run one at a time; loading happens in a worker thread, so requests
        keep being answered (on the old set) while the new one is checked.
        """
        if self.loader is None:
            return 404, {"error": "reload is not enabled"}
        if self._reloading is None:
            self._reloading = asyncio.Lock()
        async with self._reloading:
            old = self.laws
            try:
                new = await run_in_threadpool(self.loader)
            except LawError as error:
                count = len(error.diagnostics)
                logger.error("ordinance: reload refused: the law set has %d error%s; still "
                             "serving %s\n%s", count, "" if count == 1 else "s", old.digest,
                             error.render())
                return 422, {"error": "the law set failed to check; still serving the "
                                      "previous one",
                             "ordinance_set": old.digest,
                             "diagnostics": [d.to_dict() for d in error.diagnostics],
                             "rendered": error.render()}
            except Exception as error:  # a bug, or the files vanished: keep serving
                logger.error("ordinance: reload failed: %s: %s; still serving %s",
                             type(error).__name__, error, old.digest)
                return 500, {"error": "reload failed; still serving the previous law set",
                             "ordinance_set": old.digest,
                             "detail": "the server log has the details"}
            self.laws = new  # the swap: one assignment, atomic for every reader
            self.reloads += 1
            logger.warning("ordinance: reloaded the law set: %d laws (%s), was %s",
                           len(new.model.laws), new.digest, old.digest)
            return 200, {"status": "reloaded", "ordinance_set": new.digest,
                         "previous": old.digest, "changed": new.digest != old.digest,
                         "laws": len(new.model.laws)}

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.laws, self._request_schema(), self.max_body))


# ---------------------------------------------------------------- errors outside the handlers


def _client(request: Request) -> str:
    """The address a call came from (the key of its rate and of its turn in a queue)."""
    return request.client.host if request.client else ""


async def _disconnected(request: Request) -> None:
    """Return when the client of ``request``, whose body has been read, disconnects."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("body") and not message.get("more_body"):
            await asyncio.sleep(0.05)  # a server that repeats an empty end of body


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return JSONResponse({"error": "not found",
                             "detail": f"no endpoint at {request.url.path}; "
                                       "see GET /openapi.json"},
                            status_code=404, headers=headers)
    if exc.status_code == 405:
        allowed = [m.strip() for m in headers.get("allow", headers.get("Allow", "")).split(",")
                   if m.strip()]
        return JSONResponse({"error": "method not allowed",
                             "detail": f"{request.method} is not accepted at "
                                       f"{request.url.path}", "allowed": allowed},
                            status_code=405, headers=headers)
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                        headers=headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("internal error on %s %s", request.method, request.url.path,
                 exc_info=(type(exc), exc, exc.__traceback__))
    return _error(500, "internal error",
                  detail="this is a bug in ordinance; the server log has the details")


def create_app(laws: OrdinanceSet, *, max_body: int = DEFAULT_MAX_BODY,
               log: DecisionLog | None = None,
               reload: Callable[[], OrdinanceSet] | None = None,
               reload_endpoint: bool = True, sighup: bool = False,
               limits: Limits = DEFAULT_LIMITS, hosts: Iterable[str] | None = None,
               reload_token: str | None = None) -> ASGIApp:
    """The ASGI application serving ``laws``.

    Args:
        laws: the law set, loaded once; deciding is thread-safe.
        max_body: the largest request body accepted, in bytes (larger: 413).
        log: when given, every decision is committed to it before it is answered;
            when it cannot be, the answer is 503.
        reload: loads the law set afresh (raising :class:`LawError` if it fails to
            check); needed for ``POST /v1/reload`` and ``SIGHUP``.
        reload_endpoint: enable ``POST /v1/reload`` (when ``reload`` is given);
            when False it answers 404 with a hint.
        sighup: also reload on ``SIGHUP`` (needs ``reload``, and the server running
            in the main thread: the handler is installed on its event loop).
        limits: the bounds on deciding work (:class:`~ordinance.service.limits.Limits`).
        hosts: when given, the ``Host`` names answered; any other gets 421.
        reload_token: when given, ``POST /v1/reload`` needs ``Authorization: Bearer
            <token>`` (401 without it): a page in a browser cannot send that header, so
            a cross-site form cannot reload the law set.
    """
    service = _Service(laws, max_body, log, reload, reload_endpoint, limits, reload_token)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[Any]] = set()

        def on_sighup() -> None:
            task = loop.create_task(service.reload())
            tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(tasks.discard)

        installed = False
        if sighup and reload is not None and hasattr(signal, "SIGHUP"):
            loop.add_signal_handler(signal.SIGHUP, on_sighup)
            installed = True
        try:
            yield
        finally:
            service.gate.stop_all("the service is shutting down")
            if installed:
                loop.remove_signal_handler(signal.SIGHUP)

    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        HTTPException: _http_error, Exception: _internal_error}
    intake = Intake(lambda: service.laws, max_body, log,
                    run=functools.partial(service.run, light=True),  # one decision a call
                    refuse=service.refuse)
    app = Starlette(
        routes=[
            Route("/", intake.root, methods=["GET"]),
            Route("/intake", intake.start, methods=["GET"]),
            Route("/intake", intake.step, methods=["POST"]),
            Route("/intake/request.yaml", intake.request_yaml, methods=["POST"]),
            Route("/intake/memo.html", intake.memo_html, methods=["POST"]),
            Route("/intake/style.css", intake.style, methods=["GET"]),
            Route("/v1/decide", service.decide, methods=["POST"]),
            Route("/v1/next-question", service.next_question, methods=["POST"]),
            Route("/v1/schema", service.schema, methods=["GET"]),
            Route("/v1/laws", service.laws_catalog, methods=["GET"]),
            Route("/healthz", service.health, methods=["GET"]),
            Route("/openapi.json", service.openapi, methods=["GET"]),
            Route("/v1/reload", service.reload_endpoint, methods=["POST"]),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    return app if hosts is None else HostCheck(app, hosts)


def _next_question_problems(document: Any, laws: OrdinanceSet) -> list[Problem]:
    """What is wrong with the envelope of a next-question body (the request inside is
    validated as any request)."""
    if not isinstance(document, dict):
        return [Problem("(top level)", "send one object: {\"request\": {...}, "
                                       "\"skipped\": [fact, ...]}")]
    problems = [Problem(key, "not a field of a next-question body",
                        allowed=("request", "skipped"))
                for key in document if key not in ("request", "skipped")]
    if not isinstance(document.get("request", {}), dict):
        problems.append(Problem("request", "must be an object: the request so far"))
    skipped = document.get("skipped", [])
    facts = tuple(sorted(laws.model.facts))
    if not isinstance(skipped, list) or any(not isinstance(f, str) for f in skipped):
        problems.append(Problem("skipped", "must be a list of fact names (holder.kind)"))
    else:
        problems += [Problem("skipped", f"`{fact}` is not a fact of the vocabulary",
                             allowed=facts) for fact in skipped if fact not in facts]
    return problems


# ---------------------------------------------------------------- OpenAPI


_PROBLEM = {
    "type": "object",
    "required": ["field", "message", "allowed", "help"],
    "properties": {
        "index": {"type": "integer", "minimum": 0,
                  "description": "The position of the request in the list (lists only)."},
        "field": {"type": "string", "description": "The field, dotted (holder.kind)."},
        "message": {"type": "string"},
        "allowed": {"type": "array", "items": {"type": "string"}},
        "help": {"type": ["string", "null"]},
    },
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in a few words."},
        "detail": {"type": "string"},
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"},
                     "description": "422 only: every problem found in the request(s)."},
        "limit": {"type": "integer", "description": "413 only: the body limit in bytes."},
        "allowed": {"type": "array", "items": {"type": "string"},
                    "description": "405 only: the methods the path accepts."},
    },
}

_DECISION = {
    "type": "object",
    "description": "The decision contract (Decision.to_dict; fields may be added, never "
                   "renamed).",
    "required": ["request_id", "outcome", "summary", "items", "obligations", "missing_facts",
                 "would_change", "citations", "laws", "ordinance_set", "request"],
    "properties": {
        "request_id": {"type": ["string", "null"]},
        "outcome": {"enum": [PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED]},
        "summary": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object"}},
        "obligations": {"type": "array", "items": {"type": "object"}},
        "missing_facts": {"type": "array", "items": {"type": "object"}},
        "missing_facts_exact": {"type": "boolean"},
        "would_change": {"type": "array", "items": {"type": "object"}},
        "would_change_exact": {"type": "boolean"},
        "citations": {"type": "array", "items": {"type": "string"}},
        "laws": {"type": "array", "items": {"type": "object"}},
        "laws_considered": {"type": "array", "items": {"type": "object"}},
        "ordinance_set": {"type": "string"},
        "request": {"type": "object"},
    },
}

_NEXT_QUESTION_BODY = {
    "type": "object",
    "properties": {
        "request": {"type": "object", "description": "The request so far (any facts may "
                    "be missing, the required ones too)."},
        "skipped": {"type": "array", "items": {"type": "string"},
                    "description": "Facts the user does not know: never asked again."},
    },
    "additionalProperties": False,
}

_NEXT_QUESTION = {
    "type": "object",
    "required": ["question", "outcome", "summary", "missing_facts", "ordinance_set"],
    "properties": {
        "question": {"oneOf": [{"type": "null"}, {
            "type": "object",
            "required": ["fact", "text", "label", "kind", "choices", "multiple", "asked_by",
                         "required", "why", "hint"],
            "properties": {
                "fact": {"type": "string"}, "text": {"type": "string"},
                "label": {"type": "string"},
                "kind": {"enum": ["bool", "date", "text", "one_of", "set_of", "categories"]},
                "choices": {"type": "array", "items": {
                    "type": "object", "required": ["value", "label"],
                    "properties": {"value": {"type": "string"}, "label": {"type": "string"}}}},
                "multiple": {"type": "boolean"},
                "asked_by": {"type": "array", "items": {"type": "string"}},
                "required": {"type": "boolean"},
                "why": {"type": "string"},
                "hint": {"type": "string"}}}]},
        "outcome": {"enum": [PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED, None]},
        "summary": {"type": ["string", "null"]},
        "missing_facts": {"type": "array", "items": {"type": "string"}},
        "ordinance_set": {"type": "string"},
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "The body is not JSON (or not UTF-8, or nested too deeply).",
    "404": "No such endpoint.",
    "405": "The endpoint does not accept this method.",
    "413": "The body is larger than the limit (the Content-Length, or the bytes read).",
    "415": "The body is not sent as application/json.",
    "422": "A request does not fit the vocabulary; `problems` names each field.",
    "500": "An unexpected error (a bug); nothing internal is disclosed.",
    "408": "The request line and headers, or the body, came too slowly "
           "(`ordinance serve --header-timeout`, `--body-timeout`); the connection is closed.",
    "421": "The Host header is not one the service answers (`--allowed-host`).",
    "429": "The client is past its rate of deciding calls (`--rate`); see Retry-After.",
    "503": "Not decided: the decision log cannot be written, the service is busy (its "
           "slots and queue for this kind of call are full, or it holds too many "
           "connections), the call went over its time budget, or the service is "
           "stopping. `error` says which; see Retry-After.",
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Error"}
    return {code: _json(ref, _ERROR_DESCRIPTIONS[code]) for code in codes}


def _component(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema made fit to live under ``components/schemas`` (no ``$schema``/``$id``;
    internal ``#/$defs/...`` references re-pointed to where the definitions now live)."""
    schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    if "$defs" not in schema:
        return schema
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/Request/$defs/')
    result: dict[str, Any] = json.loads(text)
    return result


def openapi_document(laws: OrdinanceSet, request_schema: dict[str, Any],
                     max_body: int = DEFAULT_MAX_BODY) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the service."""
    request_ref = {"$ref": "#/components/schemas/Request"}
    decision_ref = {"$ref": "#/components/schemas/Decision"}
    get_errors = _errors("404", "405", "421", "500")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ordinance",
            "version": __version__,
            "description": "Decide whether police and city data may be shared, citing the "
                           f"law. Law set {laws.digest}. Limits: a body of at most "
                           f"{max_body} bytes, a list of at most {MAX_LIST} requests.",
        },
        "paths": {
            "/v1/decide": {"post": {
                "operationId": "decide",
                "summary": "Decide one request, or a list of them in order.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [request_ref, {"type": "array", "items": request_ref,
                                            "minItems": 1, "maxItems": MAX_LIST}]}}}},
                "responses": {
                    "200": _json({"oneOf": [decision_ref,
                                            {"type": "array", "items": decision_ref}]},
                                 "The decision, or the list of decisions in request order."),
                    **_errors("400", "404", "405", "408", "413", "415", "421", "422", "429",
                              "500", "503"),
                },
            }},
            "/v1/next-question": {"post": {
                "operationId": "nextQuestion",
                "summary": "What an intake form should ask next about a partial request.",
                "description": "Required facts first; then, while the outcome is "
                               "undetermined, who asks and where the holder is, then the "
                               "open fact after whose answer the fewest facts still matter. "
                               "Only facts whose answer can change the outcome are asked; "
                               "`why` says what the answer decides. `question` is null once "
                               "the outcome is settled or every open fact was skipped.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _NEXT_QUESTION_BODY}}},
                "responses": {
                    "200": _json(_NEXT_QUESTION, "The next question, or null."),
                    **_errors("400", "404", "405", "408", "413", "415", "421", "422", "429",
                              "500", "503"),
                },
            }},
            "/v1/schema": {"get": {
                "operationId": "requestSchema",
                "summary": "The JSON Schema of a request.",
                "responses": {"200": _json({"type": "object"}, "A JSON Schema."),
                              **get_errors},
            }},
            "/v1/laws": {"get": {
                "operationId": "laws",
                "summary": "The laws of the set: jurisdiction, version, source, gaps.",
                "responses": {"200": _json({"type": "array", "items": {"type": "object"}},
                                           "One entry per law."), **get_errors},
            }},
            "/healthz": {"get": {
                "operationId": "health",
                "summary": "Liveness, and which law set is served.",
                "responses": {"200": _json({
                    "type": "object", "required": ["status", "ordinance_set", "laws"],
                    "properties": {"status": {"const": "ok"},
                                   "ordinance_set": {"type": "string"},
                                   "laws": {"type": "integer"},
                                   "reloads": {"type": "integer"}}}, "The service is up."),
                    **get_errors},
            }},
            "/v1/reload": {"post": {
                "operationId": "reload",
                "summary": "Reload the law set (only with `ordinance serve --allow-reload`).",
                "responses": {
                    "200": _json({"type": "object",
                                  "required": ["status", "ordinance_set", "previous"],
                                  "properties": {"status": {"const": "reloaded"},
                                                 "ordinance_set": {"type": "string"},
                                                 "previous": {"type": "string"},
                                                 "changed": {"type": "boolean"},
                                                 "laws": {"type": "integer"}}},
                                 "The new law set is served from now on."),
                    "422": _json({"type": "object",
                                  "required": ["error", "ordinance_set", "diagnostics"],
                                  "properties": {"error": {"type": "string"},
                                                 "ordinance_set": {"type": "string"},
                                                 "diagnostics": {"type": "array",
                                                                 "items": {"type": "object"}},
                                                 "rendered": {"type": "string"}}},
                                 "The law set failed to check; the old one keeps serving."),
                    **_errors("404", "405", "500"),
                },
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1."),
                              **get_errors},
            }},
        },
        "components": {"schemas": {
            "Request": _component(request_schema),
            "Decision": _DECISION,
            "Error": _ERROR,
            "Problem": _PROBLEM,
        }},
    }
