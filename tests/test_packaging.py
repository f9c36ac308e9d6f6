"""The package as users get it: style sheets by dotted name, a wheel with real sheet files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import matplotlib as mpl
import matplotlib.style
import pytest

from lstmfigs.themes import theme_context
from tests.helpers import ROOT, theme_names


@pytest.mark.parametrize("theme", theme_names())
def test_every_theme_is_a_matplotlib_style_by_dotted_name(theme):
    """The sheet alone, on matplotlib's defaults, sets exactly what the theme sets."""
    with mpl.rc_context():
        mpl.rcdefaults()
        with matplotlib.style.context(f"lstmfigs.{theme}"):
            alone = dict(mpl.rcParams)
        with theme_context(theme):
            reference = dict(mpl.rcParams)
    assert alone == reference


def test_paper_alone_sets_the_camera_ready_params():
    with matplotlib.style.context("lstmfigs.paper"):
        assert mpl.rcParams["pdf.fonttype"] == 42
        assert mpl.rcParams["svg.hashsalt"] == "lstmfigs"
        assert mpl.rcParams["text.usetex"] is False


@pytest.mark.parametrize("suffix", ["toml", "mplstyle"])
def test_styles_folder_is_the_single_source(suffix):
    """lstmfigs/*.toml (theme tables) and *.mplstyle (sheets) are links to styles/, one for
    one (in an unpacked sdist, which holds no links, identical copies)."""
    sheets = sorted(p.name for p in (ROOT / "styles").glob(f"*.{suffix}"))
    links = sorted(p.name for p in (ROOT / "lstmfigs").glob(f"*.{suffix}"))
    assert sheets and sheets == links
    from_sdist = (ROOT / "PKG-INFO").is_file()
    for name in links:
        link = ROOT / "lstmfigs" / name
        if from_sdist:
            assert link.read_bytes() == (ROOT / "styles" / name).read_bytes()
            continue
        assert link.is_symlink()
        assert link.resolve() == (ROOT / "styles" / name).resolve()


def test_style_sheets_hold_only_real_rcparams():
    for sheet in (ROOT / "styles").glob("*.mplstyle"):
        for number, line in enumerate(sheet.read_text().splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                key = line.split(":", 1)[0].strip()
                assert key in mpl.rcParams, f"{sheet.name}:{number}: {key} is not an rcParam"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed: {result.stderr[-2000:]}")
    (path,) = out.glob("lstmfigs-*.whl")
    return path


@pytest.mark.slow
def test_wheel_ships_style_sheets_as_real_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for sheet in [*(ROOT / "styles").glob("*.mplstyle"), *(ROOT / "styles").glob("*.toml")]:
            member = f"lstmfigs/{sheet.name}"
            assert member in names
            assert archive.read(member) == sheet.read_bytes()
        assert "lstmfigs/specs/lstm-cell.toml" in names


@pytest.mark.slow
def test_wheel_ships_the_scenario_runs(wheel):
    """The built-in figures draw from shipped runs: they must be in the wheel, unchanged."""
    data = ROOT / "lstmfigs" / "datafigs" / "data"
    with zipfile.ZipFile(wheel) as archive:
        for name in ("builtin-runs.npz", "builtin-runs.json"):
            assert archive.read(f"lstmfigs/datafigs/data/{name}") == (data / name).read_bytes()


@pytest.mark.slow
def test_non_editable_install_works_from_anywhere(wheel, tmp_path):
    """Install the wheel into a fresh target and use it from an unrelated folder."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import matplotlib.style, lstmfigs, sys; "
            "assert lstmfigs.__file__.startswith(sys.argv[1]), lstmfigs.__file__; "
            "matplotlib.style.use('lstmfigs.slides'); "
            "fig = lstmfigs.figure('lstm-cell', theme='ieee'); lstmfigs.save(fig, 'cell.pdf'); "
            "assert lstmfigs.data('lag-accuracy')['lstm_seeds'].shape[0] >= 10; "
            "print('ok')")
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                            text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "cell.pdf").stat().st_size > 1000


# -- the sdist, license and metadata -----------------------------------------------------------

def _git_files(*paths: str) -> list[str]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist)")
    listed = subprocess.run(["git", "ls-files", *paths], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return listed.stdout.split()


@pytest.mark.slow
def test_sdist_holds_everything_its_tests_need(tmp_path):
    """conftest, fixtures, baselines, the tools the tests load, the CI script, LICENSE."""
    import tarfile

    tracked = _git_files("tests", "tools", "styles", ".ci", "LICENSE", "README.md")
    result = subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path),
                             str(ROOT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"building the sdist failed: {result.stderr[-2000:]}")
    (sdist,) = tmp_path.glob("lstmfigs-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        info = archive.extractfile(next(n for n in archive.getnames()
                                        if n.endswith("/PKG-INFO"))).read().decode()
    missing = sorted(set(tracked) - members)
    assert missing == []
    assert "tests/conftest.py" in members and "tests/baseline/lstm-cell-paper-eq.png" in members
    assert not [m for m in members if "mpl-results" in m or "__pycache__" in m]
    assert "License-Expression: MIT" in info and "License-File: LICENSE" in info
    assert "Project-URL: Repository, https://github.com/lstmfigs/lstmfigs" in info


def test_license_file_is_mit():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY" in text


def test_readme_images_are_absolute_urls():
    """Relative image paths break on a package index, where README.md is shown alone."""
    import re

    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme) + re.findall(r'<img src="([^"]+)"',
                                                                      readme)
    assert images
    prefix = "https://raw.githubusercontent.com/lstmfigs/lstmfigs/main/"
    for url in images:
        assert url.startswith(prefix), url
        assert (ROOT / url[len(prefix):]).is_file(), url  # and the file is in the repository
