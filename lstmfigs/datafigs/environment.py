"""What a machine's numbers depend on: the NumPy version, the SIMD loops NumPy dispatches
to on this CPU, and the BLAS library with the kernels it picked for this CPU.

Training amplifies last-bit differences between any of these into different models, so
cached training results are keyed by :func:`numeric_identity`, and the script that makes
the shipped data records :func:`record` beside it.
"""

from __future__ import annotations

import ctypes
import datetime
import functools
import glob
import importlib
import os
import platform
from typing import Any

import numpy as np

#: Symbols that name an OpenBLAS build's configuration (with the kernels chosen at run
#: time for this CPU), under the names of the builds NumPy wheels and distributions ship.
_OPENBLAS_CONFIG_SYMBOLS = ("scipy_openblas_get_config64_", "scipy_openblas_get_config",
                            "openblas_get_config64_", "openblas_get_config")


def _build_blas() -> str:
    try:
        # Typed as returning None in some NumPy versions' stubs: call it untyped.
        show_config: Any = np.show_config
        config = show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except Exception:  # noqa: BLE001 - an old or unusual NumPy build: say so, do not fail
        return "unknown"


def _runtime_openblas() -> str | None:
    """The OpenBLAS configuration string NumPy's BLAS reports, kernels included."""
    folder = os.path.dirname(np.__file__)
    candidates = sorted(glob.glob(os.path.join(folder, "..", "numpy.libs", "*openblas*"))
                        + glob.glob(os.path.join(folder, ".dylibs", "*openblas*")))
    for library in candidates:
        try:
            handle = ctypes.CDLL(library)  # already loaded by NumPy: the same handle
        except OSError:
            continue
        for symbol in _OPENBLAS_CONFIG_SYMBOLS:
            function = getattr(handle, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                value = function()
                return " ".join(value.decode("ascii", "replace").split()) if value else None
    return None


def _numpy_simd() -> str:
    """The SIMD targets NumPy dispatches to on this CPU (``NPY_DISABLE_CPU_FEATURES`` honoured)."""
    # Imported by name: which private module exists depends on the NumPy version.
    try:
        core = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # pragma: no cover - NumPy 1.x
        core = importlib.import_module("numpy.core._multiarray_umath")
    features = getattr(core, "__cpu_features__", {})
    targets = getattr(core, "__cpu_dispatch__", [])
    active = [target for target in targets if features.get(target)]
    return " ".join(active) or "baseline"


@functools.lru_cache(maxsize=1)
def blas_identity() -> str:
    """The BLAS build and, where it can be asked (OpenBLAS), the kernels it runs here."""
    runtime = _runtime_openblas()
    return runtime if runtime else _build_blas()


@functools.lru_cache(maxsize=1)
def numeric_identity() -> dict[str, str]:
    """Everything besides a job's own settings that changes its training numbers."""
    from .. import __version__

    return {"lstmfigs": __version__, "numpy": np.__version__, "numpy_simd": _numpy_simd(),
            "blas": blas_identity()}


def record() -> dict[str, Any]:
    """The environment a set of runs was trained in, for the record shipped beside them."""
    return {**numeric_identity(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu": _cpu_name(),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
