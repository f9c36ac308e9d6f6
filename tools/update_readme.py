"""Write the measured outcome of the shipped runs into README.md (between the
``<!-- outcome:start -->`` and ``<!-- outcome:end -->`` markers).

    python tools/update_readme.py

Run it after ``tools/make_scenario_data.py``; ``tests/test_readme.py`` fails until the
README says what the data says.
"""

from __future__ import annotations

from pathlib import Path

from lstmfigs.datafigs.report import outcome_markdown, replace_block

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(replace_block(text, outcome_markdown()), encoding="utf-8")
    print(outcome_markdown())


if __name__ == "__main__":
    main()
