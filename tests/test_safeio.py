"""Bounded reading of user files (lstmfigs.safeio) and the one loader built on it.

Hostile files must end in one LstmfigsError line, quickly and without allocating what a
header or an archive claims: FIFOs and devices, zip bombs, headers announcing 2**40 rows,
pickles, truncated data.
"""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from lstmfigs import safeio
from lstmfigs.errors import LstmfigsError
from lstmfigs.loader import load_inputs, load_lstm, read_weights
from lstmfigs.sim import LSTM


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.npz"
    os.mkfifo(path)
    return path


def test_fifo_is_refused_without_waiting_for_a_writer(fifo):
    with pytest.raises(LstmfigsError, match=r"is a FIFO \(named pipe\); expected a regular file"):
        safeio.read_bytes(fifo, "spec file", 1000)
    with pytest.raises(LstmfigsError, match="FIFO"):
        read_weights(fifo)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device, tmp_path):
    if not os.path.exists(device):
        pytest.skip(f"{device} is absent")
    link = tmp_path / "inputs.npy"
    link.symlink_to(device)
    with pytest.raises(LstmfigsError, match="is a device; expected a regular file"):
        load_inputs(link, 3)
    with pytest.raises(LstmfigsError, match="is a device"):
        safeio.read_text(device, "theme file", 100)


def test_folder_and_missing_file_have_their_own_messages(tmp_path):
    with pytest.raises(LstmfigsError, match="is a folder; expected a regular file"):
        safeio.read_bytes(tmp_path, "spec file", 10)
    with pytest.raises(LstmfigsError, match="does not exist"):
        safeio.read_bytes(tmp_path / "nothing.toml", "spec file", 10)


def test_read_bytes_stops_at_the_limit(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"x" * 101)
    assert safeio.read_bytes(path, "spec file", 101) == b"x" * 101
    with pytest.raises(LstmfigsError, match="larger than 100 bytes"):
        safeio.read_bytes(path, "spec file", 100)


def test_text_must_be_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"caf\xe9")
    with pytest.raises(LstmfigsError, match="not UTF-8 text"):
        safeio.read_text(path, "input file", 100)


def _npy_bytes(header: dict, data: bytes = b"") -> bytes:
    stream = io.BytesIO()
    npy_format.write_array_header_1_0(stream, header)
    return stream.getvalue() + data


def test_header_announcing_two_to_the_forty_rows_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (2**40, 3)}))
    with pytest.raises(LstmfigsError,
                       match=r"shape \(1099511627776, 3\).*more than the 256 MiB allowed"):
        safeio.load_npy(path, "input file")


def _vector(descr: str, length: int, data: bytes) -> bytes:
    return _npy_bytes({"descr": descr, "fortran_order": False, "shape": (length,)}, data)


@pytest.mark.parametrize("content, message", [
    (b"\x80\x04\x95 not numpy at all", "not a valid .npy array"),
    (_vector("|O", 2, b"\0" * 16), "expected numbers"),
    (_vector("<U3", 2, b"\0" * 24), "expected numbers"),
    (_vector("<f8", 4, b"\0" * 8), "truncated"),
    (_vector("<f8", 1, b"\0" * 9), "bytes after its array"),
])
def test_bad_npy_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.npy"
    path.write_bytes(content)
    with pytest.raises(LstmfigsError, match=message) as caught:
        safeio.load_npy(path, "input file")
    assert "\n" not in str(caught.value)


def test_npy_round_trip_matches_numpy_in_both_orders(tmp_path):
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for order, name in (("C", "c.npy"), ("F", "f.npy")):
        np.save(tmp_path / name, np.asarray(array, order=order))
        loaded = safeio.load_npy(tmp_path / name, "input file")
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == array.dtype


def test_npz_round_trip_matches_numpy(tmp_path):
    arrays = {"weight_ih_l0": np.ones((8, 3), np.float32), "bias": np.arange(5.0)}
    np.savez_compressed(tmp_path / "w.npz", **arrays)
    loaded = safeio.load_npz(tmp_path / "w.npz", "weights file")
    assert loaded.keys() == arrays.keys()
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def _bomb(path, megabytes: int) -> None:
    """An .npz whose one float64 array of zeros inflates to ``megabytes`` MiB."""
    count = megabytes * 2**20 // 8
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            npy_format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                       "shape": (count,)})
            chunk = bytes(2**20)
            for _ in range(megabytes):
                member.write(chunk)


def test_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"
    _bomb(path, 300)
    assert path.stat().st_size < 2**20          # small on disk ...
    with pytest.raises(LstmfigsError,
                       match="would inflate to 300 MiB, more than the 256 MiB allowed"):
        read_weights(path)                      # ... refused by what it would inflate to


def test_member_limit_counts_every_array_together(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, a=np.zeros(100), b=np.zeros(100))
    assert len(safeio.load_npz(path, "weights file", limit=1600)) == 2
    with pytest.raises(LstmfigsError, match=r"array 'b'.*more than"):
        safeio.load_npz(path, "weights file", limit=1599)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"PK\x03\x04 truncated"), "not a valid .npz archive"),
    (lambda p: p.write_bytes(b"plain text, not a zip"), "not a valid .npz archive"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("payload.pkl", b"\x80\x04."),
     "is not an .npy array"),
])
def test_bad_archives_are_one_line_errors(tmp_path, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(LstmfigsError, match=message):
        read_weights(path)


def test_the_loader_reads_what_the_simulator_writes(tmp_path):
    model = LSTM(3, 4, seed=0)
    np.savez(tmp_path / "m.npz", **model.state_dict())
    loaded = load_lstm(tmp_path / "m.npz")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    # LSTM.from_torch(path) goes through the same bounded reader.
    with pytest.raises(LstmfigsError, match="^state_dict: weights file .* is a FIFO"):
        os.mkfifo(tmp_path / "p.npz")
        LSTM.from_torch(tmp_path / "p.npz")


def test_inputs_from_csv_with_header_and_from_npy(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n3,4\n")
    np.testing.assert_array_equal(load_inputs(tmp_path / "x.csv", 2)[:, 0, :], [[1, 2], [3, 4]])
    np.save(tmp_path / "x.npy", np.ones((5, 2, 2)))
    assert load_inputs(tmp_path / "x.npy", 2, np.float64, batch_first=False).shape == (5, 2, 2)


def test_lstm_activity_uses_the_same_loader_as_the_data_figures(tmp_path):
    from lstmfigs.animate import run_activity

    model = LSTM(2, 4, seed=0, dtype="float64")
    kernel, recurrent, bias = model.to_keras()
    np.savez(tmp_path / "keras.npz", **{"lstm/kernel:0": kernel,
                                        "lstm/recurrent_kernel:0": recurrent,
                                        "lstm/bias:0": bias})
    (tmp_path / "x.csv").write_text("t0,t1\n0.5,1\n-1,0\n0,2\n")
    run = run_activity(weights=tmp_path / "keras.npz", inputs=tmp_path / "x.csv")
    assert run.steps == 3                       # Keras names and a CSV header, as for data figures
    (tmp_path / "nan.csv").write_text("0.5,nan\n")
    with pytest.raises(LstmfigsError, match="NaN or infinite"):
        run_activity(weights=tmp_path / "keras.npz", inputs=tmp_path / "nan.csv")
    os.mkfifo(tmp_path / "pipe.npy")
    with pytest.raises(LstmfigsError, match="FIFO"):
        run_activity(inputs=tmp_path / "pipe.npy")
