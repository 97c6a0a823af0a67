"""The plane a loss landscape is drawn over: one or two scalar parameters, or two random
directions through all the weights, filter-normalised as Li et al. (2018) do.

A :class:`Plane` maps plane coordinates (a, b) to parameter values and parameter values back to
plane coordinates:

- ``params``: a and b *are* the two parameters' values (a scalar parameter, or one element
  ``W1[0,1]`` of a tensor); every other parameter keeps its current value. With one
  parameter the "plane" is a line: one coordinate a, a 1-D landscape (a curve).
- ``random``: theta(a, b) = theta0 + a * d1 + b * d2 over all parameters, and a point theta
  maps back to the least-squares coordinates of theta - theta0 in the span of d1 and d2.

Either way theta(a, b) = theta0 + (a - a0) d1 + (b - b0) d2 with (a0, b0) the centre (for
``params`` d1 and d2 are one-hot), so the loss's gradient in the plane is the chain rule
``dL/da = <dL/dtheta, d1>``, ``dL/db = <dL/dtheta, d2>`` (:meth:`Plane.project`).

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
    """The landscape cannot be computed; the message says why in one line.

    ``str(error)`` is the command line's wording (it may name a flag, ``--params``);
    ``error.gui`` says the same for the editor, where there are no flags."""

    def __init__(self, message: str, gui: str | None = None) -> None:
        super().__init__(message)
        self.gui = gui if gui is not None else message


def refused(flag: str, text: str, gui: str | None = None) -> LandscapeError:
    """``--flag: text`` on the command line, ``text`` (or ``gui``) in the editor."""
    return LandscapeError(f"{flag}: {text}", gui if gui is not None else text)


@dataclass(frozen=True)
class Plane:
    """Two directions (one for a line) through the parameters, and how to go to and from
    plane coordinates.

    ``origin`` holds the current value of every parameter the loss depends on (by node id);
    ``directions`` the directions, by node id, for the parameters they move (a one-hot
    array, or 1.0 for a scalar, for ``params``). ``centre`` is the origin's plane
    coordinates: the parameters' current values for ``params``, (0, 0) for ``random``.
    ``dims`` is 2 for a plane, 1 for a line (one parameter).
    """

    kind: str  # "params" or "random"
    labels: tuple[str, ...]  # axis titles: "w1", "W1[0,1]"; "direction 1", "direction 2"
    origin: dict[str, Value]
    directions: tuple[dict[str, Value], ...]
    centre: tuple[float, ...]
    description: str = ""  # one line: what the plane is (for captions)
    # For ``params``: each axis's (node id, element index or None for a scalar).
    elements: tuple[tuple[str, tuple[int, ...] | None], ...] = field(default=())
    short: str = ""  # a few words: what the plane is (for the dock's caption)

    @property
    def dims(self) -> int:
        """2 for a plane, 1 for a line (a 1-D landscape)."""
        return len(self.directions)

    @property
    def moved(self) -> list[str]:
        """Ids of the parameters the plane moves (in evaluation order)."""
        return [pid for pid in self.origin if any(pid in d for d in self.directions)]

    def point(self, *coords: float) -> dict[str, Value]:
        """The moved parameters' values at plane coordinates (a, b), or (a,) on a line."""
        if self.kind == "params":
            out: dict[str, Value] = {}
            for (pid, index), value in zip(self.elements, coords, strict=True):
                if index is None:
                    out[pid] = float(value)
                else:
                    array = out.get(pid)
                    if array is None:
                        array = np.array(self.origin[pid], dtype=float)
                    array[index] = value
                    out[pid] = array
            return out
        out = {}
        for pid in self.moved:
            value = self.origin[pid]
            for c, direction in zip(coords, self.directions, strict=True):
                if pid in direction:
                    value = value + c * direction[pid]
            out[pid] = value
        return out

    def project(self, grads: Mapping[str, Value | None]) -> np.ndarray:
        """The loss's gradient in plane coordinates from its gradient over the parameters
        (by node id): ``[<g, d1>, <g, d2>]`` (the chain rule through theta(a, b); a
        parameter without a gradient counts as zero). For ``params`` that is the two
        elements' own gradients, nothing else."""
        if self.kind == "params":
            out = []
            for pid, index in self.elements:
                g = grads.get(pid)
                out.append(0.0 if g is None else float(g if index is None
                                                        else np.asarray(g)[index]))
            return np.array(out)
        return np.array([
            sum(float(np.vdot(np.asarray(d[pid]), np.asarray(grads[pid])))
                for pid in d if grads.get(pid) is not None)
            for d in self.directions])

    def coordinates(self, values: Mapping[str, Any]) -> tuple[float, ...]:
        """Plane coordinates of parameter values (by node id): the parameters' values for
        ``params``; for ``random`` the least-squares (a, b) minimising
        ||theta - theta0 - a d1 - b d2|| (the part of theta off the plane is dropped)."""
        if self.kind == "params":
            coords = []
            for pid, index in self.elements:
                value = values[pid]
                coords.append(float(value if index is None else np.asarray(value)[index]))
            return tuple(coords)
        n = self.dims
        gram, rhs = np.zeros((n, n)), np.zeros(n)
        for pid in self.moved:
            delta = np.asarray(values[pid], dtype=float) - np.asarray(self.origin[pid])
            ds = [np.asarray(d.get(pid, 0.0)) for d in self.directions]
            for i in range(n):
                rhs[i] += float(np.sum(ds[i] * delta))
                for j in range(n):
                    gram[i, j] += float(np.sum(ds[i] * ds[j]))
        return tuple(float(c) for c in np.linalg.solve(gram, rhs))


# ---- one or two parameters -------------------------------------------------------------------


def parameter_plane(
    graph: Graph, origin: Mapping[str, Value], refs: Sequence[str], loss_label: str
) -> Plane:
    """The plane of two scalar parameters (names, ids or ``NAME[i,j]`` elements), or the
    line of one.

    ``origin`` holds the current values of the parameters the loss depends on (node id ->
    value, in evaluation order)."""
    if len(refs) not in (1, 2):
        raise refused("--params", f"takes one or two parameters, got {len(refs)}",
                      f"pick one or two parameters, not {len(refs)}")
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
            raise refused("--params", f"the graph has no node named {shown(name)}{hint}"
                          ) from None
        label = labels[node.id]
        if node.op != "parameter":
            article = "an" if node.op[:1] in "aeiou" else "a"
            kind = f"is computed by {node.op}" if not node.is_source else f"is {article} {node.op}"
            raise refused("--params", f"{label} {kind}; the plane is over parameters "
                          "(param(...) in an expression)")
        if node.id not in origin:
            raise refused("--params", f"the loss {loss_label} does not depend on {label}")
        shape = np.shape(origin[node.id])
        if index is None and shape:
            example = ",".join("0" for _ in shape)
            raise refused("--params", f"{label} has shape {shape}, not a scalar: name one "
                          f"element, e.g. {label}[{example}]")
        if index is not None:
            if not shape:
                raise refused("--params", f"{label} is a scalar: it has no element "
                              f"{list(index)}")
            if len(index) != len(shape) or not all(
                -n <= i < n for i, n in zip(index, shape, strict=True)
            ):
                raise refused("--params", f"{label} has shape {shape}: it has no element "
                              f"{list(index)}")
            index = tuple(i % n for i, n in zip(index, shape, strict=True))
            label = f"{label}[{','.join(map(str, index))}]"
        if (node.id, index) in elements:
            raise refused("--params", f"{label} is named twice; give two different "
                          "parameters", f"{label} is on both axes: pick two different "
                          "parameters, or one for a curve")
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
    what = " and ".join(titles)
    others = sum(int(np.size(v)) for v in origin.values()) > len(elements)
    held = " (the other parameters fixed)" if others else ""
    return Plane("params", tuple(titles), dict(origin), tuple(directions), tuple(centre),
                 f"{what}{held}", tuple(elements), what)


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
    cli, gui = "use --params A B", "choose Parameters as the plane"
    if not weights:
        text = ("random directions move the weights (parameters that a matmul or mul "
                "consumes) and hold the biases; this loss has no weight: ")
        raise LandscapeError(text + cli, text + gui)
    if min(norms) == 0.0:
        text = (f"random directions: the weights ({names}) are all zero, so "
                "filter-normalised directions are zero (each row is scaled to the weights' "
                "norm): initialise or train them first, or ")
        raise LandscapeError(text + cli, text + gui)
    cosine = _dot(directions[0], directions[1]) / (norms[0] * norms[1])
    if abs(cosine) > PARALLEL_COSINE:
        text = (f"random directions: the two directions are nearly parallel (cosine "
                f"{cosine:.3f}; the weights {names} hold too few filters for a plane): ")
        raise LandscapeError(text + "try another --seed, or " + cli,
                             text + "try another seed, or " + gui)
    return Plane(
        "random", ("direction 1", "direction 2"), dict(origin), (directions[0], directions[1]),
        (0.0, 0.0),
        f"two random directions through {names} (filter-normalised, seed {seed}; biases held)",
        short=f"two random directions (seed {seed})",
    )


def _dot(u: Mapping[str, Value], v: Mapping[str, Value]) -> float:
    return float(sum(np.sum(np.asarray(u[k]) * np.asarray(v[k])) for k in u if k in v))


def _norm(u: Mapping[str, Value]) -> float:
    return float(np.sqrt(_dot(u, u)))
