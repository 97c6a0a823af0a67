"""What a graph file stores to train again the same way, and the one error type of training."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..datasets import DatasetError, validate_spec
from ..messages import did_you_mean, shown
from ..optimizers import OPTIMIZERS, OptimizerError, make_optimizer

MAX_EPOCHS = 1_000_000  # a file or flag asking for more is refused (docs/training.md)
DTYPES = ("float64", "float32")  # the floats training computes in (docs/training.md)


class TrainingError(Exception):
    """Training cannot start or had to stop. ``node_id`` and ``epoch`` say where, when known."""

    def __init__(self, message: str, node_id: str | None = None, epoch: int | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.epoch = epoch

    def __reduce__(self) -> tuple[type, tuple[str, str | None, int | None]]:
        # Sent from the training process whole: where it happened, not only the message.
        return type(self), (str(self), self.node_id, self.epoch)


@dataclass
class TrainSettings:
    """Everything a graph file stores to train again the same way (all JSON-able)."""

    loss: str | None = None  # node name or id; None: the graph's output
    predict: str | None = None  # None: the loss's prediction input (see docs)
    inputs: dict[str, str] = field(default_factory=lambda: {"X": "X", "Y": "Y"})
    dataset: dict[str, Any] | None = None  # a datasets.make_dataset spec
    optimizer: str = "sgd"
    optimizer_options: dict[str, float] = field(default_factory=dict)
    lr: float = 0.1
    epochs: int = 100
    batch_size: int | None = None  # None: full batch; 1: stochastic
    l2: float = 0.0
    l2_params: list[str] | None = None  # None: the weights (parameters feeding matmul or mul)
    seed: int | None = 0  # the shuffle order of mini-batches
    # Accuracy, gradient norms and test metrics every k epochs (0: the last epoch only);
    # the training loss is reported every epoch.
    eval_every: int = 1
    threshold: float | None = None  # None: 0 for the scores of bce_logits/hinge, else 0.5
    # How fast the editor trains, in epochs per second (None: as fast as it can). Saved with
    # the graph so a lesson replays at its pace; headless training ignores it.
    epochs_per_second: float | None = None
    # The floats the Trainer computes in: "float32" casts the sources once and trains in
    # float32 end to end (the trained parameters come back as the graph's float64).
    dtype: str = "float64"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["epochs_per_second"] is None:  # an editor setting: written only when set
            del data["epochs_per_second"]
        if data["dtype"] == "float64":  # the default: written only when another is chosen
            del data["dtype"]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainSettings:
        """Settings from a dict (missing keys take defaults); one-line errors for bad ones."""
        if not isinstance(data, Mapping):
            raise TrainingError(f"training settings must be an object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        for key in data:
            if key not in names:
                hint = did_you_mean(key, names) or f" (allowed: {', '.join(sorted(names))})"
                raise TrainingError(f"training settings: unknown key {shown(key)}{hint}")
        settings = cls(**{k: v for k, v in data.items()})
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise TrainingError naming the first bad setting."""
        for key in ("loss", "predict"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise TrainingError(
                    f"training settings: {key!r} must be a node name, got {shown(value)}"
                )
        if not isinstance(self.inputs, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.inputs.items()
        ):
            raise TrainingError(
                "training settings: 'inputs' must map X and Y to node names, "
                f"got {shown(self.inputs)}"
            )
        unknown = set(self.inputs) - {"X", "Y"}
        if unknown:
            raise TrainingError(f"training settings: 'inputs' has {shown(sorted(unknown)[0])}; "
                                "only X and Y are fed")
        self.inputs = {"X": "X", "Y": "Y", **self.inputs}
        if self.dataset is not None:
            try:
                validate_spec(self.dataset)
            except DatasetError as exc:
                raise TrainingError(f"training settings: {exc}") from None
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            hint = did_you_mean(self.optimizer, OPTIMIZERS).removesuffix("?)")
            raise TrainingError(f"training settings: unknown optimizer {shown(self.optimizer)}"
                                + (f"{hint}?; " if hint else " (")
                                + f"one of {', '.join(OPTIMIZERS)})")
        if not isinstance(self.optimizer_options, Mapping):
            raise TrainingError("training settings: 'optimizer_options' must be an object")
        try:
            make_optimizer(self.optimizer, self.lr, self.l2, None, **self.optimizer_options)
        except (OptimizerError, TypeError, ValueError, OverflowError) as exc:
            raise TrainingError(f"training settings: {exc}") from None
        self.epochs = _whole("epochs", self.epochs, 0, MAX_EPOCHS)
        if self.batch_size is not None:
            self.batch_size = _whole("batch_size", self.batch_size, 1)
        self.eval_every = _whole("eval_every", self.eval_every, 0)
        if self.seed is not None:
            self.seed = _whole("seed", self.seed, 0)
        if self.l2_params is not None and (
            isinstance(self.l2_params, str)
            or not isinstance(self.l2_params, Sequence)
            or not all(isinstance(p, str) for p in self.l2_params)
        ):
            raise TrainingError("training settings: 'l2_params' must be a list of node names")
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise TrainingError(f"training settings: 'dtype' must be one of "
                                f"{', '.join(DTYPES)}, got {shown(self.dtype)}")
        rate = self.epochs_per_second
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, (int, float))
            or not math.isfinite(rate) or rate <= 0
        ):
            raise TrainingError(
                "training settings: 'epochs_per_second' must be a positive number or null, "
                f"got {rate!r}"
            )
        if self.threshold is not None and (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, (int, float))
            or not math.isfinite(self.threshold)
        ):
            raise TrainingError(
                f"training settings: 'threshold' must be a number, got {shown(self.threshold)}"
            )


def _whole(key: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
        high is not None and value > high
    ):
        bound = f">= {low}" if high is None else f"from {low} to {high:,}"
        raise TrainingError(
            f"training settings: {key!r} must be a whole number {bound}, got {shown(value)}"
        )
    return value
