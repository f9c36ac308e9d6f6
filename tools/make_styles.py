"""Write the style sheets ``styles/NAME.mplstyle`` from the theme tables ``styles/NAME.toml``.

    python tools/make_styles.py          # write every sheet
    python tools/make_styles.py --check  # exit 1 if a sheet is not what its table says

The tables are the only source of looks; the sheets are generated so that
``plt.style.use("lstmfigs.NAME")`` alone gives the whole theme.  Run it after editing a
table; ``tests/test_themes.py`` fails until the sheets are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lstmfigs.themes import sheet_text, table_names

STYLES = Path(__file__).resolve().parents[1] / "styles"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in table_names():
        path = STYLES / f"{name}.mplstyle"
        text = sheet_text(name)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if check else "written"
    print(f"{len(stale)} sheet(s) {verb}{': ' + ', '.join(stale) if stale else ''}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
