"""Time distributions, parameterised the way planners speak: by mean (and CV), in seconds.

Every distribution samples by inverse transform: `ppf(u)` maps uniform numbers in [0, 1) to
times. The engine draws one uniform per caller per attribute from that attribute's own random
stream, so two scenarios run with the same seed give the *same caller* a talk time at the same
quantile of each scenario's distribution (common random numbers, monotone coupling): a
scenario with longer calls makes every caller talk longer, not a different set of callers.

numpy's native parameters (log-space `lognormal(mean, sigma)`, `exponential(scale)`) are never
exposed; the conversion from (mean, cv) happens here and only here.
"""
from __future__ import annotations

import math
import typing
from typing import Annotated, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, Field, model_validator

from .schema_base import MAX_CV, MAX_DURATION_S, SCHEMA_CONFIG, revised


def _special():
    """scipy.special, imported on first use: it takes a quarter of a second to load, and
    reading a scenario or sizing with Erlang C should not wait for it."""
    from scipy import special

    return special


# uniforms at which every distribution is checked: both ends of [0, 1) and between
_CHECK_U = np.array([0.0, 1e-300, 1e-12, 1e-3, 0.5, 1 - 1e-3, 1 - 2**-53])
_SMALLEST_CV = 1e-6
SHORTEST_MEAN_S = 1e-6  # a mean duration above 0 is at least a microsecond


class _Dist(BaseModel):
    model_config = SCHEMA_CONFIG
    # the parameters that are times (seconds): what `scaled` multiplies; each class names its own
    time_fields: ClassVar[tuple[str, ...]] = ("mean",)

    @property
    def mean_s(self) -> float:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: times in seconds for uniforms `u` in [0, 1)."""
        raise NotImplementedError

    def cdf(self, x_s: np.ndarray) -> np.ndarray:
        """P(duration <= x_s), the CDF that `ppf` inverts (for draws conditional on a time
        already spent: `simulator.starting_state`)."""
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.dist} mean {self.mean_s:g} s"

    @model_validator(mode="after")
    def _drawable(self):
        """Every duration the engine can draw is a finite number of seconds, 0 or more: the
        inverse CDF at the ends and the middle of [0, 1) (a gamma with cv 1e-160 has shape 1e320,
        which overflows to NaN talk times; cv 1e-170 divides by zero)."""
        if type(self).ppf is _Dist.ppf or not self._complete():
            return self  # a class's own validator reports what is missing
        try:
            with np.errstate(all="ignore"):
                drawn = np.asarray(self.ppf(_CHECK_U), dtype=float)
                mean = float(self.mean_s)
        except (ArithmeticError, ValueError):
            drawn, mean = np.array([math.nan]), math.nan
        if not (np.all(np.isfinite(drawn)) and np.all(drawn >= 0) and math.isfinite(mean) and mean >= 0):
            hint = (" (a cv this small is a duration that does not vary: use dist: fixed)"
                    if getattr(self, "cv", 1) < _SMALLEST_CV else "")
            raise ValueError(f"these parameters give durations that are not finite numbers of seconds{hint}; "
                             "change them")
        if 0 < mean < SHORTEST_MEAN_S:  # 1/mean, a rate, overflows near 1e-308 (planning broke on 5e-324 s)
            raise ValueError(f"a mean duration of {mean:.3g} s is below a microsecond; a duration that short is 0 "
                             "(dist: fixed, mean: 0) or a typo")
        return self

    def _complete(self) -> bool:
        return True

    def scaled(self, factor: float) -> "_Dist":
        """The same shape with every time parameter (the class's `time_fields`) times `factor`:
        the mean scales, the CV stays. A new validated distribution."""
        changes = {}
        for key in self.time_fields:
            value = getattr(self, key)
            if isinstance(value, tuple):
                changes[key] = [v * factor for v in value]
            elif value is not None:  # Weibull: one of scale and mean is None
                changes[key] = value * factor
        return revised(self, **changes)


class Exponential(_Dist):
    """Memoryless; the M in M/M/N. `mean` in seconds."""

    dist: Literal["exponential"] = Field(description="the distribution: exponential")
    mean: float = Field(gt=0, le=MAX_DURATION_S, description="mean in seconds")

    @property
    def mean_s(self) -> float:
        return self.mean

    @property
    def cv(self) -> float:
        return 1.0

    def ppf(self, u):
        return -self.mean * np.log1p(-u)

    def cdf(self, x_s):
        return -np.expm1(-np.maximum(x_s, 0.0) / self.mean)


class Fixed(_Dist):
    """Always the same duration (deterministic), `mean` seconds; 0 allowed (e.g. no ACW)."""

    dist: Literal["fixed"] = Field(description="the distribution: fixed")
    mean: float = Field(ge=0, le=MAX_DURATION_S, description="the duration in seconds")

    @property
    def mean_s(self) -> float:
        return self.mean

    @property
    def cv(self) -> float:
        return 0.0

    def ppf(self, u):
        return np.full(np.shape(u), float(self.mean))

    def cdf(self, x_s):
        return np.where(np.asarray(x_s) >= self.mean, 1.0, 0.0)


class LogNormal(_Dist):
    """Right-skewed, the usual fit for talk times. By `mean` and `cv` (not numpy's log-space)."""

    dist: Literal["lognormal"] = Field(description="the distribution: lognormal")
    mean: float = Field(gt=0, le=MAX_DURATION_S, description="mean in seconds")
    cv: float = Field(gt=0, le=MAX_CV, description="coefficient of variation = std / mean")

    @property
    def mean_s(self) -> float:
        return self.mean

    def ppf(self, u):
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * _special().ndtri(u))

    def cdf(self, x_s):
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        with np.errstate(divide="ignore"):
            return _special().ndtr((np.log(np.maximum(x_s, 0.0)) - mu) / math.sqrt(sigma2))


class Gamma(_Dist):
    """By `mean` and `cv`: shape = 1/cv², scale = mean·cv²."""

    dist: Literal["gamma"] = Field(description="the distribution: gamma")
    mean: float = Field(gt=0, le=MAX_DURATION_S, description="mean in seconds")
    cv: float = Field(gt=0, le=MAX_CV, description="coefficient of variation = std / mean")

    @property
    def mean_s(self) -> float:
        return self.mean

    def ppf(self, u):
        shape = 1.0 / self.cv**2
        return self.mean / shape * _special().gammaincinv(shape, u)

    def cdf(self, x_s):
        shape = 1.0 / self.cv**2
        return _special().gammainc(shape, np.maximum(x_s, 0.0) * shape / self.mean)


class Weibull(_Dist):
    """By `shape` and either `scale` or `mean` (seconds). Shape < 1: many early hang-ups."""

    time_fields: ClassVar[tuple[str, ...]] = ("scale", "mean")
    dist: Literal["weibull"] = Field(description="the distribution: weibull")
    shape: float = Field(ge=0.1, le=50, description="Weibull shape: below 1 a decreasing hazard (many early hang-ups), 1 exponential")
    scale: float | None = Field(default=None, gt=0, le=MAX_DURATION_S, description="scale in seconds")
    mean: float | None = Field(default=None, gt=0, le=MAX_DURATION_S, description="mean in seconds")

    def _complete(self) -> bool:
        return (self.scale is None) != (self.mean is None)

    @model_validator(mode="after")
    def _scale_or_mean(self):
        if (self.scale is None) == (self.mean is None):
            raise ValueError("give exactly one of 'scale' or 'mean' for a weibull distribution")
        return self

    @property
    def scale_s(self) -> float:
        if self.scale is not None:
            return self.scale
        return self.mean / math.gamma(1 + 1 / self.shape)

    @property
    def mean_s(self) -> float:
        return self.mean if self.mean is not None else self.scale * math.gamma(1 + 1 / self.shape)

    @property
    def cv(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        g2 = math.gamma(1 + 2 / self.shape)
        return math.sqrt(g2 / g1**2 - 1)

    def ppf(self, u):
        return self.scale_s * (-np.log1p(-u)) ** (1 / self.shape)

    def cdf(self, x_s):
        return -np.expm1(-(np.maximum(x_s, 0.0) / self.scale_s) ** self.shape)


class Uniform(_Dist):
    """Every duration between `low` and `high` seconds equally likely."""

    time_fields: ClassVar[tuple[str, ...]] = ("low", "high")
    dist: Literal["uniform"] = Field(description="the distribution: uniform")
    low: float = Field(ge=0, le=MAX_DURATION_S, description="shortest duration, seconds")
    high: float = Field(gt=0, le=MAX_DURATION_S, description="longest duration, seconds")

    @model_validator(mode="after")
    def _ordered(self):
        if self.high <= self.low:
            raise ValueError("'high' must be greater than 'low'")
        return self

    @property
    def mean_s(self) -> float:
        return (self.low + self.high) / 2

    @property
    def cv(self) -> float:
        return (self.high - self.low) / math.sqrt(12) / self.mean_s

    def ppf(self, u):
        return self.low + (self.high - self.low) * u

    def cdf(self, x_s):
        return np.clip((np.asarray(x_s, dtype=float) - self.low) / (self.high - self.low), 0.0, 1.0)


class Empirical(_Dist):
    """Resamples observed durations (seconds), each equally likely."""

    time_fields: ClassVar[tuple[str, ...]] = ("values",)
    dist: Literal["empirical"] = Field(description="the distribution: empirical")
    values: tuple[Annotated[float, Field(ge=0, le=MAX_DURATION_S)], ...] = Field(
        min_length=1, max_length=100_000, description="observed durations in seconds, drawn with equal chance")

    @model_validator(mode="after")
    def _positive_mean(self):
        if max(self.values) <= 0:
            raise ValueError("'values' must contain at least one duration above 0")
        return self

    @property
    def mean_s(self) -> float:
        return float(np.mean(self.values))

    @property
    def cv(self) -> float:
        return float(np.std(self.values) / np.mean(self.values))

    def ppf(self, u):
        ordered = np.sort(np.asarray(self.values, dtype=float))
        index = np.minimum((np.asarray(u) * len(ordered)).astype(np.int64), len(ordered) - 1)
        return ordered[index]

    def cdf(self, x_s):
        ordered = np.sort(np.asarray(self.values, dtype=float))
        return np.searchsorted(ordered, x_s, side="right") / len(ordered)


# the registry: every distribution a scenario may name, in the order error messages list them.
# The schema's union and the names (`dist:`) are derived from it, so a new class is added here once.
DISTRIBUTIONS: tuple[type[_Dist], ...] = (Exponential, Fixed, LogNormal, Gamma, Weibull, Uniform, Empirical)
DIST_NAMES: tuple[str, ...] = tuple(typing.get_args(cls.model_fields["dist"].annotation)[0] for cls in DISTRIBUTIONS)
Distribution = Annotated[Union[DISTRIBUTIONS], Field(discriminator="dist")]
