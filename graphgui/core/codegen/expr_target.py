"""The expression target: the program (docs/expression-language.md) that builds the graph
again, with the same ops, names, values, parameters, wiring and output.

Every named node gets a statement (``q = x + y``, ``W = param([[...]])``, ``c =
const(3.0)``, an input ``x = -2.0``), in evaluation order; an unnamed node used once is
written inside its consumer (``(x + y) * 2.0``, ``sigmoid(param(0.5) * x)``). The language
refers to a node only by its name, so an unnamed node it must refer to is given its label
(what the canvas calls it): an unnamed input, an unnamed node used twice or not at all,
the output if unnamed, and a node nested deeper than :data:`MAX_INLINE_DEPTH`.

A graph's function definitions come first, as ``def`` blocks (their bodies written the same
way, ending in ``return``), and each instance that a call builds again exactly is written as
that call, ``h1 = neuron(x, w, b)``; the others are written node by node. Which is which is
decided in :mod:`.expr_functions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import GraphError
from ..expr import MAX_SOURCE_BYTES, MAX_STATEMENTS
from ..functions.model import FunctionDef
from ..graph import Graph
from ..labels import node_labels
from . import literals
from .analysis import CodegenError
from .expr_functions import CallForm, FunctionPlan, plan_functions

MAX_INLINE_DEPTH = 30  # sub-expressions inside one another; deeper ones get a name
_OPERATORS = {"add": ("+", 1), "sub": ("-", 1), "mul": ("*", 2), "div": ("/", 2),
              "matmul": ("@", 2), "pow": ("**", 4)}
_ATOM, _UNARY, _POW = 100, 3, 4
_SOURCE_FORMS = {"parameter": "param", "constant": "const"}


def program_names(graph: Graph) -> dict[str, str]:
    """node id -> the name the program gives it (its own, or its label; see the module
    docstring); an unnamed node missing here is written inside its one consumer, and the
    nodes inside an instance written as a call, other than its outputs, are missing too."""
    order = graph.topological_order()
    return _names(graph, order, plan_functions(graph, order))


def _names(graph: Graph, order: list[str], plan: FunctionPlan) -> dict[str, str]:
    labels = node_labels(graph)
    outputs = {t for form in plan.calls.values() for t in form.targets}
    names: dict[str, str] = {}
    depth: dict[str, int] = {}
    for nid in order:
        if nid in plan.hidden and nid not in outputs:
            continue
        node = graph.node(nid)
        uses = len(graph.consumers(nid))
        if node.name:
            names[nid] = node.name
        elif node.op == "input" or nid == graph.output or uses != 1:
            names[nid] = labels[nid]
        else:
            inner = [depth[s] for s in graph.input_ids(nid) if s is not None and s not in names]
            depth[nid] = 1 + max(inner, default=0)
            if depth[nid] > MAX_INLINE_DEPTH:
                names[nid] = labels[nid]
    return names


def expr_program(graph: Graph) -> str:
    """The program's text; :func:`graphgui.core.expr.parse` reads it back as the graph."""
    if graph.output is None:
        raise CodegenError("the graph is empty: there is no output to export")
    order = graph.topological_order()
    plan = plan_functions(graph, order)
    names = _names(graph, order, plan)
    lines = [f"# {literals.comment(graph.title)}"] if graph.title.strip() else []
    body_lines = 0  # a def counts as one statement of the program
    try:
        for definition in graph.functions:
            if definition.name in plan.skipped:
                why = plan.skipped[definition.name]
                lines.append(f"# {literals.comment(f'function {definition.name}: {why}')}")
                continue
            block = _def_block(definition)
            lines += block
            body_lines += len(block) - 1  # its body and the blank line after it
        for nid in order:
            if nid in plan.calls:
                lines.append(_call_statement(graph, names, plan.calls[nid]))
            elif nid in names and nid not in plan.hidden:
                lines.append(f"{names[nid]} = {_statement(graph, names, nid)}")
    except GraphError as exc:
        raise CodegenError(str(exc)) from None
    statements = len(lines) - body_lines
    if statements > MAX_STATEMENTS:
        raise CodegenError(f"the graph needs {statements:,} statements; an expression "
                           f"program holds at most {MAX_STATEMENTS:,}")
    lines.append(names[graph.output])  # the output: a bare name on the last line
    text = "\n".join(lines) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise CodegenError(f"the program would be {size / 1000:.0f} kB; an expression "
                           f"program holds at most {MAX_SOURCE_BYTES // 1000} kB")
    return text


def _def_block(definition: FunctionDef) -> list[str]:
    """``def name(inputs):``, its docstring, its body's statements and ``return``."""
    body = definition.body
    names = program_names(body)
    found = (body.find(name) for name in definition.inputs)
    placeholders = {node.id for node in found if node is not None}
    lines = [f"def {definition.name}({', '.join(definition.inputs)}):"]
    if definition.doc:
        lines.append(f"    {definition.doc!r}")
    try:
        for nid in body.topological_order():
            if nid in names and nid not in placeholders:
                lines.append(f"    {names[nid]} = {_statement(body, names, nid)}")
    except GraphError as exc:
        raise GraphError(f"function {definition.name}: {exc}") from None
    lines.append(f"    return {', '.join(definition.outputs)}")
    return lines + [""]


def _call_statement(graph: Graph, names: dict[str, str], form: CallForm) -> str:
    """``h1 = neuron(x, w, b)`` or ``h1, h2 = layer(x)``."""
    targets = ", ".join(names[t] for t in form.targets)
    args = ", ".join(_child(graph, names, a)[0] for a in form.args)
    return f"{targets} = {form.definition.name}({args})"


def _literal(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size == 0:
            raise GraphError(f"an empty array (shape {value.shape}) cannot be written in the "
                             "expression language")
        return literals.nested(value, 0, literals.expr_number)
    return literals.expr_number(value)


def _statement(graph: Graph, names: dict[str, str], nid: str) -> str:
    node = graph.node(nid)
    if node.op == "input":
        return _literal(node.value)
    if node.is_source:
        return f"{_SOURCE_FORMS[node.op]}({_literal(node.value)})"
    if node.op == "identity":  # "y = x" makes an identity too, but only of a named node
        return _call(graph, names, nid)
    return _expression(graph, names, nid)[0]


def _child(graph: Graph, names: dict[str, str], nid: str) -> tuple[str, int, bool]:
    """(text, precedence, is a number or list written out) of an input."""
    if nid in names:
        return names[nid], _ATOM, False
    node = graph.node(nid)
    if node.op == "constant":
        text = _literal(node.value)
        return text, (_UNARY if text.startswith("-") else _ATOM), True
    if node.op == "parameter":
        return f"param({_literal(node.value)})", _ATOM, False
    text, prec = _expression(graph, names, nid)
    return text, prec, False


def _inputs(graph: Graph, nid: str) -> list[str]:
    srcs = graph.input_ids(nid)
    node = graph.node(nid)
    for port, src in enumerate(srcs):
        if src is None:
            raise GraphError(f"{node_labels(graph)[nid]}: input {node.spec.inputs[port]!r} "
                             "is not connected")
    return srcs  # type: ignore[return-value]


def _expression(graph: Graph, names: dict[str, str], nid: str) -> tuple[str, int]:
    node = graph.node(nid)
    srcs = _inputs(graph, nid)
    if node.op in _OPERATORS:
        symbol, prec = _OPERATORS[node.op]
        (left, lp, _), (right, rp, _) = (_child(graph, names, s) for s in srcs)
        if lp < prec or (prec == _POW and lp <= prec):
            left = f"({left})"
        if rp < prec or (prec != _POW and rp == prec):
            right = f"({right})"
        return f"{left} {symbol} {right}", prec
    if node.op == "neg":
        text, prec, literal = _child(graph, names, srcs[0])
        if literal:  # -2.0 would be one constant: the neg node of a constant is a call
            return f"neg({text})", _ATOM
        return (f"-({text})" if prec <= _UNARY else f"-{text}"), _UNARY
    return _call(graph, names, nid), _ATOM


def _call(graph: Graph, names: dict[str, str], nid: str) -> str:
    node = graph.node(nid)
    args = [_child(graph, names, s)[0] for s in _inputs(graph, nid)]
    for param in node.spec.params:
        value = node.params.get(param.name, param.default)
        if value == param.default:
            continue
        if param.kind == "float":
            text = literals.expr_number(value)
        elif param.kind == "shape":
            text = repr(tuple(value))
        else:
            text = repr(value)
        args.append(f"{param.name}={text}")
    return f"{node.op}({', '.join(args)})"
