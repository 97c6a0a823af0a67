"""Live training plots (pyqtgraph): loss and accuracy, decision boundary, 1-D fit, activation
f and f', gradient norms. Each is a QWidget with a small header (its own toggles and PNG/CSV
export) over a pyqtgraph area.

Modules: ``base`` (PlotPanel, Series, legends, export), ``loss``, ``boundary`` (decision
boundary and fit), ``activation``, ``gradnorm``. Import from here.
"""

from graphgui.core.curves import DELTA

from .activation import ActivationPlot
from .base import CLASS_COLORS, PALETTE, PlotPanel, Series
from .boundary import BoundaryPlot, FitPlot
from .gradnorm import GradNormPlot
from .loss import LossPlot

__all__ = [
    "CLASS_COLORS", "DELTA", "PALETTE",
    "ActivationPlot", "BoundaryPlot", "FitPlot", "GradNormPlot", "LossPlot", "PlotPanel",
    "Series",
]
