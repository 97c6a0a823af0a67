"""A loss landscape and the optimizers' race over it, computed with bounded work.

:func:`compute_landscape` first races each optimizer ``steps`` full-batch steps from the
current parameters, then evaluates the loss on a grid x grid lattice of the plane spanning
[-span, span] in each coordinate around the current parameters (for parameters: their current
values +- span; with ``auto_span`` a span that covers where the races go). On a line (one
parameter) the lattice is ``grid`` points and the landscape a curve.

The race (``race``):

- ``"plane"`` (the default): the optimizers race *on the surface drawn*. Each one optimises
  the plane coordinates (a, b) themselves with its own update rule (graphgui.core.optimizers,
  the learning rate and options of the file's settings), the gradient being the chain rule
  through the plane, ``g_a = <dL/dtheta, d1>``, ``g_b = <dL/dtheta, d2>``: for parameters
  exactly those parameters' gradients, every other parameter fixed. Each point's loss is the
  surface's at that point. (L2 is not applied: it is not part of the surface drawn.)
- ``"all"``: every parameter is trained, as the Trainer trains them (L2 included), and each
  step is projected onto the plane (least squares for random directions) with the loss of its
  own parameters, which is not the surface's loss where the point is drawn.

``progress(done, total)`` is called as steps and points are done (the GUI's progress bar); a
set ``stop`` event ends the work with :class:`LandscapeCancelled`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import Graph
from ..optimizers import OPTIMIZERS, make_optimizer
from ..train import TrainingError
from .contours import Contours, contours
from .loss import LossFunction, race_settings
from .plane import LandscapeError, Plane, parameter_plane, random_plane, refused

MIN_GRID, MAX_GRID = 3, 201  # points a side; odd, so the current parameters are the centre
MAX_STEPS = 10_000  # optimizer steps per trajectory
MAX_SPAN = 1e6
DEFAULT_SPAN, DEFAULT_GRID, DEFAULT_STEPS = 1.0, 41, 100
DEFAULT_OPTIMIZERS = tuple(OPTIMIZERS)  # sgd, momentum, rmsprop, adam
RACES = ("plane", "all")  # the optimizers move the plane's coordinates, or every parameter
AUTO_MARGIN = 1.15  # an auto span reaches this far past the farthest point it covers
NICE_SPANS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # auto spans round up

Progress = Callable[[int, int], Any]


class LandscapeCancelled(Exception):  # noqa: N818 (a stop, not an error)
    """The stop event was set: the work ended early."""


@dataclass(frozen=True)
class LandscapeRequest:
    """What to compute. ``params`` None: two random directions (seeded by ``seed``); one
    parameter: a 1-D landscape. ``auto_span``: the span covers the races (``span`` is used
    when there is no race to cover)."""

    params: tuple[str, ...] | None = None
    span: float = DEFAULT_SPAN
    grid: int = DEFAULT_GRID
    seed: int = 0
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    steps: int = DEFAULT_STEPS
    race: str = "plane"
    auto_span: bool = False

    def check(self) -> None:
        """Raise LandscapeError naming the first setting out of bounds."""
        if not (isinstance(self.grid, int) and MIN_GRID <= self.grid <= MAX_GRID
                and self.grid % 2 == 1):
            raise refused(
                "--grid", f"expected an odd whole number from {MIN_GRID} to {MAX_GRID} (the "
                f"current parameters are the centre point), got {self.grid!r}",
                f"the grid takes an odd number of points from {MIN_GRID} to {MAX_GRID} (the "
                f"current parameters are the centre point), not {self.grid!r}")
        if not (isinstance(self.steps, int) and 0 <= self.steps <= MAX_STEPS):
            raise refused(
                "--steps", f"expected a whole number from 0 to {MAX_STEPS:,}, got {self.steps!r}",
                f"the race takes 0 to {MAX_STEPS:,} steps, not {self.steps!r}")
        if not (isinstance(self.span, (int, float)) and math.isfinite(self.span)
                and 0 < self.span <= MAX_SPAN):
            raise refused(
                "--span", f"expected a finite number > 0 and <= {MAX_SPAN:g}, got {self.span!r}",
                f"the span must be a number > 0 and <= {MAX_SPAN:g}, not {self.span!r}")
        if self.race not in RACES:
            raise refused("--race", f"expected one of {', '.join(RACES)}, got {self.race!r}")
        for name in self.optimizers:
            if name not in OPTIMIZERS:
                raise refused(
                    "--optimizers", f"unknown optimizer {name!r} (one of {', '.join(OPTIMIZERS)})")
        if len(set(self.optimizers)) != len(self.optimizers):
            raise refused("--optimizers", "an optimizer is named twice")

    @property
    def dims(self) -> int:
        """1 for a line (one parameter), 2 for a plane."""
        return 1 if self.params is not None and len(self.params) == 1 else 2

    @property
    def work(self) -> int:
        """Units of work: one per grid point and one per optimizer step."""
        return self.grid ** self.dims + self.steps * len(self.optimizers)


@dataclass
class Trajectory:
    """One optimizer's path: ``points[k] = (a, b, loss)`` (``(a, loss)`` on a line) after k
    steps (k = 0: the start).

    ``note`` says why it ended early ("" when it ran every step); ``diverged`` is then the
    number of steps after which the loss was no longer finite."""

    name: str
    points: np.ndarray  # (k + 1, dims + 1)
    note: str = ""
    diverged: int | None = None

    @property
    def losses(self) -> np.ndarray:
        return self.points[:, -1]


@dataclass
class Landscape:
    """The loss over the plane. ``loss[j, i]`` is the loss at ``(axes[0][i], axes[1][j])``:
    rows follow the second axis, as ``matplotlib.pyplot.contourf(*axes, loss)`` expects. On
    a line, ``axes`` is one axis and ``loss[i]`` the loss at ``axes[0][i]``."""

    plane: Plane
    axes: tuple[np.ndarray, ...]
    loss: np.ndarray
    trajectories: dict[str, Trajectory]
    loss_label: str
    data_note: str
    request: LandscapeRequest
    contours: Contours | None = field(default=None, repr=False)
    span: float = DEFAULT_SPAN  # the span drawn (the request's, or the auto span)
    lr: float = 0.0  # the races' learning rate (the file's)

    @property
    def dims(self) -> int:
        return len(self.axes)

    @property
    def origin_loss(self) -> float:
        """The loss at the current parameters (the grid's centre)."""
        c = self.loss.shape[0] // 2
        return float(self.loss[(c,) * self.loss.ndim])

    def to_json(self) -> dict[str, Any]:
        """``{"axes", "loss", "trajectories"}``; a loss that is not finite is null. Also
        what was drawn: ``"plane"`` (its kind and axis titles), ``"span"``, ``"race"`` and
        the races' ``"learning_rate"``, and each trajectory's ``"notes"`` where it ended
        early."""
        loss: list[Any]
        if self.loss.ndim == 1:
            loss = [_number(v) for v in self.loss]
        else:
            loss = [[_number(v) for v in row] for row in self.loss]
        return {
            "axes": [[float(v) for v in axis] for axis in self.axes],
            "loss": loss,
            "trajectories": {
                name: [[*(float(c) for c in p[:-1]), _number(p[-1])] for p in t.points]
                for name, t in self.trajectories.items()
            },
            "plane": {"kind": self.plane.kind, "labels": list(self.plane.labels[:self.dims])},
            "span": float(self.span),
            "race": self.request.race,
            "learning_rate": float(self.lr),
            "notes": {name: t.note for name, t in self.trajectories.items() if t.note},
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
    plane = make_plane(loss, request)
    for name in request.optimizers:
        race_settings(loss.settings, name, request.steps)  # the options are valid
    return loss, plane


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
    """The work of :func:`compute_landscape` once :func:`prepare` has checked it: the race
    first (it decides an auto span), then the grid."""
    counter = _Counter(request.work, progress, stop)
    racer = race_in_plane if request.race == "plane" else race_all
    trajectories = {name: racer(loss, plane, name, request.steps, counter)
                    for name in request.optimizers}
    span = request.span
    if request.auto_span:
        span = auto_span(trajectories.values(), plane.centre, request.span)
    axes = tuple(axis(c, span, request.grid) for c in plane.centre)
    grid = evaluate_grid(loss, plane, axes, counter)
    counter.finish()
    return Landscape(plane, axes, grid, trajectories, loss.loss_label, loss.data_note, request,
                     contours(axes[0], axes[1], grid) if len(axes) == 2 else None, span,
                     loss.settings.lr)


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
    loss: LossFunction, plane: Plane, axes: Sequence[np.ndarray], counter: _Counter
) -> np.ndarray:
    """``out[j, i]`` = the loss at plane point (axes[0][i], axes[1][j]); on a line
    ``out[i]`` = the loss at axes[0][i]."""
    if len(axes) == 1:
        out = np.empty(len(axes[0]))
        with loss.program.batch_mode():
            for i, a in enumerate(axes[0]):
                out[i] = loss(plane.point(a))
                counter.step()
        return out
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


def _diverged(k: int) -> str:
    return f"the loss is not finite after {k} steps: the trajectory ends there"


def race_in_plane(
    loss: LossFunction, plane: Plane, name: str, steps: int, counter: _Counter
) -> Trajectory:
    """Optimizer ``name`` for ``steps`` steps on the plane's coordinates (see the module
    doc): each step's gradient is ``plane.project(dL/dtheta)``, its loss the surface's."""
    settings = race_settings(loss.settings, name, steps)
    optimizer = make_optimizer(name, settings.lr, 0.0, None, **settings.optimizer_options)
    coords = np.array(plane.centre, dtype=float)
    points: list[tuple[float, ...]] = []
    note, diverged = "", None
    done = 0
    with loss.program.batch_mode():
        for k in range(steps + 1):
            values = plane.point(*coords)
            if k == steps:
                value, grads = loss(values), None
            else:
                value, grads = loss.value_and_gradients(values)
            if not (math.isfinite(value) and np.all(np.isfinite(coords))):
                note, diverged = _diverged(k), k
                break
            points.append((*coords, value))
            if grads is None:
                break
            coords = np.asarray(optimizer.update("plane", coords, plane.project(grads)))
            done += 1
            counter.step()
    if done < steps:
        counter.step(steps - done)
    return Trajectory(name, np.array(points, dtype=float).reshape(-1, plane.dims + 1), note,
                      diverged)


def race_all(
    loss: LossFunction, plane: Plane, name: str, steps: int, counter: _Counter
) -> Trajectory:
    """Optimizer ``name`` for ``steps`` full-batch steps of every parameter from the current
    parameters, each step's parameters projected onto the plane with their true loss."""
    trainer = loss.race_trainer(name, steps)
    theta = trainer.parameters()
    points: list[tuple[float, ...]] = []
    note, diverged = "", None
    done = 0
    with trainer.program.batch_mode():
        for k in range(steps):
            try:
                result = trainer.run_epoch()  # the loss at theta_k, then the update
            except TrainingError:
                note, diverged = _diverged(k), k
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
                note, diverged = _diverged(steps), steps
    if done < steps:
        counter.step(steps - done)
    array = np.array(points, dtype=float).reshape(-1, plane.dims + 1)
    return Trajectory(name, array, note, diverged)


def auto_span(trajectories: Any, centre: Sequence[float], fallback: float) -> float:
    """A span that covers where the races go: the farthest any trajectory gets from the
    centre, in any coordinate, times AUTO_MARGIN, rounded up to a nice number.

    A trajectory counts until its loss first climbs above ``start + rise`` (that point
    included), ``rise`` being the larger of how far the race got below its start and half
    the start's size: a run-away (a learning rate too large for the valley) shows its first
    steps away, not a square so large that the valley is one pixel. No race that moves:
    ``fallback``."""
    reach = 0.0
    c = np.asarray(centre, dtype=float)
    for t in trajectories:
        points = t.points
        if len(points) < 2:
            continue
        losses = points[:, -1]
        start = float(losses[0])
        rise = max(start - float(np.min(losses)), 0.5 * abs(start), 1e-12)
        above = np.flatnonzero(losses > start + rise)
        end = int(above[0]) + 1 if len(above) else len(points)
        offsets = np.abs(points[:end, :-1] - c)
        reach = max(reach, float(np.max(offsets)))
    tiny = 1e-9 * (1.0 + float(np.max(np.abs(c), initial=0.0)))
    if not (math.isfinite(reach) and reach > tiny):
        return fallback
    return min(MAX_SPAN, nice_span(AUTO_MARGIN * reach))


def nice_span(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at
    least ``value``."""
    decade = 10.0 ** math.floor(math.log10(value))
    for m in NICE_SPANS:
        if m * decade >= value * (1 - 1e-12):
            return float(f"{m * decade:.12g}")
    return 10 * decade  # pragma: no cover (NICE_SPANS ends at 10)


def parse_optimizers(text: str) -> tuple[str, ...]:
    """``"sgd,adam"`` -> ("sgd", "adam"), case-insensitive; one-line errors."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not names:
        raise refused("--optimizers", f"name at least one of {', '.join(OPTIMIZERS)}")
    for name in names:
        if name not in OPTIMIZERS:
            from ..messages import did_you_mean

            hint = did_you_mean(name, OPTIMIZERS)
            raise refused("--optimizers", f"unknown optimizer {name!r}{hint} (one of "
                          f"{', '.join(OPTIMIZERS)})")
    if len(set(names)) != len(names):
        raise refused("--optimizers", "an optimizer is named twice")
    return names


__all__: Sequence[str] = [
    "AUTO_MARGIN", "DEFAULT_GRID", "DEFAULT_OPTIMIZERS", "DEFAULT_SPAN", "DEFAULT_STEPS",
    "MAX_GRID", "MAX_SPAN", "MAX_STEPS", "MIN_GRID", "RACES", "Landscape", "LandscapeCancelled",
    "LandscapeError", "LandscapeRequest", "Trajectory", "auto_span", "axis", "compute_landscape",
    "evaluate_grid", "make_plane", "nice_span", "parse_optimizers", "prepare", "race_all",
    "race_in_plane", "run",
]
