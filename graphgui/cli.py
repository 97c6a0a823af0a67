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

from .cli_autodiff import cmd_grad_graph, cmd_jvp, cmd_paths, print_tangent_steps
from .cli_code import cmd_code
from .cli_common import (
    COMMANDS,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    build_parser,
    load_graph,
    output_id,
    quoted,
    table,
)
from .cli_health import cmd_health
from .cli_landscape import cmd_landscape
from .cli_train import cmd_train

MAX_MESSAGE = 400  # characters of an error line; user values in it are quoted shorter still


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or _opens_editor(args_list[0]):
        return _run_gui(args_list)
    command = args_list[0] if args_list[0] in COMMANDS else "-"
    try:
        if command == "-" and not args_list[0].startswith("-"):
            raise CliError(_unknown_command(args_list[0]))
        args = build_parser().parse_args(args_list)
        if args.version:
            from . import __version__

            print(f"graphgui {__version__}")
            return EXIT_OK
        if args.command is None:
            return _run_gui([])
        return _COMMAND_FUNCTIONS[args.command](args)
    except CliError as exc:
        return _fail(command, str(exc))
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:
        return _fail(command, "the graph is nested too deeply to process")
    except MemoryError:
        return _fail(command, "out of memory (the values are too large for this machine)")
    except Exception as exc:  # noqa: BLE001  (known model errors, reported in one line)
        if _is_user_error(exc):
            return _fail(command, str(exc))
        raise


def _opens_editor(first: str) -> bool:
    """``graphgui FILE`` opens the editor: FILE is not a command and is an existing path or
    names a graph file (``.json``); anything else is taken as a mistyped command."""
    import os

    if first in COMMANDS or first.startswith("-"):
        return False
    return first.lower().endswith(".json") or os.path.lexists(first)


def _unknown_command(word: str) -> str:
    from .core.messages import did_you_mean

    hint = did_you_mean(word, COMMANDS)
    return f"unknown command {quoted(word)}" + (
        hint or f" (commands: {', '.join(COMMANDS)}; to open a file give its path)"
    )


def _fail(command: str, message: str) -> int:
    """One line on stderr, whatever the message holds (line breaks escaped, length capped)."""
    prefix = "graphgui" if command.startswith("-") else f"graphgui {command}"
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    print(f"{prefix}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _is_user_error(exc: Exception) -> bool:
    from .core.engine import EvaluationError
    from .core.graph import GraphError
    from .core.ops import OpError
    from .core.train import TrainingError

    known: tuple[type[Exception], ...] = (
        GraphError, EvaluationError, OpError, TrainingError, OSError, ValueError,
    )
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


def _program(graph: Any, args: argparse.Namespace) -> Any:
    from .core.engine import Program

    program = Program(graph, output=output_id(graph, args))
    if program.output_id is None:
        raise CliError("the graph is empty: there is no output to evaluate")
    return program


def _name(graph: Any, node_id: str) -> str:
    """How output names a node: its label (its name, else e.g. ``sigmoid`` or ``add2``)."""
    from .core.graph import node_label

    return node_label(graph, node_id)


# ---- commands --------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from .core.functions.copying import without_functions
    from .core.values import format_value, to_json

    graph = load_graph(args)
    program = _program(graph, args)
    result = program.evaluate()
    _raise_first_error(graph, result.errors)
    out = _name(graph, result.output)
    # The flat graph's order, as an exported module prints it (code export ignores functions).
    named = [n for n in without_functions(graph).topological_order() if graph.node(n).name]
    # A node the output does not depend on has gradient 0, of its own shape (PyTorch: None,
    # zeros with materialize_grads=True). One that only constants feed keeps None (JSON null,
    # "-"): no gradient is computed for it, as PyTorch computes none without requires_grad.
    reaching = graph.ancestors(result.output)
    for n in named:
        if n not in result.grads and n not in reaching:
            result.grads[n] = _zeros_like(result.values[n])
    if args.json:
        print(
            json.dumps(
                {
                    "output": out,
                    "value": to_json(result.values[result.output]),
                    "values": {graph.node(n).name: to_json(result.values[n]) for n in named},
                    "grads": {graph.node(n).name: to_json(result.grads.get(n)) for n in named},
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
        print(table(rows))
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
                            "checked": c.checked,
                            "elements": c.elements,
                            **({"sample": c.sample.tolist()} if c.sampled else {}),
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
        print(table(rows))
        failed = [c.name for c in checks if not c.passed]
        print(
            f"\n{len(checks) - len(failed)} of {len(checks)} gradients match central differences "
            f"(h = {args.step:g})" + (f"; failed: {', '.join(failed)}" if failed else "")
        )
        for c in checks:
            if c.sampled:
                print(
                    f"{c.name}: {c.checked:,} of its {c.elements:,} elements checked "
                    f"(a sample, the same every run)"
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
    if args.mode == "forward":
        if args.functions == "over":
            raise CliError("--functions over is for the backward mode (the default)")
        return print_tangent_steps(args, graph, program, vals)
    if args.wrt or args.direction:
        raise CliError("--wrt and --direction are for --mode forward")
    p = args.precision
    forward = list(explain_forward(program, vals, p))
    backward = list(explain_backward(program, vals, p))
    if args.functions == "over":  # each collapsed function one step
        from .core.functions.stepping import stepped_over

        texts, steps, rows = stepped_over(graph, program, vals, forward, backward, p)
    else:
        texts, steps = [line.text for line in forward], [ex.lines for ex in backward]
        rows = log_rows(program, backward, p)
    if args.markdown:
        print("## Forward pass\n")
        print("\n".join(f"{k}. `{text}`" for k, text in enumerate(texts, 1)))
        print("\n## Backward pass\n")
        print(markdown_table(rows), end="")
        return EXIT_OK
    print("Forward pass")
    for k, text in enumerate(texts, 1):
        print(f"  {k:>3}. {text}")
    print("\nBackward pass")
    for k, lines in enumerate(steps, 1):
        print(f"  {k:>3}. {lines[0]}")
        for line in lines[1:]:
            print(f"       {line}")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from .core import fileformat

    graph = load_graph(args)
    if args.output:
        graph.set_output(output_id(graph, args))
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
    "jvp": cmd_jvp,
    "paths": cmd_paths,
    "grad-graph": cmd_grad_graph,
    "convert": cmd_convert,
    "export": cmd_export,
    "code": cmd_code,
    "train": cmd_train,
    "health": cmd_health,
    "landscape": cmd_landscape,
    "examples": cmd_examples,
}


# ---- output helpers --------------------------------------------------------------------------


def _zeros_like(value: Any) -> Any:
    import numpy as np

    return 0.0 if isinstance(value, float) else np.zeros_like(value)


def _raise_first_error(graph: Any, errors: dict[str, str]) -> None:
    if errors:
        node_id, message = next(iter(errors.items()))
        raise CliError(f"{_name(graph, node_id)}: {message}")


def _report_nonfinite(command: str, nonfinite: tuple[str, str] | None) -> int:
    if nonfinite is None:
        return EXIT_OK
    print(f"graphgui {command}: warning: non-finite value: {nonfinite[1]}", file=sys.stderr)
    return EXIT_FAILED


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
