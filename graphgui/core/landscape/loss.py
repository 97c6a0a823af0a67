"""The loss as a function of the parameters, as training sees it.

With training settings that name a data set, the loss is the loss node's value on the whole
training split (what ``graphgui train`` reports as the final loss); without one, the graph's
output with the values its inputs hold. Either way the numbers come from the Trainer's own
compiled Program (pruned to the loss), so a landscape, a trajectory and training agree to the
last bit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from ..datasets import Dataset
from ..engine import EvaluationError
from ..graph import Graph
from ..labels import node_labels
from ..train import Trainer, TrainingError, TrainSettings
from ..values import Value
from .plane import LandscapeError

OWN_INPUTS = "the graph's own inputs"  # the data note of a loss without a data set


def training_settings(training: Mapping[str, Any] | None) -> TrainSettings:
    """The file's ``settings.training`` (defaults when it has none), checked."""
    if training is None:
        return TrainSettings()
    if not isinstance(training, Mapping):
        raise LandscapeError("settings.training must be an object (see docs/training.md)")
    try:
        return TrainSettings.from_dict(training)
    except TrainingError as exc:
        raise LandscapeError(str(exc)) from None


def race_settings(settings: TrainSettings, optimizer: str, steps: int) -> TrainSettings:
    """``settings`` with another optimizer, full batch, ``steps`` epochs (one step each).

    The optimizer's own options (momentum, betas...) are kept for the file's optimizer only;
    another one starts from its defaults. Learning rate and L2 are the file's."""
    same = optimizer == settings.optimizer
    race = dataclasses.replace(
        settings, optimizer=optimizer,
        optimizer_options=dict(settings.optimizer_options) if same else {},
        batch_size=None, epochs=steps, eval_every=0, epochs_per_second=None,
    )
    try:
        race.validate()
    except TrainingError as exc:
        raise LandscapeError(str(exc)) from None
    return race


class LossFunction:
    """``loss(values)``: the loss with some parameters (node id -> value) replaced.

    ``origin`` holds every parameter the loss depends on, by node id in evaluation order, at
    its current value. A point where the graph cannot be evaluated has loss nan."""

    def __init__(self, graph: Graph, training: Mapping[str, Any] | None = None) -> None:
        self.settings = training_settings(training)
        try:
            trainer = Trainer.from_settings(graph, dataclasses.replace(self.settings, epochs=0))
        except TrainingError as exc:
            raise LandscapeError(_loss_message(str(exc))) from None
        self.graph = graph
        self.trainer = trainer
        self.program = trainer.program
        self.loss_id = trainer.loss_id
        self.loss_label = node_labels(graph)[trainer.loss_id]
        self.dataset: Dataset | None = trainer.dataset
        self.origin: dict[str, Value] = trainer.parameters()
        data = trainer.dataset
        self.feed: dict[str, Any] = {}
        if data is not None:
            self.feed = {trainer.feed_ids["X"]: data.X_train, trainer.feed_ids["Y"]: data.Y_train}
        self._slot = trainer.program.slot[trainer.loss_id]

    @property
    def data_note(self) -> str:
        """Where the loss's data come from, in a few words."""
        data = self.dataset
        if data is None:
            return OWN_INPUTS
        kind = (self.settings.dataset or {}).get("kind", "data set")
        return f"{data.n_train} training samples ({kind})"

    def __call__(self, values: Mapping[str, Value]) -> float:
        feed = {**self.feed, **values} if self.feed else values
        try:
            vals = self.program.forward(feed)
        except EvaluationError:
            return math.nan
        return float(vals[self._slot])

    def value_and_gradients(self, values: Mapping[str, Value]) -> tuple[float, dict[str, Any]]:
        """The loss with ``values`` and its gradient over every parameter (node id -> array
        or float; None where the loss has none), from one forward and one backward pass. A
        loss that cannot be evaluated, or is not finite, comes with no gradients."""
        feed = {**self.feed, **values} if self.feed else values
        program = self.program
        try:
            vals = program.forward(feed)
            value = float(vals[self._slot])
            if not math.isfinite(value):
                return value, {}
            grads = program.gradients(vals)
        except EvaluationError:
            return math.nan, {}
        return value, {pid: grads[program.slot[pid]] for pid in self.origin}

    def race_trainer(self, optimizer: str, steps: int) -> Trainer:
        """A Trainer of these settings with ``optimizer`` for ``steps`` full-batch steps,
        on the same data set (made once)."""
        settings = race_settings(self.settings, optimizer, steps)
        try:
            return Trainer.from_settings(self.graph, settings, dataset=self.dataset)
        except TrainingError as exc:
            raise LandscapeError(str(exc)) from None


def _loss_message(text: str) -> str:
    """The Trainer's words, said of a landscape."""
    if text.startswith("the graph is empty"):
        return "the graph is empty: there is no loss to draw"
    if text.startswith("no parameter node feeds"):
        return text + " (the landscape is over parameters: write param(...) in an expression)"
    return text
