"""Whether the calling code runs on an event loop's thread: sync code an async view calls (its
template, say), where Django refuses every query."""

from __future__ import annotations

import asyncio


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
