"""Forward mode in words and numbers: one line per node, written from the op registry.

``dq/dx = ∂q/∂a * da/dx + ∂q/∂b * db/dx = 1 * 1 + 1 * 0 = 1``: for an elementwise op each
input's part is its local derivative (the op's ``derivatives``) times that input's tangent;
other ops write their part with ``OpSpec.tangent_formula`` (``dz/dx = da/dx @ b``).
Nodes are named as the backward text names them (:func:`explain.symbol`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..engine import Program
from ..explain import symbol
from ..values import Value, format_factor, format_value
from .tangents import Seed, TangentPlan, TangentStep


@dataclass(frozen=True)
class TangentLine:
    """One forward-mode step as text, with the numbers a view may want to show apart."""

    number: int
    node_id: str
    tangent_name: str  # "dq/dx"
    tangent: Value
    text: str


def explain_tangents(
    program: Program, vals: list, seed: Seed, precision: int = 4
) -> Iterator[TangentLine]:
    """The forward-mode pass from ``seed``: one :class:`TangentLine` per node that depends
    on it, in evaluation order (the seed's own line first: its tangent is its direction)."""
    wrt = seed.label
    me = symbol(program, seed.node_id)
    yield TangentLine(
        0, seed.node_id, f"d{me}/d{wrt}", seed.direction,
        f"d{me}/d{wrt} = {format_value(seed.direction, precision)}   (the seed)",
    )
    for step in TangentPlan(program, seed.node_id).steps(vals, seed.direction):
        yield explain_tangent_step(program, step, wrt, precision)


def explain_tangent_step(
    program: Program, step: TangentStep, wrt: str, precision: int = 4
) -> TangentLine:
    node = program.graph_node(step.node_id)
    spec = node.spec
    me = symbol(program, step.node_id)
    name = f"d{me}/d{wrt}"
    result = format_value(step.tangent, precision)
    inputs = [symbol(program, i) for i in step.inputs]
    tangent_names = [f"d{them}/d{wrt}" for them in inputs]
    # A constant's tangent is 0 by definition: its term is left out (an input the seed does
    # not reach keeps its "* 0" term: that it does not move is part of the lesson).
    ports = [
        port for port, i in enumerate(step.inputs)
        if step.parts[port] is not None or program.graph_node(i).op != "constant"
    ]
    if _numeric_locals(spec.elementwise, step):
        # dq/dx = ∂q/∂a * da/dx + ∂q/∂b * db/dx = 1 * 1 + 1 * 0 = 1: the local factors are
        # partials (∂), the tangents totals (d), so dq/dx = ∂q/∂x * dx/dx does not read circular.
        symbols = [f"∂{me}/∂{inputs[port]} * {tangent_names[port]}" for port in ports]
        numbers = []
        for port in ports:
            local = _local_derivative(spec, port, step)
            if step.parts[port] is None and not np.all(np.isfinite(local)):
                numbers.append("0")  # its tangent is 0: no term, whatever ∂ would be there
            else:
                t = step.input_tangents[port]
                numbers.append(
                    f"{format_factor(local, precision)} * {format_factor(t, precision)}"
                )
        parts = [name, " + ".join(symbols), " + ".join(numbers), result]
        return TangentLine(step.number, step.node_id, name, step.tangent, _joined(parts))
    names = {port: them for port, them in zip(spec.inputs, inputs, strict=True)}
    names["out"] = me
    symbols, numbers = [], []
    for port, part in enumerate(step.parts):
        if part is None:  # this input does not depend on the seed: its part is 0
            continue
        with_tangent = dict(names, tangent=tangent_names[port])
        symbols.append(spec.render(spec.tangent_formula(port), with_tangent))
        numbers.append(format_value(part, precision))
    parts = [name, " + ".join(symbols)]
    if len(numbers) > 1:
        parts.append(" + ".join(numbers))
    parts.append(result)
    return TangentLine(step.number, step.node_id, name, step.tangent, _joined(parts))


def _numeric_locals(elementwise: bool, step: TangentStep) -> bool:
    """Whether every local derivative is one number per element of the result: elementwise
    ops whose inputs all have the result's shape (a scalar graph always)."""
    shape = np.shape(step.value)
    return elementwise and all(np.shape(v) == shape for v in step.input_values)


def _local_derivative(spec, port: int, step: TangentStep) -> Value:
    ones = 1.0 if isinstance(step.value, float) else np.ones_like(step.value)
    with np.errstate(all="ignore"):
        return spec.jvps[port](ones, step.value, *step.input_values, **step.params)


def _joined(parts: list[str]) -> str:
    return " = ".join(dict.fromkeys(parts))
