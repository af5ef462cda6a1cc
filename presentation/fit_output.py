"""What `callsim fit` writes: the fitted scenario YAML with a comment per fitted value, the
fit's printed summary, fit.json, the PNGs (arrivals, Q-Q plots, Kaplan-Meier beside the fitted
patience) and the report page.

The YAML body is `simulator.loading.dump_scenario_yaml` of the fitted scenario (so it loads
back to exactly that scenario); comments go on lines of their own above the key they explain
(a comment inside a wrapped flow list would not be valid YAML), found by composing the dumped
text node by node.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import yaml

from simulator.loading import dump_scenario_yaml
from simulator.numbers import finite_or_none
from studies.fit import FitResult, QueueFit
from studies.fit_mle import PLAUSIBLE_DELTA_AIC, POOR_FIT_KS, DurationFit

from .figures import new_figure as _figure
from .figures import png_bytes as _png
from .report import _e, _page, _plots, _section

COLOURS = {"fit": "#0072B2", "km": "#222222", "naive": "#D55E00", "exp": "#009E73", "days": "#bbbbbb"}
STAFFING_MARKER = "TODO staffing"


def _ci(estimate: float, se: float, digits: str = ".1f") -> str:
    if not math.isfinite(se):
        return f"{estimate:{digits}}"
    return f"{estimate:{digits}} (95% CI {estimate - 1.96 * se:{digits}} to {estimate + 1.96 * se:{digits}})"


def duration_comment(fit: DurationFit, what: str) -> list[str]:
    best = fit.best
    censored = f", {len(fit.censored_s):,} censored (answered callers' waits)" if len(fit.censored_s) else ""
    others = ", ".join(f"{c.family} +{c.aic - best.aic:.1f}" for c in fit.candidates[1:])
    lines = [f"{what}: {best.family} by AIC of {len(fit.candidates)} (n = {len(fit.observed_s):,} observed{censored}); "
             f"mean {_ci(best.mean_s, best.mean_se_s)} s, "
             + ("cv 1 (exponential)" if best.family == "exponential" else f"cv {_ci(best.cv, best.cv_se, '.3f')}"),
             f"  KS distance {best.ks_distance:.3f}"
             + (f" (POOR FIT: above {POOR_FIT_KS} and the 1% critical value; check the plots)" if fit.poor else "")
             + (f"; AIC of the others: {others}" if others else "")]
    return lines


def _queue_comments(q: QueueFit, i: int, comments: dict) -> None:
    comments[("queues", i, "talk_time")] = duration_comment(q.talk, "talk time")
    if q.acw is not None:
        comments[("queues", i, "acw")] = duration_comment(q.acw, "ACW")
    else:
        comments[("queues", i, "acw")] = [f"ACW: fixed at the mean of the log's ACW, {q.acw_fixed_s:g} s (the same "
                                          "for every call, or too few calls with ACW to fit a distribution)"]
    if q.patience is not None:
        lines = duration_comment(q.patience, "patience (censored maximum likelihood)")
        lines.append(f"  {q.abandoned:,} abandoned; the naive mean of their waits, {q.naive_patience_s:.1f} s, "
                     "would understate patience")
        comments[("queues", i, "patience")] = lines
    if q.balked:
        n = q.balked + q.waited
        p = q.balk_probability
        se = math.sqrt(p * (1 - p) / n)
        comments[("queues", i, "balk_probability")] = [
            f"balking: {q.balked:,} of {n:,} callers who would have waited hung up at once: {_ci(p, se, '.4f')}"]


def _comments(fit: FitResult) -> dict[tuple, list[str]]:
    a = fit.arrivals
    labels = fit.scenario.interval_labels()
    means, ses = a.calls_mean, a.calls_se
    cells = [f"{label} {_ci(m, s)}" for label, m, s in zip(labels, means, ses)]
    calls = [f"arrivals.calls: mean calls per interval over {len(a.days)} day(s), with the 95% CI of the mean:"]
    calls += ["  " + "; ".join(cells[k:k + 3]) for k in range(0, len(cells), 3)]
    comments = {("arrivals", "calls"): calls}
    totals = a.counts.sum(axis=1)
    comments[("arrivals", "busyness_cv")] = [
        f"busyness_cv: method of moments on {len(totals)} daily totals (mean {totals.mean():.1f}, sd "
        f"{totals.std(ddof=1) if len(totals) > 1 else 0:.1f}): cv^2 = (variance - mean) / mean^2"]
    if len(a.per_queue) > 1:
        comments[("arrivals", "queue_shares")] = ["queue_shares: each queue's share of the calls over all days"]
    for i, q in enumerate(fit.queues):
        _queue_comments(q, i, comments)
    if fit.calibration is not None:
        c = fit.calibration
        comments[("queues", 0, "patience")] = [
            f"patience: exponential, calibrated by simulation ({c.replications} replications per step, "
            f"{len(c.steps)} bisection steps) so the simulated abandonment {c.simulated_abandon_rate:.2%} matches the "
            f"report's {c.target_abandon_rate:.2%}; Little's-law start {c.little_estimate_s:.1f} s",
            f"  simulated ASA {c.simulated_asa_s:.1f} s (report {c.reported_asa_s:.1f} s); "
            + (f"abandonment changes {c.sensitivity_per_doubling:+.2%} per doubling of patience: the smaller, the "
               "less the report pins patience down" if math.isfinite(c.sensitivity_per_doubling) else "")]
    elif fit.kind == "interval report" and fit.scenario.queues[0].patience is not None:
        comments[("queues", 0, "patience")] = [
            "patience: exponential, Little's law: (answered + abandoned) x ASA / abandoned (abandoners' waits taken "
            "as ASA); not calibrated (no staffing in the report)"]
    if fit.report_aht_s is not None:
        talk = fit.scenario.queues[0].talk_time
        spread = f"lognormal with cv {talk.cv:g} (--aht-cv)" if talk.dist == "lognormal" else "exponential (cv 1)"
        comments[("queues", 0, "talk_time")] = [
            f"talk time: {spread}, mean the report's AHT {fit.report_aht_s:.1f} s (answered-weighted; ACW included)"]
    for i, queue in enumerate(fit.scenario.queues):  # an interval report with several queues
        if fit.report_aht_by_queue_s and queue.name in fit.report_aht_by_queue_s:
            talk = queue.talk_time
            spread = f"lognormal with cv {talk.cv:g} (--aht-cv)" if talk.dist == "lognormal" else "exponential (cv 1)"
            comments[("queues", i, "talk_time")] = [
                f"talk time: {spread}, mean the report's AHT for {queue.name} "
                f"{fit.report_aht_by_queue_s[queue.name]:.1f} s (answered-weighted; ACW included)"]
        if fit.calibrations and queue.name in fit.calibrations:
            c = fit.calibrations[queue.name]
            comments[("queues", i, "patience")] = [
                f"patience: exponential, calibrated by simulation ({c.replications} replications per step, "
                f"{len(c.steps)} bisection steps) so this queue's simulated abandonment {c.simulated_abandon_rate:.2%} "
                f"matches the report's {c.target_abandon_rate:.2%}; Little's-law start {c.little_estimate_s:.1f} s",
                f"  simulated ASA {c.simulated_asa_s:.1f} s (report {c.reported_asa_s:.1f} s)"]
        elif fit.report_aht_by_queue_s and queue.patience is not None and fit.calibrations is None:
            comments[("queues", i, "patience")] = [
                "patience: exponential, Little's law: (answered + abandoned) x ASA / abandoned (abandoners' waits "
                "taken as ASA); not calibrated (no staffing in the report)"]
    for j, group in enumerate(fit.scenario.agents):
        if fit.staffing is None:
            comments[("agents", j, "staffing")] = [
                f"{STAFFING_MARKER}: not in the data; replace these zeros with the agents on shift per interval",
                "  (or run: callsim plan on this file to size them)"]
        elif fit.kind == "call log":
            comments[("agents", j, "staffing")] = [
                "staffing: per interval, the most agents seen answering a call on one day (a lower bound: an agent "
                "who took no call is not seen)"]
        else:
            comments[("agents", j, "staffing")] = ["staffing: mean staffed agents per interval in the report"]
    return comments


def _key_lines(text: str) -> dict[tuple, tuple[int, int]]:
    """key path -> (0-based line, column) of the key in the dumped YAML."""
    found = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                found[path + (key.value,)] = (key.start_mark.line, key.start_mark.column)
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return found


def fitted_yaml(fit: FitResult) -> str:
    """The fitted scenario as YAML, with a comment above every fitted value."""
    body = dump_scenario_yaml(fit.scenario)
    lines = body.splitlines()
    where = _key_lines(body)
    above: dict[int, list[str]] = {}
    for path, comment in _comments(fit).items():
        if path not in where:
            continue
        line, column = where[path]
        # a key that opens a list item ('- name: x') is indented by its column; others likewise
        above.setdefault(line, []).extend(" " * column + "# " + c for c in comment)
    out = [f"# Fitted by callsim fit from {fit.source} ({fit.kind}); every fitted value has a comment: what it",
           "# was fitted from (n), the estimate and its 95% confidence interval. Check the warnings before use."]
    out += [f"# WARNING: {w}" for w in fit.warnings]
    for number, text in enumerate(lines):
        out.extend(above.get(number, []))
        out.append(text)
    return "\n".join(out) + "\n"


# --- printed summary and fit.json ---------------------------------------------------------


def _duration_line(name: str, fit: DurationFit | None) -> str:
    if fit is None:
        return f"  {name:<10} -"
    b = fit.best
    flag = "  POOR FIT" if fit.poor else ""
    flag += "  FAMILY UNCERTAIN" if fit.uncertain_choice else ""
    line = (f"  {name:<10} {b.family:<11} mean {b.mean_s:8.1f} s +- {1.96 * b.mean_se_s:6.1f}  cv {b.cv:6.3f} "
            f"+- {1.96 * b.cv_se:5.3f}  KS {b.ks_distance:.3f}  n {fit.n:,}{flag}")
    low, high = fit.plausible_means_s
    if high - low > b.mean_se_s:  # the data hardly prefer the chosen family, whose rivals move the mean
        line += f"\n  {'':<10} (about as plausible, AIC within {PLAUSIBLE_DELTA_AIC:g}: " + ", ".join(
            f"{c.family} mean {c.mean_s:.1f} s, AIC +{c.aic - b.aic:.2f}" for c in fit.plausible[1:]) + ")"
    return line


def format_fit(fit: FitResult) -> str:
    a = fit.arrivals
    lines = [f"{fit.source}: {fit.kind}, {len(a.days)} day(s) from {a.days[0]} to {a.days[-1]}, "
             f"{a.counts.shape[1]} x {a.interval_minutes}-minute intervals from {a.start}",
             f"  calls per day {a.counts.sum(axis=1).mean():,.1f} (mean); busyness_cv {a.busyness_cv:.3f} "
             "(method of moments)"]
    for q in fit.queues:
        lines.append(f"queue {q.name}: {q.calls:,} calls, {q.handled:,} handled, {q.abandoned:,} abandoned, "
                     f"{q.balked:,} balked")
        lines.append(_duration_line("talk", q.talk))
        lines.append(_duration_line("ACW", q.acw) if q.acw else f"  {'ACW':<10} fixed {q.acw_fixed_s:g} s")
        lines.append(_duration_line("patience", q.patience))
        if q.patience is not None:
            lines.append(f"  {'':<10} (naive mean of abandoners' waits: {q.naive_patience_s:.1f} s)")
    if fit.calibration is not None:
        c = fit.calibration
        lines.append(f"patience calibrated by simulation: mean {c.patience_mean_s:.1f} s gives abandonment "
                     f"{c.simulated_abandon_rate:.2%} (report {c.target_abandon_rate:.2%}; Little's law start "
                     f"{c.little_estimate_s:.1f} s); simulated ASA {c.simulated_asa_s:.1f} s (report "
                     f"{c.reported_asa_s:.1f} s)")
    for name, c in (fit.calibrations or {}).items():
        lines.append(f"queue {name}: AHT {fit.report_aht_by_queue_s[name]:.1f} s; patience calibrated by simulation: "
                     f"mean {c.patience_mean_s:.1f} s gives abandonment {c.simulated_abandon_rate:.2%} (report "
                     f"{c.target_abandon_rate:.2%}; Little's law start {c.little_estimate_s:.1f} s); simulated ASA "
                     f"{c.simulated_asa_s:.1f} s (report {c.reported_asa_s:.1f} s)")
    lines += [f"warning: {w}" for w in fit.warnings]
    return "\n".join(lines)


def _duration_doc(fit: DurationFit | None):
    if fit is None:
        return None
    return {"n_observed": len(fit.observed_s), "n_censored": len(fit.censored_s), "poor_fit": fit.poor,
            "family_uncertain": fit.uncertain_choice, "plausible_families": [c.family for c in fit.plausible],
            "plausible_mean_range_s": list(fit.plausible_means_s),
            "candidates": [{"family": c.family, "params": c.params, "aic": c.aic, "log_likelihood": c.log_likelihood,
                            "mean_s": c.mean_s, "mean_se_s": c.mean_se_s, "cv": c.cv, "cv_se": c.cv_se,
                            "ks_distance": c.ks_distance} for c in fit.candidates]}


def fit_document(fit: FitResult, versions: dict) -> str:
    a = fit.arrivals
    document = {
        "source": fit.source, "kind": fit.kind, "days": list(a.days), "start": a.start,
        "interval_minutes": a.interval_minutes, "calls_mean": a.calls_mean.tolist(),
        "calls_se": [None if not math.isfinite(v) else v for v in a.calls_se.tolist()],
        "calls_mean_by_queue": {q: c.mean(axis=0).tolist() for q, c in a.per_queue.items()},
        "busyness_cv": a.busyness_cv, "warnings": list(fit.warnings), "versions": versions,
        "queues": [{"name": q.name, "calls": q.calls, "handled": q.handled, "abandoned": q.abandoned,
                    "balked": q.balked, "balk_probability": q.balk_probability,
                    "naive_patience_s": None if not math.isfinite(q.naive_patience_s) else q.naive_patience_s,
                    "talk_time": _duration_doc(q.talk), "acw": _duration_doc(q.acw),
                    "patience": _duration_doc(q.patience)} for q in fit.queues],
        "calibration": None if fit.calibration is None else _calibration_doc(fit.calibration),
        "calibration_by_queue": None if fit.calibrations is None else {
            q: _calibration_doc(c) for q, c in fit.calibrations.items()},
        "report_aht_by_queue_s": fit.report_aht_by_queue_s,
        "scenario": fit.scenario.model_dump(mode="json"),
    }
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _calibration_doc(c) -> dict:
    """A patience calibration as JSON: a simulated measure with no calls behind it (no call
    answered at some step) is null, not NaN."""
    return {"target_abandon_rate": c.target_abandon_rate, "little_estimate_s": c.little_estimate_s,
            "patience_mean_s": c.patience_mean_s, "simulated_abandon_rate": finite_or_none(c.simulated_abandon_rate),
            "steps": [[finite_or_none(v) for v in step] for step in c.steps], "replications": c.replications,
            "simulated_asa_s": finite_or_none(c.simulated_asa_s), "reported_asa_s": finite_or_none(c.reported_asa_s)}


# --- plots ---------------------------------------------------------------------------------


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "queue"


def arrivals_png(fit: FitResult) -> bytes:
    a = fit.arrivals
    labels = fit.scenario.interval_labels()
    x = np.arange(len(labels))
    figure, (ax,) = _figure(10, 4)
    for day in a.counts:
        ax.plot(x, day, color=COLOURS["days"], lw=0.8, alpha=0.7)
    se = np.nan_to_num(a.calls_se)
    ax.errorbar(x, a.calls_mean, yerr=1.96 * se, color=COLOURS["fit"], lw=2, capsize=3,
                label=f"mean over {len(a.days)} day(s), 95% CI (arrivals.calls)")
    ax.plot([], [], color=COLOURS["days"], label="each day")
    step = max(1, math.ceil(len(labels) / 14))
    ax.set_xticks(x[::step], labels[::step])
    ax.set_xlabel("interval start")
    ax.set_ylabel(f"calls per {a.interval_minutes} min")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Arrivals per interval (busyness_cv {a.busyness_cv:.3f}, method of moments)")
    ax.legend(loc="best", fontsize=9)
    return _png(figure, "arrivals")


def _qq(ax, fit: DurationFit, title: str) -> None:
    values = np.sort(fit.observed_s)
    n = len(values)
    points = min(n, 400)
    probabilities = (np.arange(points) + 0.5) / points
    empirical = np.quantile(values, probabilities)
    fitted = fit.best.ppf(probabilities)
    top = max(empirical.max(), fitted.max())
    ax.plot([0, top], [0, top], color="#888888", lw=1, ls="--", label="y = x (perfect fit)")
    ax.plot(fitted, empirical, "o", ms=3, color=COLOURS["fit"], label=f"{fit.best.family} fit")
    ax.set_xlabel(f"fitted {fit.best.family} quantile, s")
    ax.set_ylabel("observed quantile, s")
    ax.set_title(f"{title}: Q-Q (KS {fit.best.ks_distance:.3f}, n {n:,})", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)


def durations_png(q: QueueFit) -> bytes:
    panels = [(q.talk, "talk time")] + ([(q.acw, "ACW")] if q.acw is not None else [])
    figure, axes = _figure(5 * len(panels), 4.4, len(panels))
    for ax, (fit, title) in zip(axes, panels):
        _qq(ax, fit, f"{q.name}: {title}")
    return _png(figure, f"durations {q.name}")


def patience_png(q: QueueFit) -> bytes:
    from studies.fit_mle import kaplan_meier

    fit = q.patience
    km = kaplan_meier(fit.observed_s, fit.censored_s)
    band = km.confidence_interval(0.95)
    times = km.quantiles
    horizon = float(np.quantile(np.concatenate([fit.observed_s, fit.censored_s]), 0.995))
    grid = np.linspace(0, max(horizon, 1.0), 300)
    figure, axes = _figure(11, 4.4, 2)
    for ax, log_y in zip(axes, (False, True)):
        ax.step(np.concatenate([[0], times]), np.concatenate([[1], km.probabilities]), where="post",
                color=COLOURS["km"], lw=1.5, label="Kaplan-Meier (answered callers censored)")
        ax.fill_between(times, np.nan_to_num(band.low.probabilities, nan=0), np.nan_to_num(band.high.probabilities,
                        nan=1), step="post", color=COLOURS["km"], alpha=0.15, label="Kaplan-Meier 95% CI")
        ax.plot(grid, fit.best.sf(grid), color=COLOURS["fit"], lw=2,
                label=f"fitted {fit.best.family} (censored MLE), mean {fit.best.mean_s:.0f} s")
        if math.isfinite(q.naive_patience_s) and q.naive_patience_s > 0:
            ax.plot(grid, np.exp(-grid / q.naive_patience_s), color=COLOURS["naive"], lw=1.5, ls="--",
                    label=f"naive: exponential, mean of abandoners' waits {q.naive_patience_s:.0f} s")
        ax.set_xlim(0, grid[-1])
        ax.set_xlabel("time waiting, s")
        ax.set_ylabel("P(patience > t)")
        if log_y:
            ax.set_yscale("log")
            ax.set_ylim(max(0.01, float(km.probabilities.min()) / 2), 1.05)
            ax.set_title("the same, log scale", fontsize=10)
        else:
            ax.set_ylim(0, 1.02)
            ax.set_title(f"{q.name}: patience, {q.abandoned:,} abandoned, {len(fit.censored_s):,} censored",
                         fontsize=10)
            ax.legend(loc="upper right", fontsize=8)
    return _png(figure, f"patience {q.name}")


def fit_plots(fit: FitResult) -> dict[str, bytes]:
    images = {"fit_arrivals.png": arrivals_png(fit)}
    for q in fit.queues:
        images[f"fit_durations_{slug(q.name)}.png"] = durations_png(q)
        if q.patience is not None:
            images[f"fit_patience_{slug(q.name)}.png"] = patience_png(q)
    return images


# --- the report page -----------------------------------------------------------------------


def _fits_table(fit: FitResult) -> str:
    rows = []
    for q in fit.queues:
        for what, d in (("talk time", q.talk), ("ACW", q.acw), ("patience", q.patience)):
            if d is None:
                continue
            for rank, c in enumerate(d.candidates):
                chosen = "chosen" if rank == 0 else f"AIC +{c.aic - d.best.aic:.1f}"
                css = ' class="chosen"' if rank == 0 else ""
                rows.append(
                    f"<tr{css}><td>{_e(q.name)}</td><td>{_e(what)}</td>"
                    f"<td>{_e(c.family)}</td><td>{_e(chosen)}</td><td>{c.mean_s:.1f} &plusmn; {1.96 * c.mean_se_s:.1f}"
                    f"</td><td>{c.cv:.3f} &plusmn; {1.96 * c.cv_se:.3f}</td><td>{c.ks_distance:.3f}"
                    f"{' (poor)' if rank == 0 and d.poor else ''}</td><td>{len(d.observed_s):,}</td>"
                    f"<td>{len(d.censored_s):,}</td></tr>")
    head = ("<tr><th>queue</th><th>time</th><th>family</th><th>AIC</th><th>mean, s (95% CI)</th><th>cv (95% CI)</th>"
            "<th>KS distance</th><th>observed</th><th>censored</th></tr>")
    naive = "".join(f"<li>{_e(q.name)}: censored MLE mean {q.patience.best.mean_s:.1f} s; naive mean of abandoners' "
                    f"waits {q.naive_patience_s:.1f} s</li>" for q in fit.queues if q.patience is not None)
    return (f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>Patience, censored against naive:</p><ul>{naive}</ul>" if naive else ""))


CAPTIONS = {
    "fit_arrivals.png": ("Arrivals", "Calls per interval on each day (grey) and their mean with its 95% CI: "
                         "the fitted arrivals.calls."),
}


def render_fit_report(fit: FitResult, images: dict[str, bytes], versions: dict) -> str:
    a = fit.arrivals
    facts = (f"<p>{_e(fit.kind)} <code>{_e(fit.source)}</code>: {len(a.days)} day(s) from {_e(a.days[0])} to "
             f"{_e(a.days[-1])}, {a.counts.shape[1]} intervals of {a.interval_minutes} min from {_e(a.start)}; "
             f"{a.counts.sum(axis=1).mean():,.1f} calls per day; busyness_cv {a.busyness_cv:.3f} (method of "
             "moments on the daily totals).</p><pre>" + _e(format_fit(fit)) + "</pre>")
    captions = dict(CAPTIONS)
    for q in fit.queues:
        captions[f"fit_durations_{slug(q.name)}.png"] = (
            f"{q.name}: talk time and ACW", "Observed quantiles against the fitted family's: on the line is a good fit.")
        captions[f"fit_patience_{slug(q.name)}.png"] = (
            f"{q.name}: patience", "Kaplan-Meier survival of patience (answered callers censored at their wait) beside "
            "the fitted survival function, and the naive fit from abandoners' waits alone.")
    sections = (_section("summary", "", facts)
                + (_section("fits", "Fitted distributions", _fits_table(fit)) if fit.queues else "")
                + _section("plots", "Plots", _plots(images, captions, "fit")))
    return _page(f"Fit: {fit.source}", [("fits", "Fits"), ("plots", "Plots")], sections, "fit.json", versions,
                 list(fit.warnings))
