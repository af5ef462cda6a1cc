"""Every distribution of the registry (`simulator.distributions.DISTRIBUTIONS`), checked the
same way: its stated mean and CV against the numbers its own inverse CDF gives, `scaled()`
multiplying every time (so each class names all its time fields), and the loader's message
naming every distribution.

The moments are computed by quadrature of `ppf` over a midpoint grid of 400,000 uniforms (the
mean of a distribution is the integral of its quantile function over (0, 1)); the grid's error
for these shapes is below 1e-3 relative, so the tolerance 5e-3 can fail only on a wrong formula
(the negative control shows a 1% error is caught)."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.distributions import DIST_NAMES, DISTRIBUTIONS, LogNormal
from simulator.errors import UserError
from simulator.loading import scenario_from_dict
from simulator.schema_base import revised

# one example per distribution, in the registry's order; a new class fails the first test until
# it has one here
EXAMPLES = {
    "exponential": [{"mean": 180.0}],
    "fixed": [{"mean": 45.0}],
    "lognormal": [{"mean": 240.0, "cv": 0.8}],
    "gamma": [{"mean": 300.0, "cv": 1.4}],
    "weibull": [{"shape": 0.7, "scale": 636.0}, {"shape": 2.0, "mean": 120.0}],
    "uniform": [{"low": 30.0, "high": 90.0}],
    "empirical": [{"values": [10.0, 20.0, 20.0, 75.0, 0.0]}],
}
U = (np.arange(400_000) + 0.5) / 400_000


def _cases():
    for cls, name in zip(DISTRIBUTIONS, DIST_NAMES):
        for params in EXAMPLES.get(name, []):
            yield pytest.param(cls.model_validate({"dist": name, **params}), id=f"{name}-{'-'.join(params)}")


def test_every_registered_distribution_has_an_example_and_a_unique_name():
    assert list(EXAMPLES) == list(DIST_NAMES)
    assert len(set(DIST_NAMES)) == len(DISTRIBUTIONS)


def moment_errors(dist, mean_s: float, cv: float) -> list[str]:
    """What disagrees between (mean_s, cv) and the moments of dist.ppf."""
    x = dist.ppf(U)
    found = []
    if not np.isclose(x.mean(), mean_s, rtol=5e-3):
        found.append(f"mean {mean_s} vs quadrature {x.mean()}")
    if not np.isclose(x.std() / x.mean(), cv, rtol=5e-3, atol=1e-9):
        found.append(f"cv {cv} vs quadrature {x.std() / x.mean()}")
    return found


@pytest.mark.parametrize("dist", _cases())
def test_mean_and_cv_are_those_of_the_inverse_cdf(dist):
    assert moment_errors(dist, dist.mean_s, dist.cv) == []
    x = dist.ppf(U)
    assert np.all(np.diff(x) >= 0) and np.all(x >= 0)  # a quantile function of a time


def test_the_moment_check_catches_a_mean_one_percent_off():
    """Control: the tolerance is tight enough to see a wrong formula."""
    (dist,) = [d.values[0] for d in _cases() if d.id.startswith("lognormal")]
    assert moment_errors(dist, dist.mean_s * 1.01, dist.cv)


def scaling_errors(dist, scaled, factor: float) -> list[str]:
    """A scaled distribution is the same shape with every time times factor."""
    found = []
    if type(scaled) is not type(dist):
        found.append(f"{type(scaled).__name__} is not a {type(dist).__name__}")
    elif not np.allclose(scaled.ppf(U), factor * dist.ppf(U), rtol=1e-12):
        found.append("the quantiles are not all times the factor")
    elif not (np.isclose(scaled.mean_s, factor * dist.mean_s, rtol=1e-12) and np.isclose(scaled.cv, dist.cv)):
        found.append("mean or cv wrong")
    return found


@pytest.mark.parametrize("dist", _cases())
def test_scaled_multiplies_every_time(dist):
    assert set(dist.time_fields) <= set(type(dist).model_fields)
    for factor in (0.5, 1.7):
        assert scaling_errors(dist, dist.scaled(factor), factor) == []


def test_the_scaling_check_catches_a_forgotten_time_field():
    """Control: a uniform with only `high` scaled (what `scaled` did for a class whose time
    fields it did not know) is caught."""
    dist = next(d.values[0] for d in _cases() if d.id.startswith("uniform"))
    assert scaling_errors(dist, revised(dist, high=dist.high * 2), 2.0)


def test_the_loader_names_every_distribution():
    bad = {"schema_version": 1, "name": "x", "interval_minutes": 30, "start": "08:00", "arrivals": {"calls": [10]},
           "queues": [{"name": "q", "talk_time": {"dist": "poisson", "mean": 60}, "acw": {"dist": "fixed", "mean": 0}}],
           "agents": [{"name": "g", "serves": ["q"], "staffing": [2]}]}
    with pytest.raises(UserError) as caught:
        scenario_from_dict(bad)
    message = str(caught.value)
    assert "queues[0].talk_time: 'dist' must be one of " + ", ".join(DIST_NAMES) in message, message


def cdf_errors(dist) -> list[str]:
    """Where cdf disagrees with ppf: F(F^-1(u)) >= u (equality where the distribution is
    continuous), F(x) = the share of ppf's quantiles <= x, F(-1) = 0."""
    x = dist.ppf(U)
    found = []
    if not np.all(dist.cdf(x) >= U - 1e-9):
        found.append("F(F^-1(u)) < u")
    grid = np.quantile(x, [0.0, 0.1, 0.37, 0.5, 0.9, 0.999]) * 1.0001
    if not np.allclose(dist.cdf(grid), np.searchsorted(x, grid, side="right") / len(x), atol=1e-5):
        found.append(f"F at quantiles {dist.cdf(grid)} vs {np.searchsorted(x, grid, side='right') / len(x)}")
    if dist.cdf(np.array([-1.0]))[0] != 0.0:
        found.append("F(-1) is not 0")
    return found


@pytest.mark.parametrize("dist", _cases())
def test_cdf_is_the_inverse_of_ppf(dist):
    """cdf (for draws conditional on a time already spent: simulator.starting_state) agrees with ppf."""
    assert cdf_errors(dist) == []


def test_the_cdf_check_catches_a_wrong_cdf(monkeypatch):
    """Negative control: a lognormal cdf with the log-space mean off by 5% is caught."""
    dist = LogNormal(dist="lognormal", mean=240.0, cv=0.8)
    right = LogNormal.cdf
    monkeypatch.setattr(LogNormal, "cdf", lambda self, x_s: right(self, np.asarray(x_s) * 1.05))
    assert cdf_errors(dist)
