"""Network health: saturated and dead units, activation and gradient histograms, and the
update-to-data ratio of a training step.

These are the pictures of Karpathy's "Building makemore Part 3: Activations & Gradients,
BatchNorm" (2022), computed on the student's own graph from one evaluation over the batch
(the values and gradients of every node, :class:`~graphgui.core.engine.Evaluation`):

- per activation node (sigmoid, tanh, relu, leaky_relu, softplus, softmax, heaviside): the
  share of saturated outputs (tanh and sigmoid), the share of dead units (relu), the mean
  and standard deviation of its values and of the gradient of the output with respect to
  them, and histograms of both with fixed bins (:data:`BINS` over the op's range, gradients
  in decades of ``|g|``);
- per parameter: :func:`update_ratio`, std(update) / std(W) of one step.

An activation that feeds the loss directly (or is the graph's output) is the network's
*output* (:func:`output_activations`, ``ActivationHealth.at_output``): a confident classifier's
output sigmoid sits near 0 or 1, so its saturation is expected, not a sign of trouble; the
views show it without a warning.

Layout. Arrays hold one sample per index of the *sample axis*: the last axis by default,
the Trainer's convention (a data set's ``X`` is (features, m), so an activation is
(units, m)); axis 0 for data sets with ``sample_axis`` 0 (``X`` is (m, features)). A *unit*
is one index of the other axes: a row of a (units, m) activation. A number (a graph of
scalars) is one unit and one sample.

Work is bounded: an activation with more than :data:`MAX_ELEMENTS` elements is read on an
evenly spaced subset of its samples (and units, if there are very many), the same subset
every time (``ActivationHealth.sampled`` says so); a parameter with more than
:data:`RATIO_SAMPLE` elements is read on every k-th element.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .graph import Graph, node_label

# Saturation thresholds. |tanh| > 0.97 is Karpathy's (makemore part 3): the slope
# 1 - tanh**2 is then below 0.059, 6 % of its maximum 1, so almost no gradient passes back
# through that unit for that sample. For the sigmoid the same distance from its rails:
# s < 0.03 or s > 0.97, where the slope s (1 - s) is below 0.029, 12 % of its maximum 1/4.
TANH_SATURATED = 0.97
SIGMOID_LOW, SIGMOID_HIGH = 0.03, 0.97

HEALTH_OPS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax", "heaviside")
SATURATING = frozenset({"sigmoid", "tanh"})  # ops with a saturated share
DYING = frozenset({"relu"})  # ops with a dead-unit share: relu' = 0 wherever relu = 0

# Histograms of values: BINS equal bins over the op's range. Unbounded ops (relu,
# leaky_relu, softplus) use [0, R] when no value is negative, else [-R, R], with R the
# largest |value| rounded up to 1, 2 or 5 x 10^k (:func:`nice_ceiling`): the bins stay put
# while the values move within a step, so a live histogram does not jitter. A relu's exact
# zeros (inactive units) are counted apart, as a gradient's are: the histogram is of its
# active outputs, its missing area the share of zeros.
BINS = 40
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softmax": (0.0, 1.0), "heaviside": (0.0, 1.0),
}
# Histograms of gradients: log10 |g| in bins of a quarter decade from 1e-12 to 1e+2 (values
# outside go to the end bins; exact zeros are counted apart): each sigmoid layer scales the
# gradient by at most 1/4, about 0.6 decade, so vanishing gradients show as curves walking
# left, layer by layer. Signed gradients also get BINS bins over [-R, R] as above.
GRAD_DECADES = (-12.0, 2.0)
GRAD_BINS_PER_DECADE = 4

MAX_ELEMENTS = 200_000  # elements of one activation read; larger ones are sampled
RATIO_SAMPLE = 4096  # elements of a parameter read by update_ratio; larger ones are sampled


@dataclass(frozen=True)
class Histogram:
    """``counts[k]`` values fell in [edges[k], edges[k + 1]) (the last bin is closed).
    ``zeros``: values left out because they are exactly 0 (gradient magnitudes only)."""

    edges: np.ndarray
    counts: np.ndarray
    zeros: int = 0

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.zeros

    @property
    def centers(self) -> np.ndarray:
        return (self.edges[:-1] + self.edges[1:]) / 2

    def shares(self) -> np.ndarray:
        """Each bin's share of all values counted (zeros included in the total)."""
        total = self.total
        return self.counts / total if total else np.zeros(len(self.counts))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"edges": [float(e) for e in self.edges],
                               "counts": [int(c) for c in self.counts]}
        if self.zeros:
            out["zeros"] = self.zeros
        return out


@dataclass(frozen=True)
class ActivationHealth:
    """What one activation node's values and gradients say about its units.

    ``saturated``: share of the values read that are saturated (tanh, sigmoid; else None).
    ``dead``: share of the units never > 0 over the samples (relu; else None), ``dead_units``
    how many. ``grad_*`` are None when the evaluation has no gradient for the node.
    """

    node_id: str
    name: str
    op: str
    shape: tuple[int, ...]
    units: int
    samples: int
    sampled: bool
    saturated: float | None
    dead: float | None
    dead_units: int
    mean: float
    std: float
    values: Histogram
    grad_mean: float | None = None
    grad_std: float | None = None
    grads: Histogram | None = None  # signed
    grad_magnitudes: Histogram | None = None  # log10 |g|, zeros apart
    at_output: bool = False

    @property
    def share(self) -> float:
        """The share that marks the node on the canvas: saturated or dead (0 if neither)."""
        return max(self.saturated or 0.0, self.dead or 0.0)

    @property
    def warning(self) -> float:
        """The share that is a warning: :attr:`share`, but 0 at the output (expected)."""
        return 0.0 if self.at_output else self.share

    @property
    def kind(self) -> str:
        """"saturated", "dead" or "" (an op with neither measure)."""
        if self.saturated is not None:
            return "saturated"
        return "dead" if self.dead is not None else ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "op": self.op, "shape": list(self.shape), "units": self.units,
            "samples": self.samples, "sampled": self.sampled, "saturated": self.saturated,
            "dead": self.dead, "dead_units": self.dead_units, "mean": _finite(self.mean),
            "std": _finite(self.std), "values": self.values.to_dict(),
            "grad_mean": _finite(self.grad_mean), "grad_std": _finite(self.grad_std),
            "at_output": self.at_output,
        }
        if self.grads is not None and self.grad_magnitudes is not None:
            out["grads"] = self.grads.to_dict()
            out["grad_log10_magnitudes"] = self.grad_magnitudes.to_dict()
        return out


# ---- which nodes -------------------------------------------------------------------------


def activation_ids(graph: Graph) -> list[str]:
    """The activation nodes health is measured on, in the graph's evaluation order."""
    wanted = set(HEALTH_OPS)
    return [nid for nid in graph.topological_order() if graph.node(nid).op in wanted]


def layer_stacks(graph: Graph, node_ids: Sequence[str]) -> list[list[str]]:
    """``node_ids`` (activations, in evaluation order) grouped into stacks: each layer
    followed by the next activation it feeds, input to output (the vanishing-gradients
    pair: [A1s ... A5s], [A1r ... A5r], where evaluation order interleaves them). A layer's
    *feeder* is the nearest activation upstream of it (reached through other nodes only); a
    layer continues its feeder's stack when it is the first to do so, else it starts a stack
    of its own. Stacks come in the order of their first layers."""
    ids = list(node_ids)
    wanted = set(ids)
    rank = {nid: k for k, nid in enumerate(ids)}
    following: dict[str, str] = {}  # feeder -> the layer continuing its stack
    starts = []
    for nid in ids:
        feeder = _feeder(graph, nid, wanted, rank)
        if feeder is not None and feeder not in following:
            following[feeder] = nid
        else:
            starts.append(nid)
    stacks = []
    for nid in starts:
        stack, current = [], nid
        while current is not None:
            stack.append(current)
            current = following.get(current)
        stacks.append(stack)
    return stacks


def layer_order(graph: Graph, node_ids: Sequence[str]) -> list[str]:
    """The layers of :func:`layer_stacks`, one stack after another."""
    return [nid for stack in layer_stacks(graph, node_ids) for nid in stack]


def _feeder(graph: Graph, node_id: str, wanted: set[str], rank: dict[str, int]) -> str | None:
    """The nearest activation upstream of ``node_id`` (of those reached without passing
    through another activation, the latest in evaluation order), if it is in ``wanted``."""
    found: list[str] = []
    seen = {node_id}
    frontier = [node_id]
    activations = set(HEALTH_OPS)
    while frontier:
        following = []
        for nid in frontier:
            for src in graph.input_ids(nid):
                if src is None or src in seen:
                    continue
                seen.add(src)
                if graph.node(src).op in activations:
                    found.append(src)
                else:
                    following.append(src)
        frontier = following
    earlier = [f for f in found if f in wanted and rank[f] < rank[node_id]]
    return max(earlier, key=rank.__getitem__) if earlier else None


def output_activations(graph: Graph) -> frozenset[str]:
    """The activation nodes that are the network's output: the graph's output node, or one
    a loss (an op of the Losses category) takes directly. Their saturation is expected (a
    confident prediction sits near 0 or 1; with BCE the gradient passed back through the
    sigmoid is p - y all the same), so it is shown without a warning."""
    wanted = set(HEALTH_OPS)
    out = set()
    for node in graph.nodes:
        if node.op not in wanted:
            continue
        if node.id == graph.output or any(
                graph.node(e.dst).spec.category == "Losses"
                for e in graph.consumers(node.id)):
            out.add(node.id)
    return frozenset(out)


def sample_axis_of(settings: Mapping[str, Any] | None) -> int:
    """The sample axis of a document's training data set: 0 when its spec says
    ``sample_axis`` 0, else -1 (the last axis: columns are samples)."""
    training = (settings or {}).get("training")
    dataset = training.get("dataset") if isinstance(training, Mapping) else None
    axis = dataset.get("sample_axis") if isinstance(dataset, Mapping) else None
    return 0 if axis == 0 and not isinstance(axis, bool) else -1


# ---- the shares alone (the canvas) -------------------------------------------------------


def shares(op: str, value: Any, sample_axis: int = -1) -> tuple[float | None, float | None]:
    """(saturated, dead) of an activation's value, as :class:`ActivationHealth` has them,
    without the histograms: what the canvas needs on every evaluation."""
    if op not in SATURATING and op not in DYING:
        return None, None
    if isinstance(value, float | int):
        x = float(value)
        if op in DYING:
            return None, 0.0 if x > 0 else 1.0
        return (1.0 if _saturated_scalar(op, x) else 0.0), None
    units = _units(value, sample_axis)
    if units is None:
        return None, None
    block, _ = _bounded(units)
    if op in DYING:
        return None, _dead_count(block) / block.shape[0]
    return _saturated_share(op, block), None


def _saturated_scalar(op: str, x: float) -> bool:
    if op == "tanh":
        return abs(x) > TANH_SATURATED
    return x < SIGMOID_LOW or x > SIGMOID_HIGH


def _saturated_share(op: str, block: np.ndarray) -> float:
    if block.size == 0:
        return 0.0
    if op == "tanh":
        hit = np.count_nonzero(np.abs(block) > TANH_SATURATED)
    else:
        hit = np.count_nonzero((block < SIGMOID_LOW) | (block > SIGMOID_HIGH))
    return hit / block.size


def _dead_count(block: np.ndarray) -> int:
    """Units (rows) with no value > 0 over the samples (columns)."""
    if block.shape[1] == 0:
        return 0
    return int(block.shape[0] - np.count_nonzero(np.any(block > 0, axis=1)))


# ---- everything (the Health dock, the CLI) ---------------------------------------------------


def activation_health(
    node_id: str, name: str, op: str, value: Any, grad: Any = None, sample_axis: int = -1,
    max_elements: int = MAX_ELEMENTS,
) -> ActivationHealth | None:
    """The health of one activation's ``value`` (and ``grad``, d(output)/d(value), if
    any), read on at most about ``max_elements`` of them; None for a value that is not
    numbers (or has no element)."""
    units = _units(value, sample_axis)
    if units is None or units.size == 0:
        return None
    block, sampled = _bounded(units, max_elements)
    n_units, n_samples = units.shape
    finite = block[np.isfinite(block)]
    saturated = _saturated_share(op, block) if op in SATURATING else None
    dead_units = _dead_count(block) if op in DYING else 0
    dead = dead_units / block.shape[0] if op in DYING else None
    health = ActivationHealth(
        node_id=node_id, name=name, op=op, shape=tuple(np.shape(value)), units=n_units,
        samples=n_samples, sampled=sampled, saturated=saturated, dead=dead,
        dead_units=dead_units, mean=_mean(finite), std=_std(finite),
        values=value_histogram(op, finite),
    )
    g = _units(grad, sample_axis) if grad is not None else None
    if g is None or g.shape != units.shape:
        return health
    gblock, _ = _bounded(g, max_elements)
    gfinite = gblock[np.isfinite(gblock)]
    return _with_grads(health, gfinite)


def _with_grads(health: ActivationHealth, g: np.ndarray) -> ActivationHealth:
    return replace(health, grad_mean=_mean(g), grad_std=_std(g), grads=signed_histogram(g),
                   grad_magnitudes=magnitude_histogram(g))


def network_health(
    graph: Graph, values: Mapping[str, Any], grads: Mapping[str, Any] | None = None,
    sample_axis: int = -1, node_ids: Iterable[str] | None = None,
    max_elements: int = MAX_ELEMENTS,
) -> list[ActivationHealth]:
    """:func:`activation_health` of every activation node (or of ``node_ids``) that has a
    value in ``values``, in the graph's evaluation order; ``at_output`` set on the output's
    (:func:`output_activations`)."""
    ids = activation_ids(graph) if node_ids is None else list(node_ids)
    outputs = output_activations(graph)
    out = []
    for nid in ids:
        if nid not in values:
            continue
        node = graph.node(nid)
        found = activation_health(nid, node_label(graph, nid), node.op, values[nid],
                                  (grads or {}).get(nid), sample_axis, max_elements)
        if found is not None:
            out.append(replace(found, at_output=True) if nid in outputs else found)
    return out


def _units(value: Any, sample_axis: int) -> np.ndarray | None:
    """``value`` as a float (units, samples) array: the sample axis last, the others
    flattened into units; None when it is not numbers."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return np.array([[float(value)]])
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        return None
    a = value.astype(float, copy=False)
    if a.ndim == 0:
        return a.reshape(1, 1)
    axis = sample_axis if -a.ndim <= sample_axis < a.ndim else -1
    a = np.moveaxis(a, axis, -1)
    return a.reshape(-1, a.shape[-1])


def _bounded(units: np.ndarray, limit: int = MAX_ELEMENTS) -> tuple[np.ndarray, bool]:
    """At most about ``limit`` elements of ``units``: every k-th sample (then unit),
    always the same ones; True when some were left out."""
    n_units, n_samples = units.shape
    limit = max(1, limit)
    if units.size <= limit:
        return units, False
    col = min(n_samples, math.ceil(units.size / limit))
    kept = n_units * math.ceil(n_samples / col)
    row = max(1, math.ceil(kept / limit))
    return units[::row, ::col], True


# ---- histograms ----------------------------------------------------------------------------


def nice_ceiling(x: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at least ``x`` (1 for 0 or a non-finite ``x``)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(x))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= x * (1 - 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def value_range(op: str, finite: np.ndarray) -> tuple[float, float]:
    """The histogram range of an activation's values (see :data:`VALUE_RANGES`)."""
    fixed = VALUE_RANGES.get(op)
    if fixed is not None:
        return fixed
    if finite.size == 0:
        return (0.0, 1.0)
    top = nice_ceiling(float(np.max(np.abs(finite))))
    return (0.0, top) if float(np.min(finite)) >= 0 else (-top, top)


def value_histogram(op: str, finite: np.ndarray) -> Histogram:
    """BINS bins over :func:`value_range`; a relu's zeros counted apart."""
    zeros = 0
    if op in DYING:
        active = finite[finite != 0]
        zeros, finite = int(finite.size - active.size), active
    low, high = value_range(op, finite)
    found = _histogram(finite, low, high, BINS)
    return Histogram(found.edges, found.counts, zeros)


def signed_histogram(g: np.ndarray) -> Histogram:
    """BINS bins over [-R, R], R the largest |g| rounded up (see :func:`nice_ceiling`)."""
    top = nice_ceiling(float(np.max(np.abs(g)))) if g.size else 1.0
    return _histogram(g, -top, top, BINS)


def magnitude_histogram(g: np.ndarray) -> Histogram:
    """log10 |g| in quarter decades over :data:`GRAD_DECADES`; exact zeros counted apart."""
    low, high = GRAD_DECADES
    bins = int(round((high - low) * GRAD_BINS_PER_DECADE))
    magnitude = np.abs(g)
    nonzero = magnitude[magnitude > 0]
    zeros = int(magnitude.size - nonzero.size)
    logs = np.clip(np.log10(nonzero), low, high) if nonzero.size else nonzero
    found = _histogram(logs, low, high, bins)
    return Histogram(found.edges, found.counts, zeros)


def _histogram(x: np.ndarray, low: float, high: float, bins: int) -> Histogram:
    """Equal bins over [low, high]; values outside go to the end bins."""
    edges = np.linspace(low, high, bins + 1)
    if x.size == 0:
        return Histogram(edges, np.zeros(bins, dtype=np.int64))
    counts, _ = np.histogram(np.clip(x, low, high), bins=bins, range=(low, high))
    return Histogram(edges, counts.astype(np.int64))


# ---- update-to-data ratio --------------------------------------------------------------------


def update_ratio(before: Any, after: Any) -> float:
    """The update-to-data ratio of one step: std(after - before) / std(after).

    Karpathy's, makemore part 3: ``ud.append([((lr*p.grad).std() / p.data.std()).log10()
    .item() for p in parameters])``, taken after ``p.data += -lr * p.grad``. Here the update
    is the step the optimizer took (``after - before``), which for plain SGD is ``-lr *
    grad``, his number before the log10 (the plots draw it on a log axis); with momentum,
    RMSprop, Adam or L2 it is the step actually taken. About 1e-3 is his rule of thumb
    (log10 = -3); far below, the parameter learns slowly; far above, too fast.
    Both standard deviations are over the same elements, so PyTorch's n - 1 and NumPy's n
    give the same ratio. A parameter of one element (whose std is 0) gives
    |update| / |after|. nan when the denominator is 0 (e.g. biases all equal).
    """
    if isinstance(after, float | int) and not isinstance(after, np.ndarray):
        return _ratio(abs(float(after) - float(before)), abs(float(after)))
    a = np.ravel(np.asarray(after, dtype=float))
    b = np.ravel(np.asarray(before, dtype=float))
    if a.size != b.size or a.size == 0:
        return math.nan
    if a.size == 1:
        return _ratio(abs(float(a[0]) - float(b[0])), abs(float(a[0])))
    if a.size > RATIO_SAMPLE:
        step = math.ceil(a.size / RATIO_SAMPLE)
        a, b = a[::step], b[::step]
    return _ratio(_std(a - b), _std(a))


def update_ratios(before: Sequence[Any], after: Sequence[Any]) -> list[float]:
    """:func:`update_ratio` of many parameters at once (what the Trainer records after an
    epoch): the same numbers, from a dozen NumPy calls over all of them together instead of
    a dozen per parameter."""
    array = np.ndarray
    sizes = [a.size if a.__class__ is array else 1 for a in after]
    if len(before) != len(sizes) or max(sizes, default=0) > RATIO_SAMPLE:
        return [update_ratio(b, a) for b, a in zip(before, after, strict=True)]
    n = np.array(sizes)
    keep = n > 0
    if not keep.any():
        return [math.nan] * len(sizes)
    A = np.concatenate(after, axis=None).astype(float, copy=False)
    B = np.concatenate(before, axis=None)
    if B.size != A.size:  # a parameter changed shape: one by one
        return [update_ratio(b, a) for b, a in zip(before, after, strict=True)]
    D = A - B
    starts = (np.cumsum(n) - n)[keep]
    counts = n[keep]

    def spread(x: np.ndarray) -> np.ndarray:  # each parameter's std, in two passes
        centred = x - np.repeat(np.add.reduceat(x, starts) / counts, counts)
        return np.sqrt(np.add.reduceat(centred * centred, starts) / counts)

    num, den = spread(D), spread(A)
    one = counts == 1  # one element: |update| / |W|
    num[one], den[one] = np.abs(D[starts[one]]), np.abs(A[starts[one]])
    with np.errstate(divide="ignore", invalid="ignore"):
        found = np.where((den > 0) & np.isfinite(den) & np.isfinite(num), num / den, math.nan)
    if keep.all():
        return found.tolist()
    out = [math.nan] * len(sizes)
    for k, value in zip(np.flatnonzero(keep).tolist(), found.tolist(), strict=True):
        out[k] = value
    return out


def _ratio(num: float, den: float) -> float:
    if not (math.isfinite(num) and math.isfinite(den)) or den == 0:
        return math.nan
    return num / den


def _mean(x: np.ndarray) -> float:
    return float(x.sum() / x.size) if x.size else math.nan


def _std(x: np.ndarray) -> float:
    """The population standard deviation (NumPy's default, ddof 0), in two passes."""
    n = x.size
    if n == 0:
        return math.nan
    d = x - x.sum() / n
    return math.sqrt(float(np.dot(d, d)) / n)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


__all__ = [
    "BINS", "DYING", "GRAD_DECADES", "HEALTH_OPS", "MAX_ELEMENTS", "RATIO_SAMPLE",
    "SATURATING", "SIGMOID_HIGH", "SIGMOID_LOW", "TANH_SATURATED",
    "ActivationHealth", "Histogram", "activation_health", "activation_ids", "layer_order",
    "layer_stacks",
    "magnitude_histogram", "network_health", "nice_ceiling", "output_activations",
    "sample_axis_of", "shares",
    "signed_histogram", "update_ratio", "update_ratios", "value_histogram", "value_range",
]
