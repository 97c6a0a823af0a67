"""What every target needs to know of a graph before writing code: its nodes in order, their
identifiers, values and shapes, which gradients the backward pass computes and in what
order, and where a gradient must be summed back over broadcast axes.

Everything comes from the validated graph and one evaluation by the engine (the shapes),
never from text: templates are the op registry's, names are sanitised identifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import EvaluationError, Program
from ..graph import Graph, Node
from ..labels import node_labels
from ..ops import PLACEHOLDER, OpSpec
from . import literals
from .names import identifiers, reserved

Shape = tuple[int, ...]
MAX_NUMBERS = 500_000  # stored values written into one module, at most (about 10 MB of text)


class CodegenError(ValueError):
    """The graph cannot be exported as code; the message says why in one line."""


@dataclass(frozen=True)
class SumBack:
    """How a gradient part is summed back to its input's shape (see :meth:`text`)."""

    spread: bool  # the input is larger than the part: times ones of its shape first
    lead: int  # leading axes the input does not have
    keep: tuple[int, ...]  # axes where the input has size 1 (summed, keeping the axis)
    scalar: bool  # the input is a scalar: sum everything

    def text(self, part: str, input_text: str) -> str:
        if self.spread:
            part = f"({part}) * np.ones_like({input_text})"
        if self.scalar:
            return f"np.sum({part})"
        if self.lead and self.keep:
            inner = f"np.sum({part}, axis={_axes(range(self.lead))})"
            keep = _axes(k - self.lead for k in self.keep)
            return f"np.sum({inner}, axis={keep}, keepdims=True)"
        if self.lead:
            return f"np.sum({part}, axis={_axes(range(self.lead))})"
        return f"np.sum({part}, axis={_axes(self.keep)}, keepdims=True)"


def _axes(axes: Any) -> str:
    axes = tuple(axes)
    return str(axes[0]) if len(axes) == 1 else str(axes)


@dataclass
class Analysis:
    graph: Graph
    labels: Mapping[str, str]
    order: list[str]  # topological
    output: str
    idents: dict[str, str]
    values: dict[str, Any]
    shapes: list[dict[str, Shape]]  # [0]: at the stored values; then e.g. training batches
    needs: dict[str, bool]  # the engine computes this node's gradient (if reached)
    visit: list[str]  # the nodes the backward pass visits, in order (computed ones)
    grads: set[str]  # nodes whose gradient the backward pass gives (the output's seed too)
    reaching: set[str]  # the output and its ancestors
    inline: set[str] = field(default_factory=set)  # scalar constants written as numbers

    def node(self, node_id: str) -> Node:
        return self.graph.node(node_id)

    def inputs(self, node_id: str) -> list[str]:
        return [s for s in self.graph.input_ids(node_id) if s is not None]

    def named(self) -> list[str]:
        """The named nodes in evaluation order (what ``graphgui eval --json`` lists)."""
        return [n for n in self.order if self.graph.node(n).name]

    def grad_kind(self, node_id: str) -> str:
        """How ``eval --json`` reports a node's gradient: "grad" (computed), "zeros" (the
        output does not depend on it) or "none" (null: only constants feed it)."""
        if node_id in self.grads:
            return "grad"
        return "zeros" if node_id not in self.reaching else "none"

    def add_shapes(self, overrides: Mapping[str, Any]) -> None:
        """Also write the sums for the shapes under ``overrides`` (e.g. the training data
        fed into X and Y): a sum written for the larger shapes holds for smaller ones."""
        program = Program(self.graph)
        try:
            vals = program.forward(overrides)
        except EvaluationError as exc:
            raise CodegenError(str(exc)) from None
        self.shapes.append({nid: np.shape(vals[k]) for k, nid in enumerate(program.ids)})

    # ---- templates -----------------------------------------------------------------------

    def template(self, node_id: str, which: str, port: int = 0) -> str:
        """The text of one of the node's templates (``numpy_code``, ``numpy_grads``,
        ``torch_code``), a function template called with the stored shapes."""
        node = self.node(node_id)
        spec = node.spec
        template = spec.numpy_grads[port] if which == "numpy_grads" else getattr(spec, which)
        if isinstance(template, str):
            return template
        shapes = tuple(self.shapes[0][s] for s in self.inputs(node_id))
        try:
            return template(shapes, dict(node.params))
        except ValueError as exc:
            raise CodegenError(f"{self.labels[node_id]}: {exc}") from None

    def same_shapes(self, node_ids: list[str]) -> bool:
        """Whether these nodes have one shape in every analysis (stored, training...)."""
        return all(len({shapes[n] for n in node_ids}) == 1 for shapes in self.shapes)

    def largest_input(self, node_ids: list[str]) -> int | None:
        """The index of an input with the shape of all of them broadcast together (in
        every analysis), or None."""
        for k, candidate in enumerate(node_ids):
            if all(shapes[candidate] == np.broadcast_shapes(*(shapes[n] for n in node_ids))
                   for shapes in self.shapes):
                return k
        return None

    def sum_back(self, node_id: str, port: int, text: str) -> SumBack | None:
        """How the part ``text`` of a text template for input ``port`` is summed back to
        that input's shape, or None where it has that shape already (in every analysis)."""
        spec = self.node(node_id).spec
        srcs = self.inputs(node_id)
        found: list[tuple[bool, int, set[int], bool]] = []
        for shapes in self.shapes:
            named = []
            for match in PLACEHOLDER.finditer(text):
                word = match.group(2)
                if word in ("g", "out"):
                    named.append(shapes[node_id])
                elif word in spec.inputs:
                    named.append(shapes[srcs[spec.inputs.index(word)]])
            raw = np.broadcast_shapes(*named) if named else ()
            target = shapes[srcs[port]]
            if raw == target:
                continue
            full = np.broadcast_shapes(raw, target)
            lead = len(full) - len(target)
            keep = {lead + i for i, n in enumerate(target) if n == 1 and full[lead + i] != 1}
            found.append((full != raw, lead, keep, not target))
        if not found:
            return None
        if len({(lead, scalar) for _, lead, _, scalar in found}) > 1:
            found = found[:1]  # ranks that differ between analyses: the stored values rule
        return SumBack(
            spread=any(f[0] for f in found), lead=found[0][1],
            keep=tuple(sorted(set().union(*(f[2] for f in found)))), scalar=found[0][3],
        )


def analyze(graph: Graph, torch: bool = False) -> Analysis:
    """Evaluate ``graph`` at its stored values and plan its code (see :class:`Analysis`)."""
    if graph.output is None:
        raise CodegenError("the graph is empty: there is no output to export")
    labels = node_labels(graph)
    numbers = sum(np.size(n.value) for n in graph if n.is_source)
    if numbers > MAX_NUMBERS:
        raise CodegenError(f"the graph's values hold {numbers:,} numbers; exported code holds "
                           f"at most {MAX_NUMBERS:,} (give the large inputs fewer samples)")
    program = Program(graph)
    evaluation = program.evaluate()
    if evaluation.errors:
        node_id, message = next(iter(evaluation.errors.items()))
        raise CodegenError(f"{labels[node_id]}: {message}")
    order = graph.topological_order()
    output = graph.output
    needs = {nid: program.needs_grad[program.slot[nid]] for nid in order}
    visit = [n for n in program.backward_order() if not graph.node(n).is_source]
    idents = identifiers(labels, order, reserved(torch), no_underscore=torch)
    analysis = Analysis(
        graph=graph, labels=labels, order=order, output=output, idents=idents,
        values=dict(evaluation.values),
        shapes=[{nid: np.shape(v) for nid, v in evaluation.values.items()}],
        needs=needs, visit=visit, grads=set(evaluation.grads),
        reaching=graph.ancestors(output) | {output},
    )
    for nid in order:
        node = graph.node(nid)
        if (node.op == "constant" and not node.name and isinstance(node.value, float)
                and nid != output and graph.consumers(nid)):
            analysis.inline.add(nid)
    return analysis


def param_text(spec: OpSpec, name: str, value: Any) -> str:
    """A parameter's value as code: ``0.01``, ``None``, ``-1``, ``(3, 2)``."""
    kind = next(p.kind for p in spec.params if p.name == name)
    if kind == "float":
        return literals.operand(value)
    return repr(value if kind == "axis" else tuple(value))


def render(text: str, analysis: Analysis, node_id: str, operands: list[str],
           extra: Mapping[str, str | Callable[[], str]],
           macro: Callable[[list[str]], str] | None = None) -> str:
    """Fill a template: inputs by ``operands`` (port order), parameters by their values,
    ``extra`` for g, out and n (text, or a function giving it when used); ``macro`` writes
    a ``{@a,b}``."""
    node = analysis.node(node_id)
    spec = node.spec

    def fill(match: Any) -> str:
        is_macro, body = match.groups()
        words = body.split(",")
        if is_macro:
            assert macro is not None, "{@...} outside torch_code"
            return macro([operands[spec.inputs.index(w)] for w in words])
        word = words[0]
        if word in extra:
            text = extra[word]
            return text() if callable(text) else text
        if word in spec.inputs:
            return operands[spec.inputs.index(word)]
        return param_text(spec, word, node.params[word])

    return PLACEHOLDER.sub(fill, text)
