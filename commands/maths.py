"""`callsim erlang`: one interval sized (or evaluated) by the Erlang maths. Light: it loads
neither SimPy nor scipy.stats nor matplotlib."""
from __future__ import annotations

import click

from .options import FiniteFloat, InputError


@click.command()
@click.option("--calls", type=FiniteFloat(min=0), required=True, help="calls offered in the interval")
@click.option("--interval-minutes", type=FiniteFloat(min=0, min_open=True), default=30.0,
              show_default=True, help="interval length in minutes")
@click.option("--aht", type=FiniteFloat(min=0, min_open=True), required=True,
              help="mean handle time in seconds")
@click.option("--agents", type=click.IntRange(min=0), default=None,
              help="evaluate this many agents instead of sizing (reverse calculation)")
# at most a week, a scenario's limit (simulator.schema_base.MAX_DURATION_S, not imported: --help stays light)
@click.option("--patience", type=FiniteFloat(min=0, min_open=True, max=7 * 86_400.0), default=None,
              help="mean caller patience in seconds, at most a week: use Erlang A (abandonment) instead of Erlang C")
@click.option("--sl", type=FiniteFloat(0, 1), default=None,
              help="service level target, fraction answered within --sl-seconds (default 0.8 if no target is given)")
@click.option("--sl-seconds", type=FiniteFloat(min=0), default=20.0, show_default=True,
              help="answer time threshold of the service level, seconds")
@click.option("--asa", type=FiniteFloat(min=0), default=None, help="ASA target in seconds (mean wait of answered calls)")
@click.option("--max-abandon", type=FiniteFloat(0, 1), default=None,
              help="maximum fraction of callers abandoning (needs --patience)")
@click.option("--occupancy", type=(FiniteFloat(0, 1), FiniteFloat(0, 1)), default=(0.75, 0.85),
              show_default=True, metavar="LOW HIGH", help="occupancy band; 0 1 disables it")
@click.option("--shrinkage", type=FiniteFloat(0, 1, max_open=True), default=0.0, show_default=True,
              help="fraction of paid time off the phones (breaks, training, ...)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def erlang(calls, interval_minutes, aht, agents, patience, sl, sl_seconds, asa, max_abandon, occupancy,
           shrinkage, as_json):
    """Size one interval with Erlang C (or Erlang A with --patience), or evaluate --agents."""
    from planner.staffing import StaffingError, StaffingTargets, evaluate_agents, required_agents
    from presentation.erlang_output import erlang_json, format_erlang

    if max_abandon is not None and patience is None:
        raise InputError("--max-abandon needs --patience: Erlang C has no abandonment")
    if sl is None and asa is None and max_abandon is None:
        sl = 0.8
    model = "erlang_a" if patience is not None else "erlang_c"
    arrival_rate_per_s = calls / (interval_minutes * 60.0)
    try:
        targets = StaffingTargets(service_level_target=sl, answer_time_threshold_s=sl_seconds, asa_target_s=asa,
                                  max_abandon_rate=max_abandon, occupancy_band=tuple(occupancy))
        result = (required_agents(arrival_rate_per_s, aht, targets, model, patience, shrinkage) if agents is None
                  else evaluate_agents(agents, arrival_rate_per_s, aht, targets, model, patience, shrinkage))
    except StaffingError as exc:  # targets the maths cannot size: the user's to change
        raise InputError(str(exc)) from None
    click.echo(erlang_json(result) if as_json else format_erlang(
        result, calls=calls, interval_minutes=interval_minutes, aht_s=aht, patience_s=patience, sl=sl,
        sl_seconds=sl_seconds, asa_s=asa, max_abandon=max_abandon, occupancy=occupancy, shrinkage=shrinkage,
        given=agents is not None))
