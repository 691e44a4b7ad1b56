"""The command line against a real server: help, key certification with a local wallet, embedded DB reuse."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from sunbid.cli import cli
from tests.support.live import LiveServer

EXPECTED_COMMANDS = {"serve", "seed", "db", "keys"}


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed >= EXPECTED_COMMANDS


@pytest.fixture
def live(database_url: str, seeded: None, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(database_url, tmp_path / "var").start()
    yield server
    server.stop()


def test_keys_init_certifies_a_key_that_never_leaves_the_client(live: LiveServer, tmp_path: Path) -> None:
    wallet_dir = tmp_path / "client-wallet"
    args = [
        "keys",
        "init",
        "--server",
        live.url,
        "-u",
        "bidder3",
        "--password",
        "sunbid-demo-2026",
        "--passphrase",
        "correct horse battery",
        "--wallet-dir",
        str(wallet_dir),
        "--age",
        "custody",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "certificate issued" in result.output
    key_pem = (wallet_dir / "bidder3" / "signing-key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)
    token = httpx.post(live.url + "/api/auth/login", json={"username": "bidder3", "password": "sunbid-demo-2026"})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    certs = httpx.get(live.url + "/api/keys/certificates", headers=headers).json()
    assert len(certs) == 1
    assert "PRIVATE" not in str(certs)
    cert_on_disk = (wallet_dir / "bidder3" / "certificate.pem").read_text()
    assert certs[0]["certificate_pem"].strip() == cert_on_disk.strip()


def test_keys_init_refuses_a_wrong_password(live: LiveServer, tmp_path: Path) -> None:
    args = [
        "keys",
        "init",
        "--server",
        live.url,
        "-u",
        "bidder3",
        "--password",
        "wrong",
        "--passphrase",
        "whatever phrase",
        "--wallet-dir",
        str(tmp_path / "w"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "username or password is wrong" in result.output
    assert not (tmp_path / "w" / "bidder3").exists()


def _cli(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUNBID_DATA_DIR": str(data_dir), "SUNBID_MODE": "development"}
    env.pop("SUNBID_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sunbid", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def private_data_dir() -> Iterator[Path]:
    """A data dir outside pytest's basetemp: other pytest sessions reset that tree to mode 0700, locking out the
    pgserver system user that runs the embedded PostgreSQL when the suite runs as root."""
    root = Path(tempfile.mkdtemp(prefix="sunbid-cli-test-"))
    root.chmod(0o755)
    yield root / "var"
    _cli(root / "var", "db", "stop")
    shutil.rmtree(root, ignore_errors=True)


def test_embedded_database_survives_a_killed_run_and_keeps_data(private_data_dir: Path) -> None:
    data_dir = private_data_dir
    first = _cli(data_dir, "seed")
    assert first.returncode == 0, first.stderr
    assert (data_dir / "wallet" / "agency" / "certificate.pem").exists()
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    holder = (
        "import pathlib, sys, time\n"
        "from core.embedded import start_embedded\n"
        "start_embedded(pathlib.Path(sys.argv[1]), stop_at_exit=False)\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(data_dir / "pgdata")], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "up"
    postmaster = int(pid_file.read_text().split()[0])
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    again = _cli(data_dir, "db", "url")
    assert again.returncode == 0, again.stderr
    assert int(pid_file.read_text().split()[0]) == postmaster, "a live server that answers is reused"
    os.kill(postmaster, signal.SIGSTOP)
    try:
        hung = _cli(data_dir, "seed")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGCONT)
    assert hung.returncode == 0, hung.stderr
    assert "does not answer: stopping it" in hung.stderr
    assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() == psutil.STATUS_ZOMBIE
    url = _cli(data_dir, "db", "url")
    assert url.returncode == 0, url.stderr
    assert int(pid_file.read_text().split()[0]) != postmaster, "a server that does not answer is replaced"
    assert "demo data present" in _cli(data_dir, "seed").stdout
    assert _cli(data_dir, "db", "stop").returncode == 0


def test_db_clock_shows_and_moves_the_database_clock(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "SUNBID_DATABASE_URL": database_url, "SUNBID_DATA_DIR": str(tmp_path), "SUNBID_MODE": "test"}

    def clock(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sunbid", "db", "clock", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    forward = clock("--forward", "30d")
    assert forward.returncode == 0, forward.stderr
    assert "offset 30 days, 0:00:00" in forward.stdout
    at = clock("--at", "2030-01-01T10:00")
    assert at.returncode == 0, at.stderr
    assert "database time 2030-01-01 10:00:" in at.stdout
    wrong = clock("--forward", "soon")
    assert wrong.returncode == 2
    assert "'soon' is not a duration like 30d" in wrong.stderr
    reset = clock("--reset")
    assert reset.returncode == 0, reset.stderr
    assert "(offset 0:00:00)" in reset.stdout
