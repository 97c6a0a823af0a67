"""A loss landscape and the optimizers' race over it, computed with bounded work.

:func:`compute_landscape` evaluates the loss on a grid x grid lattice of the plane spanning
[-span, span] in each coordinate around the current parameters (for two parameters: their
current values +- span), then runs each optimizer ``steps`` full-batch steps from the current
parameters and projects every step onto the plane. ``progress(done, total)`` is called as
points and steps are done (the GUI's progress bar); a set ``stop`` event ends the work with
:class:`LandscapeCancelled`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import Graph
from ..optimizers import OPTIMIZERS
from ..train import TrainingError
from .contours import Contours, contours
from .loss import LossFunction
from .plane import LandscapeError, Plane, parameter_plane, random_plane

MIN_GRID, MAX_GRID = 3, 201  # points a side; odd, so the current parameters are the centre
MAX_STEPS = 10_000  # optimizer steps per trajectory
MAX_SPAN = 1e6
DEFAULT_SPAN, DEFAULT_GRID, DEFAULT_STEPS = 1.0, 41, 100
DEFAULT_OPTIMIZERS = tuple(OPTIMIZERS)  # sgd, momentum, rmsprop, adam

Progress = Callable[[int, int], Any]


class LandscapeCancelled(Exception):  # noqa: N818 (a stop, not an error)
    """The stop event was set: the work ended early."""


@dataclass(frozen=True)
class LandscapeRequest:
    """What to compute. ``params`` None: two random directions (seeded by ``seed``)."""

    params: tuple[str, str] | None = None
    span: float = DEFAULT_SPAN
    grid: int = DEFAULT_GRID
    seed: int = 0
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    steps: int = DEFAULT_STEPS

    def check(self) -> None:
        """Raise LandscapeError naming the first setting out of bounds."""
        if not (isinstance(self.grid, int) and MIN_GRID <= self.grid <= MAX_GRID
                and self.grid % 2 == 1):
            raise LandscapeError(
                f"--grid: expected an odd whole number from {MIN_GRID} to {MAX_GRID} (the "
                f"current parameters are the centre point), got {self.grid!r}")
        if not (isinstance(self.steps, int) and 0 <= self.steps <= MAX_STEPS):
            raise LandscapeError(
                f"--steps: expected a whole number from 0 to {MAX_STEPS:,}, got {self.steps!r}")
        if not (isinstance(self.span, (int, float)) and math.isfinite(self.span)
                and 0 < self.span <= MAX_SPAN):
            raise LandscapeError(
                f"--span: expected a finite number > 0 and <= {MAX_SPAN:g}, got {self.span!r}")
        for name in self.optimizers:
            if name not in OPTIMIZERS:
                raise LandscapeError(
                    f"--optimizers: unknown optimizer {name!r} (one of {', '.join(OPTIMIZERS)})")
        if len(set(self.optimizers)) != len(self.optimizers):
            raise LandscapeError("--optimizers: an optimizer is named twice")

    @property
    def work(self) -> int:
        """Units of work: one per grid point and one per optimizer step."""
        return self.grid * self.grid + self.steps * len(self.optimizers)


@dataclass
class Trajectory:
    """One optimizer's path: ``points[k] = (a, b, loss)`` after k steps (k = 0: the start).

    ``note`` says why it ended early ("" when it ran every step)."""

    name: str
    points: np.ndarray  # (k + 1, 3)
    note: str = ""


@dataclass
class Landscape:
    """The loss over the plane. ``loss[j, i]`` is the loss at ``(axes[0][i], axes[1][j])``:
    rows follow the second axis, as ``matplotlib.pyplot.contourf(*axes, loss)`` expects."""

    plane: Plane
    axes: tuple[np.ndarray, np.ndarray]
    loss: np.ndarray
    trajectories: dict[str, Trajectory]
    loss_label: str
    data_note: str
    request: LandscapeRequest
    contours: Contours | None = field(default=None, repr=False)

    @property
    def origin_loss(self) -> float:
        """The loss at the current parameters (the grid's centre)."""
        c = self.loss.shape[0] // 2
        return float(self.loss[c, c])

    def to_json(self) -> dict[str, Any]:
        """``{"axes", "loss", "trajectories"}``; a loss that is not finite is null."""
        return {
            "axes": [[float(v) for v in axis] for axis in self.axes],
            "loss": [[_number(v) for v in row] for row in self.loss],
            "trajectories": {
                name: [[float(a), float(b), _number(loss)] for a, b, loss in t.points]
                for name, t in self.trajectories.items()
            },
        }


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def axis(centre: float, span: float, grid: int) -> np.ndarray:
    """``grid`` evenly spaced coordinates from centre - span to centre + span, the middle
    one exactly ``centre``."""
    half = (grid - 1) // 2
    return centre + span * (np.arange(grid) - half) / half


def make_plane(loss: LossFunction, request: LandscapeRequest) -> Plane:
    """The request's plane through the loss's current parameters."""
    if request.params is not None:
        return parameter_plane(loss.graph, loss.origin, request.params, loss.loss_label)
    return random_plane(loss.graph, loss.origin, request.seed)


def prepare(
    graph: Graph, training: Mapping[str, Any] | None, request: LandscapeRequest
) -> tuple[LossFunction, Plane]:
    """Check everything before the work: the request, the loss and the plane."""
    request.check()
    loss = LossFunction(graph, training)
    return loss, make_plane(loss, request)


def compute_landscape(
    graph: Graph,
    training: Mapping[str, Any] | None = None,
    request: LandscapeRequest | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Landscape:
    """The landscape and the race (see the module doc). ``training`` is the file's
    ``settings.training`` (None: defaults, the graph's own inputs). Raises LandscapeError
    for a request or graph it cannot draw, LandscapeCancelled when stopped."""
    request = request or LandscapeRequest()
    loss, plane = prepare(graph, training, request)
    return run(loss, plane, request, progress, stop)


def run(
    loss: LossFunction, plane: Plane, request: LandscapeRequest,
    progress: Progress | None = None, stop: threading.Event | None = None,
) -> Landscape:
    """The work of :func:`compute_landscape` once :func:`prepare` has checked it."""
    total = request.work
    counter = _Counter(total, progress, stop)
    axes = (axis(plane.centre[0], request.span, request.grid),
            axis(plane.centre[1], request.span, request.grid))
    grid = evaluate_grid(loss, plane, axes, counter)
    trajectories = {name: race(loss, plane, name, request.steps, counter)
                    for name in request.optimizers}
    counter.finish()
    return Landscape(plane, axes, grid, trajectories, loss.loss_label, loss.data_note, request,
                     contours(axes[0], axes[1], grid))


class _Counter:
    """Counts work done, checks the stop event, reports progress."""

    def __init__(self, total: int, progress: Progress | None,
                 stop: threading.Event | None) -> None:
        self.total, self.done = total, 0
        self.progress, self.stop = progress, stop

    def step(self, count: int = 1) -> None:
        if self.stop is not None and self.stop.is_set():
            raise LandscapeCancelled
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def evaluate_grid(
    loss: LossFunction, plane: Plane, axes: tuple[np.ndarray, np.ndarray], counter: _Counter
) -> np.ndarray:
    """``out[j, i]`` = the loss at plane point (axes[0][i], axes[1][j])."""
    xs, ys = axes
    out = np.empty((len(ys), len(xs)))
    with loss.program.batch_mode():
        if plane.kind == "params":
            for j, b in enumerate(ys):
                for i, a in enumerate(xs):
                    out[j, i] = loss(plane.point(a, b))
                    counter.step()
            return out
        d1, d2 = plane.directions
        moved = [(pid, plane.origin[pid], d1.get(pid, 0.0), d2.get(pid, 0.0))
                 for pid in plane.moved]
        for j, b in enumerate(ys):
            row = [(pid, theta + b * v, u) for pid, theta, u, v in moved]  # theta0 + b d2
            for i, a in enumerate(xs):
                out[j, i] = loss({pid: base + a * u for pid, base, u in row})
                counter.step()
    return out


def race(
    loss: LossFunction, plane: Plane, name: str, steps: int, counter: _Counter
) -> Trajectory:
    """Optimizer ``name`` for ``steps`` full-batch steps from the current parameters, each
    step's parameters projected onto the plane with their true loss."""
    trainer = loss.race_trainer(name, steps)
    theta = trainer.parameters()
    points: list[tuple[float, float, float]] = []
    note = ""
    done = 0
    with trainer.program.batch_mode():
        for k in range(steps):
            try:
                result = trainer.run_epoch()  # the loss at theta_k, then the update
            except TrainingError:
                note = f"the loss is not finite after {k} steps: the trajectory ends there"
                break
            points.append((*plane.coordinates(theta), result.train_loss))
            theta = trainer.parameters()
            done += 1
            counter.step()
        else:
            final = loss(theta)
            if math.isfinite(final):
                points.append((*plane.coordinates(theta), final))
            else:
                note = f"the loss is not finite after {steps} steps: the trajectory ends there"
    if done < steps:
        counter.step(steps - done)
    array = np.array(points, dtype=float).reshape(-1, 3)
    return Trajectory(name, array, note)


def parse_optimizers(text: str) -> tuple[str, ...]:
    """``"sgd,adam"`` -> ("sgd", "adam"), case-insensitive; one-line errors."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not names:
        raise LandscapeError(f"--optimizers: name at least one of {', '.join(OPTIMIZERS)}")
    for name in names:
        if name not in OPTIMIZERS:
            from ..messages import did_you_mean

            hint = did_you_mean(name, OPTIMIZERS)
            raise LandscapeError(f"--optimizers: unknown optimizer {name!r}{hint} (one of "
                                 f"{', '.join(OPTIMIZERS)})")
    if len(set(names)) != len(names):
        raise LandscapeError("--optimizers: an optimizer is named twice")
    return names


__all__: Sequence[str] = [
    "DEFAULT_GRID", "DEFAULT_OPTIMIZERS", "DEFAULT_SPAN", "DEFAULT_STEPS", "MAX_GRID",
    "MAX_SPAN", "MAX_STEPS", "MIN_GRID", "Landscape", "LandscapeCancelled",
    "LandscapeRequest", "Trajectory", "axis", "compute_landscape", "evaluate_grid",
    "make_plane", "parse_optimizers", "prepare", "race", "run",
]
