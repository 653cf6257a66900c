"""Sample data files shipped inside the package, found wherever scalpbot is installed.

The demo, the docs and the tests need real bars without a download; `sample_path` finds the
bundled copies through `importlib.resources`, so it works from a checkout, a wheel or a zip.
Sources and licences are in `samples/README.md`.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from scalpbot.domain.errors import DataError

#: Names accepted by `sample_path`.
SAMPLES: tuple[str, ...] = ("GOOG.csv", "2006-min-005.txt")

# Files extracted from a zipped install live until the interpreter exits.
_extracted = ExitStack()
atexit.register(_extracted.close)


def sample_path(name: str) -> Path:
    """Filesystem path of the bundled sample `name` (one of `SAMPLES`)."""
    if name not in SAMPLES:
        raise DataError(f"unknown sample {name!r}; available samples: {', '.join(SAMPLES)}")
    resource = resources.files("scalpbot.data").joinpath("samples", name)
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(resources.as_file(resource))
