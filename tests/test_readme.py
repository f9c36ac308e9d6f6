"""The README's set-up is two commands, and CI runs exactly its test command."""

from __future__ import annotations

import re

from tests.helpers import ROOT, image_compare


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Set-up\s+```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_setup_is_two_commands():
    commands = _setup_commands()
    assert len(commands) == 2
    assert "lstmfigs render all" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _setup_commands()[1] in ci


def _written_from_scratch(tmp_path):
    """The README's cell written from scratch, as a file, loaded as its diagram."""
    from lstmfigs.diagram.tomlio import load_spec

    readme = (ROOT / "README.md").read_text()
    example = re.search(r"### A cell written from scratch.*?```toml\n(.*?)```", readme,
                        re.S).group(1)
    path = tmp_path / "mingru.toml"
    path.write_text(example)
    return load_spec(path)


def test_readme_cell_from_scratch_renders_cleanly_in_every_theme(tmp_path):
    import lstmfigs
    from lstmfigs.checks import layout_problems

    spec = _written_from_scratch(tmp_path)
    assert spec.name == "mingru-cell" and all(node.at is None for node in spec.nodes)
    for theme in lstmfigs.theme_names():
        for equations in (False, True):
            fig = lstmfigs.figure(spec, theme, legend=True, equations=equations)
            assert layout_problems(fig) == [], (theme, equations)


@image_compare("readme-mingru-paper.png")
def test_readme_cell_from_scratch_image(tmp_path):
    """The picture the README shows beside the TOML."""
    import lstmfigs

    return lstmfigs.figure(_written_from_scratch(tmp_path), "paper", legend=True,
                           equations=True)


def test_readme_outcome_is_what_the_shipped_data_says():
    """Every number the README quotes about the built-in scenario (solved counts, median
    accuracies, gradient norms, representative seeds, the training machine) is generated
    from the shipped runs; here it is generated again and compared at the printed precision
    (fix: python tools/update_readme.py)."""
    from lstmfigs.datafigs.report import current_block, outcome_markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert current_block(readme) == outcome_markdown()


def test_readme_scenario_prose_matches_the_scenario():
    """The settings the README's prose states are the built-in scenario's."""
    from lstmfigs.datafigs.runs import shipped

    scenario = shipped().scenario
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = readme.split("### The built-in scenario", 1)[1].split("<!-- outcome:start -->", 1)[0]
    lags = [str(lag) for lag in scenario.lags]
    assert f"at lags {', '.join(lags[:-1])} and {lags[-1]}" in prose
    assert f"seeds 0 to {scenario.seeds[-1]}" in prose
    assert f"A {scenario.hidden_size}-unit LSTM" in prose
    assert f"({scenario.n_symbols} symbols" in prose
    assert f"{scenario.steps} updates" in prose
    assert f"accuracy on {scenario.eval_batch} fresh" in prose
    assert f"every {scenario.eval_every} updates" in prose
    assert f"batch {scenario.batch_size}" in prose
    assert f"`rnn-vs-lstm` show the representative run at lag {scenario.main_lag}" in prose
    seeds = "ten" if len(scenario.seeds) == 10 else len(scenario.seeds)
    assert f"median of its model's {seeds}" in prose
    table = readme.split("## Data figures", 1)[1].split("### The built-in scenario", 1)[0]
    assert f"median of {len(scenario.seeds)} seeds, each seed faint" in table
    assert f"against lag ({scenario.lags[0]} to {scenario.lags[-1]})" in table
    assert f"during training at lag {scenario.main_lag}" in table
    runs = len(scenario.all_jobs())
    assert f"of all\n{runs} runs" in readme or f"of all {runs} runs" in readme
    shipped_file = ROOT / "lstmfigs" / "datafigs" / "data" / "builtin-runs.npz"
    megabytes = float(re.search(r"compressed, about ([0-9.]+) MB", readme).group(1))
    assert abs(shipped_file.stat().st_size / 1e6 - megabytes) < 0.05
