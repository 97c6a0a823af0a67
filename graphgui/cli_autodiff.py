"""The autodiff commands: ``jvp`` (forward mode), ``paths`` (the sum over paths),
``grad-graph`` (a gradient as a graph of its own) and ``step --mode forward``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .cli_common import EXIT_OK, CliError, load_graph, output_id, parse_json_flag, table


def _direction(args: argparse.Namespace) -> Any:
    text = getattr(args, "direction", None)
    return None if text is None else parse_json_flag("--direction", text)


def _tangent_error(exc: Exception) -> CliError:
    return CliError(f"--wrt: {exc}") if "direction" not in str(exc) else CliError(str(exc))


def _flag_error(exc: Exception) -> CliError:
    """A core message about ``wrt:`` or ``output:`` names its flag: ``--wrt: ...``."""
    message = str(exc)
    return CliError("--" + message if message.startswith(("wrt:", "output:")) else message)


def cmd_jvp(args: argparse.Namespace) -> int:
    from .core.autodiff.tangents import TangentError, tangents
    from .core.labels import node_labels
    from .core.values import format_value, to_json

    graph = load_graph(args)
    direction = _direction(args)
    try:
        result = tangents(graph, args.wrt, direction, output=output_id(graph, args))
    except TangentError as exc:
        raise _tangent_error(exc) from None
    if result.output is None:
        raise CliError("the graph is empty: there is no output")
    labels = node_labels(graph)
    named = [n for n in graph.topological_order() if graph.node(n).name]
    out = labels[result.output]
    wrt = result.seed.label
    if args.json:
        print(json.dumps({
            "output": out,
            "value": to_json(result.values[result.output]),
            "wrt": wrt,
            "direction": to_json(result.seed.direction),
            "tangents": {graph.node(n).name: to_json(result.tangents[n]) for n in named},
        }))
        return EXIT_OK
    p = args.precision
    print(f"{out} = {format_value(result.values[result.output], p)}; "
          f"d{out}/d{wrt} = {format_value(result.tangents[result.output], p)}\n")
    rows = [("name", "op", "value", f"d(name)/d{wrt}")]
    for n in named:
        node = graph.node(n)
        rows.append((node.name, node.op, format_value(result.values[n], p),
                     format_value(result.tangents[n], p)))
    print(table(rows))
    return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    from .core.autodiff.pathsum import PathError, path_sum
    from .core.values import format_factor, format_value

    graph = load_graph(args)
    try:
        result = path_sum(graph, args.wrt, args.output, limit=args.limit)
    except PathError as exc:
        raise _flag_error(exc) from None
    if args.json:
        print(json.dumps({
            "wrt": result.wrt,
            "output": result.output,
            "count": result.count,
            "paths": [
                {"nodes": list(path.nodes), "factors": list(path.factors),
                 "product": path.product, "formulas": list(path.formulas)}
                for path in result.paths
            ],
            "sum": result.sum,
            "gradient": result.gradient,
            "listed": len(result.paths),
            "listed_sum": result.listed_sum,
            "fan_outs": [
                {"node": f.node, "paths_through": f.paths_through, "factored": f.factored,
                 "gradient": f.gradient}
                for f in result.fan_outs
            ],
        }))
        return EXIT_OK
    p = args.precision
    out, wrt = result.output, result.wrt
    print(f"d{out}/d{wrt} as a sum over {result.count:,} path{'s' if result.count != 1 else ''}"
          f" from {wrt} to {out}\n")
    for k, path in enumerate(result.paths, 1):
        factors = " * ".join(format_factor(f, p) for f in path.factors) or "1"
        print(f"  {k:>4}. {' -> '.join(path.nodes)}")
        print(f"        {factors} = {format_value(path.product, p)}")
    if result.truncated:
        print(f"\n  ... {result.count - len(result.paths):,} more paths not listed "
              f"(the {len(result.paths):,} largest by size are shown; --limit N lists more)")
        print(f"  listed paths add up to {format_value(result.listed_sum, p)}")
    print(f"\nsum over all paths = {format_value(result.sum, p)}")
    print(f"backward pass      = {format_value(result.gradient, p)}")
    if result.fan_outs:
        print("\nwhere paths split (the backward pass adds their parts there):")
        for f in result.fan_outs:
            print(f"  {f.node}: {f.paths_through:,} paths pass it; {f.factored}")
    return EXIT_OK


def cmd_grad_graph(args: argparse.Namespace) -> int:
    from .core import fileformat
    from .core.autodiff.grad_graph import GradGraphError, gradient_graph
    from .core.labels import node_label

    graph = load_graph(args)
    try:
        result = gradient_graph(graph, args.wrt, output=args.output)
    except GradGraphError as exc:
        raise _flag_error(exc) from None
    if args.out == "-":
        sys.stdout.write(fileformat.dumps(result))
    else:
        fileformat.save(result, args.out)
        name = node_label(result, result.output) if result.output else "?"
        print(f"wrote {args.out} ({len(result)} nodes); its output {name} is the gradient")
    return EXIT_OK


def print_tangent_steps(args: argparse.Namespace, graph: Any, program: Any, vals: list) -> int:
    """``graphgui step --mode forward --wrt NAME``: the values, then the tangents."""
    from .core.autodiff.tangent_text import explain_tangents
    from .core.autodiff.tangents import TangentError, resolve_seed
    from .core.explain import explain_forward

    if not args.wrt:
        raise CliError("step --mode forward needs --wrt NAME (the input to follow)")
    try:
        seed = resolve_seed(graph, args.wrt, _direction(args))
    except TangentError as exc:
        raise _tangent_error(exc) from None
    p = args.precision
    forward = list(explain_forward(program, vals, p))
    lines = list(explain_tangents(program, vals, seed, p))
    if args.markdown:
        print("## Forward pass\n")
        print("\n".join(f"{k}. `{line.text}`" for k, line in enumerate(forward, 1)))
        print(f"\n## Forward mode: tangents d/d{seed.label}\n")
        print("\n".join(f"{k}. `{line.text}`" for k, line in enumerate(lines, 1)))
        return EXIT_OK
    print("Forward pass")
    for k, line in enumerate(forward, 1):
        print(f"  {k:>3}. {line.text}")
    print(f"\nForward mode (tangents d/d{seed.label})")
    for k, line in enumerate(lines, 1):
        print(f"  {k:>3}. {line.text}")
    return EXIT_OK



