"""Jupyter: a fresh notebook shows themed figures and specs, once, without %matplotlib inline.

The notebook really runs: nbclient starts an ipykernel (the one in this environment) and
executes the cells; the test reads the outputs the frontend would display.
"""

from __future__ import annotations

import base64
import io

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = {
    "figure": 'import lstmfigs\nfig = lstmfigs.figure("lstm-cell", theme="ieee")\nfig',
    "show": "fig.show()",
    "spec": ('from lstmfigs.figures.diagrams import builtin_spec\n'
             'builtin_spec("gru-cell")'),
    "data_not_shown_twice": ('import matplotlib.pyplot as plt\n'
                             'fig2 = lstmfigs.figure("rnn-cell", theme="paper")\nfig2'),
    "svg": ('from matplotlib_inline.backend_inline import set_matplotlib_formats\n'
            'set_matplotlib_formats("svg")\nfig'),
    "inline_and_svg": '%matplotlib inline\nfig',
}


@pytest.fixture(scope="module")
def executed() -> dict:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     allow_errors=False)
    client.execute()
    return dict(zip(CELLS, notebook.cells, strict=True))


def _images(cell) -> list[tuple[str, object]]:
    found = []
    for output in cell.outputs:
        assert output.output_type != "error", output
        for mime in ("image/png", "image/svg+xml"):
            if mime in output.get("data", {}):
                found.append((mime, output["data"][mime]))
    return found


@pytest.mark.slow
def test_figure_shows_itself_once_as_png(executed):
    from PIL import Image

    images = _images(executed["figure"])
    assert [mime for mime, _ in images] == ["image/png"]
    png = Image.open(io.BytesIO(base64.b64decode(images[0][1])))
    # The ieee theme's width (252 pt) at the figure's 100 dpi: the picture, not a text repr.
    assert png.size[0] == int(252 / 72.27 * 100)
    import numpy as np

    assert len(np.unique(np.asarray(png.convert("L")))) > 10


@pytest.mark.slow
def test_fig_show_displays_instead_of_raising(executed):
    assert [mime for mime, _ in _images(executed["show"])] == ["image/png"]


@pytest.mark.slow
def test_a_spec_shows_its_diagram(executed):
    assert [mime for mime, _ in _images(executed["spec"])] == ["image/png"]


@pytest.mark.slow
def test_importing_pyplot_does_not_show_figures_twice(executed):
    assert [mime for mime, _ in _images(executed["data_not_shown_twice"])] == ["image/png"]


@pytest.mark.slow
def test_svg_when_the_notebook_asks(executed):
    images = _images(executed["svg"])
    assert [mime for mime, _ in images] == ["image/svg+xml"]
    assert "<svg" in images[0][1]


@pytest.mark.slow
def test_inline_backend_still_one_image(executed):
    assert len(_images(executed["inline_and_svg"])) == 1


def test_show_outside_a_notebook_warns_instead_of_raising():
    """Agg (no screen): matplotlib's own Figure.show would raise for a figure pyplot does not
    manage; ours warns and points at saving."""
    import warnings

    import lstmfigs

    fig = lstmfigs.figure("rnn-cell")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.show()
    assert any("cannot be shown" in str(w.message) for w in caught)
