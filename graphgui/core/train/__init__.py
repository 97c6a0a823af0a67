"""Training a graph: the Trainer (headless, thread-friendly), its settings and a one-call API.

Convention (docs/training.md): the data enters through two ``input`` nodes, named ``X`` and
``Y`` unless the settings say otherwise (``inputs``); the loss is the graph's output unless
``loss`` names another node; the dataset is a spec stored in the settings. Every ``parameter``
node the loss depends on is trained.

Modules: ``settings`` (TrainSettings, TrainingError), ``results`` (EpochResult,
TrainReport), ``trainer`` (Trainer), ``run`` (train_graph, apply_parameters) and
``builders`` (initial_values, add_layers, mlp_graph, is_weight). Import from here.

The Trainer compiles one :class:`~graphgui.core.engine.Program` (pruned to the loss) and
works on that snapshot only: it never reads or writes the live Graph after construction, so
a GUI can run it in another thread or process and apply :meth:`Trainer.parameters` as one edit.
"""

from .builders import add_layers, free_layer_number, initial_values, is_weight, mlp_graph
from .results import EpochResult, TrainReport
from .run import apply_parameters, train_graph
from .settings import TrainingError, TrainSettings
from .trainer import LOSS_OPS, PAUSE_POLL_SECONDS, SCORE_LOSSES, Trainer

__all__ = [
    "LOSS_OPS", "PAUSE_POLL_SECONDS", "SCORE_LOSSES",
    "EpochResult", "TrainReport", "TrainSettings", "Trainer", "TrainingError",
    "add_layers", "apply_parameters", "free_layer_number", "initial_values", "is_weight",
    "mlp_graph", "train_graph",
]
