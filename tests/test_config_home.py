"""The home folder: where it is, what `init` puts in it, and `scalpbot init` as a user runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scalpbot.config import Settings, init_home, layout, load_settings, resolve_home
from scalpbot.config.models import StrategyConfig
from scalpbot.config.schema import iter_fields
from scalpbot.config.template import COMMENTS, NOTES, STRATEGY_KEYS, default_config_text
from scalpbot.domain import ConfigError


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_resolve_home_prefers_flag_then_environment_then_user_folder(tmp_path: Path) -> None:
    env = {"SCALPBOT_HOME": str(tmp_path / "from-env")}
    assert resolve_home(tmp_path / "flag", environ=env) == tmp_path / "flag"
    assert resolve_home(None, environ=env) == tmp_path / "from-env"
    assert resolve_home(None, environ={}) == Path.home() / ".scalpbot"
    assert resolve_home("~/bots/one", environ=env) == Path.home() / "bots" / "one"
    assert not (tmp_path / "flag").exists()  # resolving never creates


def test_layout_names_every_file_of_the_home(tmp_path: Path) -> None:
    paths = layout(tmp_path)
    assert paths.root == tmp_path
    assert paths.config_file == tmp_path / "config.yaml"
    assert paths.secrets_file == tmp_path / "secrets.env"
    assert paths.database_file == tmp_path / "scalpbot.db"
    assert paths.data_dir == tmp_path / "data"
    assert paths.logs_dir == tmp_path / "logs"


def test_init_creates_folders_config_and_private_secrets(tmp_path: Path) -> None:
    home = tmp_path / "deep" / "home"
    paths = init_home(home)
    assert paths.data_dir.is_dir() and paths.logs_dir.is_dir()
    assert paths.config_file.read_text(encoding="utf-8") == default_config_text()
    assert mode_of(paths.secrets_file) == 0o600
    secrets = paths.secrets_file.read_text(encoding="utf-8")
    assert "SCALPBOT__BROKER__API_SECRET=" in secrets
    # A template, no values: every line is blank or a comment.
    assert all(not line or line.startswith("#") for line in secrets.splitlines())


def test_default_config_loads_back_to_exactly_the_defaults(tmp_path: Path) -> None:
    init_home(tmp_path)
    loaded = load_settings(tmp_path, environ={})
    assert loaded.model_dump() == Settings().model_dump()


def test_every_section_and_key_has_a_one_line_comment() -> None:
    for path, _kind in iter_fields():
        comment = COMMENTS.get(".".join(path))
        assert comment, f"no comment for {'.'.join(path)}"
        assert "\n" not in comment
    assert set(STRATEGY_KEYS) == set(StrategyConfig.model_fields)
    notes = " ".join(NOTES["trading.strategies"])
    assert all(f"{key}:" in notes for key in STRATEGY_KEYS)
    # In the file itself, each key line follows a comment (or sits inside a strategy entry).
    lines = default_config_text().splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")) or line.startswith("    "):
            continue
        assert lines[index - 1].strip().startswith("#"), f"uncommented: {line!r}"
        assert len(line) <= 100


def test_init_refuses_to_overwrite_and_force_keeps_a_backup(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    paths.config_file.write_text("trading:\n  timeframe: 5m\n", encoding="utf-8")
    paths.secrets_file.write_text("SCALPBOT__BROKER__API_SECRET=keep-me\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        init_home(tmp_path)
    assert "already exists" in str(caught.value) and "--force" in str(caught.value)
    assert paths.config_file.read_text(encoding="utf-8") == "trading:\n  timeframe: 5m\n"

    init_home(tmp_path, force=True)
    assert paths.config_file.read_text(encoding="utf-8") == default_config_text()
    backup = tmp_path / "config.yaml.bak"
    assert backup.read_text(encoding="utf-8") == "trading:\n  timeframe: 5m\n"
    # secrets.env is never overwritten, even with --force.
    assert (
        paths.secrets_file.read_text(encoding="utf-8") == "SCALPBOT__BROKER__API_SECRET=keep-me\n"
    )


def test_init_makes_a_readable_secrets_file_private(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("SCALPBOT__BROKER__API_SECRET=abc\n", encoding="utf-8")
    os.chmod(secrets, 0o644)
    init_home(tmp_path)
    assert mode_of(secrets) == 0o600
    assert secrets.read_text(encoding="utf-8") == "SCALPBOT__BROKER__API_SECRET=abc\n"


def test_init_names_a_home_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a folder"):
        init_home(blocker)


def scalpbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scalpbot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_scalpbot_init_command_creates_the_home_and_says_what_next(tmp_path: Path) -> None:
    home = tmp_path / "bot"
    done = scalpbot("init", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert (home / "config.yaml").is_file()
    assert mode_of(home / "secrets.env") == 0o600
    assert str(home) in done.stdout
    assert "config.yaml  created" in done.stdout
    assert "Next:" in done.stdout and "scalpbot " in done.stdout.split("Next:")[1]
    assert load_settings(home, environ={}).model_dump() == Settings().model_dump()

    again = scalpbot("init", "--home", str(home))
    assert again.returncode == 2
    assert again.stderr.startswith("error: ") and "already exists" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1

    forced = scalpbot("init", "--home", str(home), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced" in forced.stdout and (home / "config.yaml.bak").is_file()


def test_scalpbot_init_uses_scalpbot_home_from_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "from-env"
    env = {**os.environ, "SCALPBOT_HOME": str(home)}
    done = scalpbot("init", env=env)
    assert done.returncode == 0, done.stderr
    assert (home / "config.yaml").is_file()
