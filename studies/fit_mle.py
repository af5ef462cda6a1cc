"""Maximum-likelihood fits of duration distributions, with right-censoring, chosen by AIC.

Four candidate families, the ones the call-centre literature uses for talk, wrap-up and
patience times (Brown et al. 2005): exponential, lognormal, gamma and Weibull, all with the
origin at 0. Each is fitted by maximising

    log L = sum over observed times of log f(t) + sum over censored times of log S(c)

(S = 1 - F, the survival function): for talk and ACW nothing is censored; for patience the
abandoners' waits are observed and the answered callers' waits are censored (their patience
was longer than their wait). Parameters are optimised on the log scale (they are all
positive) from a moment start; the standard errors of the mean and the CV come from the
observed information (the numerical Hessian of -log L at the optimum) by the delta method.
The family with the smallest AIC = 2 k - 2 log L wins. A family within PLAUSIBLE_DELTA_AIC (2) of
it is about as well supported by the data (Burnham & Anderson's rule of thumb); when such a
family's mean lies outside the chosen one's 95% confidence interval, the choice of family decides
the mean, and `DurationFit.uncertain_choice` says so (the data cannot: e.g. patience with few
abandons, where the families differ in the tail nobody was seen to reach).

The goodness of fit is the Kolmogorov-Smirnov distance: between the sample's empirical CDF
and the fitted CDF, or, with censoring, between the Kaplan-Meier estimate
(`scipy.stats.ecdf` on `scipy.stats.CensoredData`) and the fitted survival function, over the
range where Kaplan-Meier is defined.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
PLAUSIBLE_DELTA_AIC = 2.0  # families closer than this to the best AIC are about as plausible
POOR_FIT_KS = 0.05  # a KS distance above this is reported as a poor fit, whatever the sample size
# with censoring the KS distance is taken where at least this many callers (and this share) are at risk
KS_MIN_AT_RISK = 50
KS_MIN_AT_RISK_SHARE = 0.01


@dataclass(frozen=True)
class FamilyFit:
    """One family's maximum-likelihood fit. `params` are the scenario file's parameters."""

    family: str
    params: dict  # exponential {mean}; lognormal/gamma {mean, cv}; weibull {shape, scale}
    log_likelihood: float
    aic: float
    mean_s: float
    mean_se_s: float
    cv: float
    cv_se: float
    ks_distance: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return _frozen(self.family, _natural(self))[0].ppf(u)

    def sf(self, t: np.ndarray) -> np.ndarray:
        return _frozen(self.family, _natural(self))[0].sf(t)


@dataclass(frozen=True)
class DurationFit:
    """Every candidate (best AIC first) for one sample, and the sample itself for plots."""

    candidates: tuple[FamilyFit, ...]
    observed_s: np.ndarray
    censored_s: np.ndarray

    @property
    def best(self) -> FamilyFit:
        return self.candidates[0]

    @property
    def n(self) -> int:
        return len(self.observed_s) + len(self.censored_s)

    @property
    def plausible(self) -> tuple[FamilyFit, ...]:
        """The chosen family and every other within PLAUSIBLE_DELTA_AIC of its AIC."""
        return tuple(c for c in self.candidates if c.aic - self.best.aic < PLAUSIBLE_DELTA_AIC)

    @property
    def uncertain_choice(self) -> bool:
        """Several families are about as plausible and one's mean lies outside the chosen
        family's 95% CI: which family is chosen then moves the mean more than its CI shows."""
        best = self.best
        if len(self.plausible) < 2 or not math.isfinite(best.mean_se_s):
            return False
        low, high = best.mean_s - 1.96 * best.mean_se_s, best.mean_s + 1.96 * best.mean_se_s
        return any(not low <= c.mean_s <= high for c in self.plausible[1:])

    @property
    def plausible_means_s(self) -> tuple[float, float]:
        """The smallest and largest mean among the plausible families."""
        means = [c.mean_s for c in self.plausible]
        return min(means), max(means)

    @property
    def poor(self) -> bool:
        """KS distance both large in practice (> POOR_FIT_KS) and beyond the 1% critical value
        1.63 / sqrt(n) (n = observed times): a small sample is not called poor for its noise."""
        return self.best.ks_distance > max(POOR_FIT_KS, 1.63 / math.sqrt(max(len(self.observed_s), 1)))


# --- each family on its natural (log) parameters -------------------------------------------


def _frozen(family: str, theta: np.ndarray):
    """(scipy frozen distribution, mean, cv) for log-scale parameters theta."""
    if family == "exponential":
        mean = math.exp(theta[0])
        return stats.expon(scale=mean), mean, 1.0
    if family == "lognormal":
        mu, sigma = theta[0], math.exp(theta[1])
        return stats.lognorm(s=sigma, scale=math.exp(mu)), math.exp(mu + sigma**2 / 2), math.sqrt(math.expm1(sigma**2))
    if family == "gamma":
        shape, scale = math.exp(theta[0]), math.exp(theta[1])
        return stats.gamma(a=shape, scale=scale), shape * scale, 1 / math.sqrt(shape)
    if family == "weibull":
        shape, scale = math.exp(theta[0]), math.exp(theta[1])
        g1, g2 = special.gamma(1 + 1 / shape), special.gamma(1 + 2 / shape)
        return stats.weibull_min(c=shape, scale=scale), scale * g1, math.sqrt(max(g2 / g1**2 - 1, 0.0))
    raise ValueError(family)


def _natural(fit: FamilyFit) -> np.ndarray:
    p = fit.params
    if fit.family == "exponential":
        return np.array([math.log(p["mean"])])
    if fit.family == "lognormal":
        sigma2 = math.log1p(p["cv"] ** 2)
        return np.array([math.log(p["mean"]) - sigma2 / 2, 0.5 * math.log(sigma2)])
    if fit.family == "gamma":
        shape = 1 / p["cv"] ** 2
        return np.array([math.log(shape), math.log(p["mean"] / shape)])
    return np.array([math.log(p["shape"]), math.log(p["scale"])])


def _params(family: str, theta: np.ndarray, mean: float, cv: float) -> dict:
    if family == "exponential":
        return {"mean": mean}
    if family in ("lognormal", "gamma"):
        return {"mean": mean, "cv": cv}
    return {"shape": math.exp(theta[0]), "scale": math.exp(theta[1])}


def _start(family: str, observed: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Moment start from the observed times (inflated for censoring by the exponential MLE)."""
    exp_mean = (observed.sum() + censored.sum()) / max(len(observed), 1)
    mean = max(float(observed.mean()) if len(observed) else exp_mean, 1e-9)
    mean = max(mean, exp_mean) if len(censored) else mean
    cv = float(observed.std() / observed.mean()) if len(observed) > 1 and observed.mean() > 0 else 1.0
    cv = min(max(cv, 0.2), 5.0)
    if family == "exponential":
        return np.array([math.log(mean)])
    if family == "lognormal":
        logs = np.log(observed) if len(observed) else np.array([math.log(mean)])
        sigma = max(float(logs.std()), 0.2)
        return np.array([math.log(mean) - sigma**2 / 2, math.log(sigma)])
    if family == "gamma":
        shape = 1 / cv**2
        return np.array([math.log(shape), math.log(mean / shape)])
    shape = max(1.2 / cv, 0.2)  # roughly right for cv 0.3..3
    return np.array([math.log(shape), math.log(mean / special.gamma(1 + 1 / shape))])


def _neg_log_likelihood(family: str, theta: np.ndarray, observed: np.ndarray, censored: np.ndarray) -> float:
    """-log L, written out with numpy (scipy's frozen distributions are ten times slower here)."""
    with np.errstate(all="ignore"):
        a, b = float(theta[0]), float(theta[-1])
        if abs(a) > 50 or abs(b) > 50:
            return math.inf
        log_x = np.log(observed)
        if family == "exponential":
            mean = math.exp(a)
            total = -len(observed) * a - (observed.sum() + censored.sum()) / mean
        elif family == "lognormal":
            sigma = math.exp(b)
            z = (log_x - a) / sigma
            total = float(np.sum(-log_x - b - 0.5 * math.log(2 * math.pi) - 0.5 * z * z))
            if len(censored):
                total += float(np.sum(special.log_ndtr(-(np.log(censored) - a) / sigma)))
        elif family == "gamma":
            shape, scale = math.exp(a), math.exp(b)
            total = float(np.sum((shape - 1) * log_x - observed / scale)) - len(observed) * (
                special.gammaln(shape) + shape * b)
            if len(censored):
                total += float(np.sum(np.log(special.gammaincc(shape, censored / scale))))
        else:  # weibull
            shape, scale = math.exp(a), math.exp(b)
            total = float(np.sum(a - b + (shape - 1) * (log_x - b) - np.exp(shape * (log_x - b))))
            if len(censored):
                total -= float(np.sum(np.exp(shape * (np.log(censored) - b))))
    return -total if math.isfinite(total) else math.inf


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.eye(n)[i] * step
            ej = np.eye(n)[j] * step
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * step * step)
            h[i, j] = h[j, i] = value
    return h


def _gradient(f, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    return np.array([(f(x + np.eye(len(x))[i] * step) - f(x - np.eye(len(x))[i] * step)) / (2 * step)
                     for i in range(len(x))])


def _ks_distance(family: str, theta: np.ndarray, observed: np.ndarray, censored: np.ndarray) -> float:
    dist = _frozen(family, theta)[0]
    if not len(censored):
        return float(stats.kstest(observed, dist.cdf).statistic)
    km = kaplan_meier(observed, censored)
    times, survival = km.quantiles, km.probabilities
    # only where Kaplan-Meier rests on enough callers at risk: its far tail is noise
    at_risk = len(observed) + len(censored) - np.searchsorted(np.sort(np.concatenate([observed, censored])), times)
    keep = at_risk >= max(KS_MIN_AT_RISK, KS_MIN_AT_RISK_SHARE * (len(observed) + len(censored)))
    if keep.any():
        before = np.concatenate([[1.0], survival[:-1]])[keep]
        times, survival = times[keep], survival[keep]
        fitted = dist.sf(times)
        return float(max(np.abs(survival - fitted).max(), np.abs(before - fitted).max()))
    before = np.concatenate([[1.0], survival[:-1]])  # KM just before each jump
    fitted = dist.sf(times)
    return float(max(np.abs(survival - fitted).max(), np.abs(before - fitted).max()))


def kaplan_meier(observed: np.ndarray, censored: np.ndarray):
    """The Kaplan-Meier survival function (scipy's `ECDFResult.sf`: `.quantiles`,
    `.probabilities`, `.confidence_interval()`) of right-censored times."""
    data = stats.CensoredData(uncensored=observed, right=censored)
    return stats.ecdf(data).sf


def fit_family(family: str, observed: np.ndarray, censored: np.ndarray) -> FamilyFit:
    """The maximum-likelihood fit of one family (see the module's docstring)."""
    nll = lambda theta: _neg_log_likelihood(family, theta, observed, censored)  # noqa: E731
    if family == "exponential":  # closed form: total time at risk / events
        theta = np.array([math.log((observed.sum() + censored.sum()) / len(observed))])
    elif family == "lognormal" and not len(censored):
        logs = np.log(observed)
        theta = np.array([logs.mean(), math.log(max(logs.std(), 1e-9))])
    else:
        start = _start(family, observed, censored)
        best = optimize.minimize(nll, start, method="Nelder-Mead",
                                 options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 4000})
        theta = best.x
    log_l = -nll(theta)
    _, mean, cv = _frozen(family, theta)
    try:
        covariance = np.linalg.inv(_hessian(nll, theta))
        mean_g = _gradient(lambda t: _frozen(family, t)[1], theta)
        cv_g = _gradient(lambda t: _frozen(family, t)[2], theta)
        mean_se = math.sqrt(max(float(mean_g @ covariance @ mean_g), 0.0))
        cv_se = math.sqrt(max(float(cv_g @ covariance @ cv_g), 0.0))
    except np.linalg.LinAlgError:
        mean_se = cv_se = math.nan
    k = len(theta)
    return FamilyFit(family=family, params=_params(family, theta, mean, cv), log_likelihood=log_l,
                     aic=2 * k - 2 * log_l, mean_s=mean, mean_se_s=mean_se, cv=cv, cv_se=cv_se,
                     ks_distance=_ks_distance(family, theta, observed, censored))


def fit_durations(observed, censored=()) -> DurationFit:
    """Fit every family to positive `observed` times (and right-`censored` ones); best AIC first."""
    observed = np.asarray(observed, dtype=float)
    censored = np.asarray(censored, dtype=float)
    censored = censored[censored > 0]  # censored at 0 says nothing: S(0) = 1
    fits = [fit_family(family, observed, censored) for family in FAMILIES]
    fits = [f for f in fits if math.isfinite(f.aic)]
    return DurationFit(candidates=tuple(sorted(fits, key=lambda f: f.aic)), observed_s=observed,
                       censored_s=censored)
