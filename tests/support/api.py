"""Driving the real app in-process over HTTP (httpx ASGITransport on the test's own event loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

from sunbid.seed import DEMO_PASSWORD


async def token_for(client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in and return the bearer token."""
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def auth(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Authorization headers for a demo user."""
    return {"Authorization": f"Bearer {await token_for(client, username)}"}


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with the status, and its detail names every fragment."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    for fragment in fragments:
        assert fragment in body["detail"], (fragment, body["detail"])
    return body


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in a task of its own (anyio scopes must exit in the task that entered them)."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    waiter = asyncio.create_task(started.wait())
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()
    try:
        yield app
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_SECONDS)
        except TimeoutError:
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            stacks = "\n\n".join(f"{t!r}\n" + "".join(_format_stack(t)) for t in pending)
            message = f"the app did not shut down within {SHUTDOWN_SECONDS}s; pending tasks:\n{stacks}"
            raise AssertionError(message) from None


SHUTDOWN_SECONDS = 30.0


def _format_stack(task: asyncio.Task[Any]) -> list[str]:
    import traceback

    frames = task.get_stack(limit=12)
    return traceback.format_list(traceback.extract_stack(frames[-1])) if frames else ["(no frames)\n"]
