"""Measure LaTeX venue widths with pdflatex: the numbers in ``lstmfigs.sizes.VENUES``.

Each venue is a small document in its class; pdflatex prints ``\\the\\columnwidth`` or
``\\the\\textwidth`` (in TeX pt) and the class's version.  NeurIPS and ICML distribute their
style files outside TeX Live, so their documents repeat the settings of those files
(``neurips_2024.sty``: geometry ``textwidth=5.5in``; ``icml2024.sty``: ``\\textwidth 6.75in``,
``\\columnsep 0.25in``, two columns).

    python tools/measure_venue_widths.py            # a Markdown table, as in the README
    python tools/measure_venue_widths.py --check    # exit 1 if lstmfigs.sizes disagrees

``tests/test_latex.py`` runs :func:`measure` for every venue whose class is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_ACMART_TOP = (r"\settopmatter{printacmref=false}\setcopyright{none}"
               r"\renewcommand\footnotetextcopyrightpermission[1]{}")
_ACMART_BODY = r"\title{T}\author{A}\maketitle"


@dataclass(frozen=True)
class VenueDocument:
    """The document a venue is measured in: class file, preamble, body before measuring."""

    class_file: str  # checked with kpsewhich; a .cls or .sty
    preamble: str
    body: str = ""


DOCUMENTS: dict[str, VenueDocument] = {
    "ieee-column": VenueDocument("IEEEtran.cls", r"\documentclass[conference]{IEEEtran}"),
    "ieee-text": VenueDocument("IEEEtran.cls", r"\documentclass[conference]{IEEEtran}"),
    "acm-column": VenueDocument("acmart.cls", r"\documentclass[sigconf]{acmart}" + _ACMART_TOP,
                                _ACMART_BODY),
    "acm-text": VenueDocument("acmart.cls", r"\documentclass[sigconf]{acmart}" + _ACMART_TOP,
                              _ACMART_BODY),
    "lncs-text": VenueDocument("llncs.cls", r"\documentclass{llncs}"),
    "article-text": VenueDocument("article.cls", r"\documentclass{article}"),
    "article11-text": VenueDocument("article.cls", r"\documentclass[11pt]{article}"),
    "article12-text": VenueDocument("article.cls", r"\documentclass[12pt]{article}"),
    "elsarticle-column": VenueDocument("elsarticle.cls", r"\documentclass[5p]{elsarticle}"),
    "elsarticle-text": VenueDocument("elsarticle.cls", r"\documentclass[5p]{elsarticle}"),
    "neurips-text": VenueDocument(
        "geometry.sty",
        r"\documentclass{article}\usepackage[letterpaper]{geometry}"
        r"\AtBeginDocument{\newgeometry{textheight=9in,textwidth=5.5in,top=1in,"
        r"headheight=12pt,headsep=25pt,footskip=30pt}}"),
    "icml-column": VenueDocument(
        "article.cls",
        r"\documentclass{article}\setlength\textwidth{6.75in}\setlength\columnsep{0.25in}",
        r"\twocolumn"),
    "icml-text": VenueDocument(
        "article.cls",
        r"\documentclass{article}\setlength\textwidth{6.75in}\setlength\columnsep{0.25in}",
        r"\twocolumn"),
    "beamer-169": VenueDocument("beamer.cls", r"\documentclass[aspectratio=169]{beamer}"),
    "beamer-43": VenueDocument("beamer.cls", r"\documentclass{beamer}"),
}


def installed(class_file: str) -> bool:
    """Whether pdflatex and ``class_file`` are installed."""
    if shutil.which("pdflatex") is None or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", class_file], capture_output=True, text=True,
                           check=False)
    return found.returncode == 0 and bool(found.stdout.strip())


def measure(venue: str, length: str) -> float:
    r"""``length`` (``\columnwidth`` or ``\textwidth``) of ``venue``'s document, in TeX pt."""
    document = DOCUMENTS[venue]
    source = "\n".join([
        document.preamble,
        r"\begin{document}",
        document.body,
        "x",
        rf"\typeout{{LSTMFIGS-MEASURE={length.lstrip(chr(92))}:\the{length}}}",
        r"\end{document}",
    ])
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "measure.tex").write_text(source)
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "measure.tex"],
                       check=False, cwd=folder, capture_output=True, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "max_print_line": "1000",
                            "HOME": folder})
        log = (Path(folder) / "measure.log").read_text(errors="replace")
    match = re.search(r"LSTMFIGS-MEASURE=\w+:([0-9.]+)pt", log)
    if match is None:
        raise RuntimeError(f"pdflatex did not measure {venue}: {log[-800:]}")
    return float(match.group(1))


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from lstmfigs.sizes import VENUES

    check = "--check" in argv
    print("| venue | LaTeX length | pt | in | mm | measured with | class or style |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    wrong = 0
    for name, venue in VENUES.items():
        document = DOCUMENTS[name]
        if installed(document.class_file):
            points = measure(name, venue.length)
            if abs(points - venue.points) > 1e-5:
                wrong += 1
                print(f"MISMATCH {name}: measured {points} pt, lstmfigs.sizes has "
                      f"{venue.points} pt", file=sys.stderr)
        else:
            points = venue.points
            print(f"{name}: {document.class_file} not installed; not measured",
                  file=sys.stderr)
        inches = points / 72.27
        print(f"| `{name}` | `{venue.length}` | {points} | {inches:.4f} | "
              f"{inches * 25.4:.2f} | `{venue.documentclass}` | {venue.source} |")
    return 1 if check and wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
