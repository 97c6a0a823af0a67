"""Stepping over a function instance as one step, as a debugger steps over a call.

An instance's nodes are contiguous in both passes (:func:`grouped_order`), so in the
stepper's lists of forward lines and backward steps each instance covers one *span*
``[start, end)``. Stepping over it moves from ``start`` to ``end`` at once, and the position
``end`` then shows a one-step summary of the whole call:

* forward: ``h1 = neuron(x = 2, w = 3, b = 1) = 0.9991 (3 steps inside)``;
* backward: the upstream gradient of each output (what arrived from outside the instance),
  the local gradient of each output with respect to each input, computed from the inside
  (a Program over a copy of the members, one placeholder source per input holding its
  current value), and what each input receives: ``dE/dx = dE/dh1 * ∂h1/∂x = 0.5 * 0.0027
  = 0.0013``. For an array-valued output the local gradient is a Jacobian; the text shows its
  product with the upstream gradient instead, computed from the inside the same way.

The contribution shown is the sum of what the inner steps send to that input, so the
summary and the steps it stands for always agree; the locals are computed independently,
and tests/core/test_stepper_functions.py checks they give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..engine import Program, Step
from ..errors import GraphError
from ..explain import ForwardLine, LogRow, StepExplanation, symbol
from ..values import Value, format_factor, format_value
from .model import Group

if TYPE_CHECKING:
    from ..graph import Graph


@dataclass(frozen=True)
class Argument:
    """One input of a call: the function's input ``name`` fed by the outside node ``source``
    at the inner ports ``targets`` (member id, port)."""

    name: str
    source: str
    targets: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Span:
    """Where one instance lies in the stepper's lists: ``forward`` indexes forward lines,
    ``backward`` backward steps, each ``(start, end)``, end excluded (empty: start == end)."""

    group: Group
    forward: tuple[int, int]
    backward: tuple[int, int]
    members: frozenset[str]
    arguments: tuple[Argument, ...]
    outputs: tuple[str, ...]  # the output members the program computes, in the group's order

    def of(self, backward: bool) -> tuple[int, int]:
        return self.backward if backward else self.forward


def function_spans(
    graph: Graph, program: Program, group_ids: Iterable[str],
    forward_lines: Sequence[ForwardLine], backward_steps: Sequence[StepExplanation],
) -> list[Span]:
    """The spans of the instances ``group_ids`` in ``program``'s passes. An instance the
    program does not compute is left out, and so is one whose nodes are not contiguous (an
    edit made a path leave it and come back: its nodes are then stepped one by one)."""
    spans = []
    for gid in dict.fromkeys(group_ids):
        if not graph.has_group(gid):
            raise GraphError(f"no function instance with id {gid!r}")
        group = graph.group(gid)
        members = frozenset(m for m in graph.group_members(gid) if m in program.slot)
        forward = _contiguous([k for k, ln in enumerate(forward_lines) if ln.node_id in members])
        backward = _contiguous([k for k, ex in enumerate(backward_steps) if ex.node_id in members])
        if forward is None or backward is None or forward[0] == forward[1]:
            continue
        outputs = tuple(o.node for o in group.outputs if o.node in members)
        if not outputs:  # its outputs are not needed: the last computed member stands in
            outputs = (forward_lines[forward[1] - 1].node_id,) if forward[1] else ()
        if not outputs:
            continue
        spans.append(Span(
            group, forward, backward, members, _arguments(program, group, members), outputs,
        ))
    return spans


def _contiguous(indexes: list[int]) -> tuple[int, int] | None:
    if not indexes:
        return (0, 0)
    start, end = indexes[0], indexes[-1] + 1
    return (start, end) if end - start == len(indexes) else None


def _arguments(program: Program, group: Group, members: frozenset[str]) -> tuple[Argument, ...]:
    """One Argument per (input name, outside source): the group's inputs first, in order;
    a wire into a member that no input lists (an edit after grouping) is named after its
    source."""
    found: dict[tuple[str, str], list[tuple[str, int]]] = {}
    rank = {name: k for k, name in enumerate(group.input_names)}
    for nid in program.ids:
        if nid not in members:
            continue
        for port, src in enumerate(program.inputs_of(nid)):
            if src not in members:
                name = group.input_of(nid, port) or symbol(program, src)
                found.setdefault((name, src), []).append((nid, port))
    keys = sorted(found, key=lambda key: rank.get(key[0], len(rank)))  # stable
    return tuple(Argument(name, src, tuple(found[(name, src)])) for name, src in keys)


def steps_inside(count: int) -> str:
    return f"({count} step inside)" if count == 1 else f"({count} steps inside)"


def _call(program: Program, span: Span, inputs: Sequence[str]) -> str:
    outs = [symbol(program, o) for o in span.outputs]
    left = outs[0] if len(outs) == 1 else f"({', '.join(outs)})"
    return f"{left} = {span.group.function}({', '.join(inputs)})"


def forward_text(program: Program, vals: list, span: Span, precision: int = 4) -> str:
    """``h1 = neuron(x = 2, w = 3, b = 1) = 0.9991 (3 steps inside)``."""
    inputs = [
        f"{a.name} = {format_value(vals[program.slot[a.source]], precision)}"
        for a in span.arguments
    ]
    results = [format_value(vals[program.slot[o]], precision) for o in span.outputs]
    result = results[0] if len(results) == 1 else f"({', '.join(results)})"
    start, end = span.forward
    return f"{_call(program, span, inputs)} = {result} {steps_inside(end - start)}"


@dataclass(frozen=True)
class FunctionTerm:
    """What one stepped-over call sends to one of its inputs."""

    input_id: str  # the outside node that receives it
    name: str  # the function's input
    gradient: str  # "dE/dx"
    upstreams: tuple[tuple[str, Value], ...]  # ("dE/dh1", value) per output it depends on
    locals: tuple[tuple[str, Value | None], ...]  # ("∂h1/∂x", value; None: a Jacobian)
    parts: tuple[Value, ...]  # per output: upstream times local, computed from the inside
    contribution: Value  # the sum of the inner steps' contributions
    total: Value  # the input's running sum after them
    text: str

    @property
    def from_inside(self) -> Value:
        """The contribution as the locals give it (sum of ``parts``)."""
        total = self.parts[0]
        for part in self.parts[1:]:
            total = total + part
        return total


@dataclass(frozen=True)
class FunctionStep:
    """The backward summary of one call (a heading, one term per input, and the completed
    gradients of sources inside the instance, e.g. a parameter)."""

    span: Span
    heading: str
    terms: tuple[FunctionTerm, ...]
    inner: tuple[str, ...]

    @property
    def lines(self) -> list[str]:
        return [self.heading, *(t.text for t in self.terms), *self.inner]


class BackwardSummaries:
    """The backward summaries of a program's calls, computed when first asked for."""

    def __init__(
        self, program: Program, vals: list, steps: Sequence[Step],
        explanations: Sequence[StepExplanation], precision: int = 4,
    ) -> None:
        self.program = program
        self.vals = vals
        self.steps = steps
        self.explanations = explanations
        self.precision = precision
        self.out = symbol(program, program.output_id) if program.output_id else "out"
        # node -> [(backward step index, contribution)], in visiting order
        self._received: dict[str, list[tuple[int, Value]]] = {}
        for k, step in enumerate(steps):
            for src, c in zip(step.inputs, step.contributions, strict=True):
                if c is not None and src is not None:
                    self._received.setdefault(src, []).append((k, c))
        self._cache: dict[str, FunctionStep] = {}

    def __call__(self, span: Span) -> FunctionStep:
        found = self._cache.get(span.group.id)
        if found is None:
            found = self._cache[span.group.id] = self._summary(span)
        return found

    def upstream(self, span: Span, output: str) -> tuple[Value | None, list[Value]]:
        """What reached ``output`` from outside the instance (None: nothing), and its parts."""
        start = span.backward[0]
        parts = [c for k, c in self._received.get(output, ()) if k < start]
        if output == self.program.output_id:
            value = self.vals[self.program.slot[output]]
            parts.insert(0, 1.0 if isinstance(value, float) else np.ones_like(value))
        if not parts:
            return None, parts
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total, parts

    def _summary(self, span: Span) -> FunctionStep:
        p, program = self.precision, self.program
        start, end = span.backward
        ups: dict[str, Value] = {}
        shown = []
        for o in span.outputs:
            value, parts = self.upstream(span, o)
            if value is None:
                continue
            ups[o] = value
            summed = ""
            if len(parts) > 1:
                summed = " = " + " + ".join(format_factor(v, p) for v in parts)
            shown.append(f"d{self.out}/d{symbol(program, o)}{summed} = {format_value(value, p)}")
        call = _call(program, span, [a.name for a in span.arguments])
        heading = f"{call}: upstream {', '.join(shown) or '-'} {steps_inside(end - start)}"
        inside = _Inside(program, self.vals, span)
        terms = []
        for arg in span.arguments:
            term = self._term(span, arg, ups, inside)
            if term is not None:
                terms.append(term)
        inner = tuple(
            ex.heading for ex in self.explanations[start:end]
            if program.graph_node(ex.node_id).is_source
        )
        return FunctionStep(span, heading, tuple(terms), inner)

    def _term(
        self, span: Span, arg: Argument, ups: dict[str, Value], inside: _Inside
    ) -> FunctionTerm | None:
        p, program = self.precision, self.program
        start, end = span.backward
        contribution: Value | None = None
        total: Value | None = None
        numbers = []
        consumers = program.consumer_count(arg.source) if arg.source in program.slot else 0
        targets = set(arg.targets)
        for step in self.steps[start:end]:
            for port, (src, c) in enumerate(zip(step.inputs, step.contributions, strict=True)):
                if c is None or src != arg.source or (step.node_id, port) not in targets:
                    continue
                contribution = c if contribution is None else contribution + c
                total = step.totals[port]
                numbers.append(consumers - step.pending[port])
        if contribution is None:
            return None
        them = symbol(program, arg.source)
        gradient = f"d{self.out}/d{them}"
        upstreams, locals_, parts, symbols, factors = [], [], [], [], []
        for o in span.outputs:
            if o not in ups:
                continue
            me = symbol(program, o)
            up, up_name, local_name = ups[o], f"d{self.out}/d{me}", f"∂{me}/∂{arg.name}"
            if isinstance(up, float):
                local = inside.local(o, arg)
                if local is None:
                    continue  # this output does not depend on the input
                part = up * local
                factors.append(f"{format_factor(up, p)} * {format_factor(local, p)}")
            else:
                part = inside.product(o, arg, up)
                if part is None:
                    continue
                local = None
                factors.append(format_factor(part, p))
            upstreams.append((up_name, up))
            locals_.append((local_name, local))
            parts.append(part)
            symbols.append(f"{up_name} * {local_name}")
        c_text = format_value(contribution, p)
        pieces = [gradient, " + ".join(symbols), " + ".join(factors), c_text]
        text = " = ".join(dict.fromkeys(piece for piece in pieces if piece))
        if any(value is None for _, value in locals_):
            jacobians = ", ".join(name for name, value in locals_ if value is None)
            text += f"   [{jacobians}: a Jacobian, shown multiplied by the upstream gradient]"
        if consumers > len(numbers):
            text += (
                f"   ({_contribution_numbers(numbers)} of {consumers}; "
                f"running sum {format_value(total, p)})"
            )
        assert total is not None
        return FunctionTerm(
            arg.source, arg.name, gradient, tuple(upstreams), tuple(locals_), tuple(parts),
            contribution, total, text,
        )

    def log_rows(self, span: Span, number: int) -> list[LogRow]:
        """The summary as step-log rows (``graphgui step --functions over --markdown``)."""
        summary = self(span)
        call = _call(self.program, span, [a.name for a in span.arguments])
        rows = []
        for t in summary.terms:
            local = "; ".join(
                name + (": a Jacobian" if v is None else f" = {format_value(v, self.precision)}")
                for name, v in t.locals
            )
            upstream = "; ".join(
                f"{name} = {format_value(v, self.precision)}" for name, v in t.upstreams
            )
            rows.append(LogRow(
                number, call, t.gradient, local, upstream,
                format_value(t.contribution, self.precision),
                format_value(t.total, self.precision),
            ))
        return rows


def _contribution_numbers(numbers: list[int]) -> str:
    """``contribution 2``, ``contributions 2 and 3``, ``contributions 2 to 5``."""
    if len(numbers) == 1:
        return f"contribution {numbers[0]}"
    ordered = sorted(numbers)
    if len(ordered) == 2:
        return f"contributions {ordered[0]} and {ordered[1]}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"contributions {ordered[0]} to {ordered[-1]}"
    return "contributions " + ", ".join(map(str, ordered))


class _Inside:
    """The instance on its own: a copy of its members (same ids) and one ``input`` per
    argument holding the argument's current value, differentiated for one output at a
    time. Inner sources (constants, parameters) keep their values and get no gradient."""

    def __init__(self, program: Program, vals: list, span: Span) -> None:
        from ..graph import Graph

        self.graph = Graph(span.group.name)
        members = [nid for nid in program.ids if nid in span.members]
        for nid in members:
            node = program.graph_node(nid)
            value = node.value if node.is_source else None
            value = value.copy() if isinstance(value, np.ndarray) else value
            self.graph.add_node(node.op, params=node.params, value=value, node_id=nid)
        self.placeholders: dict[tuple[str, str], str] = {}
        for arg in span.arguments:
            value = vals[program.slot[arg.source]]
            value = value.copy() if isinstance(value, np.ndarray) else value
            holder = self.graph.add_node("input", value=value, node_id=self.graph.new_id())
            self.placeholders[(arg.name, arg.source)] = holder.id
            for nid, port in arg.targets:
                self.graph.connect(holder.id, nid, port)
        for nid in members:
            for port, src in enumerate(program.inputs_of(nid)):
                if src in span.members:
                    self.graph.connect(src, nid, port)
        self._grads: dict[tuple[str, int], list] = {}
        self._programs: dict[str, tuple[Program, list]] = {}

    def _program(self, output: str) -> tuple[Program, list]:
        found = self._programs.get(output)
        if found is None:
            program = Program(self.graph, output=output, wrt=list(self.placeholders.values()))
            found = self._programs[output] = (program, program.forward())
        return found

    def _gradient(self, output: str, arg: Argument, seed: Value | None) -> Value | None:
        program, vals = self._program(output)
        grads = program.gradients(vals, seed=seed)
        return grads[program.slot[self.placeholders[(arg.name, arg.source)]]]

    def local(self, output: str, arg: Argument) -> Value | None:
        """∂output/∂arg for a scalar output (of the argument's shape), None if it does not
        depend on the argument."""
        return self._gradient(output, arg, None)

    def product(self, output: str, arg: Argument, upstream: Value) -> Value | None:
        """upstream · ∂output/∂arg (a vector-Jacobian product) for an array output."""
        return self._gradient(output, arg, upstream)


def step_ranges(count: int, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``count`` steps grouped into the steps taken when ``spans`` are stepped over: each
    (start, end) is one step, covering items start..end-1."""
    starts = {start: end for start, end in spans if end > start}
    result, k = [], 0
    while k < count:
        end = starts.get(k, k + 1)
        result.append((k, end))
        k = end
    return result


def stepped_over(
    graph: Graph, program: Program, vals: list, forward: Sequence[ForwardLine],
    backward: Sequence[StepExplanation], precision: int = 4,
    group_ids: Iterable[str] | None = None,
) -> tuple[list[str], list[list[str]], list[LogRow]]:
    """The passes with each instance of ``group_ids`` (None: the collapsed ones) as one
    step, for ``graphgui step --functions over``: the forward texts, the backward steps'
    lines (heading first) and the step log, numbered by these steps."""
    from ..explain import log_rows

    if group_ids is None:
        group_ids = [g.id for g in graph.groups if g.collapsed]
    spans = function_spans(graph, program, group_ids, forward, backward)
    steps = list(program.backward_steps(vals))
    summaries = BackwardSummaries(program, vals, steps, backward, precision)
    by_start = [{s.of(phase)[0]: s for s in spans} for phase in (False, True)]
    texts = []
    for start, end in step_ranges(len(forward), (s.forward for s in spans)):
        span = by_start[0].get(start)
        if span is not None and span.forward[1] == end:
            texts.append(forward_text(program, vals, span, precision))
        else:
            texts.append(forward[start].text)
    lines: list[list[str]] = []
    rows: list[LogRow] = []
    for number, (start, end) in enumerate(
        step_ranges(len(backward), (s.backward for s in spans)), start=1
    ):
        span = by_start[1].get(start)
        if span is not None and span.backward[1] == end:
            lines.append(summaries(span).lines)
            rows += summaries.log_rows(span, number)
        else:
            lines.append(backward[start].lines)
            rows += [
                replace(row, step=number)
                for row in log_rows(program, backward[start:end], precision)
            ]
    return texts, lines, rows
