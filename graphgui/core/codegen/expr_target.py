"""The expression target: the program (docs/expression-language.md) that builds the graph
again, with the same ops, names, values, parameters, wiring and output.

Every named node gets a statement (``q = x + y``, ``W = param([[...]])``, ``c =
const(3.0)``, an input ``x = -2.0``), in evaluation order; an unnamed node used once is
written inside its consumer (``(x + y) * 2.0``, ``sigmoid(param(0.5) * x)``). The language
refers to a node only by its name, so an unnamed node it must refer to is given its label
(what the canvas calls it): an unnamed input, an unnamed node used twice or not at all,
the output if unnamed, and a node nested deeper than :data:`MAX_INLINE_DEPTH`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import GraphError
from ..expr import MAX_SOURCE_BYTES, MAX_STATEMENTS
from ..graph import Graph
from ..labels import node_labels
from . import literals
from .analysis import CodegenError

MAX_INLINE_DEPTH = 30  # sub-expressions inside one another; deeper ones get a name
_OPERATORS = {"add": ("+", 1), "sub": ("-", 1), "mul": ("*", 2), "div": ("/", 2),
              "matmul": ("@", 2), "pow": ("**", 4)}
_ATOM, _UNARY, _POW = 100, 3, 4
_SOURCE_FORMS = {"parameter": "param", "constant": "const"}


def program_names(graph: Graph) -> dict[str, str]:
    """node id -> the name the program gives it (its own, or its label; see the module
    docstring); an unnamed node missing here is written inside its one consumer."""
    labels = node_labels(graph)
    order = graph.topological_order()
    names: dict[str, str] = {}
    depth: dict[str, int] = {}
    for nid in order:
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
    names = program_names(graph)
    lines = [f"# {literals.comment(graph.title)}"] if graph.title.strip() else []
    try:
        for nid in graph.topological_order():
            if nid in names:
                lines.append(f"{names[nid]} = {_statement(graph, names, nid)}")
    except GraphError as exc:
        raise CodegenError(str(exc)) from None
    if len(lines) > MAX_STATEMENTS:
        raise CodegenError(f"the graph needs {len(lines):,} statements; an expression "
                           f"program holds at most {MAX_STATEMENTS:,}")
    lines.append(names[graph.output])  # the output: a bare name on the last line
    text = "\n".join(lines) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise CodegenError(f"the program would be {size / 1000:.0f} kB; an expression "
                           f"program holds at most {MAX_SOURCE_BYTES // 1000} kB")
    return text


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
