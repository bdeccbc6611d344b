"""The web intake page of ``ordinance serve``: a form for people, in English and Spanish.

``GET /intake`` shows a form made from the vocabulary with what a clerk knows at the
start (who holds the data, who asks, what for, which data). ``POST /intake`` decides
what was given and, while the outcome is open, asks the next question that matters
(the interview of ``ordinance ask``: :class:`~ordinance.service.interview.Interview`),
saying why it asks; once the outcome is settled, or when the user asks for it, it shows
the decision as a memo (short answer, analysis with the law's own words, obligations,
caveats, what would change it). ``POST /intake/request.yaml`` and
``POST /intake/memo.html`` download the request and the memo.

Plain HTML forms: no JavaScript at all, and nothing fetched from other sites (the page's
``Content-Security-Policy`` forbids scripts and foreign resources). Every answer so far
travels in the form's hidden fields, so the server keeps no state between steps, and
facts about a person are sent by POST, never in a URL. Every text from a request or a
law is escaped by jinja2's autoescaping.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response

from ..engine.conditions import describe_value
from ..engine.decision import Decision
from ..engine.evaluator import UNDETERMINED
from ..language.errors import LogError, RequestError
from ..outputs.render import bearing, exception_reasons, item_outcome
from .interview import Interview, Question

if TYPE_CHECKING:
    from ..engine.lawset import OrdinanceSet
    from .decisionlog import DecisionLog

LANGS = ("en", "es")
"""The languages of the page."""

START_FACTS = ("date", "holder.kind", "holder.agency", "holder.state", "holder.county",
               "holder.city", "requester.kind", "requester.agency", "purpose",
               "legal_process", "action", "data")
"""What the first form asks (those the vocabulary declares): what a clerk knows when a
request comes in. The interview asks the rest, only where it matters."""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Sent with every page: no script may run, nothing is fetched from elsewhere, and the
answers (which may be about a person) are not cached."""

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "May this information be shared?",
        "lead": "Describe the request as far as you know it. The answer cites the law and "
                "says which facts are still needed; questions that cannot change it are "
                "never asked.",
        "start": "The request",
        "not_known": "— not known —",
        "decide": "Decide",
        "question": "One more question",
        "why": "Why this is asked",
        "asked_by": "Asked by",
        "answer": "Answer",
        "dont_know": "I don't know",
        "memo_now": "Show the memo with what is known",
        "so_far": "So far",
        "still_open": "facts could still change the answer",
        "yes": "yes",
        "no": "no",
        "memo": "Memorandum",
        "memo_question": "Question",
        "short_answer": "Short answer",
        "analysis": "Analysis",
        "no_rule": "No applicable rule prohibits it.",
        "not_addressed": "No law that applies to the holder says anything about this data.",
        "stands": "stands",
        "defeated": "defeated",
        "status_undetermined": "open",
        "permit": "Permission",
        "prohibit": "Prohibition",
        "exception": "Exception",
        "applies": "applies",
        "does_not_apply": "does not apply",
        "may_apply": "may apply",
        "because": "Because",
        "needed": "Facts still needed",
        "would_change": "What would change the answer",
        "needed_not_exact": "The search for which facts matter stopped at its limit: some "
                            "of these may not change the answer.",
        "would_change_not_exact": "The search for what would change the answer stopped at "
                                  "its limit: other changes may also permit it.",
        "obligations": "Obligations",
        "caveats": "Caveats of the laws applied",
        "caveats_lead": "The laws this answer rests on say this about their own encoding; "
                        "check each before relying on the answer.",
        "authorities": "Authorities",
        "laws_applied": "Laws applied",
        "none": "none",
        "download_request": "Download the request (YAML)",
        "download_memo": "Download this memo (HTML)",
        "again": "Start again",
        "errors": "The request has problems",
        "language": "Español",
        "law_quote": "The law's words (in English, as enacted)",
        "permitted": "permitted",
        "prohibited": "prohibited",
        "undetermined": "undetermined",
        "not_covered": "not covered",
        "outcome_permitted": "Permitted: no law that applies prohibits sharing this.",
        "outcome_prohibited": "Prohibited: a law that applies forbids sharing this.",
        "outcome_undetermined": "Undetermined: the answer depends on facts not given.",
        "outcome_not_covered": "Not covered: no law in the set applies to this holder.",
        "may": "May {holder} share {data} with {requester}{date}?",
        "on_date": " on {date}",
        "the_holder": "the holder",
        "the_requester": "the requester",
        "disclaimer": "Indicators from the encoded law, not legal advice; the official text "
                      "governs.",
    },
    "es": {
        "title": "¿Se puede compartir esta información?",
        "lead": "Describa la solicitud en lo que sepa. La respuesta cita la ley y dice qué "
                "datos faltan; nunca se pregunta lo que no puede cambiarla.",
        "start": "La solicitud",
        "not_known": "— se desconoce —",
        "decide": "Decidir",
        "question": "Una pregunta más",
        "why": "Por qué se pregunta",
        "asked_by": "Lo pregunta",
        "answer": "Responder",
        "dont_know": "No lo sé",
        "memo_now": "Ver el memorando con lo que se sabe",
        "so_far": "Hasta ahora",
        "still_open": "datos aún podrían cambiar la respuesta",
        "yes": "sí",
        "no": "no",
        "memo": "Memorando",
        "memo_question": "Pregunta",
        "short_answer": "Respuesta breve",
        "analysis": "Análisis",
        "no_rule": "Ninguna norma aplicable lo prohíbe.",
        "not_addressed": "Ninguna ley que obligue al titular dice nada de estos datos.",
        "stands": "se aplica",
        "defeated": "vencida por una excepción",
        "status_undetermined": "pendiente",
        "permit": "Permiso",
        "prohibit": "Prohibición",
        "exception": "Excepción",
        "applies": "se aplica",
        "does_not_apply": "no se aplica",
        "may_apply": "puede aplicarse",
        "because": "Porque",
        "needed": "Datos que faltan",
        "would_change": "Qué cambiaría la respuesta",
        "needed_not_exact": "La búsqueda de los datos que importan se detuvo en su límite: "
                            "algunos de estos quizá no cambien la respuesta.",
        "would_change_not_exact": "La búsqueda de lo que cambiaría la respuesta se detuvo en "
                                  "su límite: otros cambios también podrían permitirla.",
        "obligations": "Obligaciones",
        "caveats": "Advertencias de las leyes aplicadas",
        "caveats_lead": "Las leyes en que se basa la respuesta dicen esto de su propia "
                        "codificación; revíselo antes de confiar en la respuesta.",
        "authorities": "Fuentes",
        "laws_applied": "Leyes aplicadas",
        "none": "ninguna",
        "download_request": "Descargar la solicitud (YAML)",
        "download_memo": "Descargar este memorando (HTML)",
        "again": "Empezar de nuevo",
        "errors": "La solicitud tiene problemas",
        "language": "English",
        "law_quote": "El texto de la ley (en inglés, tal como se promulgó)",
        "permitted": "permitido",
        "prohibited": "prohibido",
        "undetermined": "indeterminado",
        "not_covered": "no cubierto",
        "outcome_permitted": "Permitido: ninguna ley aplicable prohíbe compartirlo.",
        "outcome_prohibited": "Prohibido: una ley aplicable prohíbe compartirlo.",
        "outcome_undetermined": "Indeterminado: la respuesta depende de datos que faltan.",
        "outcome_not_covered": "No cubierto: ninguna ley del conjunto obliga a este titular.",
        "may": "¿Puede {holder} compartir {data} con {requester}{date}?",
        "on_date": " el {date}",
        "the_holder": "el titular",
        "the_requester": "el solicitante",
        "disclaimer": "Indicaciones de la ley codificada, no asesoría legal; rige el texto "
                      "oficial.",
    },
}
"""Every fixed word of the page, per language (a test checks both have every key)."""


@attrs.frozen
class Field:
    """One input of a form: a fact, how it is asked, and what is already answered."""

    path: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...]
    value: tuple[str, ...]
    required: bool = False
    hint: str = ""

    @property
    def name(self) -> str:
        """The form field's name."""
        return f"f.{self.path}"

    @property
    def ident(self) -> str:
        """The HTML id of its input (or of its first choice)."""
        return "f-" + self.path.replace(".", "-")


async def _in_thread(request: Request, work: Callable[..., Any], *args: Any) -> Any:
    """Run ``work(*args)`` in a worker thread, with no limits (the default ``run``)."""
    return await run_in_threadpool(work, *args)


class Intake:
    """The intake page's handlers, reading the current law set from ``laws``."""

    def __init__(self, laws: Callable[[], OrdinanceSet], max_body: int,
                 log: DecisionLog | None = None,
                 run: Callable[..., Awaitable[Any]] = _in_thread,
                 refuse: Callable[[Request], Response | None] = lambda request: None
                 ) -> None:
        self.laws = laws
        self.max_body = max_body
        self.log = log
        self.run = run  # runs deciding work for a request (within the service's limits)
        self.refuse = refuse  # answers a client past its rate

    # ------------------------------------------------------------ routes

    async def root(self, request: Request) -> Response:
        """``GET /``: the intake page."""
        return RedirectResponse("/intake", status_code=303)

    async def start(self, request: Request) -> Response:
        """``GET /intake``: the first form, empty."""
        lang = _lang(request.query_params.get("lang"))
        laws = self.laws()
        return self._page("start.html", lang, laws, fields=self._start_fields(laws, {}, lang),
                          problems=[], known={})

    async def step(self, request: Request) -> Response:
        """``POST /intake``: decide what is known; ask the next question or show the memo."""
        return await self._posted(request, self._step)

    async def _posted(self, request: Request,
                      work: Callable[[Mapping[str, list[str]]], Response]) -> Response:
        """Read the posted form and run ``work`` on it within the service's limits."""
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        answer: Response = await self.run(request, work, form)
        return answer

    def _step(self, form: Mapping[str, list[str]]) -> Response:
        """:meth:`step`'s work, in a worker thread (deciding is CPU work)."""
        lang = _lang(_first(form, "lang"))
        laws = self.laws()
        try:
            interview = self._interview(laws, form)
        except RequestError as error:
            known = _facts(form, laws)
            problems = [(p.field, p.message + (f" ({p.help})" if p.help else ""))
                        for p in error.problems]
            return self._page("start.html", lang, laws, status=422, problems=problems,
                              fields=self._start_fields(laws, known, lang), known={})
        question = None if "memo" in form else interview.next_question()
        if question is not None and question.required:
            problems = [(question.fact, "is required")]
            return self._page("start.html", lang, laws, status=422, problems=problems,
                              fields=self._start_fields(laws, _facts(form, laws), lang),
                              known={})
        known = _flat(interview.data)
        if question is not None:
            decision = interview.decision
            assert decision is not None
            return self._page("question.html", lang, laws, question=question,
                              field=self._question_field(laws, question, lang),
                              decision=decision, known=known,
                              skipped=sorted(interview.skipped))
        decision = interview.final_decision()
        if self.log is not None:
            try:
                self.log.record(interview.request().to_dict(), decision.to_dict())
            except LogError:
                return self._page("error.html", lang, laws, status=503, known={})
        return self._page("memo.html", lang, laws, decision=decision, known=known,
                          skipped=sorted(interview.skipped), **self._memo(laws, decision, lang))

    async def request_yaml(self, request: Request) -> Response:
        """``POST /intake/request.yaml``: the request so far, as a YAML file to keep."""
        import yaml

        form = await self._form(request)
        if isinstance(form, Response):
            return form
        laws = self.laws()
        try:
            data = laws.request(_nested(_facts(form, laws))).to_dict()
        except RequestError as error:
            return _plain(422, "invalid request: " + "; ".join(
                f"{p.field}: {p.message}" for p in error.problems))
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml; charset=utf-8", headers={
            **SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="request.yaml"'})

    async def memo_html(self, request: Request) -> Response:
        """``POST /intake/memo.html``: the memo as one HTML file with its style inside."""
        return await self._posted(request, self._memo_file)

    def _memo_file(self, form: Mapping[str, list[str]]) -> Response:
        """:meth:`memo_html`'s work, in a worker thread."""
        lang = _lang(_first(form, "lang"))
        laws = self.laws()
        try:
            interview = self._interview(laws, form)
            decision = interview.final_decision()
        except RequestError:
            return _plain(422, "the request is not complete enough to decide")
        body = _templates().get_template("memo.html").render(
            t=TEXT[lang], lang=lang, decision=decision, known=_flat(interview.data),
            skipped=sorted(interview.skipped), standalone=True, style=_style(),
            **self._memo(laws, decision, lang))
        return Response(body, media_type="text/html; charset=utf-8", headers={
            **SECURITY_HEADERS,
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Content-Disposition": 'attachment; filename="memo.html"'})

    async def style(self, request: Request) -> Response:
        """``GET /intake/style.css``."""
        return Response(_style(), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600"})

    # ------------------------------------------------------------ helpers

    async def _form(self, request: Request) -> dict[str, list[str]] | Response:
        """The posted form's fields (each with its values), or the error page (a client
        past its rate, a form too large)."""
        refused = self.refuse(request)
        if refused is not None:
            return refused
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return _plain(413, f"the form is larger than the {self.max_body}-byte limit")
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body:
                    return _plain(413, f"the form is larger than the {self.max_body}-byte limit")
        except ClientDisconnect:
            return _plain(400, "the browser disconnected before sending the whole form")
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return _plain(400, "the form is not UTF-8 text")
        return urllib.parse.parse_qs(text, keep_blank_values=False, max_num_fields=2000)

    def _interview(self, laws: OrdinanceSet, form: Mapping[str, list[str]]) -> Interview:
        """The interview on the form's facts, with the answer to the question asked (or
        its skipping) applied.

        Raises:
            RequestError: naming a field that does not fit the vocabulary.
        """
        facts = _facts(form, laws)
        skipped = {path for path in form.get("skip", ()) if path in laws.model.facts}
        asked = _first(form, "asking")
        if asked is not None and asked in laws.model.facts:
            if "dont_know" in form:
                skipped.add(asked)
            else:
                answer = _typed(laws, asked, form.get(f"a.{asked}", []))
                if answer is not None:
                    facts[asked] = answer
        interview = Interview(laws, _nested(facts))
        interview.skipped = skipped
        return interview

    def _start_fields(self, laws: OrdinanceSet, known: Mapping[str, Any],
                      lang: str) -> list[Field]:
        return [self._field(laws, path, known.get(path), lang)
                for path in START_FACTS if path in laws.model.facts]

    def _field(self, laws: OrdinanceSet, path: str, value: Any, lang: str) -> Field:
        fact = laws.model.facts[path]
        if fact.kind == "categories":
            hierarchy = laws.model.hierarchy
            choices = tuple((name, hierarchy.label(name, lang))
                            for name in sorted(hierarchy.categories))
        elif fact.kind in ("one_of", "set_of"):
            choices = tuple((v, fact.value_label(v, lang)) for v in fact.values)
        elif fact.kind == "bool":
            choices = (("true", TEXT[lang]["yes"]), ("false", TEXT[lang]["no"]))
        else:
            choices = ()
        shown = (() if value is None else tuple(map(describe_value, value))
                 if isinstance(value, list | tuple | frozenset) else (describe_value(value),))
        return Field(path, fact.text("label", lang) or path, fact.kind, choices, shown,
                     fact.required, fact.text("question", lang))

    def _question_field(self, laws: OrdinanceSet, question: Question, lang: str) -> Field:
        return self._field(laws, question.fact, None, lang)

    def _memo(self, laws: OrdinanceSet, decision: Decision, lang: str) -> dict[str, Any]:
        """What the memo template needs beyond the decision."""
        hierarchy = laws.model.hierarchy
        request = decision.request
        holder, requester = request.get("holder", {}), request.get("requester", {})
        words = TEXT[lang]
        data = ", ".join(hierarchy.label(d, lang) for d in request.get("data", []))
        asked = words["may"].format(
            holder=holder.get("agency") or _value_label(laws, "holder.kind", holder.get("kind"),
                                                        lang) or words["the_holder"],
            data=data,
            requester=requester.get("agency") or _value_label(
                laws, "requester.kind", requester.get("kind"), lang) or words["the_requester"],
            date=words["on_date"].format(date=request["date"]) if request.get("date") else "")
        items = []
        for item in decision.items:
            rules, exceptions = bearing(item)
            items.append({"item": item, "label": hierarchy.label(item.data, lang),
                          "outcome": item_outcome(decision, item), "rules": rules,
                          "exceptions": [(step, exception_reasons(step))
                                         for step in exceptions]})
        return {"asked": asked, "items": items,
                "short": words[f"outcome_{decision.outcome}"],
                "open": decision.outcome == UNDETERMINED}

    def _page(self, template: str, lang: str, laws: OrdinanceSet, *, status: int = 200,
              known: Mapping[str, Any], **context: Any) -> Response:
        body = _templates().get_template(template).render(
            t=TEXT[lang], lang=lang, other=LANGS[1 - LANGS.index(lang)], known=known,
            hidden=_hidden(known), digest=laws.digest, **context)
        return Response(body, status_code=status, media_type="text/html; charset=utf-8",
                        headers=SECURITY_HEADERS)


# ---------------------------------------------------------------- form values

def _lang(value: str | None) -> str:
    return value if value in LANGS else "en"


def _first(form: Mapping[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _facts(form: Mapping[str, list[str]], laws: OrdinanceSet) -> dict[str, Any]:
    """The facts the form gives (fields ``f.<path>``), typed by the vocabulary; a field
    that names no fact is kept as given, for the validation to name."""
    facts: dict[str, Any] = {}
    for name, values in form.items():
        if name.startswith("f."):
            path = name[2:]
            typed = _typed(laws, path, values)
            if typed is not None:
                facts[path] = typed
    return facts


def _typed(laws: OrdinanceSet, path: str, values: list[str]) -> Any:
    """A form value as the request takes it: yes/no as booleans, lists for a set of
    values; None when nothing was given."""
    values = [v for v in values if v.strip()]
    fact = laws.model.facts.get(path)
    if not values:
        return None
    if fact is not None and fact.kind in ("categories", "set_of"):
        return list(dict.fromkeys(values))
    if fact is not None and fact.kind == "bool":
        return {"true": True, "false": False}.get(values[0], values[0])
    return values[0]


def _nested(facts: Mapping[str, Any]) -> dict[str, Any]:
    from ..engine.vocabulary import nested

    return nested(facts)


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A request's nested fields as dotted paths (``{"holder": {"kind": x}}`` →
    ``{"holder.kind": x}``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, path + "."))
        elif value is not None and key != "id":
            out[path] = value
    return out


def _hidden(known: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The hidden fields that carry the answers so far to the next step."""
    out = []
    for path, value in known.items():
        values = value if isinstance(value, list | tuple) else [value]
        out += [(f"f.{path}", describe_value(v)) for v in values]
    return out


def _value_label(laws: OrdinanceSet, path: str, value: Any, lang: str) -> str:
    fact = laws.model.facts.get(path)
    if fact is None or not isinstance(value, str):
        return ""
    return fact.value_label(value, lang)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8",
                    headers=SECURITY_HEADERS)


@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("ordinance.service", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["answer"] = _answer
    return env


def _answer(value: Any, lang: str) -> str:
    """A fact's value as the page shows it (yes and no in the page's language)."""
    if isinstance(value, bool):
        return TEXT[lang]["yes" if value else "no"]
    return describe_value(value)


@functools.cache
def _style() -> str:
    loader = _templates().loader
    assert loader is not None
    return loader.get_source(_templates(), "intake.css")[0]
