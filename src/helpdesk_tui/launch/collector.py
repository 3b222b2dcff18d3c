"""Python's cycle collector during a launch.

A launch allocates hundreds of thousands of long-lived objects (modules, classes, the
screens' widgets and styles), and each allocation threshold crossed runs a collection
that walks them, to free nothing: measured on the app's own imports, 7 % of the launch.
So the collector is off from the entry point until the launch is over. Then one
collection frees what the launch left as garbage (20,000 objects, 4 MiB at a million
tickets), and the objects left, which live as long as the process, are moved out of its
sight (`gc.freeze`): the app's later collections walk only what it made since, so the SLA
board's ticks and the queue's re-reads pay for their own garbage, not for the imports.
"""

from __future__ import annotations

import gc


def pause() -> None:
    """Before anything heavy is imported (the entry point)."""
    gc.disable()


def resume(*, freeze: bool) -> None:
    """The launch is over. `freeze` where what the launch made lives on (the app: call it
    once the screen is idle, the collection takes about 60 ms); a command that runs to its
    end only turns the collector back on. Idempotent, and a no-op where `pause` was never
    called (tests, code embedding the app)."""
    if gc.isenabled():
        return
    if freeze:
        gc.collect()
        gc.freeze()
    gc.enable()
