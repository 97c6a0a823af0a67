"""What every headless command shares: the argument parser (flags checked as argparse checks
them, before any work starts), the one error type and loading the graph with ``--set``.

Only the standard library is imported here at module level, so ``graphgui --help`` and a
mistyped flag answer at once; graphgui.core is imported where a command needs it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

COMMANDS = (
    "eval", "check", "step", "jvp", "paths", "grad-graph", "convert", "export", "code", "train",
    "health", "landscape", "examples",
)

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

MAX_PRECISION = 17  # significant digits: a float64 has no more
_QUOTE = 40  # characters of a user's value quoted in a message


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise CliError(f"{message} (see '{self.prog} --help')")


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows as aligned columns, the first a header underlined with dashes."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def quoted(text: str) -> str:
    """A user's text in quotes, cut to a bounded length."""
    text = repr(text[: _QUOTE * 2])
    return text if len(text) <= _QUOTE else text[: _QUOTE - 4] + "...'"


# ---- flag types: each refuses a bad value with a one-line reason, as argparse's choices do --


def whole_number(low: int, high: int | Callable[[], int]) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]; ``high`` may be a function (read when
    the flag is given, so the limit lives in graphgui.core without importing it up front)."""

    def parse(text: str) -> int:
        top = high() if callable(high) else high
        try:
            value = int(text) if len(text) <= 30 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= top:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {low:,} to {top:,}, got {quoted(text)}"
            )
        return value

    return parse


def real_number(
    low: float, high: float = math.inf, low_open: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (or (low, high] with ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 100 else math.nan
        except ValueError:
            value = math.nan
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            if high < math.inf:
                bound += f" and <= {high:g}"
            raise argparse.ArgumentTypeError(
                f"expected a finite number {bound}, got {quoted(text)}"
            )
        return value

    return parse


def number_or(word: str, number: Callable[[str], float]) -> Callable[[str], float | str]:
    """An argparse type: ``word`` (case-insensitive) or a number ``number`` accepts."""

    def parse(text: str) -> float | str:
        if text.lower() == word:
            return word
        try:
            return number(text)
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(
                str(exc).replace("expected ", f"expected {word} or ", 1)) from None

    return parse


def one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    """An argparse type: one of ``choices`` (case-insensitive), with a did-you-mean."""

    def parse(text: str) -> str:
        if text.lower() in choices:
            return text.lower()
        from .core.messages import did_you_mean

        hint = did_you_mean(text.lower(), choices)
        raise argparse.ArgumentTypeError(
            f"unknown choice {quoted(text)}{hint}; choose from {', '.join(choices)}"
        )

    return parse


def _max_epochs() -> int:
    from .core.train.settings import MAX_EPOCHS

    return MAX_EPOCHS


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="graphgui",
        description="Computational-graph editor for learning backpropagation. "
        "Run without a command (optionally with a FILE) to open the editor.",
        epilog="Documentation: docs/cli.md",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def with_source(p: argparse.ArgumentParser, output: bool = True) -> None:
        src = p.add_argument_group("graph (one of)")
        src.add_argument("file", nargs="?", help="a graph file (.json)")
        src.add_argument(
            "--expr", metavar="SRC", help="an expression program, e.g. 'f = (x + y) * z'"
        )
        src.add_argument(
            "--example", metavar="NAME", help="a bundled example (see 'graphgui examples')"
        )
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=JSON",
            help="set an input or parameter, e.g. --set x=2 --set W=[[0.5,0.3],[0.2,0.8]]",
        )
        p.add_argument(
            "--sample", type=int, metavar="K",
            help="a training graph on sample K of its batch alone (its own values and "
            "gradients; the batch gradient is their mean over the samples)",
        )
        if output:
            p.add_argument(
                "--output",
                metavar="NAME",
                help="the node to differentiate (default: the graph's output)",
            )
            p.add_argument(
                "--precision",
                type=whole_number(1, MAX_PRECISION),
                default=4,
                metavar="N",
                help=f"significant digits shown, 1 to {MAX_PRECISION} (default 4)",
            )

    def with_wrt(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--wrt", required=True, metavar="NAME",
            help="the input to differentiate against; NAME[i,j] for one element of a tensor",
        )

    def with_direction(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--direction", metavar="JSON",
            help="forward mode: the tangent of a tensor input, of its shape "
            "(default: one-hot on its first element)",
        )

    p = sub.add_parser(
        "eval", help="forward value of the output and its gradient for every named node"
    )
    with_source(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("check", help="compare gradients with central finite differences")
    with_source(p)
    p.add_argument(
        "--step",
        type=real_number(0.0, low_open=True),
        default=1e-6,
        metavar="H",
        help="finite-difference step (default 1e-6)",
    )
    p.add_argument(
        "--rtol", type=real_number(0.0), default=1e-5, help="relative tolerance (default 1e-5)"
    )
    p.add_argument(
        "--atol", type=real_number(0.0), default=1e-7, help="absolute tolerance (default 1e-7)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "step", help="the forward and backward pass, step by step, with the chain rule"
    )
    with_source(p)
    p.add_argument(
        "--markdown", action="store_true", help="print the backward steps as a Markdown table"
    )
    p.add_argument(
        "--mode", type=one_of(("backward", "forward")), default="backward", metavar="MODE",
        help="backward (default: the backward pass) or forward (tangents, with --wrt)",
    )
    p.add_argument(
        "--wrt", metavar="NAME", help="forward mode: the input whose tangent is followed"
    )
    with_direction(p)
    p.add_argument(
        "--functions", type=one_of(("into", "over")), default="into", metavar="HOW",
        help="into (default: every node is a step) or over (each collapsed function is one "
        "step)",
    )

    p = sub.add_parser(
        "jvp", help="forward mode: the tangent of every node with respect to one input"
    )
    with_source(p)
    with_wrt(p)
    with_direction(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "paths", help="the gradient as a sum over paths of products of local derivatives"
    )
    with_source(p)
    with_wrt(p)
    p.add_argument(
        "--limit", type=whole_number(0, 100_000), default=1000, metavar="N",
        help="list at most N paths, the largest first (the count stays exact; default 1000)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "grad-graph", help="save the graph that computes a gradient (to differentiate again)"
    )
    with_source(p)
    with_wrt(p)
    p.add_argument(
        "-o", dest="out", required=True, metavar="OUT", help="where to write OUT.json ('-': stdout)"
    )

    p = sub.add_parser("convert", help="save a graph (e.g. an expression) as a laid-out graph file")
    with_source(p, output=False)
    p.add_argument("--output", metavar="NAME", help="the output node (default: last assigned name)")
    p.add_argument(
        "-o", dest="out", required=True, metavar="FILE", help="where to write ('-' for stdout)"
    )
    p.add_argument("--title", help="title stored in the file")

    p = sub.add_parser("export", help="draw a graph as PNG or SVG (as the canvas shows it)")
    with_source(p, output=False)
    p.add_argument("-o", dest="out", required=True, metavar="OUT", help="OUT.png or OUT.svg")

    p = sub.add_parser(
        "code", help="write the graph as NumPy or PyTorch code, or as an expression program"
    )
    with_source(p, output=False)
    p.add_argument(
        "--to", required=True, type=one_of(("numpy", "torch", "expr")), metavar="TARGET",
        help="numpy (forward and backward written out), torch (an nn.Module) or expr",
    )
    p.add_argument("-o", dest="out", metavar="OUT", help="where to write (default: stdout)")

    p = sub.add_parser("train", help="train the graph's parameters on its data set")
    with_source(p, output=False)
    p.add_argument(
        "--epochs", type=whole_number(0, _max_epochs), metavar="N",
        help="number of epochs (at most 1,000,000)",
    )
    p.add_argument(
        "--lr", type=real_number(0.0, low_open=True), metavar="A", help="learning rate (> 0)"
    )
    p.add_argument(
        "--optimizer", type=one_of(("sgd", "momentum", "rmsprop", "adam")), metavar="NAME",
        help="sgd, momentum, rmsprop or adam",
    )
    p.add_argument(
        "--batch-size", type=whole_number(1, 10**9), metavar="B",
        help="mini-batch size (1: stochastic)",
    )
    p.add_argument("--full-batch", action="store_true", help="one batch of all samples")
    p.add_argument(
        "--dtype", type=one_of(("float64", "float32")), metavar="T",
        help="float64 (default) or float32: the floats training computes in",
    )
    p.add_argument(
        "--l2", type=real_number(0.0), metavar="L", help="L2 penalty on the weights (>= 0)"
    )
    p.add_argument(
        "--seed", type=whole_number(0, 2**32 - 1), metavar="S",
        help="seed for the mini-batch order",
    )
    p.add_argument(
        "--dataset",
        metavar="KIND|JSON",
        help="data set when the file has none: a kind (moons, circles, xor, blobs, "
        "sin, ising) or a JSON spec",
    )
    p.add_argument("-o", dest="out", metavar="FILE", help="save the trained graph here")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "health", help="saturated and dead units, activation and gradient histograms, and "
        "update-to-data ratios while training")
    with_source(p)
    p.add_argument(
        "--train-epochs", type=whole_number(0, _max_epochs), metavar="N",
        help="train N epochs first (the file's settings) and show each parameter's "
        "update-to-data ratio",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "landscape", help="the loss over a plane through the parameters, optimizers racing on it"
    )
    with_source(p, output=False)
    plane = p.add_argument_group("plane (one of)").add_mutually_exclusive_group(required=True)
    plane.add_argument(
        "--params", nargs="+", metavar=("A", "B"),
        help="two scalar parameters, or elements NAME[i,j] of tensor parameters (one: a curve)",
    )
    plane.add_argument(
        "--directions", type=one_of(("random",)), metavar="random",
        help="two random directions through the weights, filter-normalised (Li et al. 2018)",
    )
    p.add_argument(
        "--span", type=number_or("auto", real_number(0.0, 1e6, low_open=True)), default=1.0,
        metavar="S", help="the grid spans -S..S in each coordinate around the current "
        "parameters (default 1; auto: as far as the races go)",
    )
    p.add_argument(
        "--race", type=one_of(("plane", "all")), default="plane", metavar="plane|all",
        help="the optimizers move the plane's coordinates (default), or all parameters, "
        "projected onto it",
    )
    p.add_argument(
        "--grid", type=whole_number(3, 201), default=41, metavar="N",
        help="N x N points, N odd, at most 201 (default 41)",
    )
    p.add_argument(
        "--seed", type=whole_number(0, 2**32 - 1), metavar="K",
        help="seed of the random directions (default 0)",
    )
    p.add_argument(
        "--optimizers", default="sgd,momentum,rmsprop,adam", metavar="LIST",
        help="comma-separated: sgd, momentum, rmsprop, adam (default: all four)",
    )
    p.add_argument(
        "--steps", type=whole_number(0, 10_000), default=100, metavar="N",
        help="full-batch steps of each optimizer, at most 10,000 (default 100)",
    )
    out = p.add_argument_group("output (one of)").add_mutually_exclusive_group(required=True)
    out.add_argument("-o", dest="out", metavar="OUT.png", help="draw the landscape to a PNG")
    out.add_argument("--json", action="store_true", help="print one JSON object")

    sub.add_parser("examples", help="list the bundled examples")
    return parser


# ---- loading ---------------------------------------------------------------------------------


def load_graph(args: argparse.Namespace) -> Any:
    """The graph named by FILE, --expr or --example, with --set values applied."""
    return load_document(args)[0]


def load_document(args: argparse.Namespace) -> tuple[Any, dict | None]:
    """The graph (with --set values applied) and the settings its file stores, if any."""
    given = [x for x in (args.file, args.expr, args.example) if x is not None]
    if len(given) != 1:
        raise CliError("give exactly one of FILE, --expr SRC or --example NAME")
    assignments = [parse_assignment(item) for item in args.set]  # bad JSON before any work
    settings = None
    if args.expr is not None:
        from .core.expr import parse

        graph = parse(args.expr)
    elif args.example is not None:
        from .core.examples import load_example_document

        graph, settings = load_example_document(args.example)
    else:
        from .core.fileformat import load_document as read

        document = read(args.file)
        graph, settings = document.graph, document.settings
    for name, value in assignments:
        node = graph.find(name)
        if node is None:
            raise CliError(f"--set {name}: the graph has no node named {quoted(name)}")
        if not node.is_source:
            raise CliError(
                f"--set {name}: {name} is computed by {node.op}; only sources can be set"
            )
        graph.set_value(node.id, value)
    if getattr(args, "sample", None) is not None:
        from .core.train.sample import sample_graph

        training = (settings or {}).get("training") or {}
        inputs = training.get("inputs") if isinstance(training, dict) else None
        graph = sample_graph(graph, args.sample, {"X": "X", "Y": "Y", **(inputs or {})})
    return graph, settings


def parse_json_flag(flag: str, text: str) -> Any:
    """A flag's JSON value, read as strictly as a graph file (see fileformat.parse_json)."""
    from .core.fileformat import FileFormatError, parse_json

    try:
        return parse_json(text)
    except FileFormatError as exc:
        raise CliError(f"{flag}: {exc}") from None


def parse_assignment(item: str) -> tuple[str, Any]:
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CliError(f"--set {quoted(item)}: expected NAME=JSON, e.g. --set x=2")
    if len(name) > _QUOTE or not name.isprintable():
        name = quoted(name)
    value = parse_json_flag(f"--set {name}", text)
    from .core.values import to_value

    try:
        return name, to_value(value)
    except ValueError as exc:
        raise CliError(f"--set {name}: {exc}") from None


def output_id(graph: Any, args: argparse.Namespace) -> str | None:
    """The node ``--output`` names (None: the graph's own output)."""
    name = getattr(args, "output", None)
    if not name:
        return None
    from .core.graph import GraphError

    try:
        return graph.lookup(name).id
    except GraphError:
        raise CliError(f"--output: the graph has no node named {quoted(name)}") from None
