"""On-disk cache of trained weights and training histories.

Where: ``$LSTMFIGS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/lstmfigs``, else
``~/.cache/lstmfigs``.  One ``.npz`` file per training run, named by a hash of everything
that determines the run (the job's parameters, the package version and this file
format's version), so a changed scenario or a new release never reads stale weights.

Files are written atomically (a temporary file in the same folder, then ``os.replace``),
so concurrent renders or an interrupted run never leave half a file.  The cache is an
optimisation only: an unreadable entry is treated as missing, and an unwritable folder
just means the next run trains again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 1

ENV_CACHE_DIR = "LSTMFIGS_CACHE_DIR"


def cache_dir() -> Path:
    """The folder trained weights are cached in (not created here)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "lstmfigs"


def cache_key(parameters: Mapping[str, Any]) -> str:
    """A short, stable hash of ``parameters`` (JSON-serialisable) and the package version."""
    from .. import __version__

    payload = json.dumps({"parameters": dict(parameters), "version": __version__,
                          "format": CACHE_FORMAT}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or None when the entry is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def store_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> bool:
    """Write ``arrays`` to ``path`` atomically; False (and nothing left behind) on failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part", delete=False)
    except OSError:
        return False
    try:
        with handle:
            np.savez(handle, **arrays)
        os.replace(handle.name, path)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
