"""A zoo of layers from public code nobody on this team wrote: course solutions (cs231n
``layers.py`` / ``rnn_layers.py``), and buggy twins reproducing mistakes from public bug
reports, pull requests and Q&A threads. Test data for ``numeric.check_layer``.

``CORRECT``, ``BUGGY``: lists of :class:`Case` (provenance in ``case.source``; for a buggy
case ``case.bug`` says what is wrong). ``case.draw(rng)`` returns fresh inputs.
"""

from ._case import Case
from .cases import BUGGY, CASES, CORRECT

__all__ = ["BUGGY", "CASES", "CORRECT", "Case"]
