"""graphgui's command line.

``graphgui`` alone (or with a file) opens the editor; the sub-commands run headless. They
import only ``graphgui.core`` (never Qt), so they work over SSH and start fast.
Exit status: 0 success, 1 a check failed or a value is not finite, 2 an error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

COMMANDS = ("eval", "check", "step", "convert", "export", "train", "examples")

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise CliError(f"{message} (see '{self.prog} --help')")


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
        if output:
            p.add_argument(
                "--output",
                metavar="NAME",
                help="the node to differentiate (default: the graph's output)",
            )
            p.add_argument(
                "--precision",
                type=int,
                default=4,
                metavar="N",
                help="significant digits shown (default 4)",
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
        type=float,
        default=1e-6,
        metavar="H",
        help="finite-difference step (default 1e-6)",
    )
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    p.add_argument("--atol", type=float, default=1e-7, help="absolute tolerance (default 1e-7)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "step", help="the forward and backward pass, step by step, with the chain rule"
    )
    with_source(p)
    p.add_argument(
        "--markdown", action="store_true", help="print the backward steps as a Markdown table"
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

    p = sub.add_parser("train", help="train the graph's parameters on its data set")
    with_source(p, output=False)
    p.add_argument("--epochs", type=int, metavar="N", help="number of epochs")
    p.add_argument("--lr", type=float, metavar="A", help="learning rate")
    p.add_argument("--optimizer", metavar="NAME", help="sgd, momentum, rmsprop or adam")
    p.add_argument("--batch-size", type=int, metavar="B", help="mini-batch size (1: stochastic)")
    p.add_argument("--full-batch", action="store_true", help="one batch of all samples")
    p.add_argument("--l2", type=float, metavar="L", help="L2 penalty on the weights")
    p.add_argument("--seed", type=int, metavar="S", help="seed for the mini-batch order")
    p.add_argument(
        "--dataset",
        metavar="KIND|JSON",
        help="data set when the file has none: a kind (moons, circles, xor, blobs, "
        "sin, ising) or a JSON spec",
    )
    p.add_argument("-o", dest="out", metavar="FILE", help="save the trained graph here")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    sub.add_parser("examples", help="list the bundled examples")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        return _run_gui(args_list)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
        if args.version:
            from . import __version__

            print(f"graphgui {__version__}")
            return EXIT_OK
        if args.command is None:
            return _run_gui([])
        return _COMMAND_FUNCTIONS[args.command](args)
    except CliError as exc:
        return _fail(args_list[0], str(exc))
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001  (known model errors, reported in one line)
        if _is_user_error(exc):
            return _fail(args_list[0], str(exc))
        raise


def _fail(command: str, message: str) -> int:
    prefix = "graphgui" if command.startswith("-") else f"graphgui {command}"
    print(f"{prefix}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _is_user_error(exc: Exception) -> bool:
    from .core.engine import EvaluationError
    from .core.graph import GraphError
    from .core.ops import OpError

    known: tuple[type[Exception], ...] = (GraphError, EvaluationError, OpError, OSError, ValueError)
    return isinstance(exc, known)


def _run_gui(argv: list[str]) -> int:
    from .gui.display_check import display_problem

    problem = display_problem()
    if problem:
        print(f"graphgui: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    try:
        from .gui.app import run
    except ImportError as exc:
        print(f"graphgui: error: the editor cannot start: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run(argv)


# ---- loading ---------------------------------------------------------------------------------


def load_graph(args: argparse.Namespace) -> Any:
    """The graph named by FILE, --expr or --example, with --set values applied."""
    return load_document(args)[0]


def load_document(args: argparse.Namespace) -> tuple[Any, dict | None]:
    """The graph (with --set values applied) and the settings its file stores, if any."""
    given = [x for x in (args.file, args.expr, args.example) if x is not None]
    if len(given) != 1:
        raise CliError("give exactly one of FILE, --expr SRC or --example NAME")
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
    for item in args.set:
        name, value = _parse_assignment(item)
        node = graph.find(name)
        if node is None:
            raise CliError(f"--set {name}: the graph has no node named {name!r}")
        if not node.is_source:
            raise CliError(
                f"--set {name}: {name} is computed by {node.op}; only sources can be set"
            )
        graph.set_value(node.id, value)
    return graph, settings


def _parse_assignment(item: str) -> tuple[str, Any]:
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CliError(f"--set {item}: expected NAME=JSON, e.g. --set x=2")

    def refuse(constant: str) -> Any:
        raise CliError(f"--set {name}: {constant} is not a number JSON allows")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise CliError(f"--set {name}: {text!r} is not JSON ({exc.msg})") from None
    from .core.values import to_value

    try:
        return name, to_value(value)
    except ValueError as exc:
        raise CliError(f"--set {name}: {exc}") from None


def _program(graph: Any, args: argparse.Namespace) -> Any:
    from .core.engine import Program

    output = graph.lookup(args.output).id if getattr(args, "output", None) else None
    program = Program(graph, output=output)
    if program.output_id is None:
        raise CliError("the graph is empty: there is no output to evaluate")
    return program


def _name(graph: Any, node_id: str) -> str:
    """How output names a node: its label (its name, else e.g. ``sigmoid`` or ``add2``)."""
    from .core.graph import node_label

    return node_label(graph, node_id)


# ---- commands --------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from .core.values import format_value, to_json

    graph = load_graph(args)
    program = _program(graph, args)
    result = program.evaluate()
    _raise_first_error(graph, result.errors)
    out = _name(graph, result.output)
    named = [n for n in graph.topological_order() if graph.node(n).name]
    if args.json:
        print(
            json.dumps(
                {
                    "output": out,
                    "value": to_json(result.values[result.output]),
                    "values": {graph.node(n).name: to_json(result.values[n]) for n in named},
                    "grads": {
                        graph.node(n).name: to_json(result.grads[n])
                        for n in named
                        if n in result.grads
                    },
                }
            )
        )
    else:
        p = args.precision
        if graph.title:
            print(graph.title)
        print(f"{out} = {format_value(result.values[result.output], p)}\n")
        rows = [("name", "op", "value", f"d{out}/d(name)")]
        for n in named:
            node = graph.node(n)
            rows.append(
                (
                    node.name,
                    node.op,
                    format_value(result.values[n], p),
                    format_value(result.grads.get(n), p),
                )
            )
        print(_table(rows))
        _print_full_arrays(graph, named, result, p)
    return _report_nonfinite("eval", result.nonfinite)


def cmd_check(args: argparse.Namespace) -> int:
    from .core.gradcheck import check_gradients
    from .core.values import format_value, to_json

    graph = load_graph(args)
    program = _program(graph, args)
    _raise_first_error(graph, program.evaluate().errors)
    checks = check_gradients(
        graph, output=program.output_id, step=args.step, rtol=args.rtol, atol=args.atol
    )
    if args.json:
        print(
            json.dumps(
                {
                    "output": _name(graph, program.output_id),
                    "passed": all(c.passed for c in checks),
                    "checks": [
                        {
                            "name": c.name,
                            "autodiff": to_json(c.autodiff),
                            "numeric": to_json(c.numeric),
                            "abs_error": c.abs_error,
                            "rel_error": c.rel_error,
                            "passed": c.passed,
                        }
                        for c in checks
                    ],
                }
            )
        )
    else:
        p = max(args.precision, 6)
        rows = [("name", "autodiff", "numeric", "rel error", "")]
        for c in checks:
            rows.append(
                (
                    c.name,
                    format_value(c.autodiff, p),
                    format_value(c.numeric, p),
                    f"{c.rel_error:.1e}",
                    "ok" if c.passed else "FAIL",
                )
            )
        print(_table(rows))
        failed = [c.name for c in checks if not c.passed]
        print(
            f"\n{len(checks) - len(failed)} of {len(checks)} gradients match central differences "
            f"(h = {args.step:g})" + (f"; failed: {', '.join(failed)}" if failed else "")
        )
    return EXIT_FAILED if any(not c.passed for c in checks) else EXIT_OK


def cmd_step(args: argparse.Namespace) -> int:
    from .core.explain import (
        explain_backward,
        explain_forward,
        label_program,
        log_rows,
        markdown_table,
    )

    graph = load_graph(args)
    program = _program(graph, args)
    label_program(program, graph)
    _raise_first_error(graph, program.evaluate().errors)
    vals = program.forward()
    p = args.precision
    forward = list(explain_forward(program, vals, p))
    backward = list(explain_backward(program, vals, p))
    if args.markdown:
        print("## Forward pass\n")
        print("\n".join(f"{k}. `{line.text}`" for k, line in enumerate(forward, 1)))
        print("\n## Backward pass\n")
        print(markdown_table(log_rows(program, backward, p)), end="")
        return EXIT_OK
    print("Forward pass")
    for k, line in enumerate(forward, 1):
        print(f"  {k:>3}. {line.text}")
    print("\nBackward pass")
    for ex in backward:
        print(f"  {ex.number:>3}. {ex.heading}")
        for term in ex.terms:
            print(f"       {term.text}")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from .core import fileformat

    graph = load_graph(args)
    if args.output:
        graph.set_output(graph.lookup(args.output).id)
    if args.title:
        graph.title = args.title
    if args.out == "-":
        sys.stdout.write(fileformat.dumps(graph))
    else:
        fileformat.save(graph, args.out)
        print(f"wrote {args.out} ({len(graph)} nodes)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    import os

    graph = load_graph(args)
    if not args.out.lower().endswith((".png", ".svg")):
        raise CliError(f"-o {args.out}: the file name must end in .png or .svg")
    if "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from .gui.export import export_image

    export_image(graph, args.out)
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from .core import fileformat
    from .core.train import TrainingError, TrainSettings, apply_parameters, train_graph

    graph, file_settings = load_document(args)
    settings = dict((file_settings or {}).get("training") or {})
    overrides = {
        "epochs": args.epochs,
        "lr": args.lr,
        "optimizer": args.optimizer,
        "batch_size": args.batch_size,
        "l2": args.l2,
        "seed": args.seed,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if args.full_batch:
        settings["batch_size"] = None
    if args.dataset:
        settings["dataset"] = _dataset_spec(args.dataset)
    if not settings.get("dataset"):
        raise CliError(
            "the graph has no data set: give --dataset KIND (moons, circles, xor, "
            "blobs, sin, ising) or a JSON spec"
        )
    training = TrainSettings.from_dict(settings)
    progress = _ProgressBar(training.epochs) if sys.stderr.isatty() else None
    try:
        report = train_graph(graph, training, progress=progress)
    except TrainingError as exc:
        if progress:
            progress.finish()
        print(f"graphgui train: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if progress:
        progress.finish()
    if args.out:
        apply_parameters(graph, report.parameters)
        fileformat.save(
            graph, args.out, settings={**(file_settings or {}), "training": training.to_dict()}
        )
    if args.json:
        print(json.dumps(report.to_dict()))
        return EXIT_OK
    print(f"trained {report.epochs} epochs in {report.seconds:.2f} s")
    print(f"final loss       {report.final_loss:.4f}")
    if report.train_accuracy is not None:
        print(f"train accuracy   {100 * report.train_accuracy:.1f}%")
    if report.test_accuracy is not None:
        print(f"test accuracy    {100 * report.test_accuracy:.1f}%")
    if args.out:
        print(f"wrote {args.out}")
    return EXIT_OK


def _dataset_spec(text: str) -> dict:
    if text.lstrip().startswith("{"):
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(f"--dataset: not JSON ({exc.msg})") from None
        if not isinstance(spec, dict):
            raise CliError("--dataset: a JSON spec must be an object")
        return spec
    return {"kind": text}


class _ProgressBar:
    """``epoch 120/10000 [####......] loss 0.4123  ETA 3 s`` on stderr, ~10 times a second."""

    def __init__(self, total: int) -> None:
        import time

        self.total = max(total, 1)
        self.clock = time.perf_counter
        self.start = self.last = self.clock()

    def __call__(self, result: Any) -> None:
        now = self.clock()
        if now - self.last < 0.1 and result.epoch < self.total:
            return
        self.last = now
        done = result.epoch / self.total
        eta = (now - self.start) * (1 - done) / done if done else 0.0
        bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
        sys.stderr.write(
            f"\repoch {result.epoch}/{self.total} [{bar}] "
            f"loss {result.train_loss:.4f}  ETA {eta:.0f} s "
        )
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")


def cmd_examples(args: argparse.Namespace) -> int:
    from .core.examples import list_examples, list_training_examples

    worked, training = list_examples(), list_training_examples()
    width = max(len(e.name) for e in worked + training)
    print("Worked examples (eval, step, check):")
    for e in worked:
        print(f"  {e.name:<{width}}  {e.title}")
    print("\nNetworks to train (train):")
    for e in training:
        print(f"  {e.name:<{width}}  {e.title}")
    print("\nUse one with: graphgui eval --example NAME, or step, check, train, convert, export")
    return EXIT_OK


_COMMAND_FUNCTIONS = {
    "eval": cmd_eval,
    "check": cmd_check,
    "step": cmd_step,
    "convert": cmd_convert,
    "export": cmd_export,
    "train": cmd_train,
    "examples": cmd_examples,
}


# ---- output helpers --------------------------------------------------------------------------


def _raise_first_error(graph: Any, errors: dict[str, str]) -> None:
    if errors:
        node_id, message = next(iter(errors.items()))
        raise CliError(f"{_name(graph, node_id)}: {message}")


def _report_nonfinite(command: str, nonfinite: tuple[str, str] | None) -> int:
    if nonfinite is None:
        return EXIT_OK
    print(f"graphgui {command}: warning: non-finite value: {nonfinite[1]}", file=sys.stderr)
    return EXIT_FAILED


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _print_full_arrays(graph: Any, named: list[str], result: Any, precision: int) -> None:
    """Larger arrays are summarised in the table (shape and norm); here in full, up to 64
    elements, with ``precision`` significant digits."""
    import numpy as np

    from .core.values import SHOWN_IN_FULL, format_array

    out = _name(graph, result.output)
    for n in named:
        value = result.values[n]
        if not isinstance(value, np.ndarray) or not SHOWN_IN_FULL < value.size <= 64:
            continue
        name = graph.node(n).name
        print(f"\n{name} =\n{format_array(value, precision)}")
        if n in result.grads:
            print(f"d{out}/d{name} =\n{format_array(result.grads[n], precision)}")
