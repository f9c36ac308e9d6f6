"""Reading files that users (or a cache) hand us, within stated bounds.

Every reader here

* refuses anything that is not a regular file (a FIFO, a device, a folder) with a message of
  its own, checked on the open descriptor, which is opened non-blocking so that a FIFO with
  no writer can never hang the open;
* reads at most a stated number of bytes, whatever ``st_size`` claims (``/dev/zero`` and
  ``/proc`` files report 0);
* for ``.npz`` and ``.npy``: checks member names, each header's dtype and shape, and the
  declared sizes *before* anything is decompressed or allocated, and never unpickles.

Every failure is one :class:`~lstmfigs.errors.LstmfigsError` line naming the file.  This
module imports only the standard library and NumPy, so the simulator can use it too.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from .errors import LstmfigsError

#: The most a weights or inputs file may hold, uncompressed (all arrays together).
MAX_ARRAY_BYTES = 256 * 2**20
#: The most arrays one ``.npz`` may hold.
MAX_ARCHIVE_MEMBERS = 4096
#: The most bytes of text (a CSV file of inputs) read into memory.
MAX_TEXT_BYTES = 64 * 2**20
#: ``.npy`` headers longer than this are refused (NumPy's own default limit).
MAX_NPY_HEADER = 10_000

#: Array element kinds a weights or inputs file may hold: floats, integers, booleans.
NUMERIC_KINDS = "fiub"

PathLike = str | os.PathLike[str]


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextmanager
def open_regular(path: PathLike, what: str) -> Iterator[BinaryIO]:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to open.
    what : str
        What the file is for (``"weights file"``), used in messages.

    Yields
    ------
    BinaryIO
        The open file, positioned at its start.

    Raises
    ------
    LstmfigsError
        The file does not exist, cannot be read, or is not a regular file.
    """
    name = os.fspath(path)
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(name, flags)
    except FileNotFoundError:
        raise LstmfigsError(f"{what} '{name}' does not exist") from None
    except IsADirectoryError:
        raise LstmfigsError(f"{what} '{name}' is a folder; expected a regular file") from None
    except OSError as error:
        raise LstmfigsError(f"cannot open {what} '{name}' ({error.strerror or error})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise LstmfigsError(f"{what} '{name}' is {_kind_of(mode)}; expected a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle


def read_bytes(path: PathLike, what: str, limit: int) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    what : str
        What the file is for, used in messages.
    limit : int
        The most bytes accepted; a longer file is refused without reading past the limit.

    Returns
    -------
    bytes
        The file's content.
    """
    with open_regular(path, what) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise LstmfigsError(f"cannot read {what} '{os.fspath(path)}' "
                                f"({error.strerror or error})") from None
    if len(data) > limit:
        raise LstmfigsError(f"{what} '{os.fspath(path)}' is larger than {_size_text(limit)}")
    return data


def read_text(path: PathLike, what: str, limit: int) -> str:
    """A regular file of at most ``limit`` bytes as UTF-8 text (a BOM is dropped).

    Parameters
    ----------
    path : str or path-like
        The file to read.
    what : str
        What the file is, for messages (``"spec"``).
    limit : int
        The most bytes to read.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    LstmfigsError
        If the file is missing, not a regular file, unreadable, larger than ``limit`` or not
        UTF-8.
    """
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LstmfigsError(f"{what} '{os.fspath(path)}' is not UTF-8 text "
                            f"(byte {error.start})") from None


def _size_text(size: int) -> str:
    return f"{size / 2**20:g} MiB" if size >= 2**20 else f"{size} bytes"


def _checked_header(handle: IO[bytes], where: str,
                    budget: int) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """Shape, dtype, Fortran order and data size of the ``.npy`` stream at ``handle``."""
    try:
        version = npy_format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(
                handle, max_header_size=MAX_NPY_HEADER)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy_format.read_array_header_2_0(
                handle, max_header_size=MAX_NPY_HEADER)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise LstmfigsError(f"{where}: not a valid .npy array ({reason[:200]})") from None
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS:
        raise LstmfigsError(f"{where}: expected numbers, got dtype {dtype} "
                            "(object, text and structured arrays are refused)")
    if any(not isinstance(extent, int) or extent < 0 for extent in shape):
        raise LstmfigsError(f"{where}: invalid shape {shape}")
    count = 1
    for extent in shape:
        count *= extent
    size = count * dtype.itemsize
    if size > budget:
        raise LstmfigsError(f"{where}: array of shape {shape} and dtype {dtype} needs "
                            f"{_size_text(size)}, more than the {_size_text(MAX_ARRAY_BYTES)} "
                            "allowed")
    return shape, dtype, fortran, size


def _read_data(handle: IO[bytes], where: str, shape: tuple[int, ...], dtype: np.dtype,
               fortran: bool, size: int) -> np.ndarray:
    data = handle.read(size)
    if len(data) != size:
        raise LstmfigsError(f"{where}: truncated (expected {size} bytes of data, "
                            f"found {len(data)})")
    array = np.frombuffer(data, dtype=dtype)
    if fortran:
        return array.reshape(shape[::-1]).transpose().copy()
    return array.reshape(shape).copy()


def load_npy(path: PathLike, what: str, *, limit: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """One array from a ``.npy`` file, its header checked before anything is allocated.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npy`` file.
    what : str
        What the file is for, used in messages.
    limit : int, optional
        The most bytes the array may hold.

    Returns
    -------
    numpy.ndarray
        The array (numbers only; never unpickled).
    """
    where = f"{what} '{os.fspath(path)}'"
    with open_regular(path, what) as handle:
        try:
            shape, dtype, fortran, size = _checked_header(handle, where, limit)
            array = _read_data(handle, where, shape, dtype, fortran, size)
            if handle.read(1):
                raise LstmfigsError(f"{where}: has bytes after its array")
        except OSError as error:
            raise LstmfigsError(f"cannot read {where} ({error.strerror or error})") from None
    return array


def load_npz(path: PathLike, what: str, *, limit: int = MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` archive, checked before any is decompressed.

    Member names, their count, each member's declared uncompressed size and each array's
    header (dtype and shape) are checked against ``limit`` first, so a small archive that
    inflates to gigabytes, or a header that announces 2**40 rows, is refused cheaply.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.
    what : str
        What the file is for, used in messages.
    limit : int, optional
        The most bytes all arrays together may hold.

    Returns
    -------
    dict of str to numpy.ndarray
        The arrays by name (without the ``.npy`` suffix), numbers only.
    """
    where = f"{what} '{os.fspath(path)}'"
    with open_regular(path, what) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                return _read_archive(archive, where, limit)
        except zipfile.BadZipFile as error:
            raise LstmfigsError(f"{where}: not a valid .npz archive ({error})") from None
        except (OSError, EOFError, NotImplementedError, RuntimeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise LstmfigsError(f"cannot read {where} ({reason[:200]})") from None


def _read_archive(archive: zipfile.ZipFile, where: str, limit: int) -> dict[str, np.ndarray]:
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise LstmfigsError(f"{where}: holds {len(members)} files, more than the "
                            f"{MAX_ARCHIVE_MEMBERS} allowed")
    declared = sum(member.file_size for member in members)
    # Each member is an .npy: its header (at most MAX_NPY_HEADER plus the magic) and data.
    if declared > limit + len(members) * (MAX_NPY_HEADER + 16):
        raise LstmfigsError(f"{where}: would inflate to {_size_text(declared)}, more than the "
                            f"{_size_text(limit)} allowed")
    arrays: dict[str, np.ndarray] = {}
    budget = limit
    for member in members:
        if member.is_dir():
            continue
        if not member.filename.endswith(".npy"):
            raise LstmfigsError(f"{where}: member '{member.filename}' is not an .npy array")
        key = member.filename[: -len(".npy")]
        member_where = f"{where}, array '{key}'"
        with archive.open(member) as stream:
            # The zip reader stops at the declared size, so what follows is bounded too.
            shape, dtype, fortran, size = _checked_header(stream, member_where, budget)
            arrays[key] = _read_data(stream, member_where, shape, dtype, fortran, size)
        budget -= size
    return arrays
