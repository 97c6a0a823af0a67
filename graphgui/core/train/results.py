"""What training reports: one EpochResult per epoch, one TrainReport per headless run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..values import Value


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~1 us more per epoch
class EpochResult:
    """Metrics of one epoch.

    ``train_loss`` and ``train_accuracy`` are measured during the epoch, before each update
    (the notebook's loss curve); with mini-batches they average the batches weighted by size.
    ``test_*`` use the parameters after the epoch. ``grad_norms`` maps each parameter's name
    to the Euclidean norm of its gradient, averaged over the epoch's batches. All but
    ``train_loss`` are measured only on epochs due by ``eval_every`` (else None, or ``{}``
    for the norms); test metrics also need a test set and accuracies a classifier.
    """

    epoch: int
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    grad_norms: dict[str, float]
    seconds: float


@dataclass
class TrainReport:
    """What :func:`train_graph` returns; ``to_dict`` is the CLI's ``--json`` output."""

    epochs: int
    final_loss: float
    loss_history: list[float] = field(repr=False)
    train_accuracy: float | None
    test_accuracy: float | None
    seconds: float
    parameters: dict[str, Value] = field(default_factory=dict, repr=False)
    history: list[EpochResult] = field(default_factory=list, repr=False)
    test_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "final_loss": self.final_loss,
            "loss_history": list(self.loss_history),
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "seconds": self.seconds,
        }
