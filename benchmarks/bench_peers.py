"""The same policy in ordinance, Cedar and Rego: ``python benchmarks/bench_peers.py [N]``.

The policy (benchmarks/peers/policy.ord, policy.cedar, policy.rego): ALPR data only to
California public agencies; no home or work address for immigration enforcement unless
public; no release dates to immigration authorities unless a § 7282.5 ground holds on a
notification request; immigration status may be shared; everything else denied.

N (default 10,000) random, fully specified requests over one data item each are
first decided by all three engines, which must agree on every one; then each engine's
per-decision latency is measured (time.perf_counter_ns, after a warm-up) and a table
with median, p99, decisions/s and the throughput ratio to cedarpy is printed. Run on
demand; never part of the test suite.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cedarpy
import regopy

import ordinance

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
VOCABULARY = HERE.parent / "ordinances" / "vocabulary.ord"

ITEMS = ["alpr", "home_address", "work_address", "release_date", "immigration_status",
         "criminal_history", "booking_photo"]
REQUESTERS = ["federal_immigration", "federal_law_enforcement", "ca_law_enforcement",
              "ca_public_agency", "out_of_state_law_enforcement", "out_of_state_public_agency",
              "private_entity", "court", "data_subject"]
PURPOSES = ["immigration_enforcement", "criminal_investigation", "civil_enforcement",
            "emergency", "records_request", "other"]
PROCESSES = ["none", "judicial_warrant", "administrative_warrant", "hold_request",
             "notification_request", "transfer_request", "subpoena", "court_order"]
SUBJECT = ["serious_or_violent_felony_conviction", "state_prison_felony_conviction",
           "listed_offense_conviction_in_window", "sex_or_arson_registrant",
           "federal_aggravated_felony_or_felony_warrant", "prop47_reduced_misdemeanor"]
WARMUP = 500


def load_ordinance() -> ordinance.OrdinanceSet:
    """The DSL policy with the shared vocabulary, loaded from a scratch directory."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(VOCABULARY, tmp)
        shutil.copy(PEERS / "policy.ord", tmp)
        return ordinance.load(tmp)


def generated(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` random requests in which every fact the policy reads is given."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        purpose = rng.choice(PURPOSES)
        if rng.random() < 0.4:
            purpose = "immigration_enforcement"
        process = rng.choice(PROCESSES)
        if rng.random() < 0.4:
            process = "notification_request"
        out.append({
            "id": f"peer-{index}",
            "date": "2024-05-01",
            "holder": {"kind": rng.choice(["law_enforcement", "sheriff"]), "state": "CA",
                       "county": "Alameda"},
            "requester": {"kind": rng.choice(REQUESTERS)},
            "data": [rng.choice(ITEMS)],
            "purpose": purpose,
            "legal_process": process,
            "data_public": rng.random() < 0.3,
            "subject": {name: rng.random() < 0.2 for name in SUBJECT},
        })
    return out


def cedar_request(data: dict[str, Any]) -> dict[str, Any]:
    """The Cedar form of a request: the item is the resource, the facts the context."""
    return {
        "principal": 'Requester::"requester"',
        "action": 'Action::"share"',
        "resource": f'Data::"{data["data"][0]}"',
        "context": {
            "requester_kind": data["requester"]["kind"],
            "purpose": data["purpose"],
            "legal_process": data["legal_process"],
            "data_public": data["data_public"],
            "subject": data["subject"],
        },
    }


def rego_input(data: dict[str, Any]) -> dict[str, Any]:
    """The Rego input of a request: the same facts, the one item as ``data``."""
    return {
        "data": data["data"][0],
        "requester": data["requester"],
        "purpose": data["purpose"],
        "legal_process": data["legal_process"],
        "data_public": data["data_public"],
        "subject": data["subject"],
    }


CEDAR_ENTITIES = [
    {"uid": {"type": "Data", "id": item}, "attrs": {},
     "parents": ([{"type": "Data", "id": "personal_information"}]
                 if item in ("home_address", "work_address") else [])}
    for item in ITEMS
] + [{"uid": {"type": "Data", "id": "personal_information"}, "attrs": {}, "parents": []}]


def timed(run: Callable[[Any], object], inputs: list[Any]) -> list[int]:
    """Warm up on the first inputs, then time each call in nanoseconds."""
    for item in inputs[:WARMUP]:
        run(item)
    times = []
    clock = time.perf_counter_ns
    for item in inputs:
        start = clock()
        run(item)
        times.append(clock() - start)
    return times


def row(label: str, times: list[int], base_rate: float | None) -> float:
    """Print one table row; return decisions per second."""
    ordered = sorted(times)
    median = statistics.median(ordered) / 1000
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] / 1000
    rate = len(ordered) / (sum(ordered) / 1e9)
    ratio = f"{rate / base_rate:>9.2f}×" if base_rate else f"{'1.00×':>10}"
    print(f"{label:<46} {median:>10.1f} {p99:>10.1f} {rate:>12.0f} {ratio}")
    return rate


def main() -> None:
    """Check agreement, then measure and print the table."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    laws = load_ordinance()
    policies = cedarpy.PolicySet.from_str((PEERS / "policy.cedar").read_text())
    entities = cedarpy.Entities.from_json_str(json.dumps(CEDAR_ENTITIES))
    rego = regopy.Interpreter()
    rego.add_module("policy", (PEERS / "policy.rego").read_text())

    raw = generated(count)
    requests = [laws.request(data) for data in raw]
    cedar_requests = [cedar_request(data) for data in raw]
    rego_inputs = [rego_input(data) for data in raw]

    def ordinance_allows(request: ordinance.Request) -> bool:
        outcome = laws.evaluate(request).outcome
        if outcome not in ("permitted", "prohibited"):
            raise SystemExit(f"ordinance left {request.facts} {outcome}")
        return outcome == "permitted"

    def cedar_allows(request: dict[str, Any]) -> bool:
        return bool(cedarpy.is_authorized(request, policies, entities).allowed)

    def rego_allows(inputs: dict[str, Any]) -> bool:
        # regopy 1.5.2 answers the bare query "data.peers.allow" with "undefined" when
        # only the default applies, so the decision is bound to a variable instead.
        rego.set_input(inputs)
        result = json.loads(str(rego.query("allow := data.peers.allow")))
        return result["bindings"]["allow"] is True

    batch = cedarpy.is_authorized_batch(cedar_requests, policies, entities)
    permitted = 0
    for index, data in enumerate(raw):
        decisions = {"ordinance": ordinance_allows(requests[index]),
                     "cedarpy": cedar_allows(cedar_requests[index]),
                     "cedarpy batch": bool(batch[index].allowed),
                     "regopy": rego_allows(rego_inputs[index])}
        if len(set(decisions.values())) != 1:
            print(f"DISAGREEMENT on request {index}: {decisions}\n{json.dumps(data, indent=2)}",
                  file=sys.stderr)
            raise SystemExit(1)
        permitted += decisions["ordinance"]
    print(f"checked {count} requests: all three engines agree "
          f"({permitted} permitted, {count - permitted} prohibited)")

    print(f"{'engine (' + str(count) + ' requests)':<46} {'median µs':>10} {'p99 µs':>10} "
          f"{'decisions/s':>12} {'vs cedarpy':>10}")
    base = row("cedarpy is_authorized (pre-parsed policies)",
               timed(cedar_allows, cedar_requests), None)
    start = time.perf_counter_ns()
    cedarpy.is_authorized_batch(cedar_requests, policies, entities)
    elapsed = time.perf_counter_ns() - start
    batch_rate = count / (elapsed / 1e9)
    print(f"{'cedarpy is_authorized_batch (mean per decision)':<46} "
          f"{elapsed / count / 1000:>10.1f} {'-':>10} {batch_rate:>12.0f} "
          f"{batch_rate / base:>9.2f}×")
    row("regopy set_input + query", timed(rego_allows, rego_inputs), base)
    row("ordinance evaluate (decision only)",
        timed(lambda r: laws.evaluate(r).outcome, requests), base)
    row("ordinance decide(...).to_dict() (explained)",
        timed(lambda r: laws.decide(r, would_change=False).to_dict(), requests), base)


if __name__ == "__main__":
    main()
