"""Forward mode: push one input's tangent through the graph, node by node.

Reverse mode (the engine's backward pass) sends d(output)/d(node) from the output back to
every input; forward mode sends d(node)/d(input) from one input on to every node. Each op
declares both rules beside each other (``OpSpec.vjps`` and ``OpSpec.jvps``); here the
``jvps`` run in evaluation order, each input's part added into the node's tangent.

A tangent for a tensor input is d(node)/d(input) applied to a *direction* of the input's
shape; ``W[0,1]`` picks the one-hot direction of that element, so every tangent is then the
derivative with respect to that one number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..engine import Program
from ..graph import Graph, GraphError, Node
from ..labels import node_labels
from ..values import Value, to_value

_ELEMENT = re.compile(r"^\s*([^\[\]]+?)\s*\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\]\s*$")


class TangentError(ValueError):
    """A forward-mode request that cannot be run: a bad input, direction or element."""


@dataclass(frozen=True)
class Seed:
    """Where forward mode starts: a source node and the direction its tangent takes."""

    node_id: str
    direction: Value
    label: str  # "x", "W1[0,1]" (one element) or "W1·v" (a direction you gave)
    index: tuple[int, ...] | None = None  # the element, for a one-hot direction


def resolve_seed(graph: Graph, wrt: str, direction: Any = None) -> Seed:
    """The seed for ``wrt`` (a node's name or id, or ``NAME[i,j]`` for one element).

    A scalar's direction is 1; a tensor's is one-hot on ``[i, j]`` if named, else on its
    first element, unless ``direction`` (JSON data of the input's shape) is given.
    """
    ref, index = split_element(graph, wrt)
    node = _source(graph, ref)
    label = node_labels(graph)[node.id]
    value = node.value
    shape = np.shape(value)
    if direction is not None:
        if index is not None:
            raise TangentError(f"give either {wrt} or a direction, not both")
        try:
            vector = to_value(direction)
        except ValueError as exc:
            raise TangentError(f"the direction for {label}: {exc}") from None
        if np.shape(vector) != shape:
            raise TangentError(
                f"the direction for {label} has shape {_shape(np.shape(vector))}; "
                f"{label} has shape {_shape(shape)}"
            )
        if not np.all(np.isfinite(vector)):
            raise TangentError(f"the direction for {label} must hold finite numbers")
        return Seed(node.id, vector, label if not shape else f"{label}·v")
    if not shape:
        if index is not None:
            raise TangentError(f"{label} is a scalar: it has no element {list(index)}")
        return Seed(node.id, 1.0, label)
    if index is None:
        index = (0,) * len(shape)
    if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape, strict=True)):
        raise TangentError(f"{label} has shape {_shape(shape)}: it has no element {list(index)}")
    index = tuple(i % n for i, n in zip(index, shape, strict=True))
    onehot = np.zeros(shape)
    onehot[index] = 1.0
    return Seed(node.id, onehot, f"{label}[{','.join(map(str, index))}]", index)


def split_element(graph: Graph, ref: str) -> tuple[str, tuple[int, ...] | None]:
    """``("W1", (0, 1))`` for ``"W1[0,1]"``; ``(ref, None)`` for a plain reference, or for a
    node whose own name looks like an element."""
    found = _ELEMENT.match(ref)
    if found and not _known(graph, ref):
        return found.group(1), tuple(int(i) for i in found.group(2).split(","))
    return ref, None


def _known(graph: Graph, ref: str) -> bool:
    try:
        graph.lookup(ref)
    except GraphError:
        return False
    return True


def _source(graph: Graph, ref: str) -> Node:
    try:
        node = graph.lookup(ref)
    except GraphError as exc:
        raise TangentError(str(exc)) from None
    if not node.is_source:
        label = node_labels(graph)[node.id]
        raise TangentError(
            f"{label} is computed by {node.op}; forward mode starts from an input, "
            "parameter or constant"
        )
    return node


def _shape(shape: tuple[int, ...]) -> str:
    return "a scalar" if not shape else str(shape)


@dataclass(frozen=True)
class TangentStep:
    """One node of the forward-mode pass: its tangent and the part each input gave.

    ``parts[k]`` is input k's contribution (None where that input does not depend on the
    seed: its tangent is 0), ``input_tangents[k]`` that input's tangent (0 likewise).
    """

    number: int
    node_id: str
    value: Value
    tangent: Value
    inputs: tuple[str, ...]
    input_values: tuple[Value, ...]
    input_tangents: tuple[Value, ...]
    parts: tuple[Value | None, ...]
    params: Mapping[str, Any]


class TangentPlan:
    """Forward mode compiled for one Program and one seed node: the nodes that depend on the
    seed, in evaluation order, each with its bound tangent rules."""

    def __init__(self, program: Program, seed_id: str) -> None:
        self.program = program
        self.seed_slot = program.slot[seed_id]
        depends = [False] * len(program.ids)
        depends[self.seed_slot] = True
        plan: list[tuple[int, int, int, Any, Any]] = []
        for k, nid in enumerate(program.ids):
            node = program.graph_node(nid)
            if node.is_source:
                continue
            args = [program.slot[i] for i in program.inputs_of(nid)]
            if not args or not any(depends[a] for a in args):
                continue
            depends[k] = True
            rules = []
            for port, a in enumerate(args):
                rule = node.spec.jvps[port] if depends[a] else None
                if rule is not None and node.params:
                    rule = partial(rule, **node.params)
                rules.append(rule)
            a = args[0]
            b = args[1] if len(args) > 1 else -1
            plan.append((k, a, b, rules[0], rules[1] if len(rules) > 1 else None))
        self.depends = depends
        self._plan = plan

    def run(self, vals: list[Any], direction: Value) -> list[Any]:
        """Tangents by slot (None where a node does not depend on the seed, or failed)."""
        tans: list[Any] = [None] * len(vals)
        tans[self.seed_slot] = direction
        with np.errstate(all="ignore"):
            for k, a, b, rule_a, rule_b in self._plan:
                out = vals[k]
                if out is None:
                    continue
                if b < 0:
                    t = rule_a(tans[a], out, vals[a])
                else:
                    x, y = vals[a], vals[b]
                    if rule_a is None:
                        t = rule_b(tans[b], out, x, y)
                    else:
                        t = rule_a(tans[a], out, x, y)
                        if rule_b is not None:
                            t = t + rule_b(tans[b], out, x, y)
                if out.__class__ is not float:
                    t = _like(t, out)
                tans[k] = t
        return tans

    def steps(self, vals: list[Any], direction: Value) -> Iterator[TangentStep]:
        """The same pass, one recorded :class:`TangentStep` per node (for the stepper)."""
        program = self.program
        tans = self.run(vals, direction)
        number = 0
        for k, *_ in self._plan:
            if vals[k] is None:
                continue
            number += 1
            nid = program.ids[k]
            node = program.graph_node(nid)
            args = [program.slot[i] for i in program.inputs_of(nid)]
            xs = tuple(vals[a] for a in args)
            parts = []
            with np.errstate(all="ignore"):
                for port, a in enumerate(args):
                    if self.depends[a] and tans[a] is not None:
                        rule = node.spec.jvps[port]
                        parts.append(rule(tans[a], vals[k], *xs, **node.params))
                    else:
                        parts.append(None)
            yield TangentStep(
                number, nid, vals[k], tans[k], tuple(program.ids[a] for a in args), xs,
                tuple(_zero_like(vals[a]) if tans[a] is None else tans[a] for a in args),
                tuple(parts), dict(node.params),
            )


def _like(t: Any, out: np.ndarray) -> np.ndarray:
    """A tangent part of an input smaller than the result, spread to the result's shape
    (``x + W`` with a scalar x: the tangent of x reaches every element)."""
    if t.__class__ is float:
        return np.full(out.shape, t)
    if t.shape != out.shape:
        return np.broadcast_to(t, out.shape)  # read-only is fine: rules never write in place
    return t


def _zero_like(value: Value) -> Value:
    return 0.0 if value.__class__ is float else np.zeros(np.shape(value))


@dataclass
class TangentResult:
    """One forward-mode pass over a graph, as the CLI and the editor show it."""

    seed: Seed
    output: str | None
    values: dict[str, Value]
    tangents: dict[str, Value]  # every evaluated node; 0 where it does not depend on the seed


def tangents(
    graph: Graph, wrt: str, direction: Any = None, output: str | None = None
) -> TangentResult:
    """Evaluate ``graph`` and the tangent of every node with respect to ``wrt``.

    Raises :class:`TangentError` or the engine's EvaluationError with a one-line reason.
    """
    seed = resolve_seed(graph, wrt, direction)
    program = Program(graph, output=output)
    vals = program.forward()
    plan = TangentPlan(program, seed.node_id)
    tans = plan.run(vals, seed.direction)
    values = {nid: vals[k] for k, nid in enumerate(program.ids)}
    result = {
        nid: _zero_like(vals[k]) if tans[k] is None else _own(tans[k])
        for k, nid in enumerate(program.ids)
    }
    return TangentResult(seed, program.output_id, values, result)


def _own(t: Value) -> Value:
    return t.copy() if isinstance(t, np.ndarray) and not t.flags.writeable else t
