"""Compile a graph into a Program, then run forward and backward over flat lists.

``Program.backward_steps`` is the one backward code path: a generator that visits nodes in
reverse topological order and, when asked to record, yields a :class:`Step` per node. The
stepper pulls one Step per click; ``gradients`` drains the same generator without recording
(it then never yields, so the fast path pays nothing per node for being a generator).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .engine_codegen import FastPath, ScalarCode
from .engine_fused import FusedPath
from .engine_messages import describe_failure
from .graph import Graph, GraphError, Node
from .sizes import predict_oversize, shape_of, without
from .values import Value, format_value, is_finite, to_value

_SIZE_CACHE = 16  # sets of source shapes whose result sizes a Program remembers as checked


class EvaluationError(Exception):
    """A node could not be evaluated. ``node_id`` names it; the message says why."""

    def __init__(self, node_id: str | None, message: str) -> None:
        super().__init__(message)
        self.node_id = node_id


@dataclass(frozen=True)
class Step:
    """One node of the backward pass.

    ``upstream`` is d(output)/d(node), final because every consumer was visited before.
    ``contributions[k]`` is what this node adds to the gradient of input k
    (None where that input needs no gradient); ``totals[k]`` is input k's running sum after
    adding it, and ``pending[k]`` how many of input k's consumers are still to come.
    """

    index: int
    node_id: str
    value: Value
    upstream: Value
    inputs: tuple[str | None, ...]
    input_values: tuple[Value, ...]
    contributions: tuple[Value | None, ...]
    totals: tuple[Value | None, ...]
    pending: tuple[int, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def local_derivatives(self, program: Program) -> tuple[Value | None, ...]:
        """d(node)/d(input k) as numbers, for elementwise ops on equal shapes (else None)."""
        spec = program.graph_node(self.node_id).spec
        if not spec.elementwise:
            return tuple(None for _ in self.inputs)
        ones = 1.0 if isinstance(self.value, float) else np.ones_like(self.value)
        result = []
        for k, vjp in enumerate(spec.vjps):
            same_shape = np.shape(self.input_values[k]) == np.shape(self.value)
            if self.contributions[k] is None or not same_shape:
                result.append(None)
            else:
                with np.errstate(all="ignore"):
                    result.append(vjp(ones, self.value, *self.input_values, **self.params))
        return tuple(result)


@dataclass
class Evaluation:
    """What the canvas, the CLI and the inspector show after one forward + backward pass."""

    output: str | None
    values: dict[str, Value]
    grads: dict[str, Value]
    errors: dict[str, str]
    nonfinite: tuple[str, str] | None = None
    # The gradient each wire carries back, keyed by (consumer id, input port): the
    # consumer's contribution to its input (Step.contributions). Filled by
    # ``Program.evaluate(wires=True)``; the canvas labels its wires with these.
    wire_grads: dict[tuple[str, int], Value] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.nonfinite is None


class Program:
    """A graph compiled for one output: flat lists of bound callables and integer slots.

    The Program keeps its own copy of every source value (a snapshot), so a training thread
    can run it while the live Graph is edited. A scalar Program runs its fast passes as
    generated code built from the same plans (engine_codegen; ``generated=False``: never).
    """

    def __init__(
        self,
        graph: Graph,
        output: str | None = None,
        wrt: Iterable[str] | None = None,
        prune: bool = False,
        generated: bool = True,
        fused: bool = True,
    ) -> None:
        output = graph.output if output is None else graph.lookup(output).id
        ids = graph.topological_order()
        if prune and output is not None:
            keep = graph.ancestors(output)
            ids = [i for i in ids if i in keep]
        self.output_id = output
        self.ids: list[str] = ids
        self.slot: dict[str, int] = {nid: k for k, nid in enumerate(ids)}
        self._nodes: dict[str, Node] = {nid: _copy_node(graph.node(nid)) for nid in ids}
        self.errors: dict[str, str] = {}
        self._own_errstate = True  # see batch_mode
        self._compile_forward(graph)
        self._compile_backward(graph, wrt)
        self.fast_path = FastPath.for_program(self) if generated else None
        self.fused = FusedPath.for_program(self) if fused else None  # arrays: engine_fused

    # ---- compilation ---------------------------------------------------------------------

    def _compile_forward(self, graph: Graph) -> None:
        self.initial: list[Any] = [None] * len(self.ids)
        plan: list[tuple[int, Any, int, int]] = []
        self._inputs: list[tuple[int, ...]] = [()] * len(self.ids)
        for k, nid in enumerate(self.ids):
            node = self._nodes[nid]
            spec = node.spec
            if node.is_source:
                self.initial[k] = node.value
                continue
            srcs = graph.input_ids(nid)
            missing = [spec.inputs[p] for p, s in enumerate(srcs) if s is None]
            if missing:
                names = " and ".join(repr(m) for m in missing)
                verb = "input {} is" if len(missing) == 1 else "inputs {} are"
                self.errors[nid] = f"{verb.format(names)} not connected"
                continue
            failed = [graph.node(s).title for s in srcs if s in self.errors]
            if failed:
                self.errors[nid] = f"depends on {failed[0]}, which failed"
                continue
            args = tuple(self.slot[s] for s in srcs)
            self._inputs[k] = args
            fn = partial(spec.forward, **node.params) if node.params else spec.forward
            plan.append((k, fn, args[0], args[1] if len(args) > 1 else -1))
        self._plan = plan
        self._plan_pos = {entry[0]: pos for pos, entry in enumerate(plan)}
        self._source_shapes = {k: shape_of(v) for k, v in enumerate(self.initial) if v is not None}
        self._oversize: dict[int, str] | None = None  # for the sources' own shapes; lazy
        self._oversize_cache: dict[tuple, dict[int, str]] = {}

    def _compile_backward(self, graph: Graph, wrt: Iterable[str] | None) -> None:
        if wrt is None:
            targets = {nid for nid, n in self._nodes.items() if n.is_source and n.op != "constant"}
        else:
            targets = {graph.lookup(ref).id for ref in wrt}
        needs = [False] * len(self.ids)
        for k, nid in enumerate(self.ids):
            needs[k] = nid in targets or any(needs[a] for a in self._inputs[k])
        self.needs_grad = needs
        self._targets = frozenset(self.slot[t] for t in targets if t in self.slot)
        out = self.slot.get(self.output_id, -1) if self.output_id else -1
        reachable = set()
        if out >= 0 and self.output_id not in self.errors:
            reachable = {self.slot[a] for a in graph.ancestors(self.output_id) if a in self.slot}
        self._out_slot = out
        bplan: list[tuple[int, int, int, Any, Any]] = []
        consumers = [0] * len(self.ids)
        for k in reversed(range(len(self.ids))):
            if k not in reachable or not needs[k]:
                continue
            node = self._nodes[self.ids[k]]
            args = self._inputs[k]
            rules = []
            for port, a in enumerate(args):
                if needs[a]:
                    consumers[a] += 1
                    rule = node.spec.vjps[port]
                    rules.append(partial(rule, **node.params) if node.params else rule)
                else:
                    rules.append(None)
            a = args[0] if args else -1
            b = args[1] if len(args) > 1 else -1
            bplan.append(
                (k, a, b, rules[0] if rules else None, rules[1] if len(rules) > 1 else None)
            )
        self._bplan = bplan
        # Without records, nodes that pass nothing on (sources) need no visit.
        self._bwork = [e for e in bplan if e[3] is not None or e[4] is not None]
        self._consumers = consumers

    # ---- queries -------------------------------------------------------------------------

    def _titles(self) -> list[str]:
        return [self._nodes[nid].title for nid in self.ids]

    def graph_node(self, node_id: str) -> Node:
        """The snapshot of a node as it was when compiled."""
        return self._nodes[node_id]

    def inputs_of(self, node_id: str) -> list[str]:
        """Ids of the nodes feeding ``node_id``, in port order."""
        return [self.ids[a] for a in self._inputs[self.slot[node_id]]]

    def consumer_count(self, node_id: str) -> int:
        """How many gradient contributions ``node_id`` receives in the backward pass."""
        return self._consumers[self.slot[node_id]]

    def set_source(self, node_id: str, value: Any) -> None:
        """Change a source value in this snapshot (the live graph is untouched)."""
        k = self.slot[node_id]
        self.initial[k] = to_value(value)
        shape = shape_of(self.initial[k])
        if shape != self._source_shapes.get(k):  # result sizes must be predicted again
            self._source_shapes[k] = shape
            self._oversize = None
            self._oversize_cache.clear()

    @contextmanager
    def batch_mode(self) -> Iterator[Program]:
        """Run many passes under one NumPy error state.

        Each forward and backward pass otherwise enters ``np.errstate`` itself (the engine
        reports non-finite values, so NumPy's warnings are noise); that costs about 1 us a
        call, which a 40 us training step notices.
        """
        self._own_errstate = False
        try:
            with np.errstate(all="ignore"):
                yield self
        finally:
            self._own_errstate = True

    # ---- forward -------------------------------------------------------------------------

    def forward(self, overrides: Mapping[str, Any] | None = None) -> list[Any]:
        """Values by slot. Raises EvaluationError naming the first node that fails."""
        if self.fast_path is not None:
            vals = self.fast_path.forward(self.initial, overrides, self.slot)
            if vals is not None:
                return vals
        if self.fused is not None:
            vals = self.fused.forward(self.initial, overrides, self.slot)
            if vals is not None:
                return vals
        vals, errors = self._run_forward(overrides, tolerant=False)
        return vals

    def _run_forward(
        self, overrides: Mapping[str, Any] | None, tolerant: bool
    ) -> tuple[list[Any], dict[str, str]]:
        vals = list(self.initial)
        changed: list[tuple[int, tuple[int, ...]]] = []
        if overrides:
            shapes = self._source_shapes
            for nid, value in overrides.items():
                k = self.slot[nid]
                vals[k] = value
                shape = () if value.__class__ is float else np.shape(value)
                if shape != shapes.get(k):
                    changed.append((k, shape))
        if self.errors and not tolerant:
            nid = next(iter(self.errors))
            raise EvaluationError(nid, f"{self._nodes[nid].title}: {self.errors[nid]}")
        errors = dict(self.errors)
        plan = self._plan
        oversize = self._oversized(vals, tuple(changed))
        if oversize:
            k = min(oversize)
            if not tolerant:
                nid = self.ids[k]
                raise EvaluationError(nid, f"{self._nodes[nid].title}: {oversize[k]}")
            plan = without(plan, oversize, self._inputs, self.ids, self._titles(), errors)
        if self._own_errstate:
            with np.errstate(all="ignore"):
                self._forward_loop(vals, errors, tolerant, plan)
        else:
            self._forward_loop(vals, errors, tolerant, plan)
        return vals, errors

    # ---- result sizes, predicted before computing ------------------------------------------

    def _oversized(self, vals: list[Any], changed: tuple) -> dict[int, str]:
        """Slots whose result would hold more than MAX_ELEMENTS elements, with the reason.

        Predicted from the sources' shapes by each op's shape rule (OpSpec.shape_rule), once
        per set of shapes: a pass with the shapes already checked costs one comparison per
        override. ``changed`` lists the overrides whose shape differs from the snapshot's.
        """
        if not changed:
            if self._oversize is None:
                self._oversize = predict_oversize(self._nodes, self.ids, self._plan, vals)
            return self._oversize
        found = self._oversize_cache.get(changed)
        if found is None:
            found = predict_oversize(self._nodes, self.ids, self._plan, vals)
            if len(self._oversize_cache) >= _SIZE_CACHE:
                self._oversize_cache.clear()
            self._oversize_cache[changed] = found
        return found

    def _forward_loop(
        self, vals: list[Any], errors: dict[str, str], tolerant: bool,
        plan: list[tuple[int, Any, int, int]],
    ) -> None:
        start = 0
        while True:
            try:
                for pos in range(start, len(plan)):
                    i, fn, a, b = plan[pos]
                    if b < 0:
                        vals[i] = fn(vals[a])
                    else:
                        vals[i] = fn(vals[a], vals[b])
                break
            except Exception as exc:  # noqa: BLE001  (any op failure becomes a message)
                i = plan[pos][0]
                nid = self.ids[i]
                message = describe_failure(
                    self._nodes[nid], exc, [vals[s] for s in self._inputs[i]]
                )
                if not tolerant:
                    raise EvaluationError(nid, f"{self._nodes[nid].title}: {message}") from None
                errors[nid] = message
                start = pos + 1
                plan = self._skip_dependents(plan, start, i, errors)

    def _skip_dependents(
        self, plan: list[tuple[int, Any, int, int]], start: int, failed: int, errors: dict[str, str]
    ) -> list[tuple[int, Any, int, int]]:
        """A copy of ``plan`` without the nodes after ``start`` that depend on ``failed``."""
        bad = {failed}
        kept = plan[:start]
        title = self._nodes[self.ids[failed]].title
        for entry in plan[start:]:
            i = entry[0]
            if any(a in bad for a in self._inputs[i]):
                bad.add(i)
                errors[self.ids[i]] = f"depends on {title}, which failed"
            else:
                kept.append(entry)
        return kept

    def first_nonfinite(self, vals: list[Any]) -> tuple[str, str] | None:
        """The first node, in evaluation order, whose value is nan or infinite."""
        for k, value in enumerate(vals):
            if value is not None and not is_finite(value):
                node = self._nodes[self.ids[k]]
                ins = ", ".join(format_value(vals[a]) for a in self._inputs[k])
                where = f" of {ins}" if ins else ""
                return node.id, f"{node.title} ({node.op}{where}) gave {_kind_of_nonfinite(value)}"
        return None

    # ---- backward ------------------------------------------------------------------------

    def backward_steps(
        self, vals: list[Any], record: bool = True, seed: Value | None = None
    ) -> Iterator[Step]:
        """The backward pass as a generator; its return value is the list of gradients.

        The output's gradient starts at ``seed`` (ones: for a non-scalar output that is the
        gradient of the sum of its elements).
        """
        grads: list[Any] = [None] * len(self.ids)
        out = self._out_slot
        if out < 0 or vals[out] is None:
            return grads
        value = vals[out]
        grads[out] = (
            seed if seed is not None else (1.0 if isinstance(value, float) else np.ones_like(value))
        )
        if self._own_errstate:
            with np.errstate(all="ignore"):
                yield from self._backward_loop(vals, grads, record)
        else:
            yield from self._backward_loop(vals, grads, record)
        return grads

    def _backward_loop(self, vals: list[Any], grads: list[Any], record: bool) -> Iterator[Step]:
        remaining = list(self._consumers) if record else None
        i = -1
        try:  # free when nothing fails; a rule that raises is named, as forward failures are
            for i, a, b, rule_a, rule_b in self._bplan if record else self._bwork:
                g = grads[i]
                if g is None:
                    continue
                if record:  # the inputs' sums before this node adds to them
                    before = [grads[k] for k in self._inputs[i]]
                out_value = vals[i]
                if b >= 0:
                    x, y = vals[a], vals[b]
                    if rule_a is not None:
                        c = rule_a(g, out_value, x, y)
                        ga = grads[a]
                        grads[a] = c if ga is None else ga + c
                    if rule_b is not None:
                        c = rule_b(g, out_value, x, y)
                        gb = grads[b]
                        grads[b] = c if gb is None else gb + c
                elif a >= 0 and rule_a is not None:
                    c = rule_a(g, out_value, vals[a])
                    ga = grads[a]
                    grads[a] = c if ga is None else ga + c
                if record:
                    yield self._make_step(i, vals, before, g, remaining)
        except Exception as exc:  # noqa: BLE001  (any rule failure becomes a message)
            node = self._nodes[self.ids[i]]
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EvaluationError(
                node.id, f"{node.title}: the gradient of {node.op} failed: {text[:200]}"
            ) from None

    def _make_step(
        self, i: int, vals: list[Any], before: list[Any], g: Any, remaining: list[int]
    ) -> Step:
        """The record of node ``i``; ``before`` holds its inputs' sums before it added to them.

        Contributions are recomputed from the rules so the fast path stores nothing extra.
        Totals and pending counts are per port, in port order, so a node feeding two ports
        of one consumer (``x * x``) shows two successive contributions.
        """
        nid = self.ids[i]
        node = self._nodes[nid]
        args = self._inputs[i]
        xs = tuple(vals[a] for a in args)
        running = dict(zip(args, before, strict=True))
        contributions, totals, pending = [], [], []
        for port, a in enumerate(args):
            if self.needs_grad[a]:
                c = node.spec.vjps[port](g, vals[i], *xs, **node.params)
                running[a] = c if running[a] is None else running[a] + c
                remaining[a] -= 1
                contributions.append(c)
                totals.append(running[a])
            else:
                contributions.append(None)
                totals.append(None)
            pending.append(remaining[a])
        return Step(
            index=i,
            node_id=nid,
            value=vals[i],
            upstream=g,
            inputs=tuple(self.ids[a] for a in args),
            input_values=xs,
            contributions=tuple(contributions),
            totals=tuple(totals),
            pending=tuple(pending),
            params=dict(node.params),
        )

    def gradients(
        self, vals: list[Any], seed: Value | None = None, only_wrt: bool = False
    ) -> list[Any]:
        """All gradients by slot: drains :meth:`backward_steps` without recording.

        ``only_wrt``: the caller reads the wrt targets' gradients only, so the fused rules
        that skip an intermediate's gradient (engine_fused: sigmoid + bce) may run."""
        fast = self.fast_path
        if fast is not None and (grads := fast.gradients(vals, seed)) is not None:
            return grads
        fused = self.fused
        if fused is not None and (grads := fused.gradients(vals, seed, only_wrt)) is not None:
            return grads
        steps = self.backward_steps(vals, record=False, seed=seed)
        try:
            while True:
                next(steps)
        except StopIteration as done:
            return done.value

    def scalar_code(self, compile_now: bool = False) -> ScalarCode | None:
        """The generated code this Program's fast passes run, None while it has none (it is
        compiled after engine_codegen.COMPILE_AFTER passes, or now with ``compile_now``)."""
        if self.fast_path is None:
            return None
        return self.fast_path.compile() if compile_now else self.fast_path.code

    def backward_order(self) -> list[str]:
        """Ids of the nodes the backward pass visits, in visiting order."""
        return [self.ids[entry[0]] for entry in self._bplan]

    # ---- everything at once --------------------------------------------------------------

    def evaluate(
        self, overrides: Mapping[str, Any] | None = None, wires: bool = False
    ) -> Evaluation:
        """Forward and backward, never raising: failures are collected per node.

        With ``wires`` the backward pass records its steps and the Evaluation also holds
        each wire's gradient (what its consumer contributes), taken from the same Steps the
        stepper shows, so no view recomputes a gradient rule.
        """
        fast = None if wires or self.fast_path is None else self.fast_path
        vals = fast and fast.forward(self.initial, overrides, self.slot)
        raw = vals and fast.gradients(vals)  # every value and gradient finite: nothing to report
        if raw is not None:
            grads = {nid: g for nid, g in zip(self.ids, raw, strict=True) if g is not None}
            return Evaluation(self.output_id, dict(zip(self.ids, vals, strict=True)), grads, {})
        vals, errors = self._run_forward(overrides, tolerant=True)
        values = {nid: vals[k] for k, nid in enumerate(self.ids) if nid not in errors}
        nonfinite = self.first_nonfinite(
            [None if self.ids[k] in errors else v for k, v in enumerate(vals)]
        )
        grads: dict[str, Value] = {}
        wire_grads: dict[tuple[str, int], Value] = {}
        # A failure marks every node downstream, so an output without error has sound inputs.
        if self.output_id is not None and self.output_id not in errors:
            try:
                raw = self._recorded_gradients(vals, wire_grads) if wires else self.gradients(vals)
            except EvaluationError as exc:
                errors[exc.node_id] = str(exc).split(": ", 1)[-1]
                return Evaluation(self.output_id, values, {}, errors, nonfinite, {})
            grads = {nid: raw[k] for k, nid in enumerate(self.ids) if raw[k] is not None}
            if nonfinite is None:
                nonfinite = self._first_nonfinite_grad(vals, raw)
        return Evaluation(self.output_id, values, grads, errors, nonfinite, wire_grads)

    def _recorded_gradients(
        self, vals: list[Any], wire_grads: dict[tuple[str, int], Value]
    ) -> list[Any]:
        """Like :meth:`gradients`, filling ``wire_grads`` from each Step's contributions."""
        steps = self.backward_steps(vals, record=True)
        try:
            while True:
                step = next(steps)
                for port, contribution in enumerate(step.contributions):
                    if contribution is not None:
                        wire_grads[(step.node_id, port)] = contribution
        except StopIteration as done:
            return done.value

    def _first_nonfinite_grad(self, vals: list[Any], grads: list[Any]) -> tuple[str, str] | None:
        if all(g is None or is_finite(g) for g in grads):
            return None
        # The totals only say that some contribution was bad, not which: replay the backward
        # pass with records (this runs on failure only) and name the first node whose
        # contribution, or running sum (finite parts can overflow), is not finite.
        for step in self.backward_steps(vals, record=True):
            for src, c, total in zip(step.inputs, step.contributions, step.totals, strict=True):
                bad = c if c is not None and not is_finite(c) else None
                if bad is None and total is not None and not is_finite(total):
                    bad = total
                if bad is not None:
                    node = self._nodes[step.node_id]
                    target = self._nodes[src]
                    return node.id, (
                        f"gradient through {node.title} ({node.op}) to {target.title} "
                        f"is {_kind_of_nonfinite(bad)}"
                    )
        return None


def evaluate(
    graph: Graph,
    output: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    wrt: Iterable[str] | None = None,
) -> Evaluation:
    """Compile and evaluate in one call; ``overrides`` maps node names or ids to values."""
    program = Program(graph, output=output, wrt=wrt)
    resolved = {}
    for ref, value in (overrides or {}).items():
        node = graph.lookup(ref)
        if not node.is_source:
            raise GraphError(f"{node.title} is computed by {node.op}; only sources can be set")
        resolved[node.id] = to_value(value)
    return program.evaluate(resolved)


def _copy_node(node: Node) -> Node:
    value = node.value.copy() if isinstance(node.value, np.ndarray) else node.value
    return Node(node.id, node.op, node.name, dict(node.params), value, node.pos)


def _kind_of_nonfinite(value: Any) -> str:
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)):
        return "nan"
    return "inf" if np.any(arr > 0) else "-inf"


__all__ = ["EvaluationError", "Evaluation", "Program", "Step", "evaluate"]
