"""Loss landscapes with optimizer races: the loss over a plane through the parameters (two
scalar parameters, or two filter-normalised random directions; over one parameter, a curve)
and the trajectories of SGD, momentum, RMSprop and Adam from the current parameters, racing
on that surface (or, with ``race="all"``, training every parameter, projected onto it).

Modules: ``plane`` (Plane, the two kinds of plane, filter normalisation, LandscapeError),
``loss`` (LossFunction: the loss as training sees it), ``compute`` (LandscapeRequest,
compute_landscape, Landscape, Trajectory, the limits) and ``contours`` (contour lines as
segments). Import from here; ``worker`` (the editor's landscape process) from itself.
"""

from .compute import (
    AUTO_MARGIN,
    DEFAULT_GRID,
    DEFAULT_OPTIMIZERS,
    DEFAULT_SPAN,
    DEFAULT_STEPS,
    MAX_GRID,
    MAX_SPAN,
    MAX_STEPS,
    MIN_GRID,
    RACES,
    Landscape,
    LandscapeCancelled,
    LandscapeRequest,
    Trajectory,
    auto_span,
    axis,
    compute_landscape,
    nice_span,
    parse_optimizers,
    prepare,
    run,
)
from .contours import (
    Contours,
    Scale,
    choose_scale,
    contour_levels,
    contour_segments,
    contours,
    nice_ticks,
)
from .loss import LossFunction, race_settings, training_settings
from .plane import LandscapeError, Plane, filter_normalized, parameter_plane, random_plane

__all__ = [
    "AUTO_MARGIN", "DEFAULT_GRID", "DEFAULT_OPTIMIZERS", "DEFAULT_SPAN", "DEFAULT_STEPS",
    "MAX_GRID", "MAX_SPAN", "MAX_STEPS", "MIN_GRID", "RACES", "Contours", "Landscape",
    "LandscapeCancelled", "LandscapeError", "LandscapeRequest", "LossFunction", "Plane",
    "Scale", "Trajectory", "auto_span", "axis", "choose_scale", "compute_landscape",
    "contour_levels", "contour_segments", "contours", "filter_normalized", "nice_span",
    "nice_ticks", "parameter_plane", "parse_optimizers", "prepare", "race_settings",
    "random_plane", "run", "training_settings",
]
