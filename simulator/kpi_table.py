"""The KPI table: every KPI callsim reports, declared once.

For each KPI: its key, its unit (which fixes how it is printed and the values it can take),
its name in words, the scenario feature that makes it meaningful, and its exact definition.
kpis.json's definitions, the confidence-interval bounds, every table, plot and report, which
KPIs a scenario reports, `compare` and the docs test all read this table; the computation of
each KPI is in `simulator.kpis.replication_kpis`. Importing it is cheap (no SimPy, no scipy).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from .callers import uses_callbacks, uses_return_calls
from .scenario import Scenario


class Kpi(NamedTuple):
    """One KPI, declared once: everything else (kpis.json definitions, the values a CI is cut
    to, units and number formats in every table, plot and report, which scenarios report it,
    the docs test) reads this table. Adding a KPI is one entry here plus its computation in
    `replication_kpis`."""

    key: str
    unit: str  # a key of UNITS
    label: str  # the KPI in words, for sentences, plot titles and report headings
    feature: str | None  # the scenario feature that makes it meaningful (FEATURES); None = always reported
    definition: str  # exact definition, in words (written into kpis.json)
    # which way is better, for headlines: "higher", "lower", or None when neither is (a count
    # that follows the volume, occupancy with its target band on both sides)
    better: str | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """The values it can take: every KPI is >= 0; shares (unit fraction) are <= 1."""
        return (0.0, 1.0) if self.unit == "fraction" else (0.0, math.inf)


class Unit(NamedTuple):
    """How values of one unit are printed: value x scale in `format`, then `suffix`; `axis` is
    the unit named on a plot axis."""

    scale: float
    format: str
    suffix: str
    axis: str


UNITS: dict[str, Unit] = {
    "calls": Unit(1.0, ",.1f", "", "calls per day"),
    "fraction": Unit(100.0, ".1f", "%", "%"),
    # printed as a percentage but not a share: its numerator is not a subset of its denominator
    # (service_level_expected: an interval with 0.5 calls expected and 1 answered is 200%)
    "ratio": Unit(100.0, ".1f", "%", "%"),
    "seconds": Unit(1.0, ".1f", " s", "s"),
    "money": Unit(1.0, ",.2f", "", "currency"),
    "agent_seconds": Unit(1 / 3600, ".2f", " agent-hours", "agent-seconds"),
    "callers": Unit(1.0, ".2f", "", "callers"),
    "prompts": Unit(1.0, ".2f", "", "prompts per call"),
    "calls_per_caller": Unit(1.0, ".2f", "", "calls per caller"),
}

KPIS: tuple[Kpi, ...] = (
    Kpi("offered", 'calls', 'calls offered', None,
        'calls that arrived (per interval: that arrived in the interval), redials and repeat calls included'),
    Kpi("unique_callers", 'calls', 'unique callers', 'return_calls',
        'people who called: distinct callers, counted in the interval of their first call'),
    Kpi("redials", 'calls', 'redials', 'return_calls',
        'calls made again by callers who had abandoned (in the queue or the IVR)', better='lower'),
    Kpi("repeat_calls", 'calls', 'repeat calls', 'return_calls',
        'calls made again by callers whose issue an earlier answered call did not resolve', better='lower'),
    Kpi("ivr_contained", 'calls', 'ivr contained', 'ivr',
        'calls resolved in the IVR: self-service success, or hung up satisfied after the announcement'),
    Kpi("containment_rate", 'fraction', 'IVR containment', 'ivr',
        'ivr_contained / offered (every call enters the IVR)', better='higher'),
    Kpi("ivr_abandoned", 'calls', 'IVR hang-ups', 'ivr',
        'calls that hung up in the IVR', better='lower'),
    Kpi("ivr_time", 'seconds', 'time in the IVR', 'ivr',
        'mean time in the IVR per call, seconds', better='lower'),
    Kpi("menus_visited", 'prompts', 'menu prompts heard', 'ivr',
        'mean number of IVR menu prompts heard per call (replays included)', better='lower'),
    Kpi("zero_outs", 'calls', 'zero-outs (key 0)', 'ivr',
        'calls that chose key 0 (ask for an agent) in some menu', better='lower'),
    Kpi("misroutes", 'calls', 'misroutes', 'ivr',
        'calls the IVR sent to the wrong queue', better='lower'),
    Kpi("transfers", 'calls', 'transfers', 'ivr',
        'misrouted calls answered in the wrong queue and transferred to the right one', better='lower'),
    Kpi("blocked", 'calls', 'blocked calls', 'trunks',
        'calls that found every line (trunk) busy and heard a busy signal: in offered, never in reached_queue; '
        'with return_calls they redial as abandoners do, and their redials count in redials', better='lower'),
    Kpi("blocking_rate", 'fraction', 'blocking', 'trunks',
        'blocked / offered', better='lower'),
    Kpi("reached_queue", 'calls', 'calls reaching the agents', None,
        'calls that reached an agent queue: answered + abandoned + balked + unserved + callbacks_accepted'),
    Kpi("answered", 'calls', 'calls answered', None,
        'calls answered by an agent'),
    Kpi("abandoned", 'calls', 'abandoned', None,
        'calls that hung up while waiting in the queue', better='lower'),
    Kpi("balked", 'calls', 'balked', None,
        'calls that hung up at once on finding they would have to wait', better='lower'),
    Kpi("unserved", 'calls', 'unserved', None,
        'calls still waiting when the last agent able to answer them went home (queue unstaffed at the end of the day)', better='lower'),
    Kpi("messages", 'calls', 'messages', 'max_wait',
        "calls still waiting at their queue's maximum wait (max_wait.after_s), sent to leave a message: they "
        "waited in line, so they count in reached_queue, avg_wait and the wait percentiles (their wait is after_s) "
        "and as failures in service_level (in service_level_short_abandons_excluded's denominator, as abandons "
        "after the threshold do, when after_s is over it); they do not redial. With max_wait.call_back the centre "
        "returns them as callbacks: they count in callbacks_accepted too and end as callbacks_completed or "
        "callbacks_failed", better='lower'),
    Kpi("disconnected_at_close", 'calls', 'disconnected at the close', 'on_close',
        "calls cut off by the close in a queue with on_close: disconnect: still waiting when the last interval "
        "ended, or reaching the queue after it (from the IVR or a transfer); they count in reached_queue, avg_wait "
        "and the wait percentiles (their wait up to the cut-off) and as failures in service_level (in "
        "service_level_short_abandons_excluded's denominator when they waited longer than the threshold); "
        "callbacks not made by then end as callbacks_failed", better='lower'),
    Kpi("callbacks_offered", 'calls', 'callbacks offered', 'callbacks',
        "calls offered a callback (expected wait above the queue's threshold)"),
    Kpi("callbacks_accepted", 'calls', 'callbacks accepted', 'callbacks',
        'calls that accepted a callback (they end as callbacks_completed or callbacks_failed)'),
    Kpi("callbacks_completed", 'calls', 'callbacks completed', 'callbacks',
        'accepted callbacks in which an agent reached the caller'),
    Kpi("callbacks_failed", 'calls', 'callbacks failed', 'callbacks',
        'accepted callbacks never connected (attempts used up, or not made by the close)', better='lower'),
    Kpi("callback_delay", 'seconds', 'callback delay', 'callbacks',
        'mean time from accepting a callback to being connected with an agent, completed callbacks, seconds (never counted in ASA)', better='lower'),
    Kpi("callback_delay_p90", 'seconds', 'callback delay p90', 'callbacks',
        '90th percentile of callback_delay, seconds', better='lower'),
    Kpi("abandon_rate", 'fraction', 'abandonment', None,
        'abandoned / reached_queue', better='lower'),
    Kpi("message_rate", 'fraction', 'message rate', 'max_wait',
        'messages / reached_queue', better='lower'),
    Kpi("service_level", 'fraction', 'service level', None,
        'answered within the target threshold / reached_queue (abandons and balks count as failures)', better='higher'),
    Kpi("service_level_answered", 'fraction', 'service level answered', None,
        'answered within the target threshold / answered', better='higher'),
    Kpi("service_level_short_abandons_excluded", 'fraction', 'service level without short abandons', None,
        'answered within the target threshold / (answered + abandoned after waiting longer than the threshold): '
        'callers who hung up within the threshold are left out, as are balks, unserved calls and callbacks', better='higher'),
    Kpi("service_level_expected", 'ratio', 'service level over expected calls', None,
        "answered within the target threshold / the calls the scenario expects (arrivals.calls: first calls, before "
        "the IVR, redials not counted), not the simulated count: a fixed denominator, so the replications' mean "
        "estimates E[answered within] / E[calls] without ratio bias; above service_level on a busier day than "
        "expected, and above 1 where more calls are answered in time than were expected", better='higher'),
    Kpi("asa", 'seconds', 'ASA', None,
        'average speed of answer: mean queue wait of answered calls, seconds', better='lower'),
    Kpi("avg_wait", 'seconds', 'mean wait', None,
        'mean queue wait of every caller who waited in line (answered, abandoned up to the moment they hung up, unserved), seconds; balkers excluded', better='lower'),
    Kpi("wait_p50", 'seconds', 'wait p50', None,
        'median queue wait over the same callers as avg_wait, seconds', better='lower'),
    Kpi("wait_p90", 'seconds', 'wait p90', None,
        '90th percentile of queue wait over the same callers as avg_wait, seconds', better='lower'),
    Kpi("wait_p95", 'seconds', 'wait p95', None,
        '95th percentile of queue wait over the same callers as avg_wait, seconds', better='lower'),
    Kpi("max_wait", 'seconds', 'max wait', None,
        'longest queue wait of any caller, seconds', better='lower'),
    Kpi("talk_time", 'seconds', 'talk time', None,
        'mean talk time of answered calls, seconds'),
    Kpi("acw_time", 'seconds', 'acw time', None,
        'mean after-call work of answered calls, seconds'),
    Kpi("aht", 'seconds', 'AHT', None,
        'average handle time: mean talk + after-call work of answered calls, seconds'),
    Kpi("fcr_rate", 'fraction', 'fcr rate', 'return_calls',
        "first-contact resolution: calls that resolved the caller's issue / calls handled by an agent (answered + callbacks completed)", better='higher'),
    Kpi("customer_effort", 'seconds', 'customer effort', None,
        'per resolved caller: time spent on its calls until resolution (IVR + waits on the line + callback delays + talk), mean, seconds; in the interval of the first call', better='lower'),
    Kpi("customer_effort_calls", 'calls_per_caller', 'customer effort calls', None,
        'per resolved caller: calls it took to be resolved, mean', better='lower'),
    Kpi("caller_wait", 'seconds', 'wait per caller', 'same_contact',
        "per caller (a person: its first call and its redials and repeat calls): the queue waits of all its calls "
        "added up (on the line; callback delays not included), mean over every caller, seconds; in the interval of "
        "the first call", better='lower'),
    Kpi("callers_served", 'fraction', 'callers served', 'same_contact',
        'callers (people) with at least one call handled by an agent (answered or callback completed) / '
        'unique_callers; in the interval of the first call', better='higher'),
    Kpi("occupancy", 'fraction', 'occupancy', None,
        'agent time busy with calls (talk + ACW, transfers, callback dialling) / agent time on shift (scheduled staffing plus overtime), over the time spent in the interval'),
    Kpi("avg_queue_length", 'callers', 'avg queue length', None,
        'time-weighted mean number of callers waiting in the queue(s) during the interval', better='lower'),
    Kpi("busy_agent_seconds", 'agent_seconds', 'agent work', None,
        'agent time busy with calls (talk + ACW, transfers, callback dialling), summed over agents, seconds: the numerator of occupancy'),
    Kpi("transfer_agent_seconds", 'agent_seconds', 'agent time on transfers', 'ivr',
        "agent time spent on misrouted calls before transferring them (the first agent's transfer time), summed over the transferred calls by arrival interval, seconds", better='lower'),
    Kpi("overtime_agent_seconds", 'agent_seconds', 'overtime', None,
        'agent time worked past the end of a shift (finishing a call after staffing dropped or after the day ended), seconds', better='lower'),
    Kpi("agent_cost", 'money', 'agent cost', 'cost',
        "what the agents are paid (the group's paid_cost, written by callsim schedule: paid shift hours, paid breaks "
        "included; else scheduled agent hours x hourly_cost) + overtime_cost, summed over groups", better='lower'),
    Kpi("overtime_cost", 'money', 'overtime cost', 'cost',
        "overtime hours x the group's hourly_cost, summed over groups (included in agent_cost)", better='lower'),
    Kpi("cost_per_call", 'money', 'cost per call', 'cost',
        'agent_cost / answered', better='lower'),
)
KPI: dict[str, Kpi] = {k.key: k for k in KPIS}
DEFINITIONS: dict[str, str] = {k.key: k.definition for k in KPIS}

# The service level's definitions in use, by denominator: the headline `service_level` is the
# first (every call that reached the queue; abandons and balks count as failures), the strictest
# of the common ones. Printed tables and reports name it with `service_level_note`.
SERVICE_LEVELS: tuple[tuple[str, str], ...] = (
    ("service_level", "calls that reached the queue"),
    ("service_level_answered", "answered calls"),
    ("service_level_short_abandons_excluded", "answered + abandoned after {within} s"),
    ("service_level_expected", "expected calls"),
)


def service_level_note(within_s: float) -> str:
    """Which definition the headline service level uses, and the others beside it, in one sentence."""
    within = f"{within_s:g}"
    (_, headline), *others = SERVICE_LEVELS
    rest = "; ".join(f"{key} over {words.format(within=within)}" for key, words in others)
    return (f"SL = service_level = answered within {within} s / {headline}; "
            f"the other definitions (same numerator): {rest}.")


def uses_cost(scenario: Scenario) -> bool:
    return any(g.hourly_cost is not None or g.paid_cost is not None for g in scenario.agents)


def uses_ivr(scenario: Scenario) -> bool:
    return scenario.ivr is not None


def uses_trunks(scenario: Scenario) -> bool:
    return scenario.trunks is not None


def uses_max_wait(scenario: Scenario) -> bool:
    return any(q.max_wait is not None for q in scenario.queues)


def disconnects_at_close(scenario: Scenario) -> bool:
    return any(scenario.disconnects_at_close())


def retrials_as_same_contact(scenario: Scenario) -> bool:
    return scenario.return_calls is not None and scenario.return_calls.retrial == "same_contact"


# feature -> does this scenario use it (a KPI of an unused feature is left out, never 0)
FEATURES = {"cost": uses_cost, "ivr": uses_ivr, "callbacks": uses_callbacks, "return_calls": uses_return_calls,
            "trunks": uses_trunks, "max_wait": uses_max_wait, "on_close": disconnects_at_close,
            "same_contact": retrials_as_same_contact}


def kpi_bounds(name: str) -> tuple[float, float]:
    """The values a KPI can take: every KPI is >= 0; rates and shares are <= 1."""
    return KPI[name].bounds


def kpi_names(scenario: Scenario) -> list[str]:
    """The KPIs this scenario reports: those of features it does not use are left out."""
    used = {feature: uses(scenario) for feature, uses in FEATURES.items()}
    return [k.key for k in KPIS if k.feature is None or used[k.feature]]
