"""Talking to a Sunbid server from the CLI: sign-in and JSON calls that turn problem+json into clear errors."""

from __future__ import annotations

import os
from typing import Any

import click
import httpx

DEFAULT_SERVER = f"http://127.0.0.1:{os.environ.get('SUNBID_PORT') or 8000}"
"""The server `sunbid serve` starts on this machine (SUNBID_PORT, as `make run` uses it)."""


class ApiClient:
    """A signed-in HTTP client for one server."""

    def __init__(self, server: str, token: str | None = None, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=timeout)

    @classmethod
    def sign_in(cls, server: str, username: str, password: str) -> ApiClient:
        """Sign in with a password and keep the bearer token."""
        anonymous = cls(server)
        body = anonymous.call("POST", "/api/auth/login", json={"username": username, "password": password})
        return cls(server, body["token"])

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One JSON request; a problem+json answer becomes a ClickException naming the problem."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach {self.http.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                problem = response.json()
                message = f"{problem.get('title', 'error')} ({response.status_code}): {problem.get('detail', '')}"
            except ValueError:
                message = f"HTTP {response.status_code}: {response.text[:200]}"
            raise click.ClickException(message)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text


server_option = click.option(
    "--server",
    envvar="SUNBID_SERVER",
    default=DEFAULT_SERVER,
    show_default=True,
    help="Sunbid server URL (or SUNBID_SERVER).",
)
username_option = click.option("--username", "-u", envvar="SUNBID_USERNAME", required=True, help="Your user name.")
password_option = click.option(
    "--password", envvar="SUNBID_PASSWORD", prompt=True, hide_input=True, help="Your password (or SUNBID_PASSWORD)."
)
passphrase_option = click.option(
    "--passphrase",
    envvar="SUNBID_WALLET_PASSPHRASE",
    prompt="Wallet passphrase",
    hide_input=True,
    help="Passphrase of your local wallet (or SUNBID_WALLET_PASSPHRASE).",
)
