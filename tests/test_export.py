"""Camera-ready files: TrueType fonts, identical bytes on re-render, atomic writes."""

from __future__ import annotations

import os
import re
import stat
import zlib

import pytest

import lstmfigs
from lstmfigs import export
from lstmfigs.errors import LstmfigsError
from lstmfigs.export import atomic_write, save_figure
from tests.helpers import theme_names


def pdf_font_subtypes(data: bytes) -> set[str]:
    """Every /Subtype of every font object in a PDF (streams inflated where compressed)."""
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    subtypes = set()
    for chunk in chunks:
        for font in re.finditer(rb"/Type\s*/Font\b(.{0,400})", chunk, re.S):
            sub = re.search(rb"/Subtype\s*/(\w+)", font.group(0))
            if sub:
                subtypes.add(sub.group(1).decode())
        for sub in re.finditer(rb"/Subtype\s*/(Type3|TrueType|Type1|CIDFontType2|Type0)", chunk):
            subtypes.add(sub.group(1).decode())
    return subtypes


def test_the_pdf_font_reader_sees_type3(tmp_path):
    """The check below would be worthless if it could not see a Type 3 font."""
    import matplotlib as mpl

    with mpl.rc_context({"pdf.fonttype": 3}):
        from matplotlib.figure import Figure

        fig = Figure()
        fig.text(0.5, 0.5, "Type 3 $x_t$")
        fig.savefig(tmp_path / "t3.pdf")
    assert "Type3" in pdf_font_subtypes((tmp_path / "t3.pdf").read_bytes())


@pytest.mark.parametrize("theme", theme_names())
def test_no_type3_fonts_in_any_theme(theme, tmp_path):
    fig = lstmfigs.figure("lstm-cell", theme=theme, equations=True)
    path = save_figure(fig, tmp_path / "cell.pdf")
    subtypes = pdf_font_subtypes(path.read_bytes())
    assert "Type3" not in subtypes
    assert "TrueType" in subtypes or "CIDFontType2" in subtypes


def test_plain_savefig_outside_the_theme_still_embeds_truetype(tmp_path):
    """Users call fig.savefig directly; the figure carries its theme with it."""
    fig = lstmfigs.figure("lstm-cell")
    fig.savefig(tmp_path / "plain.pdf")
    assert "Type3" not in pdf_font_subtypes((tmp_path / "plain.pdf").read_bytes())


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg"])
def test_rendering_twice_gives_identical_bytes(fmt, tmp_path):
    first = save_figure(lstmfigs.figure("lstm-cell", equations=True), tmp_path / f"a.{fmt}")
    second = save_figure(lstmfigs.figure("lstm-cell", equations=True), tmp_path / f"b.{fmt}")
    assert first.read_bytes() == second.read_bytes()
    if fmt == "pdf":
        assert b"CreationDate" not in first.read_bytes()
    if fmt == "svg":
        assert b"<dc:date>" not in first.read_bytes()


@pytest.mark.parametrize("theme,width", [("paper", 345 / 72.27), ("ieee", 252 / 72.27),
                                         ("twocolumn", 516 / 72.27), ("beamer", 398.3386 / 72.27),
                                         ("slides", 40 / 3)])
def test_physical_width_comes_from_the_theme(theme, width, tmp_path):
    from PIL import Image

    fig = lstmfigs.figure("lstm-cell", theme=theme)
    assert fig.get_size_inches()[0] == pytest.approx(width)
    path = save_figure(fig, tmp_path / "cell.png", dpi=100)
    assert Image.open(path).size[0] == int(width * 100)  # matplotlib truncates


def test_slides_are_16_by_9():
    fig = lstmfigs.figure("lstm-cell", theme="slides", equations=True)
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(16 / 9, rel=1e-3)


def test_width_override_keeps_text_size():
    fig = lstmfigs.figure("lstm-cell", width=4.0)
    assert fig.get_size_inches()[0] == pytest.approx(4.0)
    texts = fig.lstmfigs_diagram.artists.texts()
    assert {t.get_fontsize() for t in texts} == {9.0}


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "figure.pdf"
    target.write_bytes(b"old contents")

    def explode(handle):
        handle.write(b"half a fi")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.pdf"]


def test_interrupted_save_leaves_nothing(tmp_path, monkeypatch):
    fig = lstmfigs.figure("lstm-cell")
    from lstmfigs.export import ThemedFigure

    def interrupted(self, fname, *args, **kwargs):
        fname.write(b"%PDF-1.4 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(ThemedFigure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_figure(fig, tmp_path / "cell.pdf")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(LstmfigsError, match="does not exist"):
        save_figure(lstmfigs.figure("lstm-cell"), tmp_path / "nope" / "cell.pdf")


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(LstmfigsError, match="unknown format 'bmp'"):
        save_figure(lstmfigs.figure("lstm-cell"), tmp_path / "cell.bmp")


# ------------------------------------------------------------------ the one atomic writer
@pytest.fixture
def umask_027():
    """The process's umask set to 027 for the test (it is per process: restored after)."""
    previous = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_every_writer_makes_files_and_folders_as_the_umask_says(tmp_path, monkeypatch, umask_027):
    """Figures, run sets and cache entries all go through atomic_write; none of them uses
    a fixed mode (a temporary file from tempfile would be 0600)."""
    from lstmfigs.datafigs import cache, runs

    shipped = runs.shipped()
    figure = save_figure(lstmfigs.figure("rnn-cell"), tmp_path / "rnn-cell.svg")
    run_set = shipped.save(tmp_path / "sets" / "deep" / "runs.npz")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(tmp_path / "cache"))
    assert cache.store_job(next(iter(shipped.runs.values())))
    (entry,) = (tmp_path / "cache" / "jobs").iterdir()
    for path in (figure, run_set, entry):
        assert _mode(path) == 0o666 & ~umask_027, path
    for folder in (tmp_path / "sets", tmp_path / "sets" / "deep", tmp_path / "cache" / "jobs"):
        assert _mode(folder) == 0o777 & ~umask_027, folder


def test_atomic_write_makes_the_folder_only_when_asked(tmp_path):
    target = tmp_path / "new" / "folder" / "file.bin"
    with pytest.raises(LstmfigsError, match="does not exist"):
        atomic_write(target, lambda handle: handle.write(b"x"))
    assert not (tmp_path / "new").exists()
    assert atomic_write(target, lambda handle: handle.write(b"x"), make_folder=True) == target
    assert target.read_bytes() == b"x"


def test_an_aborted_batch_removes_the_folders_it_made_but_keeps_immediate_files(tmp_path):
    from lstmfigs.export import batch

    staged = tmp_path / "made" / "staged.bin"
    kept = tmp_path / "cache" / "kept.bin"
    with pytest.raises(RuntimeError), batch():
        atomic_write(staged, lambda handle: handle.write(b"s"), make_folder=True)
        atomic_write(kept, lambda handle: handle.write(b"k"), make_folder=True, immediate=True)
        assert not staged.exists() and kept.read_bytes() == b"k"
        raise RuntimeError("a later figure failed")
    assert not (tmp_path / "made").exists()
    assert kept.read_bytes() == b"k"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["kept.bin"]


def test_a_failing_disk_is_an_lstmfigs_error_naming_the_file(tmp_path):
    """An OSError while writing (a full disk, a lost network folder) is not a bug: the API
    raises LstmfigsError, the old file stays and no temporary file is left."""
    import errno

    target = tmp_path / "data.npz"
    target.write_bytes(b"old")

    def full(handle):
        handle.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(LstmfigsError, match=r"cannot write '.*data\.npz': No space left"):
        atomic_write(target, full)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.npz"]


def test_a_cache_that_cannot_be_written_is_skipped_not_fatal(tmp_path, monkeypatch):
    from lstmfigs.datafigs import cache, runs

    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(blocker))
    assert cache.store_job(next(iter(runs.shipped().runs.values()))) is False
    assert blocker.read_bytes() == b""


@pytest.mark.parametrize("in_batch", [False, True])
def test_an_interrupt_right_after_the_temporary_file_is_complete_leaves_nothing(
        tmp_path, monkeypatch, in_batch):
    """The window between a complete temporary file and its rename (or its entry in the
    batch) is covered: the file's name is recorded the moment it exists."""
    real = export._write_temporary

    def then_interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "_write_temporary", then_interrupted)
    target = tmp_path / "figure.bin"
    with pytest.raises(KeyboardInterrupt):
        if in_batch:
            with export.batch():
                export.atomic_write(target, lambda handle: handle.write(b"data"))
        else:
            export.atomic_write(target, lambda handle: handle.write(b"data"))
    assert list(tmp_path.iterdir()) == []


def test_a_pdf_render_prints_nothing_on_stderr(tmp_path):
    """Embedding Computer Modern made fontTools warn about the fonts' pre-1970 timestamps,
    several lines on stderr per PDF; a render's stderr is for errors only."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "lstmfigs", "render", "lstm-cell", "--format", "pdf",
         "-o", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "lstm-cell.pdf").exists()
