"""The chain rule in words and numbers, for the CLI's ``step`` and the GUI's stepper.

Each backward Step becomes one term per input, e.g.
``dE/dw5 = dE/dz3 * dz3/dw5 = 0.1341 * 1.163 = 0.156`` where the local derivative is the op's
registered formula (``dz3/dw5 = A1``) evaluated with this node's numbers. A matrix product
writes its operands out instead: ``dE/dW = g @ x^T = [[0.1], [0.2]] @ [[1, 2]] = ...``.
Nodes are called by their labels (``graph.node_labels``: the name, else e.g. ``sub1``), so the
text says what the canvas says; powers are written ``x**2``, as the expression language reads.
"""

from __future__ import annotations

import csv
import io
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from .engine import Program, Step
from .graph import Graph, label_nodes, node_labels
from .values import Value, format_factor, format_value


def label_program(program: Program, graph: Graph) -> None:
    """Name ``program``'s nodes as ``graph`` labels them (:func:`graph.node_labels`), so the
    text says ``add2`` where the canvas does. The Stepper and ``graphgui step`` call this; a
    Program never labelled names its nodes by the same rule, counted over its own nodes in
    evaluation order (which can differ from the canvas when several unnamed nodes share an op).
    """
    _SYMBOLS[program] = _symbols(program, node_labels(graph))


def symbol(program: Program, node_id: str) -> str:
    """How formulas name a node: its label (its name, else e.g. ``sigmoid`` or ``add2``, see
    :func:`graph.label_nodes`); an unnamed scalar constant by its value, as it was typed
    (``0.5``; a negative one in parentheses, ``(-2)``, so ``(-2)**x`` reads right)."""
    table = _SYMBOLS.get(program)
    if table is None:
        nodes = (program.graph_node(nid) for nid in program.ids)
        table = _SYMBOLS[program] = _symbols(program, label_nodes(nodes))
    return table[node_id]


_SYMBOLS: weakref.WeakKeyDictionary[Program, dict[str, str]] = weakref.WeakKeyDictionary()


def _symbols(program: Program, labels: Mapping[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for nid in program.ids:
        node = program.graph_node(nid)
        if not node.name and node.op == "constant" and isinstance(node.value, float):
            text = format_value(node.value)
            table[nid] = f"({text})" if text.startswith("-") else text
        else:
            table[nid] = labels[nid]
    return table


@dataclass(frozen=True)
class ForwardLine:
    node_id: str
    text: str  # "q = x + y = -2 + 5 = 3"


@dataclass(frozen=True)
class Term:
    """What one backward step adds to one input's gradient."""

    input_id: str
    gradient: str  # "df/dx"
    upstream: str  # "df/dq"
    upstream_value: Value
    local: str  # "dq/dx"
    local_formula: str  # "1"
    local_value: Value | None  # the local derivative as a number (elementwise ops only)
    contribution: Value
    total: Value
    pending: int  # consumers of the input still to come; 0 = its gradient is complete
    text: str


@dataclass(frozen=True)
class StepExplanation:
    number: int
    node_id: str
    heading: str  # "f = q * z: upstream df/df = 1"
    terms: tuple[Term, ...]

    @property
    def lines(self) -> list[str]:
        return [self.heading] + [t.text for t in self.terms]


def explain_forward(program: Program, vals: list, precision: int = 4) -> Iterator[ForwardLine]:
    """One line per computed node in evaluation order: formula, numbers, result."""
    for k, nid in enumerate(program.ids):
        node = program.graph_node(nid)
        if node.is_source or vals[k] is None:
            continue
        spec = node.spec
        inputs = program.inputs_of(nid)
        names = {port: symbol(program, i) for port, i in zip(spec.inputs, inputs, strict=True)}
        numbers = {
            port: format_factor(vals[program.slot[i]], precision)
            for port, i in zip(spec.inputs, inputs, strict=True)
        }
        names.update(_param_text(node.params, precision))
        numbers.update(_param_text(node.params, precision))
        formula = spec.render(spec.formula, names)
        with_numbers = _render_numbers(spec.formula, numbers)
        result = format_value(vals[k], precision)
        parts = [symbol(program, nid), formula]
        if with_numbers != formula:
            parts.append(with_numbers)
        parts.append(result)
        yield ForwardLine(nid, " = ".join(dict.fromkeys(parts)))


def explain_backward(program: Program, vals: list, precision: int = 4) -> Iterator[StepExplanation]:
    """The backward pass, one StepExplanation per visited node, in visiting order."""
    out = symbol(program, program.output_id) if program.output_id else "out"
    received: dict[str, list[Value]] = {}
    for number, step in enumerate(program.backward_steps(vals), start=1):
        explanation = explain_step(program, step, number, out, precision, received)
        for term in explanation.terms:
            received.setdefault(term.input_id, []).append(term.contribution)
        yield explanation


def explain_step(
    program: Program,
    step: Step,
    number: int,
    out: str,
    precision: int = 4,
    received: dict[str, list[Value]] | None = None,
) -> StepExplanation:
    """One step; ``received`` (contributions per node so far) lets fan-out sums be shown."""
    node = program.graph_node(step.node_id)
    me = symbol(program, step.node_id)
    upstream = f"d{out}/d{me}"
    total = format_value(step.upstream, precision)
    parts = (received or {}).get(step.node_id, [])
    summed = ""
    if len(parts) > 1:
        summed = " = " + " + ".join(format_factor(p, precision) for p in parts)
    if node.is_source:
        heading = f"{me}: gradient complete, {upstream}{summed} = {total}"
        return StepExplanation(number, step.node_id, heading, ())
    spec = node.spec
    names = {port: symbol(program, i) for port, i in zip(spec.inputs, step.inputs, strict=True)}
    names["out"] = me
    names.update(_param_text(node.params, precision))
    formula = spec.render(spec.formula, names)
    heading = f"{me} = {formula}: upstream {upstream}{summed} = {total}"
    locals_ = step.local_derivatives(program)
    terms = []
    for port, (input_id, contribution) in enumerate(
        zip(step.inputs, step.contributions, strict=True)
    ):
        if contribution is None:
            continue
        them = symbol(program, input_id)
        local = f"d{me}/d{them}"
        local_formula = spec.render(spec.derivatives[port], names)
        local_value = locals_[port]
        gradient = f"d{out}/d{them}"
        total = step.totals[port]
        pending = step.pending[port]
        c_text = format_value(contribution, precision)
        if local_value is not None:
            product = (f"{format_factor(step.upstream, precision)} * "
                       f"{format_factor(local_value, precision)}")
            text = f"{gradient} = {upstream} * {local} = {product} = {c_text}"
            if local_formula != format_value(local_value, precision):
                text += f"   [{local} = {local_formula}]"
        elif (operands := _product_operands(node.op, port, step)) is not None:
            left, right = (format_value(v, precision) for v in operands)
            text = f"{gradient} = {local_formula} = {left} @ {right} = {c_text}   [g = {upstream}]"
        else:
            text = f"{gradient} = {upstream} * {local} = {c_text}   [{local}: {local_formula}]"
        consumers = program.consumer_count(input_id)
        if consumers > 1:
            done = consumers - pending
            text += (
                f"   (contribution {done} of {consumers}; "
                f"running sum {format_value(total, precision)})"
            )
        terms.append(
            Term(
                input_id,
                gradient,
                upstream,
                step.upstream,
                local,
                local_formula,
                local_value,
                contribution,
                total,
                pending,
                text,
            )
        )
    return StepExplanation(number, step.node_id, heading, tuple(terms))


LOG_HEADER = ("step", "node", "gradient", "local derivative", "upstream", "contribution", "total")


@dataclass(frozen=True)
class LogRow:
    """One row of the step log: what one backward step added to one input."""

    step: int
    node: str
    gradient: str
    local: str
    upstream: str
    contribution: str
    total: str

    @property
    def cells(self) -> list[str]:
        return [
            str(self.step),
            self.node,
            self.gradient,
            self.local,
            self.upstream,
            self.contribution,
            self.total,
        ]


def log_rows(
    program: Program, explanations: Iterable[StepExplanation], precision: int = 4
) -> list[LogRow]:
    """The step log (step, node, gradient, local derivative, upstream, contribution, total)."""
    rows = []
    for ex in explanations:
        for t in ex.terms:
            local = f"{t.local} = {t.local_formula}"
            if t.local_value is not None:
                number = format_value(t.local_value, precision)
                if number != t.local_formula:
                    local += f" = {number}"
            rows.append(
                LogRow(
                    ex.number,
                    symbol(program, ex.node_id),
                    t.gradient,
                    local,
                    f"{t.upstream} = {format_value(t.upstream_value, precision)}",
                    format_value(t.contribution, precision),
                    format_value(t.total, precision),
                )
            )
    return rows


def markdown_table(rows: Iterable[LogRow]) -> str:
    """The step log as a Markdown table."""
    lines = ["| " + " | ".join(LOG_HEADER) + " |", "|---:|---|---|---|---|---:|---:|"]
    for row in rows:
        lines.append("| " + " | ".join(_md(c) for c in row.cells) + " |")
    return "\n".join(lines) + "\n"


def csv_table(rows: Iterable[LogRow]) -> str:
    """The step log as CSV, with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LOG_HEADER)
    for row in rows:
        writer.writerow(row.cells)
    return buffer.getvalue()


def _product_operands(op: str, port: int, step: Step) -> tuple[np.ndarray, np.ndarray] | None:
    """For a matmul step, the two matrices whose product is the contribution to input
    ``port``, as the derivative formula writes it: ``g @ b^T`` for a, ``a^T @ g`` for b, with
    ``g`` the upstream gradient. A vector times a matrix takes its natural side: for
    ``W @ x`` the gradient of W is the column g times the row x^T. None when there is no
    such plain product (a scalar upstream, batched operands)."""
    if op != "matmul":
        return None
    g, (a, b) = step.upstream, step.input_values
    contribution = step.contributions[port]
    if not all(isinstance(v, np.ndarray) and v.ndim in (1, 2) for v in (g, a, b)):
        return None
    if port == 0:
        if b.ndim == 1:  # (W @ x): dW = g x^T, a column times a row
            left, right = g.reshape(-1, 1), b.reshape(1, -1)
        else:
            left, right = g, b.T
    elif a.ndim == 1:  # (x @ W): dW = x^T g, a column times a row
        left, right = a.reshape(-1, 1), g.reshape(1, -1)
    else:
        left, right = a.T, g
    product = np.dot(left, right)
    same = product.shape == np.shape(contribution)
    if not same or not np.allclose(product, contribution, equal_nan=True):
        return None
    return left, right


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _render_numbers(template: str, numbers: dict[str, str]) -> str:
    """Like OpSpec.render, but a negative number that already sits in the formula's own
    parentheses is not wrapped twice: ``ln(x)`` at x = -1 is ``ln(-1)``, not ``ln((-1))``."""
    if not numbers:
        return template
    keys = "|".join(re.escape(k) for k in numbers)

    def sub(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            text = numbers[m.group(1)]
            return text if text.startswith("(") and text.endswith(")") else f"({text})"
        return numbers[m.group(2)]

    return re.sub(rf"\(({keys})\)|\b({keys})\b", sub, template)


def _param_text(params: dict, precision: int) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        if isinstance(value, float):
            out[key] = format_value(value, precision)
        elif value is not None:
            out[key] = str(value)
    return out
