"""The plane a loss landscape is drawn over: two scalar parameters, or two random directions
through all the weights, filter-normalised as Li et al. (2018) do.

A :class:`Plane` maps plane coordinates (a, b) to parameter values and parameter values back to
plane coordinates:

- ``params``: a and b *are* the two parameters' values (a scalar parameter, or one element
  ``W1[0,1]`` of a tensor); every other parameter keeps its current value.
- ``random``: theta(a, b) = theta0 + a * d1 + b * d2 over all parameters, and a point theta
  maps back to the least-squares coordinates of theta - theta0 in the span of d1 and d2.

Filter normalisation (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets",
section 4; their code's ``--xnorm filter --xignore biasbn``): each direction starts as one
standard normal number per parameter element (``numpy.random.default_rng(seed)``; the first
direction is drawn whole, parameter after parameter in evaluation order, then the second).
Then, parameter by parameter:

- a *weight* (a parameter that a ``matmul`` or ``mul`` consumes, the rule L2 uses) with two or
  more axes, W of shape (out, in): each row ``W[i, :]``, the weights into unit i, is a
  filter; the direction's row is rescaled to the norm of W's row:
  ``d[i, :] <- d[i, :] * ||W[i, :]|| / ||d[i, :]||``;
- a weight with one axis or none (a vector, a scalar) is one filter:
  ``d <- d * ||w|| / ||d||`` (for a scalar: ``sign(d) * |w|``);
- a *bias* (any other parameter: b of shape (out, 1) or (out,), one number per unit, or a
  scalar added on) gets a zero direction: the plane moves the weights and the biases keep
  their current values, as Li et al.'s plots ignore biases (their 1-D parameters).

A weight row that is zero (a freshly zeroed layer) gets a zero direction too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autodiff.tangents import split_element
from ..graph import Graph, GraphError
from ..labels import node_labels
from ..messages import did_you_mean, shown
from ..train.builders import is_weight
from ..values import Value

PARALLEL_COSINE = 0.995  # two random directions closer than this are refused (a line, not a plane)


class LandscapeError(Exception):
    """The landscape cannot be computed; the message says why in one line."""


@dataclass(frozen=True)
class Plane:
    """Two directions through the parameters, and how to go to and from plane coordinates.

    ``origin`` holds the current value of every parameter the loss depends on (by node id);
    ``directions`` the two directions, by node id, for the parameters they move (a
    one-hot array, or 1.0 for a scalar, for ``params``). ``centre`` is the origin's plane
    coordinates: the two parameters' current values for ``params``, (0, 0) for ``random``.
    """

    kind: str  # "params" or "random"
    labels: tuple[str, str]  # axis titles: "w1", "W1[0,1]"; "direction 1", "direction 2"
    origin: dict[str, Value]
    directions: tuple[dict[str, Value], dict[str, Value]]
    centre: tuple[float, float]
    description: str = ""  # one line: what the plane is (for captions)
    # For ``params``: each axis's (node id, element index or None for a scalar).
    elements: tuple[tuple[str, tuple[int, ...] | None], ...] = field(default=())

    @property
    def moved(self) -> list[str]:
        """Ids of the parameters the plane moves (in evaluation order)."""
        d1, d2 = self.directions
        return [pid for pid in self.origin if pid in d1 or pid in d2]

    def point(self, a: float, b: float) -> dict[str, Value]:
        """The moved parameters' values at plane coordinates (a, b)."""
        if self.kind == "params":
            out: dict[str, Value] = {}
            for (pid, index), value in zip(self.elements, (a, b), strict=True):
                if index is None:
                    out[pid] = float(value)
                else:
                    array = out.get(pid)
                    if array is None:
                        array = np.array(self.origin[pid], dtype=float)
                    array[index] = value
                    out[pid] = array
            return out
        d1, d2 = self.directions
        out = {}
        for pid in self.moved:
            value = self.origin[pid]
            if pid in d1:
                value = value + a * d1[pid]
            if pid in d2:
                value = value + b * d2[pid]
            out[pid] = value
        return out

    def coordinates(self, values: Mapping[str, Any]) -> tuple[float, float]:
        """Plane coordinates of parameter values (by node id): the two parameters' values
        for ``params``; for ``random`` the least-squares (a, b) minimising
        ||theta - theta0 - a d1 - b d2|| (the part of theta off the plane is dropped)."""
        if self.kind == "params":
            coords = []
            for pid, index in self.elements:
                value = values[pid]
                coords.append(float(value if index is None else np.asarray(value)[index]))
            return coords[0], coords[1]
        d1, d2 = self.directions
        g11 = g12 = g22 = c1 = c2 = 0.0
        for pid in self.moved:
            delta = np.asarray(values[pid], dtype=float) - np.asarray(self.origin[pid])
            u = np.asarray(d1.get(pid, 0.0))
            v = np.asarray(d2.get(pid, 0.0))
            g11 += float(np.sum(u * u))
            g22 += float(np.sum(v * v))
            g12 += float(np.sum(u * v))
            c1 += float(np.sum(u * delta))
            c2 += float(np.sum(v * delta))
        det = g11 * g22 - g12 * g12
        return (g22 * c1 - g12 * c2) / det, (g11 * c2 - g12 * c1) / det


# ---- two parameters ---------------------------------------------------------------------------


def parameter_plane(
    graph: Graph, origin: Mapping[str, Value], refs: Sequence[str], loss_label: str
) -> Plane:
    """The plane of two scalar parameters (names, ids or ``NAME[i,j]`` elements).

    ``origin`` holds the current values of the parameters the loss depends on (node id ->
    value, in evaluation order)."""
    if len(refs) != 2:
        raise LandscapeError(f"--params takes two parameters, got {len(refs)}")
    labels = node_labels(graph)
    elements: list[tuple[str, tuple[int, ...] | None]] = []
    titles: list[str] = []
    for ref in refs:
        name, index = split_element(graph, ref)
        try:
            node = graph.lookup(name)
        except GraphError:
            names = [labels[pid] for pid in origin]
            hint = did_you_mean(name, names) or (
                f" (parameters: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''})")
            raise LandscapeError(f"--params: the graph has no node named {shown(name)}{hint}"
                                 ) from None
        label = labels[node.id]
        if node.op != "parameter":
            article = "an" if node.op[:1] in "aeiou" else "a"
            kind = f"is computed by {node.op}" if not node.is_source else f"is {article} {node.op}"
            raise LandscapeError(
                f"--params: {label} {kind}; the plane is over parameters (param(...) in an "
                "expression)")
        if node.id not in origin:
            raise LandscapeError(f"--params: the loss {loss_label} does not depend on {label}")
        shape = np.shape(origin[node.id])
        if index is None and shape:
            example = ",".join("0" for _ in shape)
            raise LandscapeError(
                f"--params: {label} has shape {shape}, not a scalar: name one element, "
                f"e.g. {label}[{example}]")
        if index is not None:
            if not shape:
                raise LandscapeError(f"--params: {label} is a scalar: it has no element "
                                     f"{list(index)}")
            if len(index) != len(shape) or not all(
                -n <= i < n for i, n in zip(index, shape, strict=True)
            ):
                raise LandscapeError(f"--params: {label} has shape {shape}: it has no element "
                                     f"{list(index)}")
            index = tuple(i % n for i, n in zip(index, shape, strict=True))
            label = f"{label}[{','.join(map(str, index))}]"
        if (node.id, index) in elements:
            raise LandscapeError(f"--params: {label} is named twice; give two different "
                                 "parameters")
        elements.append((node.id, index))
        titles.append(label)
    directions: list[dict[str, Value]] = []
    centre: list[float] = []
    for pid, index in elements:
        value = origin[pid]
        if index is None:
            directions.append({pid: 1.0})
            centre.append(float(value))
        else:
            onehot = np.zeros(np.shape(value))
            onehot[index] = 1.0
            directions.append({pid: onehot})
            centre.append(float(np.asarray(value)[index]))
    return Plane(
        "params", (titles[0], titles[1]), dict(origin), (directions[0], directions[1]),
        (centre[0], centre[1]), f"{titles[0]} and {titles[1]} (the other parameters fixed)",
        tuple(elements),
    )


# ---- two random directions ------------------------------------------------------------------


def filter_normalized(direction: Value, weight: Value) -> Value:
    """``direction`` rescaled filter by filter to ``weight``'s norms (see the module doc):
    rows along the first axis for two axes or more, the whole for one axis or none."""
    d = np.asarray(direction, dtype=float)
    w = np.asarray(weight, dtype=float)
    if d.ndim >= 2:
        rows_d = d.reshape(d.shape[0], -1)
        rows_w = w.reshape(w.shape[0], -1)
        norm_d = np.sqrt(np.einsum("ij,ij->i", rows_d, rows_d))
        norm_w = np.sqrt(np.einsum("ij,ij->i", rows_w, rows_w))
        scale = np.divide(norm_w, norm_d, out=np.zeros_like(norm_w), where=norm_d > 0)
        return (rows_d * scale[:, None]).reshape(d.shape)
    norm_d = float(np.sqrt(np.vdot(d, d)))
    scaled = d * (float(np.sqrt(np.vdot(w, w))) / norm_d) if norm_d > 0 else np.zeros_like(d)
    return float(scaled) if d.ndim == 0 else scaled


def random_plane(graph: Graph, origin: Mapping[str, Value], seed: int) -> Plane:
    """Two filter-normalised random directions over every parameter in ``origin``."""
    rng = np.random.default_rng(seed)
    labels = node_labels(graph)
    weights = [pid for pid in origin if is_weight(graph, pid)]
    directions: list[dict[str, Value]] = []
    for _ in range(2):
        direction: dict[str, Value] = {}
        for pid, value in origin.items():
            shape = np.shape(value)
            draw = rng.standard_normal(shape) if shape else float(rng.standard_normal())
            if pid in weights:
                direction[pid] = filter_normalized(draw, value)
        directions.append(direction)
    names = ", ".join(labels[pid] for pid in weights[:6]) + (", ..." if len(weights) > 6 else "")
    norms = [_norm(d) for d in directions]
    if not weights:
        raise LandscapeError(
            "random directions move the weights (parameters that a matmul or mul consumes) "
            "and hold the biases; this loss has no weight: use --params A B")
    if min(norms) == 0.0:
        raise LandscapeError(
            f"random directions: the weights ({names}) are all zero, so filter-normalised "
            "directions are zero (each row is scaled to the weights' norm): initialise or "
            "train them first, or use --params A B")
    cosine = _dot(directions[0], directions[1]) / (norms[0] * norms[1])
    if abs(cosine) > PARALLEL_COSINE:
        raise LandscapeError(
            f"random directions: the two directions are nearly parallel (cosine {cosine:.3f}; "
            f"the weights {names} hold too few filters for a plane): try another --seed, or "
            "use --params A B")
    return Plane(
        "random", ("direction 1", "direction 2"), dict(origin), (directions[0], directions[1]),
        (0.0, 0.0),
        f"two random directions through {names} (filter-normalised, seed {seed}; biases held)",
    )


def _dot(u: Mapping[str, Value], v: Mapping[str, Value]) -> float:
    return float(sum(np.sum(np.asarray(u[k]) * np.asarray(v[k])) for k in u if k in v))


def _norm(u: Mapping[str, Value]) -> float:
    return float(np.sqrt(_dot(u, u)))
