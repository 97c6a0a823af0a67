"""Stepping through a forward and a backward pass, one node at a time (Qt-free).

The stepper dock drives a :class:`Stepper`. Positions are plain indexes into the
precomputed passes, so stepping back restores the previous state exactly and the GUI can
redraw any position from scratch.

A function instance stepped *over* (by default each collapsed one) is one step, as a
debugger steps over a call: the positions strictly inside its span are skipped, and the
position after it shows a one-step summary (core/functions/stepping.py). ``step_into``
enters it instead; while inside, steps visit its nodes one by one, and once the span is
left the instance is stepped over again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import Program
from .explain import (
    ForwardLine,
    LogRow,
    StepExplanation,
    Term,
    csv_table,
    explain_backward,
    explain_forward,
    label_program,
    log_rows,
    markdown_table,
    symbol,
)
from .functions.model import Group
from .functions.stepping import (
    BackwardSummaries,
    FunctionStep,
    Span,
    forward_text,
    function_spans,
    step_ranges,
)
from .graph import Graph, GraphError, node_label
from .values import Value, format_value, parse_value_text, to_value

FORWARD, BACKWARD = "forward", "backward"


class StepperError(ValueError):
    """The graph cannot be stepped through (it fails to evaluate); the message says where."""


@dataclass(frozen=True)
class Position:
    """How far the stepper has gone: ``forward`` steps done, then ``backward`` steps done."""

    forward: int = 0
    backward: int = 0


@dataclass(frozen=True)
class Update:
    """One row of the gradient-descent table: w_new = w_old - alpha * dE/dw."""

    node_id: str
    name: str
    old: Value
    grad: Value
    new: Value

    def text(self, alpha: float, precision: int = 4) -> str:
        if isinstance(self.old, float):
            old, step = format_value(self.old, precision), format_value(alpha, precision)
            grad, new = format_value(self.grad, precision), format_value(self.new, precision)
            return f"{self.name}: {old} - {step} * ({grad}) = {new}"
        return (
            f"{self.name}: {self.name} - {format_value(alpha, precision)} * d/d{self.name} "
            f"(|step| = {format_value(float(np.linalg.norm(self.new - self.old)), precision)})"
        )


@dataclass(frozen=True)
class QuizVerdict:
    local_correct: bool | None
    total_correct: bool | None
    expected_local: Value | None
    expected_total: Value
    working: str

    @property
    def correct(self) -> bool:
        return self.local_correct is not False and bool(self.total_correct)


class Stepper:
    """The passes of one graph, with a cursor that moves one node at a time."""

    def __init__(
        self, graph: Graph, output: str | None = None, precision: int = 4,
        over: Iterable[str] | None = None,
    ) -> None:
        """``over``: ids of the function instances stepped over as one step (None: the
        graph's collapsed instances; an empty list: every node is a step)."""
        self.graph_title = graph.title
        self.precision = precision
        # Only what the output depends on: a half-built corner elsewhere must not block it.
        self.program = Program(graph, output=output, prune=True)
        label_program(self.program, graph)  # the canvas's names, not a pruned recount
        if self.program.output_id is None:
            raise StepperError("the graph is empty: add nodes to step through")
        evaluation = self.program.evaluate()
        if evaluation.errors:
            node_id, message = next(iter(evaluation.errors.items()))
            raise StepperError(f"{node_label(graph, node_id)}: {message}")
        self._vals = self.program.forward()
        # A nan or inf, with the node that first produced it: the dock warns while stepping.
        self.nonfinite: tuple[str, str] | None = evaluation.nonfinite
        self.forward_lines: list[ForwardLine] = list(
            explain_forward(self.program, self._vals, precision)
        )
        self.backward_steps: list[StepExplanation] = list(
            explain_backward(self.program, self._vals, precision)
        )
        self._steps = {s.node_id: s for s in self.program.backward_steps(self._vals)}
        self.output_symbol = symbol(self.program, self.program.output_id)
        self.position = Position()
        if over is None:
            over = [g.id for g in graph.groups if g.collapsed]
        try:
            spans = function_spans(
                graph, self.program, over, self.forward_lines, self.backward_steps
            )
        except GraphError as exc:
            raise StepperError(str(exc)) from None
        self.spans: dict[str, Span] = {span.group.id: span for span in spans}
        # span start (and end) -> span, per phase (False: forward, True: backward)
        self._starts = {
            phase: {s.of(phase)[0]: s for s in spans if s.of(phase)[1] > s.of(phase)[0]}
            for phase in (False, True)
        }
        self._ends = {
            phase: {s.of(phase)[1]: s for s in starts.values()}
            for phase, starts in self._starts.items()
        }
        self._inside: tuple[str, bool] | None = None  # (group id, in the backward pass)
        self._summaries = BackwardSummaries(
            self.program, self._vals,
            [self._steps[ex.node_id] for ex in self.backward_steps], self.backward_steps,
            precision,
        )

    # ---- moving ----------------------------------------------------------------------------

    @property
    def forward_done(self) -> bool:
        return self.position.forward == len(self.forward_lines)

    @property
    def finished(self) -> bool:
        return self.forward_done and self.position.backward == len(self.backward_steps)

    @property
    def phase(self) -> str:
        return BACKWARD if self.position.backward > 0 else FORWARD

    def forward_step(self) -> bool:
        """Evaluate the next node, or the next stepped-over function as a whole; False when
        the forward pass is complete."""
        if self.forward_done:
            return False
        self._go(Position(self._next_index(False, self.position.forward), 0))
        return True

    def backward_step(self) -> bool:
        """Visit the next node (or stepped-over function) backward, finishing the forward
        pass first if needed."""
        if not self.forward_done:
            self._go(Position(len(self.forward_lines), 0))
            return True
        if self.position.backward == len(self.backward_steps):
            return False
        self._go(Position(self.position.forward, self._next_index(True, self.position.backward)))
        return True

    def step_back(self) -> bool:
        """Undo the last step: a stepped-over function is undone as a whole."""
        if self.position.backward > 0:
            back = self._previous_index(True, self.position.backward)
            self._go(Position(self.position.forward, back))
        elif self.position.forward > 0:
            self._go(Position(self._previous_index(False, self.position.forward), 0))
        else:
            return False
        return True

    def run_to_end(self) -> None:
        self._go(Position(len(self.forward_lines), len(self.backward_steps)))

    def reset(self) -> None:
        self._go(Position())

    def run_to_node(self, node_id: str) -> bool:
        """Advance until ``node_id`` is the current step (forward first, then backward).
        A node inside a function stepped over (not entered) is reached by the step over
        the whole function: the position after it."""
        if not self.forward_done:
            for k, line in enumerate(self.forward_lines, start=1):
                if line.node_id == node_id and k > self.position.forward:
                    self._go(Position(self._past_skipped(False, k), 0))
                    return True
        start = self.position.backward if self.forward_done else 0
        for k, ex in enumerate(self.backward_steps, start=1):
            if ex.node_id == node_id and k > start:
                self._go(Position(len(self.forward_lines), self._past_skipped(True, k)))
                return True
        return False

    def move_to(self, position: Position) -> None:
        """Go to ``position``; one strictly inside a stepped-over function's span enters it
        (so a saved position restores what was shown)."""
        forward = min(max(position.forward, 0), len(self.forward_lines))
        backward = min(max(position.backward, 0), len(self.backward_steps))
        self._go(Position(forward, backward if forward == len(self.forward_lines) else 0))

    # ---- functions: stepping over and into -------------------------------------------------

    def next_function(self) -> Group | None:
        """The stepped-over instance the next step takes as one step (None: a node)."""
        span = self._next_span()
        return span.group if span is not None else None

    def step_into(self) -> bool:
        """Enter the function the next step would step over and take its first inner step;
        False (nothing moves) when the next step is not a stepped-over function."""
        span = self._next_span()
        if span is None:
            return False
        backward = self.forward_done
        start = span.of(backward)[0]
        self._inside = (span.group.id, backward)
        if backward:
            self._go(Position(len(self.forward_lines), start + 1))
        else:
            self._go(Position(start + 1, 0))
        return True

    def inside(self) -> Group | None:
        """The instance entered with step_into (drawn expanded while stepping inside)."""
        return self.spans[self._inside[0]].group if self._inside is not None else None

    def current_function(self) -> Group | None:
        """The instance whose one-step summary the current position shows (the last step
        stepped over it), else None."""
        span = self._current_span()
        return span.group if span is not None else None

    def function_step(self) -> FunctionStep | None:
        """The backward summary the current position shows, as data (None when the current
        step is not a function stepped over backward)."""
        span = self._current_span()
        if span is None or not self.position.backward:
            return None
        return self._summaries(span)

    def step_numbers(self) -> tuple[int, int]:
        """(steps taken, steps in all) in the current pass, a function stepped over being
        one step (so is the one stepped into, as the debugger's step over its call): what
        "Forward step 2 of 5" says."""
        backward, k = self._index()
        ranges = self._ranges(backward)
        done = sum(1 for _, end in ranges if end <= k)
        return done + (1 if any(start < k < end for start, end in ranges) else 0), len(ranges)

    def pass_steps(self, backward: bool) -> int:
        """How many steps a pass takes, each closed function one."""
        return len(self._ranges(backward))

    def inner_step(self) -> tuple[int, int] | None:
        """(node, nodes) inside the function stepped into, e.g. (3, 10); None outside."""
        group = self.inside()
        if group is None:
            return None
        backward, k = self._index()
        start, end = self.spans[group.id].of(backward)
        return k - start, end - start

    def _ranges(self, backward: bool) -> list[tuple[int, int]]:
        count = len(self.backward_steps) if backward else len(self.forward_lines)
        return step_ranges(count, [span.of(backward) for span in self.spans.values()])

    def _index(self) -> tuple[bool, int]:
        """(in the backward pass, steps done in it)."""
        if self.position.backward:
            return True, self.position.backward
        return False, self.position.forward

    def _over_here(self, span: Span | None, backward: bool) -> bool:
        """Is ``span`` one that is stepped over (not the entered one)?"""
        return span is not None and self._inside != (span.group.id, backward)

    def _next_index(self, backward: bool, k: int) -> int:
        span = self._starts[backward].get(k)
        return span.of(backward)[1] if self._over_here(span, backward) else k + 1

    def _previous_index(self, backward: bool, k: int) -> int:
        span = self._ending(backward, k)
        return span.of(backward)[0] if self._over_here(span, backward) else k - 1

    def _ending(self, backward: bool, k: int) -> Span | None:
        return self._ends[backward].get(k)

    def _containing(self, backward: bool, k: int) -> Span | None:
        """The span ``k`` is strictly inside of."""
        for span in self.spans.values():
            start, end = span.of(backward)
            if start < k < end:
                return span
        return None

    def _past_skipped(self, backward: bool, k: int) -> int:
        span = self._containing(backward, k)
        return span.of(backward)[1] if self._over_here(span, backward) else k

    def _next_span(self) -> Span | None:
        if self.finished:
            return None
        backward = self.forward_done
        k = self.position.backward if backward else self.position.forward
        span = self._starts[backward].get(k)
        return span if self._over_here(span, backward) else None

    def _current_span(self) -> Span | None:
        backward, k = self._index()
        span = self._ending(backward, k)
        return span if self._over_here(span, backward) else None

    def _go(self, position: Position) -> None:
        """Move to ``position``; leaving the entered span backs out of it. A position
        strictly inside a stepped-over span enters it (only move_to gives one)."""
        self.position = position
        backward, k = self._index()
        if self._inside is not None:
            gid, phase = self._inside
            start, end = self.spans[gid].of(phase)
            if phase != backward or not start < k <= end:
                self._inside = None
        span = self._containing(backward, k)
        if span is not None and self._over_here(span, backward):
            self._inside = (span.group.id, backward)

    # ---- what to show ----------------------------------------------------------------------

    @property
    def current_node(self) -> str | None:
        """The node of the last step taken (highlighted on the canvas); after a step over
        a function, its (first) output."""
        span = self._current_span()
        if span is not None:
            return span.outputs[0]
        if self.position.backward:
            return self.backward_steps[self.position.backward - 1].node_id
        if self.position.forward:
            return self.forward_lines[self.position.forward - 1].node_id
        return None

    @property
    def current_edges(self) -> list[tuple[str, str]]:
        """(src, dst) wires the current step works on: into the current node, or, after a
        step over a function, into the instance from outside."""
        span = self._current_span()
        if span is not None:
            return [
                (arg.source, nid) for arg in span.arguments for nid, _ in arg.targets
            ]
        node = self.current_node
        if node is None:
            return []
        return [(src, node) for src in self.program.inputs_of(node)]

    def current_text(self) -> str:
        """The current step as text: a forward formula, or a chain-rule step with numbers;
        after a step over a function, its one-step summary."""
        span = self._current_span()
        if span is not None and self.position.backward:
            return "\n".join(self._summaries(span).lines)
        if span is not None:
            return forward_text(self.program, self._vals, span, self.precision)
        if self.position.backward:
            return "\n".join(self.backward_steps[self.position.backward - 1].lines)
        if self.position.forward:
            return self.forward_lines[self.position.forward - 1].text
        forward, backward = self.pass_steps(False), self.pass_steps(True)
        return f"Ready: {forward} forward and {backward} backward steps to {self.output_symbol}."

    def visible_values(self) -> dict[str, Value]:
        """Values of sources and of the nodes evaluated so far."""
        done = {line.node_id for line in self.forward_lines[: self.position.forward]}
        return {
            nid: self._vals[k]
            for k, nid in enumerate(self.program.ids)
            if nid in done or self.program.graph_node(nid).is_source
        }

    def visible_grads(self) -> dict[str, Value]:
        """Complete gradients of the nodes visited backward so far."""
        return {
            ex.node_id: self._steps[ex.node_id].upstream
            for ex in self.backward_steps[: self.position.backward]
        }

    def visible_wire_grads(self) -> dict[tuple[str, int], Value]:
        """What each visited backward step sent along each of its input wires, keyed by
        (consumer id, input port) as Evaluation.wire_grads is (the Steps' contributions)."""
        result: dict[tuple[str, int], Value] = {}
        for ex in self.backward_steps[: self.position.backward]:
            step = self._steps[ex.node_id]
            for port, contribution in enumerate(step.contributions):
                if contribution is not None:
                    result[(ex.node_id, port)] = contribution
        return result

    def partial_grads(self) -> dict[str, tuple[Value, int, int]]:
        """Nodes with some but not all contributions in: (running sum, received, expected)."""
        visited = {ex.node_id for ex in self.backward_steps[: self.position.backward]}
        partial: dict[str, tuple[Value, int, int]] = {}
        for ex in self.backward_steps[: self.position.backward]:
            for term in ex.terms:
                if term.input_id in visited:
                    continue
                expected = self.program.consumer_count(term.input_id)
                received = expected - term.pending
                partial[term.input_id] = (term.total, received, expected)
        return partial

    def pending_nodes(self) -> set[str]:
        """Nodes not reached yet in the current pass (dimmed on the canvas)."""
        if self.phase == FORWARD:
            done = {line.node_id for line in self.forward_lines[: self.position.forward]}
            return {line.node_id for line in self.forward_lines} - done
        visited = {ex.node_id for ex in self.backward_steps[: self.position.backward]}
        return {ex.node_id for ex in self.backward_steps} - visited

    # ---- step log --------------------------------------------------------------------------

    def log_rows(self) -> list[LogRow]:
        """The step log up to the current position."""
        done = self.backward_steps[: self.position.backward]
        return log_rows(self.program, done, self.precision)

    def log_csv(self) -> str:
        return csv_table(self.log_rows())

    def log_markdown(self) -> str:
        return markdown_table(self.log_rows())

    # ---- gradient descent ------------------------------------------------------------------

    def update_targets(self) -> list[str]:
        """Parameters if the graph has any, else its inputs (as the first notebook does)."""
        sources = [
            nid
            for nid in self.program.ids
            if self.program.graph_node(nid).is_source and nid in self._steps
        ]
        params = [n for n in sources if self.program.graph_node(n).op == "parameter"]
        if params:
            return params
        return [n for n in sources if self.program.graph_node(n).op == "input"]

    def gradient_descent(self, alpha: float) -> list[Update]:
        """w_new = w_old - alpha * dE/dw for every update target (nothing is changed here)."""
        if not math.isfinite(alpha):
            raise StepperError("the learning rate must be a finite number")
        updates = []
        for nid in self.update_targets():
            old = self._vals[self.program.slot[nid]]
            grad = self._steps[nid].upstream
            new = to_value(old - alpha * grad)
            updates.append(Update(nid, symbol(self.program, nid), old, grad, new))
        return updates

    # ---- quiz ------------------------------------------------------------------------------

    def quiz_terms(self) -> list[Term]:
        """The terms of the step the user is asked about: the next backward step."""
        if not self.forward_done or self.position.backward >= len(self.backward_steps):
            return []
        return list(self.backward_steps[self.position.backward].terms)

    def check_answer(
        self, term: Term, local: Any = None, total: Any = None, rel_tol: float = 1e-3
    ) -> QuizVerdict:
        """Is ``local`` (d node/d input) and ``total`` (d output/d input) right?

        Answers are numbers (or nested lists for arrays), compared with a relative tolerance
        of ``rel_tol`` and an absolute one of 1e-6, so answers rounded to 4 digits count.
        """
        local_ok = None if local is None else _close(local, term.local_value, rel_tol)
        total_ok = None if total is None else _close(total, term.contribution, rel_tol)
        working = next(
            (t.text for ex in self.backward_steps for t in ex.terms if t is term), term.text
        )
        return QuizVerdict(local_ok, total_ok, term.local_value, term.contribution, working)


def _close(answer: Any, expected: Value | None, rel_tol: float) -> bool:
    if expected is None:
        return False
    try:
        given = np.asarray(to_value(answer), dtype=float)
    except ValueError:
        return False
    want = np.asarray(expected, dtype=float)
    if given.shape != want.shape and given.size != 1:
        return False
    return bool(np.allclose(given, want, rtol=rel_tol, atol=1e-6))


def parse_answer(text: str) -> Value:
    """A typed answer: a number, a fraction like 1/4, pi/2, or a list such as [0.5, -1]."""
    return parse_value_text(text)


def updates_table(updates: Iterable[Update], alpha: float, precision: int = 4) -> str:
    """The notebook's update table as Markdown."""
    lines = ["| weight | current | gradient | update | new |", "|---|---:|---:|---|---:|"]
    for u in updates:
        lines.append(
            f"| {u.name} | {format_value(u.old, precision)} | {format_value(u.grad, precision)} | "
            f"{u.text(alpha, precision).split(': ', 1)[1]} | {format_value(u.new, precision)} |"
        )
    return "\n".join(lines) + "\n"
