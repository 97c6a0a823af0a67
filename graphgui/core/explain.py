"""The chain rule in words and numbers, for the CLI's ``step`` and the GUI's stepper.

Each backward Step becomes one term per input, e.g.
``dE/dw5 = dE/dz3 * dz3/dw5 = 0.1341 * 1.163 = 0.156`` where the local derivative is the op's
registered formula (``dz3/dw5 = A1``) evaluated with this node's numbers.
"""

from __future__ import annotations

import csv
import io
import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .engine import Program, Step
from .values import Value, format_value

MAX_SYMBOL = 28  # longer expressions fall back to the node id


def symbol(program: Program, node_id: str) -> str:
    """How formulas name a node: its name; an unnamed constant by its value; another unnamed
    node by its own short expression, e.g. ``(0.01 - A3)``; else its id."""
    table = _SYMBOLS.get(program)
    if table is None:
        table = _SYMBOLS[program] = _symbols(program)
    return table[node_id]


_SYMBOLS: weakref.WeakKeyDictionary[Program, dict[str, str]] = weakref.WeakKeyDictionary()


def _has_top_level_operator(text: str) -> bool:
    """``a + b`` needs brackets inside a larger formula; ``exp(x)`` and ``-x`` do not."""
    depth = 0
    for k, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and char == " " and text[k + 1 : k + 2] in ("+", "-", "*", "/", "^", "@"):
            return True
    return False


def _symbols(program: Program) -> dict[str, str]:
    table: dict[str, str] = {}
    for nid in program.ids:  # topological order: inputs are named before their consumers
        node = program.graph_node(nid)
        if node.name:
            table[nid] = node.name
        elif node.op == "constant" and isinstance(node.value, float):
            table[nid] = format_value(node.value)
        elif not node.is_source and len(program.inputs_of(nid)) == node.spec.arity:
            spec = node.spec
            names = {
                port: table[src]
                for port, src in zip(spec.inputs, program.inputs_of(nid), strict=True)
            }
            text = spec.render(spec.formula, names)
            if len(text) > MAX_SYMBOL:
                table[nid] = nid
            else:
                table[nid] = f"({text})" if _has_top_level_operator(text) else text
        else:
            table[nid] = nid
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
            port: _number(vals[program.slot[i]], precision)
            for port, i in zip(spec.inputs, inputs, strict=True)
        }
        names.update(_param_text(node.params, precision))
        numbers.update(_param_text(node.params, precision))
        formula = spec.render(spec.formula, names)
        with_numbers = _render_numbers(spec.formula, numbers)
        result = format_value(vals[k], precision)
        parts = [node.name, formula] if node.name else [formula]
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
        summed = " = " + " + ".join(_number(p, precision) for p in parts)
    if node.is_source:
        heading = f"{me}: gradient complete, {upstream}{summed} = {total}"
        return StepExplanation(number, step.node_id, heading, ())
    spec = node.spec
    names = {port: symbol(program, i) for port, i in zip(spec.inputs, step.inputs, strict=True)}
    names["out"] = me
    names.update(_param_text(node.params, precision))
    formula = spec.render(spec.formula, names)
    # An unnamed node's symbol is its own formula: say it once.
    defined = f"{me} = {formula}" if node.name else formula
    heading = f"{defined}: upstream {upstream}{summed} = {total}"
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
            product = f"{_number(step.upstream, precision)} * {_number(local_value, precision)}"
            text = f"{gradient} = {upstream} * {local} = {product} = {c_text}"
            if local_formula != format_value(local_value, precision):
                text += f"   [{local} = {local_formula}]"
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


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _number(value: Value, precision: int) -> str:
    """A number for a product or a sum: negatives in parentheses."""
    text = format_value(value, precision)
    if isinstance(value, float) and value < 0:
        return f"({text})"
    return text


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
