"""6. On paper: the national case, worked out second by second.

About 12,000 births a day in Indonesia → about 36,000 families on postpartum days 1–3 → about 72,000 morning
reminders (mother and husband) due near 07:00 WIB. With the stable per-family jitter (bot/flows/schedule.py)
the rows fall due evenly over the window W; Telegram lets one bot send about 30 messages a second. This module
runs that queue (one-second steps) for several windows and numbers of bots: when the last reminder leaves, how
deep the queue gets, and how late a reminder is at worst and on average.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.common import Report, section

BIRTHS_PER_DAY = 12_000
DAYS = 3
PEOPLE_PER_FAMILY = 2
CAP = 30.0  # messages per second per bot
PAID_BROADCAST = 1000.0  # messages per second with allow_paid_broadcast (0.1 Star each)
GRACE_MINUTES = 120


@dataclass(frozen=True)
class Drain:
    window_min: float
    bots: int
    rate: float
    last_sent_min: float  # after 07:00
    peak_backlog: int
    max_wait_min: float
    mean_wait_min: float


def simulate(n: int, window_s: float, rate: float) -> tuple[float, int, float, float]:
    """Rows due evenly over [0, window_s), sent first-come at ``rate``/s. Returns (end s, peak, max wait s, mean)."""
    arrived = 0.0
    sent = 0.0
    peak = 0.0
    t = 0
    waits_total = 0.0
    max_wait = 0.0
    while sent < n - 1e-9:
        t += 1
        arrived = n if window_s <= 0 else min(n, n * t / window_s)
        before = sent
        sent = min(arrived, sent + rate)
        peak = max(peak, arrived - sent)
        # the rows sent in this second were due when the arrivals reached them (first-come order)
        if sent > before:
            due_first = 0.0 if window_s <= 0 else before / n * window_s
            due_last = 0.0 if window_s <= 0 else sent / n * window_s
            waits_total += (sent - before) * (t - (due_first + due_last) / 2)
            max_wait = max(max_wait, t - due_first)
    return t, int(round(peak)), max_wait, waits_total / n


def national(window_min: float, bots: int, rate_per_bot: float = CAP) -> Drain:
    n = BIRTHS_PER_DAY * DAYS * PEOPLE_PER_FAMILY
    end, peak, max_wait, mean_wait = simulate(n, window_min * 60, rate_per_bot * bots)
    return Drain(window_min, bots, rate_per_bot * bots, end / 60, peak, max_wait / 60, mean_wait / 60)


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:  # noqa: ARG001
    section("6. The national case on paper (72,000 morning reminders, 30 msgs/s per bot)")
    n = BIRTHS_PER_DAY * DAYS * PEOPLE_PER_FAMILY
    print(f"    {BIRTHS_PER_DAY:,} births/day × {DAYS} days = {BIRTHS_PER_DAY * DAYS:,} families × "
          f"{PEOPLE_PER_FAMILY} people = {n:,} reminders near 07:00 WIB", flush=True)
    print("    window  bots  rate/s  last sent  peak queue  worst wait  mean wait", flush=True)
    cases = [(0, 1), (10, 1), (40, 1), (10, 2), (10, 4), (10, 8), (40, 2)]
    for window, bots in cases:
        d = national(window, bots)
        print(f"    {window:>4} min {bots:>4} {d.rate:>7.0f}  {d.last_sent_min:>6.1f} min {d.peak_backlog:>10,} "
              f"{d.max_wait_min:>8.1f} min {d.mean_wait_min:>7.1f} min", flush=True)
    burst = national(0, 1, PAID_BROADCAST)
    print(f"    paid broadcast (1,000/s, 0.1 Star per message), all due at 07:00:00: last sent after "
          f"{burst.last_sent_min * 60:.0f} s; {n * 0.1:,.0f} Stars a morning if every message pays", flush=True)
    one = national(10, 1)
    report.add("national", f"national case: {n:,} reminders, 1 bot, 10-min jitter: last one sent after", one.last_sent_min,
               "min", target=f"< {GRACE_MINUTES} min grace", met=one.last_sent_min < GRACE_MINUTES,
               note=f"peak queue {one.peak_backlog:,}, worst wait {one.max_wait_min:.0f} min")
    for window in (0, 10):
        paid = national(window, 1, PAID_BROADCAST)
        report.add("national", f"national case, PAID_BROADCAST (1,000/s), {window}-min jitter: last one sent after",
                   paid.last_sent_min * 60, "s", note=f"worst wait {paid.max_wait_min * 60:.0f} s, peak queue "
                   f"{paid.peak_backlog:,}; ≤ {n * 0.1:,.0f} Stars a morning (0.1 Star a message)")
    four = national(10, 4)
    report.add("national", "national case: 4 bots (one token each), 10-min jitter: last one sent after",
               four.last_sent_min, "min", note=f"worst wait {four.max_wait_min:.1f} min")
