"""Derive and prove every built-in gradient, then print one table (the main job).

Proves the activation derivative identities, every output/loss pair at the requested
sizes and for symbolic n, the one-layer step lemma (concrete and symbolic), a network
layer by layer and end to end (expanded cost, single example and mini-batch), and
cross-checks the lambdified gradients against :mod:`numeric` and finite differences.
Progress goes to stderr, the table to stdout; exit status 1 if anything fails.

Before any work the request is estimated from measured costs (:mod:`derive.costs`); one
that would exceed ``--budget`` seconds (default 30) is refused in one line, exit 2,
naming the largest network or sizes that fit.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["--sizes", "2", "--pairs", "linear+mse", "--network", "2,2",
...                           "--quiet", "--no-symbolic"])
>>> _parse_sizes(args.sizes, "sizes"), _parse_pairs(args.pairs)
((2,), [('linear', 'mse')])
>>> _parse_sizes("0,2", "sizes")
Traceback (most recent call last):
...
derive.errors.UsageError: sizes: expected comma-separated integers between 1 and 8, got '0,2'
"""

from __future__ import annotations

import math
import sys
import time

from derive.errors import UsageError

__all__ = ["MAX_PAIR_SIZE", "add_arguments", "run"]

MAX_PAIR_SIZE = 8  # softmax pairs at n = 8 take about a second each


def add_arguments(parser) -> None:
    """Options of ``python -m derive [verify]``."""
    parser.add_argument("--sizes", default=None,
                        help="concrete output sizes n for the pair proofs (default 1,2,3; symbolic n "
                             "covers all; softmax+cross_entropy needs n >= 2)")
    parser.add_argument("--pairs", default="all",
                        help="comma-separated output+loss pairs, e.g. sigmoid+cross_entropy or "
                             "'sigmoid cross-entropy' (default: all 9)")
    parser.add_argument("--network", default="2,3,2",
                        help="layer widths of the network to prove (default 2,3,2)")
    parser.add_argument("--hidden", default="sigmoid", help="hidden activation (default sigmoid)")
    parser.add_argument("--network-pair", default="sigmoid+cross_entropy",
                        help="output+loss of the network (default sigmoid+cross_entropy)")
    parser.add_argument("--batch", type=int, default=2,
                        help="mini-batch size N for the batch proofs (default 2)")
    parser.add_argument("--no-symbolic", action="store_true",
                        help="skip the symbolic-n proofs")
    parser.add_argument("--budget", default=None, metavar="SECONDS",
                        help="refuse a request estimated to take longer (default %g s)"
                             % _default_budget())
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _default_budget():
    from derive.costs import DEFAULT_BUDGET

    return DEFAULT_BUDGET


def parse_budget(text):
    """``--budget`` in seconds: a finite number > 0 (None: the default).

    >>> parse_budget("90"), parse_budget(None)
    (90.0, 30.0)
    >>> parse_budget("-1")
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: --budget: expected a number of seconds > 0, got '-1'
    """
    if text is None:
        return _default_budget()
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0 and value < float("inf")):
        raise UsageError("--budget", "a number of seconds > 0", repr(text))
    return value


def _parse_sizes(text, name, low=1, high=MAX_PAIR_SIZE):
    try:
        sizes = tuple(int(q) for q in str(text).split(","))
    except ValueError:
        sizes = ()
    if not sizes or any(q < low or q > high for q in sizes):
        raise UsageError(name, "comma-separated integers between %d and %d" % (low, high),
                         repr(text))
    return sizes


def _parse_pairs(text):
    from derive.catalog import parse_pairs

    return parse_pairs(text, "pairs")


def _parse_network(args):
    from derive.backprop import MAX_WIDTH, _layered_budget
    from derive.functions import get_activation
    from derive.pairs import PAIRS

    from derive.catalog import canonical, parse_pair

    try:
        sizes = tuple(int(q) for q in args.network.split(","))
    except ValueError:
        raise UsageError("network", "comma-separated layer widths", repr(args.network)) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise UsageError("network", "at least two widths >= 1", repr(args.network))
    if max(sizes) > MAX_WIDTH:
        raise UsageError("network", "widths <= %d" % MAX_WIDTH, repr(args.network))
    try:
        _layered_budget(sizes)
    except UsageError as exc:
        raise UsageError("network: " + str(exc)) from None
    args.hidden = canonical("activation", args.hidden, "hidden")
    get_activation(args.hidden)
    pair = parse_pair(args.network_pair, "network-pair")
    if pair == ("softmax", "cross_entropy") and sizes[-1] < 2:
        raise UsageError("network", "an output width >= 2 for softmax+cross_entropy (at width 1 "
                         "a = 1, so ln(1 - a) is infinite)", repr(args.network))
    if not 1 <= args.batch <= 3:
        raise UsageError("batch", "an integer between 1 and 3", args.batch)
    return sizes, pair


def _check_softmax_ce_sizes(args, sizes, pairs):
    """An explicit n = 1 with softmax+cross_entropy is refused, not silently dropped."""
    if args.sizes is not None and 1 in sizes and ("softmax", "cross_entropy") in pairs:
        raise UsageError("sizes", "n >= 2 for softmax+cross_entropy (at n = 1 a = 1, so "
                         "ln(1 - a) is infinite); drop 1 or leave that pair out of --pairs",
                         repr(args.sizes))


def _check_budget(args, sizes, pairs, net_sizes, net_pair, say):
    """Estimate the request; refuse it (UsageError) if it exceeds ``--budget``."""
    from derive.costs import estimate_verify, largest_network

    budget = parse_budget(args.budget)
    request = dict(sizes=sizes, pairs=pairs, network_pair=net_pair, batch=args.batch,
                   symbolic=not args.no_symbolic)
    est = estimate_verify(network=net_sizes, **request)
    if est.total <= budget:
        say("estimated %.0f s from measured costs (budget %g s); %d pair(s), network %s"
            % (max(est.total, 1), budget, len(pairs), "-".join(map(str, net_sizes))))
        return est
    worst = est.largest()
    fits = []
    if worst.startswith("network") or worst.startswith("mini-batch"):
        small = largest_network(net_sizes, budget, **request)
        if small is not None:
            fits.append("--network " + ",".join(map(str, small)))
    else:
        lowest = 2 if ("softmax", "cross_entropy") in pairs else 1
        for top in range(max(sizes) - 1, lowest - 1, -1):
            smaller = tuple(q for q in sizes if lowest <= q <= top) or (top,)
            if estimate_verify(network=net_sizes, **{**request, "sizes": smaller}
                                           ).total <= budget:
                fits.append("--sizes " + ",".join(map(str, smaller)))
                break
    hint = ("; largest that fits: " + fits[0]) if fits else ""
    raise UsageError("--budget", "a request estimated within %g s" % budget,
                     "about %.0f s (%s: %.0f s)%s; or raise --budget to %d"
                     % (est.total, worst, dict(est.items)[worst], hint, math.ceil(est.total * 1.2)))


class _Progress:
    def __init__(self, quiet):
        self.quiet, self.start = quiet, time.perf_counter()

    def __call__(self, text):
        if not self.quiet:
            print("[%5.1fs] %s" % (time.perf_counter() - self.start, text), file=sys.stderr,
                  flush=True)


def run(args) -> int:
    """Run the main job; returns 0 if everything is proved and agrees, else 1."""
    say = _Progress(args.quiet)
    sizes = _parse_sizes("1,2,3" if args.sizes is None else args.sizes, "sizes")
    pairs = _parse_pairs(args.pairs)
    net_sizes, (net_out, net_loss) = _parse_network(args)
    _check_softmax_ce_sizes(args, sizes, pairs)
    _check_budget(args, sizes, pairs, net_sizes, (net_out, net_loss), say)
    from derive.backprop import MAX_EXPANDED, check_expanded, prove_minibatch, prove_network
    from derive.backprop import prove_step, prove_step_symbolic
    from derive.functions import prove_activation_identities
    from derive.numbers import cross_check
    from derive.latex import note_text
    from derive.pairs import closed_form, prove_pair

    rows, failed = [], 0

    def row(item, form, ok, size_text, seconds):
        nonlocal failed
        failed += not ok
        rows.append((item, form, "proved" if ok is True else ok or "FAILED", size_text,
                     "%.2fs" % seconds))
        say("%-28s %s" % (item, rows[-1][2]))

    for proof in prove_activation_identities():
        row("%s'" % proof.name, note_text(proof.claimed), proof.proved, proof.domain, proof.seconds)
    for count, (output, loss) in enumerate(pairs, 1):
        label, ok, seconds, done, reduces = "%s+%s" % (output, loss), True, 0.0, [], None
        for n in list(sizes) + ([] if args.no_symbolic else [None]):
            if n == 1 and (output, loss) == ("softmax", "cross_entropy"):
                continue  # a = 1 at n = 1: ln(1 - a) is infinite (documented domain)
            proof = prove_pair(output, loss, n=n)
            ok &= proof.proved
            seconds += proof.seconds
            reduces = proof.reduces_to_a_minus_y
            done.append("n" if n is None else str(n))
            say("  %s n=%s: %s (pair %d of %d)" % (label, done[-1], "proved" if proof.proved
                                                   else "NOT proved", count, len(pairs)))
        form = "δᴸⱼ = " + note_text(closed_form(output, loss))
        note = "" if reduces else " (not a-y)"
        skipped = " (n=1: ln(1-a) infinite)" if 1 in sizes and len(done) < len(sizes) + \
            (not args.no_symbolic) else ""
        row(label, form + note, ok, ",".join(done) + skipped, seconds)
    hidden = args.hidden
    step = prove_step(3, 3, hidden)
    row("step lemma BP2-BP4", "3x3, %s" % hidden, step.proved, "3<-3", step.seconds)
    if not args.no_symbolic:
        step = prove_step_symbolic(hidden)
        row("step lemma BP2-BP4", "symbolic n x m, %s" % hidden, step.proved, "n,m",
            step.seconds)
    net_text = "-".join(map(str, net_sizes))
    kind = "%s/%s+%s" % (hidden, net_out, net_loss)
    proof = prove_network(net_sizes, hidden, net_out, net_loss)
    row("network layered", "%d gradients, %s" % (proof.details["gradients"], kind),
        proof.proved, net_text, proof.seconds)
    proof = prove_minibatch(net_sizes, args.batch, hidden, net_out, net_loss)
    row("mini-batch layered", "(1/N) sum_x delta^x (a^x)^T", proof.proved,
        "%s, N=%d" % (net_text, args.batch), proof.seconds)
    small = len(net_sizes) - 1 <= MAX_EXPANDED[0] and max(net_sizes) <= MAX_EXPANDED[1] and \
        not (net_out == "softmax" and net_sizes[-1] > 2)
    if small:
        for N in (1, args.batch):
            proof = check_expanded(net_sizes, hidden, net_out, net_loss, N=N)
            row("network expanded", "end to end from C, %s" % kind, proof.proved,
                "%s, N=%d" % (net_text, N), proof.seconds)
    else:
        row("network expanded", "skipped: larger than %d layers x width %d" % MAX_EXPANDED,
            "skipped", net_text, 0.0)
    if (net_out, net_loss) == ("linear", "cross_entropy") or \
            (net_out == "linear" and net_loss == "log_likelihood"):
        row("numeric cross-check", "numeric refuses this pair (a outside (0,1))", "skipped",
            net_text, 0.0)
    else:
        check = cross_check(net_sizes, hidden, net_out, net_loss, N=args.batch + 2)
        row("numeric cross-check", "rel err backprop %.1e, FD %.1e" % (
            check.backprop_error, check.fd_error), check.ok, net_text, check.seconds)
    _print_table(rows)
    total = time.perf_counter() - say.start
    print("%d items, %d failed, %.1fs" % (len(rows), failed, total))
    return 1 if failed else 0


def _print_table(rows):
    head = ("item", "closed form / what", "status", "sizes", "time")
    widths = [max(len(str(r[q])) for r in rows + [head]) for q in range(5)]
    widths[1] = min(widths[1], 60)
    line = "  ".join("%%-%ds" % w for w in widths)
    print(line % head)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        text = str(r[1])
        text = text if len(text) <= 60 else text[:57] + "..."
        print(line % (r[0], text, r[2], r[3], r[4]))
