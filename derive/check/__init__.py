r"""``python -m derive check NOTE.md``: verify a derivation as people write it.

A Markdown document's LaTeX is read into SymPy (:mod:`~derive.check.parse`), its
definitions build a small symbolic network (:mod:`~derive.check.world`), every link of
every chain gets a verdict -- proved, refuted (with a counterexample point) or not
understood (with the construct and its position) -- (:mod:`~derive.check.verify`,
:mod:`~derive.check.document`) and is printed as text, JSON, Markdown or HTML
(:mod:`~derive.check.output`). See ``docs/check.md``.

>>> from derive.check import check_text
>>> doc = check_text(r"$$\frac{\partial C}{\partial W^l_{jk}} = \delta^l_j a^{l-1}_k$$")
>>> doc.links[0].verdict
'proved'
>>> [c[:2] for c in seed_corrections()][:2]
[('W^l_{jk} \\to 0', '\\Delta W^l_{jk} \\to 0'), ('b^l_j \\to 0', '\\Delta b^l_j \\to 0')]
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from derive.check.document import CheckedDocument, Link, check_text, extract
from derive.check.output import JSON_KEYS

__all__ = ["CheckedDocument", "JSON_KEYS", "Link", "SEED_NOTE", "check_seed", "check_text",
           "extract", "seed_corrections"]

#: the reference note the project grew from (a copy of ``shared/seed/``)
SEED_NOTE = Path(__file__).with_name("seed_note.md")


@lru_cache(maxsize=1)
def check_seed() -> CheckedDocument:
    """The reference note run through the engine (cached: a few seconds)."""
    return check_text(SEED_NOTE.read_text(encoding="utf-8"))


def seed_corrections() -> tuple:
    """The note's typos as the engine finds them: ``(wrong, right, why)`` LaTeX."""
    return tuple((w, r, why) for w, r, why, _ in check_seed().corrections)
