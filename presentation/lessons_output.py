"""The trainers' lessons as hand-outs: each a plot and a short explanation in plain words,
written from the numbers its study (`studies.lessons`) just measured."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from simulator.run import Estimate
from studies.compare import Comparison
from studies.lessons import PoolingStudy, VariabilityStudy
from studies.sweep import Sweep

from .compare_plots import SCENARIO_COLOURS, kpi_bars, new_figure, png_bytes, value_formatter
from .text import format_pm


def _half(point, kpi: str) -> float:
    """Half the width of the plain 95% t interval of a sweep point's day KPI."""
    estimate = Estimate.of(point.run.per_replication[kpi][:, -1])
    return (estimate.ci95[1] - estimate.ci95[0]) / 2 if estimate.ci95 else math.nan


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    files: dict[str, str | bytes]  # file name -> content (a PNG and a text)
    text: str


# --- (a) the cliff ---------------------------------------------------------------------------


def _cliff_figure(s: Sweep):
    figure, body, (left, right) = new_figure(
        (12.0, 5.6), 1, 2, title="The occupancy-wait cliff",
        subtitle=f"{s.scenario.description}\npoints: simulated mean of {s.replications} replications with 95% CI; "
                 "line: Erlang C (steady state)")
    agents = np.array([p.agents for p in s.points], dtype=float)
    asa = [s.estimate(p, "asa") for p in s.points]
    occupancy = np.array([s.estimate(p, "occupancy").mean for p in s.points])
    mean = np.array([e.mean for e in asa])
    err = np.array([[e.mean - e.ci95[0], e.ci95[1] - e.mean] for e in asa]).T
    erlang_asa = np.array([p.erlang["asa"] if math.isfinite(p.erlang["asa"]) else np.nan for p in s.points])
    erlang_occ = np.array([p.erlang["occupancy"] for p in s.points])
    colour = SCENARIO_COLOURS[0]
    for ax, x, x_line in ((left, agents, agents), (right, occupancy, erlang_occ)):
        ax.errorbar(x, mean, yerr=err, fmt="o", color=colour, markersize=6, capsize=3, label="simulated, 95% CI", zorder=3)
        ax.plot(x_line, erlang_asa, color="#D55E00", linewidth=1.8, label="Erlang C", zorder=2)
        ax.axhline(s.scenario.targets.asa, color="#222222", linestyle="--", linewidth=1.1,
                   label=f"ASA target {s.scenario.targets.asa:g} s")
        ax.set_ylabel("ASA: mean wait of answered calls (s)")
        ax.set_ylim(0, max(float(np.nanmax(mean + err[1])), float(np.nanmax(erlang_asa))) * 1.08)
        ax.grid(color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
    left.set_xlabel("agents on shift (every hour)")
    left.set_title("wait against staffing", fontsize=11, loc="left")
    right.set_xlabel("occupancy (busy time / time on shift, %)")
    right.xaxis.set_major_formatter(value_formatter("occupancy"))
    right.set_title("the same points against occupancy (labels: agents)", fontsize=11, loc="left")
    for p, x, y in zip(s.points, occupancy, mean):
        right.annotate(f"{p.agents}", (x, y), xytext=(-4, 6), textcoords="offset points", fontsize=8, ha="right")
    left.legend(loc="upper right", frameon=False, fontsize=9)
    return figure


def _seconds_or_unbounded(value: float) -> str:
    return f"{value:.0f} s" if math.isfinite(value) else "no steady state (the queue grows without bound)"


def cliff(s: Sweep) -> Lesson:
    base = s.scenario
    by_agents = {p.agents: p for p in s.points}
    most, fewest = max(by_agents), min(by_agents)
    middle = min(by_agents, key=lambda n: abs(n - (most + fewest) // 2))
    near = fewest + 1 if fewest + 1 in by_agents else most
    talk_s = base.queues[0].talk_time.mean_s
    calls = base.arrivals.calls[0] * 3600 / base.interval_s
    load = calls * talk_s / 3600

    def asa(n):
        return s.estimate(by_agents[n], "asa").mean

    def occ(n):
        return s.estimate(by_agents[n], "occupancy").mean

    second = max(n for n in by_agents if n < most) if len(by_agents) > 1 else most
    lines = [
        "The occupancy-wait cliff",
        f"Same callers ({calls:.0f} calls an hour, {talk_s / 60:g}-minute calls: {load:.3g} Erlangs of work), nobody hangs up.",
        f"With {most} agents they are busy {occ(most):.0%} of the time and callers wait {asa(most):.1f} s on average (ASA).",
        (f"With {middle} agents: occupancy {occ(middle):.0%}, ASA {asa(middle):.0f} s. " if middle not in (near, most, fewest)
         else "") + f"With {near}: {occ(near):.0%}, {asa(near):.0f} s. With {fewest}: {occ(fewest):.0%}, "
        f"{asa(fewest):.0f} s.",
        f"Going from {near} to {fewest} agents (one person, {1 / near:.0%} of the team) multiplies the wait by "
        f"{asa(fewest) / asa(near):.1f}; going from {most} to {second} adds {asa(second) - asa(most):.1f} s.",
        "Why: calls arrive at random. With slack, a burst is absorbed by idle agents; near 100% occupancy there "
        "is no slack, every burst queues, and the queue takes long to drain. Waits grow like 1/(agents - load), "
        "so the last few agents before the load are worth far more than the first few above it.",
        f"Erlang C draws the same curve ({_seconds_or_unbounded(by_agents[near].erlang['asa'])} at {near} agents, "
        f"{_seconds_or_unbounded(by_agents[fewest].erlang['asa'])} at {fewest}). Near the cliff the wait also becomes "
        f"unpredictable: the 95% CI at {fewest} agents is ±{_half(by_agents[fewest], 'asa'):.0f} s over "
        f"{s.replications} days, against ±{_half(by_agents[most], 'asa'):.1f} s at {most}; one busy hour leaves a "
        "queue that takes the rest of the day to drain.",
        "Lesson: run a team at 75-85% occupancy, not at 95%. The 'efficient' last 10% costs callers minutes.",
    ]
    if fewest <= load:
        lines.insert(-1, f"With {fewest} agents or fewer the work ({load:.3g} Erlangs) exceeds the team: the queue "
                         "grows all day, and the wait measured is set by the length of the day, not by a steady state.")
    text = "\n".join(lines) + "\n"
    return Lesson("cliff", "The occupancy-wait cliff",
                  {"cliff.png": png_bytes(_cliff_figure(s), "The occupancy-wait cliff"), "cliff.txt": text}, text)


# --- (b) pooling ---------------------------------------------------------------------------------


def pooling(study: PoolingStudy) -> Lesson:
    c = study.comparison
    separate, pooled = (run.scenario for run in c.runs)
    title = f"Pooling: two teams of {separate.agents[0].staffing[0]} against one team of {pooled.agents[0].staffing[0]}"
    figure = kpi_bars(c, ["asa", "service_level", "abandon_rate", "occupancy"], size=(12.0, 5.2),
                      title=title,
                      subtitle=f"{separate.description}\nPooled: {pooled.description} Same callers in both, mean of "
                               f"{c.replications} replications, error bars 95% CI")

    def pair(kpi):
        return c.estimate(0, kpi), c.estimate(1, kpi), c.difference(1, kpi)

    asa_a, asa_b, asa_d = pair("asa")
    sl_a, sl_b, sl_d = pair("service_level")
    ab_a, ab_b, ab_d = pair("abandon_rate")
    occ_a, occ_b, occ_d = pair("occupancy")
    load = separate.arrivals.calls[0] * 3600 / separate.interval_s * separate.queues[0].talk_time.mean_s / 3600
    team = pooled.agents[0].staffing[0]
    sep_c, pool_c = study.erlang_separate, study.erlang_pooled
    lines = [
        title,
        f"The same {load:.3g} Erlangs of work and the same {team} agents; the same callers in both designs.",
        f"Separate teams: ASA {format_pm('asa', asa_a.mean, asa_a.ci95)}, service level "
        f"{format_pm('service_level', sl_a.mean, sl_a.ci95)}, abandonment {format_pm('abandon_rate', ab_a.mean, ab_a.ci95)}.",
        f"One shared team: ASA {format_pm('asa', asa_b.mean, asa_b.ci95)}, service level "
        f"{format_pm('service_level', sl_b.mean, sl_b.ci95)}, abandonment {format_pm('abandon_rate', ab_b.mean, ab_b.ci95)}.",
        f"Paired difference (shared - separate): ASA {format_pm('asa', asa_d.mean, asa_d.ci95, True)}"
        f"{' (significant)' if asa_d.significant else ' (not significant)'}, service level "
        f"{format_pm('service_level', sl_d.mean, sl_d.ci95, True)}.",
        (f"Occupancy is about the same ({occ_a.mean:.0%} against {occ_b.mean:.0%}): the agents work as hard; the "
         "shared team simply never leaves a caller waiting while a colleague is free."
         if abs(occ_d.mean) < 0.01 else
         f"Occupancy is {occ_b.mean:.0%} against {occ_a.mean:.0%}: "
         + ("the shared team answers more of the same calls, because fewer callers give up."
            if occ_d.mean > 0 else "the shared team spends less time busy.")),
        "Why: with two teams, one queue often has callers waiting while the other team has someone idle, and "
        "that idle agent cannot help. One shared queue uses every free agent for the next caller. "
        + (f"Erlang C without abandonment says the same: P(wait) {sep_c.p_wait:.0%} with separate teams, "
         f"{pool_c.p_wait:.0%} pooled." if sep_c.stable and pool_c.stable else
         f"Erlang C has no steady state here ({load:.3g} Erlangs on {team} agents: the work exceeds the team); only "
         "callers hanging up keep the queues finite."),
        "Lesson: bigger pools are more efficient (economies of scale). Splitting a team by skill has a price; "
        "cross-training even part of a team recovers much of it.",
    ]
    text = "\n".join(lines) + "\n"
    return Lesson("pooling", "Pooling", {"pooling.png": png_bytes(figure, "Pooling"), "pooling.txt": text}, text)


# --- (c) variability -------------------------------------------------------------------------------


def _variability_figure(c: Comparison, approximations: list[float], high_cv: float = 2.0):
    figure, body, (left, right) = new_figure(
        (12.0, 5.4), 1, 2, title="Same AHT, different spread: variability makes waits",
        subtitle=f"{c.runs[0].scenario.description}\nbars: simulated mean of {c.replications} replications "
                 "(same callers and arrival times in all three), 95% CI; diamonds: Erlang C x (1 + cv²)/2")
    x = np.arange(len(c.labels))
    cvs = ["cv 0\n(fixed)", "cv 1\n(exponential)", f"cv {high_cv:g}\n(lognormal)"]
    for ax, kpi, ylabel in ((left, "asa", "ASA: mean wait of answered calls (s)"),
                            (right, "wait_p90", "90th percentile of waits (s)")):
        for i in range(len(c.labels)):
            e = c.estimate(i, kpi)
            ax.bar(x[i], e.mean, 0.6, color=SCENARIO_COLOURS[i], yerr=[[e.mean - e.ci95[0]], [e.ci95[1] - e.mean]],
                   error_kw={"capsize": 4, "elinewidth": 1.2}, label=None)
            ax.annotate(f"{e.mean:.0f} s", (x[i], e.ci95[1]), xytext=(0, 3), textcoords="offset points",
                        ha="center", fontsize=9)
        ax.set_xticks(x, cvs)
        ax.set_xlabel("talk-time spread (coefficient of variation); mean 5 minutes in all")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
    left.scatter(x, approximations, marker="D", color="#222222", zorder=4, label="Erlang C x (1 + cv²)/2")
    left.legend(loc="upper left", frameon=False, fontsize=9)
    left.set_title("average wait", fontsize=11, loc="left")
    right.set_title("long waits (90th percentile)", fontsize=11, loc="left")
    return figure


def _lognormal_facts(mean_s: float, cv: float) -> tuple[float, float, float]:
    """(median, 99th percentile, share of all talk time in the longest 10% of calls) of a
    lognormal talk time of mean `mean_s` and coefficient of variation `cv`."""
    sigma = math.sqrt(math.log1p(cv * cv))
    mu = math.log(mean_s) - sigma * sigma / 2

    def normal_cdf(x):
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    z90, z99 = 1.2815515655446004, 2.3263478740408408
    return math.exp(mu), math.exp(mu + z99 * sigma), 1 - normal_cdf(z90 - sigma)


def allen_cunneen_gap(study: VariabilityStudy) -> list[str]:
    """Why the two-moment approximation and the simulation differ for the high-cv team, in
    words and from the numbers: a sentence a trainer can read out when a student asks."""
    c = study.comparison
    scenario = c.runs[-1].scenario
    talk = scenario.queues[0].talk_time
    agents = scenario.agents[0].staffing[0]
    cv = study.cvs[-1]
    approx = study.approximations_s[-1]
    simulated = c.estimate(len(c.labels) - 1, "asa")
    exponential = c.estimate(1, "asa")
    low, high = simulated.ci95 if simulated.ci95 else (simulated.mean, simulated.mean)
    median, p99, top_share = _lognormal_facts(talk.mean_s, cv) if cv > 0 else (talk.mean_s, talk.mean_s, 0.1)
    if low <= approx <= high:
        return [f"Here the approximation ({approx:.0f} s) falls inside the simulated 95% CI ({low:.0f} to {high:.0f} s) "
                f"for cv {cv:g}: two moments are enough for this team."]
    direction = "above" if approx > high else "below"
    lines = [
        f"The gap: for cv {cv:g} the approximation says {approx:.0f} s, the simulation "
        f"{format_pm('asa', simulated.mean, simulated.ci95)}: the approximation is {direction} the whole 95% CI.",
        f"With exponential talk (cv 1) the same days give {format_pm('asa', exponential.mean, exponential.ci95)} "
        f"against Erlang C's exact {study.erlang_asa_s:.0f} s, "
        + ("so the simulated day (empty each morning, eight hours long) is not what makes the gap."
           if exponential.ci95 and exponential.ci95[0] <= study.erlang_asa_s <= exponential.ci95[1] else
           f"so the simulated day (empty each morning, eight hours long) differs from the steady state by "
           f"{exponential.mean - study.erlang_asa_s:+.0f} s even there; that explains only part of the gap."),
        f"The reason is the shape: (1 + cv²)/2 is exact for one agent (the Pollaczek-Khinchine formula) but with "
        f"{agents} agents the wait depends on more than the mean and the cv of talk times (Gupta, Harchol-Balter, "
        "Dai and Zwart, Queueing Systems 2010, show that two moments cannot pin it down). This lognormal puts its "
        f"spread in rare, very long calls: half the calls are shorter than {median:.0f} s, 1 in 100 is longer than "
        f"{p99 / 60:.0f} minutes, and the longest 10% carry {top_share:.0%} of all talk time. Such a call holds one "
        f"agent while the other {agents - 1} keep answering, and most callers meet a team of short calls; the "
        "approximation charges every caller for a variance that only a few long calls carry.",
        "Over one day the rarest, longest calls that make the cv also seldom all show up, so the day's wait "
        f"varies a lot from day to day (the CI of ±{(high - low) / 2:.0f} s over {c.replications} days). Treat "
        "(1 + cv²)/2 as a warning that spread costs waits, and simulate for the number.",
    ]
    return lines


def variability(study: VariabilityStudy) -> Lesson:
    c = study.comparison
    exact = study.erlang_asa_s
    approximations = list(study.approximations_s)
    asa = [c.estimate(i, "asa") for i in range(3)]
    aht = [c.estimate(i, "aht").mean for i in range(3)]
    d2 = c.difference(2, "asa")
    scenario = c.runs[0].scenario
    agents = scenario.agents[0].staffing[0]
    talk_s = scenario.queues[0].talk_time.mean_s
    load = scenario.arrivals.calls[0] * 3600 / scenario.interval_s * talk_s / 3600
    cv = study.cvs[-1]
    lines = [
        "Same AHT, different spread: variability makes waits",
        f"Three teams of {agents} answer the same callers ({load:.3g} Erlangs); the mean talk time is "
        f"{talk_s / 60:g} minutes in all three "
        f"(measured AHT {aht[0]:.0f}, {aht[1]:.0f} and {aht[2]:.0f} s); only the spread of talk times differs.",
        f"ASA with every call exactly {talk_s / 60:g} minutes: {format_pm('asa', asa[0].mean, asa[0].ci95)}; exponential "
        f"(cv 1): {format_pm('asa', asa[1].mean, asa[1].ci95)}; lognormal with cv {cv:g}: "
        f"{format_pm('asa', asa[2].mean, asa[2].ci95)}.",
        f"With the same AHT and the same staff, the cv-{cv:g} team makes callers wait {d2.mean:.0f} s longer on average "
        f"than the fixed-time team (paired 95% CI {d2.ci95[0]:.0f} to {d2.ci95[1]:.0f} s, "
        f"{'significant' if d2.significant else 'not significant'}).",
        f"Why: a few very long calls tie up agents while callers pile up behind them; the Allen-Cunneen "
        f"approximation scales the exponential (Erlang C, {exact:.0f} s) wait by (1 + cv²)/2: about "
        f"{approximations[0]:.0f}, {approximations[1]:.0f} and {approximations[2]:.0f} s.",
        *allen_cunneen_gap(study),
        "Lesson: AHT alone does not size a team. Reducing the spread of handle times (scripts, knowledge base, "
        "routing complex calls to specialists, moving work out of ACW) cuts waits even when the average stays put.",
    ]
    text = "\n".join(lines) + "\n"
    figure = _variability_figure(c, approximations, cv)
    return Lesson("variability", "Variability", {"variability.png": png_bytes(figure, "Variability"),
                                                 "variability.txt": text}, text)


RENDERERS: dict[str, Callable[..., Lesson]] = {"cliff": cliff, "pooling": pooling, "variability": variability}
