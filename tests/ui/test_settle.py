"""`settle`, which nearly every app test leans on, waits past a worker cancelled while it
waits: the CI rehearsal of d73678f failed on it, in an on-call test."""

from __future__ import annotations

import asyncio
import threading

from tests.ui.conftest import AppFactory
from tests.ui.support import settle


async def test_settle_waits_past_a_worker_cancelled_while_it_waits(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        gate = threading.Event()
        first = app.run_worker(gate.wait, thread=True, group="check", exclusive=True)
        waiting = asyncio.create_task(settle(pilot))
        await asyncio.sleep(0.2)  # settle is waiting for `first` now
        # An exclusive group cancels its last run as it starts the next (the on-call
        # check does, every ONCALL_EVERY seconds).
        app.run_worker(gate.set, thread=True, group="check", exclusive=True)
        await asyncio.wait_for(waiting, timeout=10)
        assert first.is_cancelled
