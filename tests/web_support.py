"""Helpers of the browser tests (this module holds no tests; their fixtures are in
web_fixtures.py, loaded with `pytest_plugins = ["web_fixtures"]`): a real `scalpbot serve` in a
subprocess with a home of its own, and Debian's Chromium driven by Playwright.

Everything a test touches is its own: a free
port (the server binds port 0 and prints where it listens), a tmp home, a fresh browser
context. When a browser test fails, a screenshot of its page is saved as
test-artifacts/<test-name>.png. Playwright's own browser downloads are never used: it
launches /usr/bin/chromium, and the tests skip with the reason when that is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scalpbot.config import init_home

CHROMIUM = Path(os.environ.get("SCALPBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "a long dashboard password 42"
#: Times real time: a simulated trading day (6 h 15 min) passes in about 22 s, so a test is
#: done with a session long before its market closes.
SPEED = "1000"
#: How long a browser wait may take before the test fails (ms).
WAIT_MS = 20_000
SCALPBOT = [sys.executable, "-m", "scalpbot"]


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertion, with this suite's timeout."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=WAIT_MS)
    return playwright_expect(target)


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (CI does)",
)


@dataclass
class Served:
    """A running `scalpbot serve` and where it listens."""

    home: Path
    process: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate(timeout=10)


def make_home(home: Path) -> Path:
    """A home with the default config and the admin password, set as a user would."""
    init_home(home)
    result = subprocess.run(
        [*SCALPBOT, "admin", "set-password", "--home", str(home), "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return home


def serve(home: Path, *args: str, timeout: float = 45.0) -> Served:
    """`scalpbot serve` on a free loopback port (no session at start); returns once it
    printed the address it listens on."""
    command = [*SCALPBOT, "serve", "--home", str(home), "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--no-start", "--speed", SPEED, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.match(r"dashboard: (http://\S+)", line)
        if found:
            return Served(home, process, found.group(1))
    process.kill()
    _, err = process.communicate(timeout=10)
    raise AssertionError(f"scalpbot serve did not start: {''.join(lines)}{err}")


def log_in(page: Any, url: str, password: str = PASSWORD) -> None:
    """Log in through the login page and land on the dashboard."""
    page.goto(url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(url + "/")
