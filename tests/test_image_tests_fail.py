"""Proof that the image comparisons are tight enough to catch real changes.

Each case renders the LSTM cell with one small defect (an arrowhead missing, a gate label
changed, a colour changed) and compares it against the committed baseline with the same
tolerance the image tests use.  The comparison must fail; if it passed, the image tests could
not see the defect either.
"""

from __future__ import annotations

import dataclasses

import pytest
from matplotlib.testing.compare import compare_images

from lstmfigs import figure
from lstmfigs.figures.diagrams import builtin_spec
from tests.helpers import BASELINE, IMAGE_DPI, IMAGE_TOLERANCE


def _without_arrowhead(spec):
    wires = list(spec.wires)
    index = next(i for i, w in enumerate(wires) if w.id == "f-c_mul")
    wires[index] = dataclasses.replace(wires[index], arrow=False)
    return dataclasses.replace(spec, wires=tuple(wires))


def _with_label(spec):
    wires = [dataclasses.replace(w, label="$g_t$") if w.label == "$f_t$" else w
             for w in spec.wires]
    return dataclasses.replace(spec, wires=tuple(wires))


def _with_gate_label(spec):
    nodes = [dataclasses.replace(n, label="$\\rho$") if n.id == "o" else n
             for n in spec.nodes]
    return dataclasses.replace(spec, nodes=tuple(nodes))


def _with_role(spec):
    wires = [dataclasses.replace(w, role="hidden_state") if w.id == "f-c_mul" else w
             for w in spec.wires]
    return dataclasses.replace(spec, wires=tuple(wires))


@pytest.mark.parametrize("theme", ["paper", "ieee", "slides", "print"])
@pytest.mark.parametrize("defect", [_without_arrowhead, _with_label, _with_gate_label, _with_role],
                         ids=["missing-arrowhead", "changed-label", "changed-gate-label",
                              "changed-colour"])
def test_a_small_defect_fails_the_comparison(theme, defect, tmp_path):
    baseline = BASELINE / f"lstm-cell-{theme}.png"
    spec = builtin_spec("lstm-cell")
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    figure(spec, theme, legend=True).savefig(good, dpi=IMAGE_DPI)
    figure(defect(spec), theme, legend=True).savefig(bad, dpi=IMAGE_DPI)
    # The unchanged figure matches its baseline, so the comparison itself works...
    assert compare_images(str(baseline), str(good), tol=IMAGE_TOLERANCE) is None
    # ...and the defective one does not.
    assert compare_images(str(baseline), str(bad), tol=IMAGE_TOLERANCE) is not None
