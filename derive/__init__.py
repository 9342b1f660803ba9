"""derive: the SymPy side -- symbols, derivations, exact proofs, LaTeX, the CLI.

The oracle that :mod:`numeric` is checked against. See ``python -m derive --help``.
"""
