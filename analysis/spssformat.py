"""Numbers printed the way SPSS prints them.

SPSS rounds half away from zero (not to even), shows 3 decimals for test statistics and p values,
2 for mean ranks and rank sums, and prints ``.000`` for any p below 0.0005. We keep the leading
zero, use the decimal separator the caller asks for, and print a p below 0.0005 as ``<0,001``
(the reporting convention for SPSS's ``.000``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# Decimals SPSS uses for each kind of number (integer-scored variables).
MEAN_DECIMALS = 2  # Explore: mean, median, CI bounds
SPREAD_DECIMALS = 3  # Explore: SD, SE; paired differences; test statistics
STAT_DECIMALS = 3  # W, Z, t, r, p
RANK_DECIMALS = 2  # mean rank, sum of ranks
P_FLOOR = 0.0005  # below this SPSS prints .000


def spss_round(value: float, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` places.

    The shortest decimal representation of the float is rounded, so 2.0665 becomes 2.067 even
    though the binary float is a hair below 2.0665 (SPSS applies a similar fuzz).
    """
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)  # never print "-0.000"
    return rounded


def fmt(value: float | None, decimals: int, sep: str = ",", missing: str = "-") -> str:
    """``value`` with ``decimals`` places and ``sep`` as the decimal separator; ``missing`` for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    text = f"{spss_round(value, decimals):f}"
    return text.replace(".", sep) if sep != "." else text


def fmt_number(value: float | None, sep: str = ",", missing: str = "-") -> str:
    """A raw score (minimum, maximum): no decimals when it is a whole number, else 2."""
    if value is None or not math.isfinite(value):
        return missing
    if float(value).is_integer():
        return str(int(value))
    return fmt(value, MEAN_DECIMALS, sep, missing)


def fmt_p(p: float | None, sep: str = ",", missing: str = "-") -> str:
    """A p value with 3 decimals; below 0.0005 (SPSS ``.000``) as ``<0,001``."""
    if p is None or not math.isfinite(p):
        return missing
    if p < P_FLOOR:
        return "<" + fmt(0.001, STAT_DECIMALS, sep)
    return fmt(p, STAT_DECIMALS, sep)


def p_phrase(p: float | None, sep: str = ",", missing: str = "-") -> str:
    """``p = 0,012`` or ``p < 0,001``, for use inside a sentence."""
    text = fmt_p(p, sep, missing)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"
