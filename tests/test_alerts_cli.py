"""`scalpbot alerts test` and `scalpbot run` with Telegram, as a user runs them: subprocesses
against a fake Telegram server and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from alerts_support import CHAT_ID, OTHER_CHAT, free_port, smtp_server
from fake_telegram import FakeTelegram

SCALPBOT = [sys.executable, "-m", "scalpbot"]


def make_home(
    tmp_path: Path, *, telegram: str | None = None, token: str = "", smtp_port: int | None = None
) -> Path:
    """`scalpbot init`, then alerts in config.yaml and the bot token in secrets.env."""
    home = tmp_path / "home"
    subprocess.run([*SCALPBOT, "init", "--home", str(home)], check=True, capture_output=True)
    config_file = home / "config.yaml"
    config: dict[str, Any] = yaml.safe_load(config_file.read_text())
    alerts: dict[str, Any] = {"events": {}}
    if telegram is not None:
        alerts["telegram"] = {"enabled": True, "chat_id": CHAT_ID, "api_url": telegram}
        with (home / "secrets.env").open("a") as secrets:
            secrets.write(f"SCALPBOT__ALERTS__TELEGRAM__BOT_TOKEN={token}\n")
    if smtp_port is not None:
        alerts["email"] = {
            "enabled": True,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "security": "none",
            "sender": "bot@example.com",
            "recipients": ["trader@example.com"],
        }
    config["alerts"] = alerts
    config_file.write_text(yaml.safe_dump(config))
    return home


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCALPBOT")}


def alerts_test(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCALPBOT, "alerts", "test", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )


def test_alerts_test_sends_on_every_enabled_channel(tmp_path: Path) -> None:
    with FakeTelegram() as tg, smtp_server() as (smtp, port):
        home = make_home(tmp_path, telegram=tg.url, token=tg.token, smtp_port=port)
        done = alerts_test(home)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["telegram: sent", "email: sent"]
        assert tg.texts(CHAT_ID) == ["scalpbot test message"]
        (mail,) = smtp.mails
        assert mail.subject == "[scalpbot] test"
        assert mail.body.startswith("scalpbot test message")


def test_alerts_test_reports_each_failure_and_exits_1(tmp_path: Path) -> None:
    wrong = "555:not-the-right-token-xxxxxxxxxx"
    with FakeTelegram() as tg:
        home = make_home(tmp_path, telegram=tg.url, token=wrong, smtp_port=free_port())
        done = alerts_test(home)
        assert tg.texts() == []
    assert done.returncode == 1
    telegram, email = done.stdout.splitlines()
    assert telegram.startswith("telegram: failed: Telegram refused the bot token (401")
    assert email.startswith("email: failed: cannot reach SMTP server 127.0.0.1:")
    assert wrong not in done.stdout + done.stderr


def test_alerts_test_says_when_no_channel_is_enabled(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    done = alerts_test(home)
    assert done.returncode == 1
    assert done.stdout.startswith("no alert channel is enabled")
    assert "config.yaml" in done.stdout


def test_a_run_sends_order_alerts_and_obeys_stop_from_the_right_chat(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        home = make_home(tmp_path, telegram=tg.url, token=tg.token)
        out = tmp_path / "session.json"
        process = subprocess.Popen(
            [
                *SCALPBOT,
                "run",
                "--home",
                str(home),
                "--feed",
                "simulated",
                "--speed",
                "600",
                "--strategy",
                "ma_cross",
                "--param",
                "fast=3",
                "--param",
                "slow=8",
                "--quiet",
                "--json",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        try:
            tg.wait_for(
                lambda: any(t.startswith("✅ FILLED") for t in tg.texts(CHAT_ID)), timeout=90
            )
            placed = [t for t in tg.texts(CHAT_ID) if t.startswith("📝 PLACED")]
            assert placed and "(ma_cross:" in placed[0]
            # Someone else's /stop does nothing...
            tg.inject("/stop", chat_id=OTHER_CHAT)
            time.sleep(2)
            assert process.poll() is None
            # ...the trader's does.
            tg.inject("/stop", chat_id=CHAT_ID)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, stderr
        texts = tg.texts(CHAT_ID)
    assert any(t.startswith("⏹ Stopping the session") for t in texts)
    report = json.loads(out.read_text())
    assert report["status"] == "interrupted"
    assert report["orders"]
