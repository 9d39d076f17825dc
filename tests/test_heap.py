"""The run command's settled heap (bot/core/heap.py): start-up's objects set aside from the garbage collector."""

from __future__ import annotations

import gc

from bot.commands import run
from bot.core.heap import SETTLED_HEAP


async def test_settling_freezes_what_start_up_built_and_later_garbage_is_still_collected():
    gc.unfreeze()
    try:
        kept = [object() for _ in range(10)]  # noqa: F841 - alive at start-up
        await SETTLED_HEAP.start(None)
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # the test process's modules, classes and content
        cycle: list = []
        cycle.append(cycle)  # garbage made after start-up, in a cycle: still the collector's
        del cycle
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == frozen
        await SETTLED_HEAP.stop(None)
    finally:
        gc.unfreeze()  # this process builds many applications: leave nothing frozen
    assert gc.get_freeze_count() == 0


def test_the_run_command_settles_the_heap_after_the_dashboard():
    source = open(run.__file__, encoding="utf-8").read()
    assert "services=(DASHBOARD, SETTLED_HEAP)" in source
