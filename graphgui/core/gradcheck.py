"""Central finite differences against the engine's gradients, per input and parameter."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import EvaluationError, Program
from .graph import Graph, node_label
from .values import Value, to_value

DEFAULT_STEP = 1e-6
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-7

# Each checked element costs two forward passes. An array is checked element by element up
# to a limit: MAX_CHECKED elements, fewer the more work one forward pass does, so that the
# whole check evaluates about WORK_BUDGET array elements (but checks at least MIN_CHECKED
# elements in all and one per array). Of a larger array a seeded (reproducible) sample of
# that many elements is checked.
MAX_CHECKED = 1000
MIN_CHECKED = 10
WORK_BUDGET = 1_000_000_000
SAMPLE_SEED = 0


@dataclass(frozen=True)
class GradCheck:
    """The check of one source node.

    ``checked`` of its ``elements`` were compared. When that is a sample, ``sample`` holds
    their flat indices (in C order) and ``autodiff`` and ``numeric`` those elements only, as
    1-d arrays; otherwise ``sample`` is None and both have the node's shape.
    """

    node_id: str
    name: str
    autodiff: Value
    numeric: Value
    abs_error: float
    rel_error: float
    passed: bool
    checked: int = 1
    elements: int = 1
    sample: np.ndarray | None = None

    @property
    def sampled(self) -> bool:
        return self.sample is not None


def relative_error(autodiff: Any, numeric: Any) -> float:
    """max |a - n| / max(|a| + |n|) over elements (0 when both are 0)."""
    a = np.asarray(autodiff, dtype=float)
    n = np.asarray(numeric, dtype=float)
    with np.errstate(all="ignore"):  # inf - inf is nan: the check fails, NumPy need not say so
        scale = np.maximum(np.abs(a) + np.abs(n), 1e-300)
        err = np.where((a == 0) & (n == 0), 0.0, np.abs(a - n) / scale)
    return float(np.max(err)) if err.size else 0.0


def check_gradients(
    graph: Graph,
    output: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    step: float = DEFAULT_STEP,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    wrt: Iterable[str] | None = None,
) -> list[GradCheck]:
    """Compare autodiff with (f(x + h) - f(x - h)) / 2h for every input and parameter.

    The derivative is of the sum of the output's elements, as the backward pass seeds ones.
    An element passes when |a - n| <= atol + rtol * |n|. Large arrays are checked on a
    seeded sample of their elements (see MAX_CHECKED); each result says how many.
    """
    if not step > 0:
        raise ValueError("the finite-difference step must be positive")
    program = Program(graph, output=output, wrt=wrt)
    if program.output_id is None:
        raise ValueError("the graph has no output to check")
    for ref, value in (overrides or {}).items():
        node = graph.lookup(ref)
        if not node.is_source:
            raise ValueError(
                f"{node_label(graph, node.id)} is computed by {node.op}; only sources can be set"
            )
        program.set_source(node.id, to_value(value))
    vals = program.forward()
    grads = program.gradients(vals)
    out = program.slot[program.output_id]
    checked = [
        nid
        for k, nid in enumerate(program.ids)
        if program.graph_node(nid).is_source and program.needs_grad[k]
    ]

    def total(values: list[Any]) -> float:
        return float(np.sum(values[out]))

    work = _forward_work(program, vals)
    budget = max(MIN_CHECKED, WORK_BUDGET // max(1, 2 * work))  # elements, all sources
    limit = max(1, min(MAX_CHECKED, budget // max(1, len(checked))))
    results = []
    with np.errstate(all="ignore"):  # non-finite values fail the check; no NumPy warnings
        for nid in checked:
            results.append(_check_one(graph, program, nid, vals, grads, total, step, rtol, atol,
                                      limit))
    return results


def _check_one(
    graph: Graph, program: Program, nid: str, vals: list[Any], grads: list[Any], total: Any,
    step: float, rtol: float, atol: float, limit: int,
) -> GradCheck:
    """The check of source ``nid``: element by element up to ``limit``, else a sample."""
    k = program.slot[nid]
    base = vals[k]
    analytic = grads[k] if grads[k] is not None else _zeros(base)
    size = 1 if isinstance(base, float) else int(np.size(base))
    sample = None
    if size > limit:
        rng = np.random.default_rng(SAMPLE_SEED)
        sample = np.sort(rng.choice(size, limit, replace=False))
        analytic = np.asarray(analytic, dtype=float).ravel()[sample]
    numeric = _central_difference(program, k, base, total, step, sample)
    a = np.asarray(analytic, dtype=float)
    n = np.asarray(numeric, dtype=float)
    abs_error = float(np.max(np.abs(a - n))) if a.size else 0.0
    passed = bool(np.all(np.abs(a - n) <= atol + rtol * np.abs(n)))
    name = node_label(graph, nid)
    return GradCheck(
        nid, name, analytic, numeric, abs_error, relative_error(a, n), passed,
        checked=size if sample is None else len(sample), elements=size, sample=sample,
    )


def _forward_work(program: Program, vals: list[Any]) -> int:
    """About how many array elements one forward pass touches: per node its result, its
    inputs and their broadcast (a loss of (n, 1) against (1, m) works on n * m numbers), and
    a matrix product's multiply-adds."""
    work = 0
    for k, nid in enumerate(program.ids):
        ins = [vals[program.slot[i]] for i in program.inputs_of(nid)] if vals[k] is not None else []
        shapes = [np.shape(v) for v in ins]
        sizes = [int(np.prod(s)) for s in shapes]
        cost = int(np.size(vals[k])) if vals[k] is not None else 0
        cost += sum(sizes)
        if len(shapes) == 2:
            if program.graph_node(nid).op == "matmul" and shapes[1]:
                cost += sizes[0] * shapes[1][-1]
            else:
                with contextlib.suppress(ValueError):  # shapes that do not combine: no work
                    cost += int(np.prod(np.broadcast_shapes(*shapes)))
        work += cost
    return max(work, 1)


def _central_difference(
    program: Program, slot: int, base: Value, total, step: float, sample: np.ndarray | None
) -> Value:
    """(f(x + h) - f(x - h)) / 2h per element of ``base`` (or of the flat indices ``sample``,
    as a 1-d array). One working copy is perturbed in place and restored after each element."""
    nid = program.ids[slot]

    def at(value: Value) -> float:
        try:
            return total(program.forward({nid: value}))
        except EvaluationError:
            return float("nan")

    if isinstance(base, float):
        return (at(base + step) - at(base - step)) / (2 * step)
    work = np.array(base, dtype=float)  # a copy: the program's own value stays as it was
    flat = work.reshape(-1)  # a view of work
    indices = range(flat.size) if sample is None else sample
    result = np.empty(len(indices))
    for j, i in enumerate(indices):
        old = flat[i]
        flat[i] = old + step
        plus = at(work)
        flat[i] = old - step
        minus = at(work)
        flat[i] = old
        result[j] = (plus - minus) / (2 * step)
    return result if sample is not None else result.reshape(base.shape)


def _zeros(value: Value) -> Value:
    return 0.0 if isinstance(value, float) else np.zeros_like(value)
