"""Loss landscapes with optimizer races: the loss over a plane through the parameters (two
scalar parameters, or two filter-normalised random directions) and the trajectories of SGD,
momentum, RMSprop and Adam from the current parameters, projected onto it.

Modules: ``plane`` (Plane, the two kinds of plane, filter normalisation, LandscapeError),
``loss`` (LossFunction: the loss as training sees it), ``compute`` (LandscapeRequest,
compute_landscape, Landscape, Trajectory, the limits) and ``contours`` (contour lines as
segments). Import from here.
"""

from .compute import (
    DEFAULT_GRID,
    DEFAULT_OPTIMIZERS,
    DEFAULT_SPAN,
    DEFAULT_STEPS,
    MAX_GRID,
    MAX_SPAN,
    MAX_STEPS,
    MIN_GRID,
    Landscape,
    LandscapeCancelled,
    LandscapeRequest,
    Trajectory,
    axis,
    compute_landscape,
    parse_optimizers,
    prepare,
    run,
)
from .contours import Contours, Scale, choose_scale, contour_levels, contour_segments, contours
from .loss import LossFunction
from .plane import LandscapeError, Plane, filter_normalized, parameter_plane, random_plane

__all__ = [
    "DEFAULT_GRID", "DEFAULT_OPTIMIZERS", "DEFAULT_SPAN", "DEFAULT_STEPS", "MAX_GRID",
    "MAX_SPAN", "MAX_STEPS", "MIN_GRID", "Contours", "Landscape", "LandscapeCancelled",
    "LandscapeError", "LandscapeRequest", "LossFunction", "Plane", "Scale", "Trajectory",
    "axis", "choose_scale", "compute_landscape", "contour_levels", "contour_segments", "contours",
    "filter_normalized", "parameter_plane", "parse_optimizers", "prepare", "random_plane",
    "run",
]
