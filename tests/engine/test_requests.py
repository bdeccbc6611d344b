"""Request validation against the vocabulary (design.md section 4)."""

from __future__ import annotations

import datetime as dt

import pytest

import ordinance
from ordinance.engine.vocabulary import MAX_DEPTH, MAX_LIST, MAX_TEXT

from ..conftest import sheriff_to_ice


def problems(laws: ordinance.OrdinanceSet,
             data: object) -> dict[str, ordinance.language.errors.Problem]:
    with pytest.raises(ordinance.RequestError) as raised:
        laws.request(data)  # type: ignore[arg-type]
    return {p.field: p for p in raised.value.problems}


def test_valid_request_normalises(bundled: ordinance.OrdinanceSet) -> None:
    request = bundled.request(sheriff_to_ice(id=7))
    assert request.id == "7"
    assert request.get("data") == frozenset({"release_date"})
    assert request.get("date") == dt.date(2024, 5, 1)
    assert request.get("action") == "disclose"  # the declared default
    assert request.get("subject.in_custody") is None  # absent = unknown


def test_date_defaults_to_today(bundled: ordinance.OrdinanceSet) -> None:
    data = sheriff_to_ice()
    del data["date"]
    assert bundled.request(data).get("date") == dt.date.today()


def test_null_means_unknown(bundled: ordinance.OrdinanceSet) -> None:
    request = bundled.request(sheriff_to_ice(data_public=None, subject=None))
    assert request.get("data_public") is None


def test_every_problem_is_reported_at_once(bundled: ordinance.OrdinanceSet) -> None:
    found = problems(bundled, sheriff_to_ice(
        data=["release_dat", 3], purpose="immigration", legal_process=True,
        subject={"in_custody": "yes"}, requester={"kind": "ICE"}, extra=1))
    assert set(found) == {"data", "purpose", "legal_process", "subject.in_custody",
                          "requester.kind", "extra"}
    assert found["data"].help == "did you mean `release_date`?"
    assert "release_date" in found["data"].allowed
    assert found["subject.in_custody"].allowed == ("true", "false")
    assert found["extra"].message == "unknown field"
    assert "holder" in found["extra"].allowed


def test_required_facts(bundled: ordinance.OrdinanceSet) -> None:
    found = problems(bundled, {"date": "2024-01-01"})
    assert {"holder.kind", "holder.state", "data"} <= set(found)
    assert found["holder.kind"].message == "is required"
    assert "sheriff" in found["holder.kind"].allowed


def test_types_and_limits(bundled: ordinance.OrdinanceSet) -> None:
    found = problems(bundled, sheriff_to_ice(
        date="May 1st", holder={"agency": "x" * (MAX_TEXT + 1)},
        data=["release_date"] * (MAX_LIST + 1)))
    assert "YYYY-MM-DD" in found["date"].message
    assert "longer than" in found["holder.agency"].message
    assert "the limit is" in found["data"].message
    nested: dict[str, object] = {"x": 1}
    for _ in range(MAX_DEPTH + 2):
        nested = {"x": nested}
    assert "holder.x" in problems(bundled, sheriff_to_ice(holder=nested))
    assert problems(bundled, sheriff_to_ice(holder="sheriff"))["holder"].message.startswith(
        "must be a mapping")
    assert problems(bundled, [1, 2])[""].message.startswith("a request must be a mapping")
    assert "must name at least one" in problems(bundled, sheriff_to_ice(data=[]))["data"].message


def test_error_message_names_origin(bundled: ordinance.OrdinanceSet) -> None:
    with pytest.raises(ordinance.RequestError) as raised:
        bundled.request(sheriff_to_ice(purpose="x"), origin="req.yaml")
    assert raised.value.render().startswith("invalid request in req.yaml:")
    assert isinstance(raised.value, ordinance.OrdinanceError)


def test_round_trip_to_dict(bundled: ordinance.OrdinanceSet) -> None:
    request = bundled.request(sheriff_to_ice(id="r-1"))
    again = bundled.request(request.to_dict())
    assert again == request


def test_the_keys_a_mapping_may_hold_are_those_of_the_facts(
        bundled: ordinance.OrdinanceSet) -> None:
    """The index of allowed keys, worked out once per model, against the definition: the
    next part of every fact path under the mapping's prefix (and the reserved keys at the
    top), for every prefix a request can reach and for fact paths themselves."""
    from ordinance.engine.vocabulary import RESERVED_KEYS, _allowed_keys

    model = bundled.model
    prefixes = {""} | {".".join(path.split(".")[:depth]) + "."
                       for path in model.facts for depth in range(1, path.count(".") + 2)}
    for prefix in prefixes:
        expected = {path[len(prefix):].split(".", 1)[0]
                    for path in model.facts if path.startswith(prefix)}
        if not prefix:
            expected |= set(RESERVED_KEYS)
        assert _allowed_keys(model, prefix) == tuple(sorted(expected)), prefix
    assert _allowed_keys(model, "holder.kind.") == ()
