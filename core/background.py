"""A loop the app runs beside its requests: started in the lifespan, cancelled and awaited when it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class BackgroundLoop:
    """One named task at a time; `stop` returns only once the task has ended (nothing of it runs after shutdown)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, loop: Coroutine[Any, Any, None]) -> None:
        """Run the coroutine as a task of the running event loop."""
        self._task = asyncio.create_task(loop, name=self._name)

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
