"""Writing the home's files so that a crash or a full disk never leaves half a file behind.

A config file is written to a temporary file in the same folder, flushed to disk and renamed
over the old one: readers see either the old file or the new one. Secret files are created with
mode 0600 from the first byte, never chmod-ed after the secret is already on disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from scalpbot.domain import ConfigError

SECRET_MODE = 0o600


def write_atomically(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Replace `path` with `text` (UTF-8) in one rename; a new file gets `mode` less the umask
    (so 0600 stays private whatever the umask)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()  # left by a crash: O_EXCL below must create it with our mode
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def is_private(path: Path) -> bool:
    """True if nobody but the owner can read or write `path`."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def make_private(path: Path) -> bool:
    """Tighten `path` to 0600 if group or others have any access; True if it changed."""
    if is_private(path):
        return False
    try:
        os.chmod(path, SECRET_MODE)
    except OSError as exc:
        raise ConfigError(f"cannot make {path} private (mode 0600): {exc.strerror}") from exc
    return True
