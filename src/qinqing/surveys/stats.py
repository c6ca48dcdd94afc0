"""Estimates with their uncertainty, and the small-cell rule.

The index of a cell (unit, dimension, stratum) is the mean of the per-response scores in it; its 95 %
confidence interval is the Student t-interval  mean ± t(0.975, n−1) · s / √n, s the sample standard
deviation (docs/surveys.md "Metrics"). Cells are aggregated in SQL as n, Σx and Σx², so the interval costs
nothing beyond the GROUP BY. A cell with fewer than k responses (the survey's ``min_cell``, default 5) is
suppressed everywhere; when exactly one cell of a breakdown would be suppressed, the next smallest is
suppressed too, so the hidden one cannot be recovered by subtracting the shown cells from the total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from statistics import NormalDist

# t(0.975, df) for df 1..30; above 30 the Cornish–Fisher expansion around the normal quantile.
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip


def t975(df: int) -> float:
    if df < 1:
        return math.nan
    if df <= 30:
        return _T975[df - 1]
    z = NormalDist().inv_cdf(0.975)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclass(frozen=True)
class Estimate:
    n: int
    mean: float | None
    low: float | None
    high: float | None
    suppressed: bool = False

    @classmethod
    def of(cls, n: int, total: float, squares: float) -> Estimate:
        if n == 0:
            return cls(0, None, None, None)
        mean = total / n
        if n == 1:
            return cls(1, mean, None, None)
        var = max(0.0, (squares - n * mean * mean) / (n - 1))
        half = t975(n - 1) * math.sqrt(var / n)
        return cls(n, mean, max(0.0, mean - half), min(100.0, mean + half))

    @classmethod
    def of_values(cls, values: Iterable[float]) -> Estimate:
        vals = list(values)
        return cls.of(len(vals), sum(vals), sum(v * v for v in vals))

    def hidden(self) -> Estimate:
        return replace(self, mean=None, low=None, high=None, suppressed=True)

    def overlaps(self, other: Estimate) -> bool:
        if None in (self.low, self.high, other.low, other.high):
            return True  # no interval: no claim of a difference
        return not (self.high < other.low or other.high < self.low)  # type: ignore[operator]

    @property
    def shown_n(self) -> int | None:
        """The count as it may be shown: None for a suppressed cell (not even "fewer than …")."""
        return None if self.suppressed else self.n


def apply_small_cells(cells: dict[str, Estimate], k: int) -> dict[str, Estimate]:
    """Suppress the cells of one breakdown with n < k, plus the next smallest when only one is hidden."""
    out = {key: (e.hidden() if 0 < e.n < k else e) for key, e in cells.items()}
    hidden = [key for key, e in out.items() if e.suppressed]
    shown = sorted((e.n, key) for key, e in out.items() if not e.suppressed and e.n > 0)
    if len(hidden) == 1 and shown:
        key = shown[0][1]
        out[key] = out[key].hidden()
    return out


def suppress_count(n: int, k: int) -> int | None:
    """A count shown under the rule: None when 0 < n < k."""
    return None if 0 < n < k else n


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole
