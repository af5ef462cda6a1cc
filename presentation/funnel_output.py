"""The IVR funnel as a JSON document: the "funnel" of kpis.json from a run's counts
(`funnel_document`, contract: docs/scenarios.md, "The funnel") and the same document of the
exact expected flows (`expected_funnel_document`, what the menu diagram draws when nothing was
simulated). The counting and the exact expectation are the model's (`simulator.funnel`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.funnel import expected_funnel, funnel_layout

if TYPE_CHECKING:  # annotations only: printing and versions must not load the engine
    from simulator.scenario import Scenario


def funnel_document(run) -> dict | None:
    """The "funnel" of kpis.json (None without an IVR): every count is calls per day over the
    replications, as Estimate.to_dict() gives it."""
    scenario = run.scenario
    if scenario.ivr is None or run.funnel_per_replication is None:
        return None
    from simulator.run import Estimate  # the engine's package: only when there is a run to document

    index = funnel_layout(scenario).index
    values = run.funnel_per_replication
    return _document(scenario, lambda *key: Estimate.of(values[:, index[key]], (0.0, np.inf)).to_dict())


def expected_funnel_document(scenario: Scenario) -> dict:
    """The funnel document of the exact expected flows: calls per day of `arrivals.calls` (first
    calls only: redials and repeat calls are made by the queues), each interval's callers by
    that interval's announcement and intent shares. Every ci95 is null: nothing was simulated."""
    ivr = scenario.ivr
    index = funnel_layout(scenario).index
    calls = np.asarray(scenario.arrivals.calls, dtype=float)
    satisfied = calls * ivr.satisfied_share(np.arange(len(calls)))
    intervals = range(len(calls)) if scenario.intents else (0,)  # without intents every interval is alike
    into_menus = [(calls - satisfied)[k] for k in intervals] if scenario.intents else [(calls - satisfied).sum()]
    totals = sum(share * expected_funnel(scenario, k) for k, share in zip(intervals, into_menus))
    totals[index[("entered",)]] = calls.sum()
    totals[index[("announcement",)]] = satisfied.sum()
    totals[index[("contained",)]] += satisfied.sum()
    return _document(scenario, lambda *key: {"mean": float(totals[index[key]]), "ci95": None})


def _document(scenario: Scenario, count) -> dict:
    """The funnel's JSON form, `count(*key)` giving each counter's {"mean", "ci95"}."""
    ivr = scenario.ivr
    document: dict = {"entered": count("entered")}
    if ivr.announcement is not None:
        document["announcement"] = {"satisfied": count("announcement")}
    document["menus"] = [
        {
            "name": menu.name,
            "entered": count("menu", m, "entered"),
            "replays": count("menu", m, "replays"),
            "hung_up": count("menu", m, "hung_up"),
            "timed_out": count("menu", m, "timed_out"),
            "default": menu.default,
            "options": [
                {"key": option.key, "label": option.label, "to": option.to,
                 "chose": count("option", m, o, "chose"), "zero_out": option.key == "0",
                 "contained": count("option", m, o, "contained"), "misrouted": count("option", m, o, "misrouted")}
                for o, option in enumerate(menu.options)
            ],
        }
        for m, menu in enumerate(ivr.menus)
    ]
    document["self_service"] = [
        {"name": service.name, "on_failure": service.on_failure, "entered": count("self_service", s, "entered"),
         "contained": count("self_service", s, "contained"), "failed": count("self_service", s, "failed")}
        for s, service in enumerate(ivr.self_service)
    ]
    document["queues"] = {q.name: count("queue", k) for k, q in enumerate(scenario.queues)}
    document["contained"] = count("contained")
    document["hung_up"] = count("hung_up")
    document["misrouted"] = count("misrouted")  # beyond the contract: every misroute (options, defaults, failures)
    return document
