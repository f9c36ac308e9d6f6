"""The README's account of the shipped runs, generated from the data.

``python tools/update_readme.py`` writes :func:`outcome_markdown` between the README's
``<!-- outcome:start -->`` and ``<!-- outcome:end -->`` markers; ``tests/test_readme.py``
checks that the README holds exactly what the data gives, at the precision printed, so the
prose and the figures cannot drift apart.
"""

from __future__ import annotations

from . import measure
from .runs import RunSet, shipped
from .scenario import MODEL_KINDS, SOLVED

START, END = "<!-- outcome:start -->", "<!-- outcome:end -->"


def _significant(value: float) -> str:
    """Two significant digits, in the form a reader compares: 0.45, 3.4e-03, 1.7e-21."""
    return f"{value:.2f}" if 0.1 <= value < 100 else f"{value:.1e}"


def outcome_markdown(run_set: RunSet | None = None) -> str:
    """The measured outcome of ``run_set`` (the shipped runs by default) as Markdown.

    Parameters
    ----------
    run_set : RunSet, optional
        The runs to report on; None for the shipped runs.

    Returns
    -------
    str
        Markdown paragraphs and a table (no trailing newline), as written between the
        README's outcome markers.
    """
    run_set = shipped() if run_set is None else run_set
    scenario = run_set.scenario
    seeds = len(scenario.seeds)
    accuracy = measure.lag_accuracy_data(runs=run_set)
    decay = measure.gradient_decay_data(runs=run_set)
    lag = scenario.main_lag
    names = {"lstm": f"LSTM ({scenario.lstm_label})", "rnn": "RNN"}
    lines = [(f"Measured on the shipped runs ({seeds} seeds per model and lag; a run *solves* "
              f"a lag when its final accuracy on {scenario.eval_batch} fresh sequences is at "
              f"least {SOLVED:g}; chance is {scenario.chance:g}):"), ""]
    lines.append("| | " + " | ".join(f"lag {lag_}" for lag_ in scenario.lags) + " |")
    lines.append("| --- " * (len(scenario.lags) + 1) + "|")
    for kind in MODEL_KINDS:
        solved = run_set.solved(kind)
        lines.append(f"| {names[kind]}: seeds solved | "
                     + " | ".join(f"{count} of {seeds}" for count in solved) + " |")
    for kind in MODEL_KINDS:
        lines.append(f"| {names[kind]}: median final accuracy | "
                     + " | ".join(f"{value:.2f}" for value in accuracy[kind]) + " |")
    lines.append("")
    representative = {kind: run_set.representative_seed(kind) for kind in MODEL_KINDS}
    lines.append(
        f"Gradient norms at lag {lag} (median over seeds of each seed's median over "
        f"{scenario.probe_batch} sequences): trained LSTM over its whole state "
        f"‖∂h_T/∂(h_{{T−{lag}}}, c_{{T−{lag}}})‖ = {_significant(decay['lstm'][lag])}, "
        f"along h alone (c held fixed) {_significant(decay['lstm_via_h'][lag])}; "
        f"trained RNN {_significant(decay['rnn'][lag])}; untrained LSTM with forget bias "
        + ", ".join(f"{bias:g}: {_significant(decay[f'lstm_untrained_bias{bias:g}'][lag])}"
                    for bias in scenario.untrained_forget_biases)
        + f"; untrained RNN {_significant(decay['rnn_untrained'][lag])}.  The single-model "
        f"figures show LSTM seed {representative['lstm']} and `rnn-vs-lstm` also RNN seed "
        f"{representative['rnn']}: the runs whose final loss is the median of their seeds'.")
    lines.append("")
    env = run_set.environment
    lines.append(f"Trained by `tools/make_scenario_data.py` on {env.get('date', '?')}: "
                 f"{env.get('cpu', '?')}, NumPy {env.get('numpy', '?')} "
                 f"(SIMD {env.get('numpy_simd', '?')}), {env.get('blas', '?')}.")
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    """``text`` with what stands between the outcome markers replaced by ``block``.

    Parameters
    ----------
    text : str
        A document holding the ``<!-- outcome:start -->`` and ``<!-- outcome:end -->``
        markers, in that order.
    block : str
        What to put between them, on lines of its own.

    Returns
    -------
    str
        The new text; what lies outside the markers is unchanged.

    Raises
    ------
    ValueError
        If ``text`` lacks either marker.
    """
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def current_block(text: str) -> str:
    """What stands between the outcome markers of ``text``.

    Parameters
    ----------
    text : str
        A document holding the outcome markers, in order.

    Returns
    -------
    str
        What stands between them, without leading or trailing newlines.

    Raises
    ------
    IndexError
        If ``text`` lacks either marker.
    """
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")
