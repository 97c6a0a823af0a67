"""Stepping through a forward and a backward pass, one node at a time (Qt-free).

The stepper dock and ``graphgui step`` both drive a :class:`Stepper`. Positions are plain
indexes into the precomputed passes, so stepping back restores the previous state exactly and
the GUI can redraw any position from scratch.
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
from .graph import Graph, node_label
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

    def __init__(self, graph: Graph, output: str | None = None, precision: int = 4) -> None:
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
        """Evaluate the next node; False when the forward pass is complete."""
        if self.forward_done:
            return False
        self.position = Position(self.position.forward + 1, 0)
        return True

    def backward_step(self) -> bool:
        """Visit the next node backward (finishing the forward pass first if needed)."""
        if not self.forward_done:
            self.position = Position(len(self.forward_lines), 0)
            return True
        if self.position.backward == len(self.backward_steps):
            return False
        self.position = Position(self.position.forward, self.position.backward + 1)
        return True

    def step_back(self) -> bool:
        if self.position.backward > 0:
            self.position = Position(self.position.forward, self.position.backward - 1)
        elif self.position.forward > 0:
            self.position = Position(self.position.forward - 1, 0)
        else:
            return False
        return True

    def run_to_end(self) -> None:
        self.position = Position(len(self.forward_lines), len(self.backward_steps))

    def reset(self) -> None:
        self.position = Position()

    def run_to_node(self, node_id: str) -> bool:
        """Advance until ``node_id`` is the current step (forward first, then backward)."""
        if not self.forward_done:
            for k, line in enumerate(self.forward_lines, start=1):
                if line.node_id == node_id and k > self.position.forward:
                    self.position = Position(k, 0)
                    return True
        start = self.position.backward if self.forward_done else 0
        for k, ex in enumerate(self.backward_steps, start=1):
            if ex.node_id == node_id and k > start:
                self.position = Position(len(self.forward_lines), k)
                return True
        return False

    def move_to(self, position: Position) -> None:
        forward = min(max(position.forward, 0), len(self.forward_lines))
        backward = min(max(position.backward, 0), len(self.backward_steps))
        self.position = Position(forward, backward if forward == len(self.forward_lines) else 0)

    # ---- what to show ----------------------------------------------------------------------

    @property
    def current_node(self) -> str | None:
        """The node of the last step taken (highlighted on the canvas)."""
        if self.position.backward:
            return self.backward_steps[self.position.backward - 1].node_id
        if self.position.forward:
            return self.forward_lines[self.position.forward - 1].node_id
        return None

    @property
    def current_edges(self) -> list[tuple[str, str]]:
        """(src, dst) wires the current step works on: into the current node."""
        node = self.current_node
        if node is None:
            return []
        return [(src, node) for src in self.program.inputs_of(node)]

    def current_text(self) -> str:
        """The current step as text: a forward formula, or a chain-rule step with numbers."""
        if self.position.backward:
            return "\n".join(self.backward_steps[self.position.backward - 1].lines)
        if self.position.forward:
            return self.forward_lines[self.position.forward - 1].text
        return (
            f"Ready: {len(self.forward_lines)} forward and {len(self.backward_steps)} backward "
            f"steps to {self.output_symbol}."
        )

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
