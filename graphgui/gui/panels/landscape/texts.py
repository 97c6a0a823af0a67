"""What the landscape picture says in words: its captions, the legend's entries, the colour
bar's tick labels (Qt-free, so the CLI's PNG and the dock say the same)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from graphgui.core.landscape import Landscape, Trajectory
from graphgui.core.landscape.loss import OWN_INPUTS

RACE_WORDS = {"plane": "racing in the plane", "all": "training every parameter, projected"}


def caption(landscape: Landscape) -> str:
    """One line: what the picture shows, in full (the PNG's title, the caption's tooltip)."""
    request = landscape.request
    own = landscape.data_note == OWN_INPUTS
    data = "no data set (the graph's own input values)" if own else landscape.data_note
    if request.race == "all":
        how = "with every parameter trained, projected"
    else:
        how = "along the curve" if landscape.dims == 1 else "on the surface drawn"
    steps = f"{request.steps} {'' if own else 'full-batch '}steps"
    span = f" · span ±{landscape.span:g} (auto)" if request.auto_span else ""
    return (f"Loss {landscape.loss_label} over {landscape.plane.description} · {data} · "
            f"{steps} from the current parameters {how}, lr {landscape.lr:g}{span}")


def short_caption(landscape: Landscape) -> str:
    """A few words for the dock's header (it wraps; :func:`caption` is its tooltip)."""
    plane = landscape.plane.short or landscape.plane.description
    data = f" · {landscape.data_note}" if landscape.data_note != OWN_INPUTS else ""
    race = RACE_WORDS.get(landscape.request.race, "")
    if landscape.dims == 1 and landscape.request.race == "plane":
        race = "racing along the curve"
    return f"{landscape.loss_label} over {plane}{data} · {race}"


def legend_text(trajectory: Trajectory | None, name: str, steps: int,
                outside: bool = False) -> str:
    """``sgd 0.6926`` after ``steps`` steps; ``sgd diverged after 12 steps`` once the race
    has reached where it diverged; ``(leaves the picture)`` with ``outside``."""
    if trajectory is None or not len(trajectory.points):
        if trajectory is not None and trajectory.diverged is not None:
            return f"{name} diverged after {trajectory.diverged} steps"
        return f"{name}: no finite loss"
    points = trajectory.points[: steps + 1]
    if trajectory.diverged is not None and steps >= len(trajectory.points) - 1:
        text = f"{name} diverged after {trajectory.diverged} steps"
    else:
        text = f"{name} {loss_text(points[-1, -1])}"
    if outside:
        text += " (leaves the picture)"
    return text


def widest_legend_texts(landscape: Landscape) -> list[str]:
    """The longest text each legend entry can show during the race (to lay it out once)."""
    out = []
    for name, t in landscape.trajectories.items():
        texts = [f"{name} -8.888e-888"]
        if t.diverged is not None:
            texts.append(f"{name} diverged after {t.diverged} steps")
        out.append(max(texts, key=len))
    return out


def tick_labels(values: Sequence[float]) -> list[str]:
    """The shortest labels (3 to 10 significant digits) that tell the values apart."""
    labels: list[str] = []
    for digits in range(3, 11):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def loss_text(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def names_text(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


__all__ = ["caption", "legend_text", "loss_text", "names_text", "short_caption",
           "tick_labels", "widest_legend_texts"]
