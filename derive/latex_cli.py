r"""Print the derived gradients of an output/loss pair or a layer in the note's notation.

``python -m derive latex OUTPUT LOSS [--format latex|markdown|text] [--raw]`` (or
``latex OUTPUT+LOSS``; names in any case or separator, common aliases accepted) prints
delta^L (its closed form, derived and proved by :mod:`derive.pairs`), the recurrence
delta^{l-1}, dC/dW^l_{jk} and dC/db^l_j with their matrix forms, each with its proof
status. ``latex --format markdown`` with no OUTPUT/LOSS prints the note's table of
output/loss pairs for every combination; ``latex --layer NAME`` prints a layer of the
library's derivative (:mod:`derive.layers`); ``latex --list`` lists the names.

In LaTeX output every formula is one ``$$...$$`` line and every other line is a
``%`` comment, so the output pastes into a document or a notebook as it is.

>>> print(pair_document("linear", "mse", "text").splitlines()[3])
BP1 output error   δᴸⱼ = ∂C/∂zᴸⱼ = aᴸⱼ − yⱼ
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> run(parser.parse_args(["--list"]))  # doctest: +ELLIPSIS
outputs: linear, sigmoid, softmax
losses: mse, cross_entropy, log_likelihood
pairs: linear+mse, sigmoid+cross_entropy, softmax+log_likelihood, ...
layers: ...
0
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from derive import latex as L
from derive.errors import UsageError

__all__ = [
    "FORMATS",
    "add_arguments",
    "layer_document",
    "markdown_table",
    "names",
    "pair_document",
    "run",
]

FORMATS = ("latex", "markdown", "text")
_A_MINUS_Y = r"\mathbf{a}^{L} - \mathbf{y}"
_PAD = 19  # width of the heading column in text output


def add_arguments(parser) -> None:
    """Arguments of the ``latex`` subcommand (see the module docstring)."""
    parser.add_argument("output", nargs="?", metavar="OUTPUT", help="output function, e.g. softmax")
    parser.add_argument("loss", nargs="?", metavar="LOSS", help="loss, e.g. log_likelihood")
    parser.add_argument("--format", choices=FORMATS, default="latex",
                        help="latex (default), markdown (the note's table) or text (Unicode)")
    parser.add_argument("--raw", action="store_true",
                        help="also show the raw SymPy derivative under the closed form")
    parser.add_argument("--layer", metavar="NAME", help="print a library layer's derivative")
    parser.add_argument("--list", action="store_true", help="list outputs, losses, pairs, layers")


def run(args) -> int:
    """Print what ``args`` asks for; 1 if a printed proof failed, 0 otherwise.

    User mistakes raise :class:`UsageError` (the CLI prints one line, exit 2).
    """
    if args.list:
        print(_list_text())
        return 0
    if args.layer is not None:
        if args.output or args.loss:
            given = " ".join(x for x in (args.output, args.loss) if x)
            raise UsageError("--layer", "no OUTPUT/LOSS with --layer", given)
        print(layer_document(args.layer, args.format))
        return 0
    if args.output is not None and args.loss is None and (
            "+" in args.output or " " in args.output.strip() or _is_pair_alias(args.output)):
        from derive.catalog import parse_pair

        args.output, args.loss = parse_pair(args.output, "OUTPUT")
    if args.output is None:
        if args.format != "markdown":
            raise UsageError("OUTPUT", "OUTPUT LOSS, or --format markdown (the whole table), --layer NAME "
                             "or --list", "nothing")
        print(markdown_table())
        statuses = [_pair_proof(*pair.split("+"), method=False)[2] for pair in names()["pairs"]]
    else:
        args.output, args.loss = _check_pair(args.output, args.loss)
        print(pair_document(args.output, args.loss, args.format, raw=args.raw))
        statuses = [block.status for block in _blocks(args.output, args.loss, False)]
    return 1 if any(_failed(s) for s in statuses) else 0


# ------------------------------------------------------------------ names and proofs


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def names() -> dict[str, list[str]]:
    """The valid names, read from the live registries at call time.

    >>> sorted(names())
    ['layers', 'losses', 'outputs', 'pairs']
    >>> names()["outputs"]
    ['linear', 'sigmoid', 'softmax']
    """
    from derive import functions

    pairs = _module("derive.pairs")
    layers = _module("derive.layers")
    combos = list(pairs.PAIRS) if pairs else [(o, c) for o in functions.OUTPUTS for c in functions.LOSSES]
    return {"outputs": list(functions.OUTPUTS), "losses": list(functions.LOSSES),
            "pairs": [f"{o}+{c}" for o, c in combos],
            "layers": sorted(getattr(layers, "LAYERS", ())) if layers else []}


def _is_pair_alias(text: str) -> bool:
    from derive.catalog import PAIR_ALIASES
    from numeric._registry import resolve

    return resolve(list(PAIR_ALIASES), text) is not None


def _check_pair(output, loss) -> tuple:
    """The canonical ``(output, loss)``; UsageError naming OUTPUT or LOSS otherwise."""
    from derive.catalog import canonical

    valid = names()
    output = canonical("output", output, "OUTPUT")
    if loss is None:
        raise UsageError("LOSS", "one of " + ", ".join(valid["losses"]), "nothing")
    loss = canonical("loss", loss, "LOSS")
    if f"{output}+{loss}" not in valid["pairs"]:
        raise UsageError("OUTPUT LOSS", "one of the pairs " + ", ".join(valid["pairs"]), f"{output}+{loss}")
    return output, loss


@functools.lru_cache(maxsize=None)
def _pair_proof(output: str, loss: str, method: bool = True):
    """(closed form, PairProof or None, status line) from derive.pairs, n symbolic."""
    pairs = _module("derive.pairs")
    if pairs is None:
        raise UsageError("derive.pairs is not available: no closed forms to print")
    closed = pairs.closed_form(output, loss)
    try:
        proof = pairs.prove_pair(output, loss)
    except Exception as exc:  # a crash of the prover is a failed proof, shown as such
        return closed, None, f"NOT proved: prove_pair raised {type(exc).__name__}: {' '.join(str(exc).split())}"
    status = L.pair_status(proof, method=method)
    return closed, proof, status + ("; reduces to a − y" if _reduces(proof) else "")


def _reduces(proof) -> bool:
    return bool(proof is not None and proof.proved and proof.reduces_to_a_minus_y)


@functools.lru_cache(maxsize=None)
def _step_status() -> str:
    """Status of BP2-BP4: derive.backprop's one-layer step lemma, sizes symbolic, proved
    for every hidden activation in the registry (sigma' differs per activation)."""
    backprop = _module("derive.backprop")
    if backprop is None or not hasattr(backprop, "prove_step_symbolic"):
        return "not checked here: derive.backprop.prove_step_symbolic is not available"
    from derive.functions import ACTIVATIONS

    proved, failed = [], []
    for name in list(ACTIVATIONS):
        try:
            (proved if backprop.prove_step_symbolic(name).proved else failed).append(name)
        except Exception as exc:  # a crash of the prover is a failed proof
            failed.append(f"{name} ({type(exc).__name__}: {' '.join(str(exc).split())})")
    scope = "one-layer step lemma, arbitrary downstream cost, sizes symbolic"
    if failed:
        return f"NOT proved (SymPy) for sigma = {', '.join(failed)}; proved for {', '.join(proved) or 'none'}; {scope}"
    return f"proved exactly (SymPy) for sigma = {', '.join(proved)}; {scope}"


def _failed(status: str) -> bool:
    return status.startswith("NOT proved")


# ------------------------------------------------------------------ documents


@dataclass(frozen=True)
class _Block:
    """One printed equation: its heading, proof status, LaTeX formulas and Unicode lines."""

    heading: str
    status: str
    formulas: tuple[str, ...]
    text: tuple[str, ...]


def _blocks(output: str, loss: str, raw: bool) -> list[_Block]:
    closed, proof, status = _pair_proof(output, loss)
    bp1, rest = L.EQUATIONS[0], L.EQUATIONS[1:]
    a_minus_y = (f" = {_A_MINUS_Y}", " = aᴸ − y") if _reduces(proof) else ("", "")
    blocks = [_Block(f"BP1 {bp1.title}", status,
                     (f"{bp1.index} = {L.note_latex(closed)}", bp1.matrix + a_minus_y[0]),
                     (f"δᴸⱼ = ∂C/∂zᴸⱼ = {L.note_text(closed)}", bp1.text, bp1.text_matrix + a_minus_y[1]))]
    if raw and proof is not None:
        blocks.append(_Block("raw SymPy", "--raw: the derivative as SymPy gives it, before simplification",
                             (r"\frac{\partial C}{\partial z^{L}_{j}} = " + L.note_latex(proof.derived),),
                             ("∂C/∂zᴸⱼ = " + L.note_text(proof.derived),)))
    step = _step_status()
    for e in rest:
        batch = (f"{e.text_batch}   (mini-batch)",) if e.text_batch else ()
        blocks.append(_Block(f"{e.label} {e.title}", step, tuple(e.latex_parts()),
                             (e.text, e.text_matrix, *batch)))
    return blocks


def pair_document(output: str, loss: str | None, fmt: str = "latex", *, raw: bool = False) -> str:
    r"""The four equations for ``output`` + ``loss`` in format ``fmt``, with proof status.

    >>> doc = pair_document("softmax", "log_likelihood").splitlines()
    >>> print(doc[5])  # BP1, general form elided
    $$\delta^{L}_{j} = \frac{\partial C}{\partial z^{L}_{j}} = ... = a^{L}_{j} - y_{j}$$
    >>> print(doc[6])
    $$\boldsymbol{\delta}^{L} = ... = \mathbf{a}^{L} - \mathbf{y}$$
    >>> pair_document("softmax", "hinge")
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: LOSS: expected one of mse, cross_entropy, log_likelihood, got 'hinge'
    """
    if fmt not in FORMATS:
        raise UsageError("--format", "one of " + ", ".join(FORMATS), repr(fmt))
    output, loss = _check_pair(output, loss)
    out, cost = L.notation("output", output), L.notation("loss", loss)
    blocks = _blocks(output, loss, raw)
    if fmt == "text":
        lines = [f"Output {out.name}:".ljust(_PAD - 1) + " " + out.text,
                 f"Loss {cost.name}:".ljust(_PAD - 1) + " " + cost.text]
        for block in blocks:
            lines += ["", block.heading.ljust(_PAD) + block.text[0]]
            lines += [" " * _PAD + t for t in block.text[1:]] + [" " * _PAD + f"[{block.status}]"]
        return "\n".join(lines)
    if fmt == "markdown":
        lines = [f"### {out.name} + {cost.name}", "", _md_header(), _md_row(output, loss), ""]
        for block in blocks:
            lines += [f"*{block.heading}: {block.status}*", ""]
            lines += [part for f in block.formulas for part in (f"$${f}$$", "")]
        return "\n".join(lines).rstrip()
    lines = [f"% python -m derive latex {output} {loss}",
             "% Backpropagation in the reference note's notation, typos corrected "
             r"(W^{l}_{jk}, \partial C/\partial W, \sigma'(z^{l-1})).",
             f"% Output function {out.name}, loss {cost.name} (per example x; the batch cost averages over x):",
             rf"$${out.latex}, \qquad {cost.latex}$$"]
    for block in blocks:
        lines += [f"% {block.heading}: {block.status}"] + [f"$${f}$$" for f in block.formulas]
    return "\n".join(lines)


def _md_cell(tex: str) -> str:
    return "$" + tex.replace("|", r"\vert ") + "$"


def _md_header() -> str:
    head = r"\boldsymbol{\delta}^{L} = \left(\nabla \mathbf{a}^{L}\right)^{T} \frac{\partial C}{\partial \mathbf{a}^{L}}"
    return (f"| Output function | Loss function | {_md_cell(head)} | Proof status |\n"
            "| :---: | :---: | :---: | :--- |")


def _md_row(output: str, loss: str) -> str:
    closed, proof, status = _pair_proof(output, loss, method=False)
    out, cost = L.notation("output", output), L.notation("loss", loss)
    delta = r"\delta^{L}_{j} = " + L.note_latex(closed)
    if _reduces(proof):
        delta = r"\boldsymbol{\delta}^{L} = " + _A_MINUS_Y + r", \quad " + delta
    return (f"| {out.name}: {_md_cell(out.latex)} | {cost.name}: {_md_cell(cost.latex)} "
            f"| {_md_cell(delta)} | {status} |")


def markdown_table() -> str:
    """The note's table of output/loss pairs, regenerated for every combination.

    Columns: Output function, Loss function, delta^L (closed form from
    :mod:`derive.pairs`), proof status (n symbolic). The note's three matching pairs
    come first.

    >>> table = markdown_table().splitlines()
    >>> table[0].startswith("| Output function | Loss function |")
    True
    >>> len(table) - 2 == len(names()["pairs"])
    True
    """
    rows = [_md_row(*pair.split("+")) for pair in names()["pairs"]]
    return "\n".join([_md_header(), *rows])


def layer_document(name: str, fmt: str = "latex") -> str:
    """The derivative of library layer ``name``, from :func:`derive.layers.layer_latex`."""
    layers = _module("derive.layers")
    if layers is None or not hasattr(layers, "layer_latex"):
        raise UsageError("--layer: no layer library available (derive.layers.layer_latex is missing)")
    from derive.catalog import canonical

    name = canonical("layer", name, "--layer")
    tex = layers.layer_latex(name).strip()
    if not tex.startswith("$$"):
        tex = f"$${tex}$$"
    if fmt == "markdown":
        return f"### Layer {name}\n\n{tex}"
    if fmt == "text":
        return f"Layer {name} (LaTeX; layers have no Unicode form):\n{tex}"
    return f"% python -m derive latex --layer {name}\n{tex}"


def _list_text() -> str:
    return "\n".join(f"{kind}: {', '.join(values) if values else '(none available)'}"
                     for kind, values in names().items())
