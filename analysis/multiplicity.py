"""Several tests in one study: Holm's step-down adjustment of their p values.

Holm (1979) controls the family-wise error rate like Bonferroni and is never less powerful: sort the k p values
ascending, multiply the i-th smallest (i from 0) by k - i, carry the running maximum so the order is kept, cap
at 1. A missing p (a test that could not run) is left out of k and stays None.
"""

from __future__ import annotations

from collections.abc import Sequence

HOLM = "holm"


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    k = len(present)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(present):
        running = max(running, min(1.0, (k - rank) * float(p)))
        out[index] = running
    return out
