"""The update-to-data ratio of every parameter over a training run, in a bounded buffer.

:meth:`Trainer.record_update_ratios` makes one; after each epoch that is due, the Trainer
adds std(update) / std(W) of the epoch's last update for each parameter
(:func:`graphgui.core.health.update_ratio`). It only reads the parameters, so the trained
numbers are the same with and without it.

Bounded: every epoch of the first :data:`DENSE` is kept (the ratios move fastest early),
then every ``stride``-th, the stride chosen from the planned number of epochs so that about
:data:`CAPACITY` more points are kept; a run that goes on (or was not planned) drops every
other later point when CAPACITY is reached and doubles the stride. A run of any length thus
records at most DENSE + CAPACITY points (180 ratio computations, ~10 ms for the moons
network's 10,000 epochs).

The training thread adds, the GUI thread reads (:meth:`UpdateRatioLog.snapshot`): both under
one lock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DENSE = 30  # every one of the first epochs
CAPACITY = 150  # points kept after them (a plot ~200 px wide needs no more)


@dataclass(frozen=True)
class RatioHistory:
    """What a log held when read: epochs (ints) and each parameter's ratios (nan where
    undefined), all of the same length; ``version`` grows with every point added."""

    epochs: np.ndarray
    ratios: dict[str, np.ndarray] = field(default_factory=dict)
    version: int = 0

    def latest(self) -> dict[str, float]:
        """Each parameter's last ratio (nothing when no epoch was recorded)."""
        if not len(self.epochs):
            return {}
        return {name: float(r[-1]) for name, r in self.ratios.items()}


class UpdateRatioLog:
    """Ratios per parameter (in ``names`` order) per recorded epoch, bounded (see the
    module doc). ``planned``: the epochs the run will train, to space the points."""

    def __init__(self, names: Sequence[str], planned: int | None = None,
                 dense: int = DENSE, capacity: int = CAPACITY) -> None:
        self.names = tuple(names)
        self.planned = planned
        self.dense = max(0, int(dense))
        self.capacity = max(2, int(capacity))
        later = (planned or 0) - self.dense
        self.stride = max(1, math.ceil(later / self.capacity)) if later > 0 else 1
        self._lock = threading.Lock()
        self._epochs: list[int] = []
        self._rows: list[tuple[float, ...]] = []
        self._later = 0  # points after the dense ones
        self.version = 0

    def due(self, epoch: int) -> bool:
        """True when ``epoch`` is one the log keeps (cheap: checked after every epoch): the
        first ``dense``, every ``stride``-th after them and the planned last one."""
        return (epoch <= self.dense or (epoch - self.dense) % self.stride == 0
                or epoch == self.planned)

    def add(self, epoch: int, ratios: Sequence[float]) -> None:
        """Record ``ratios`` (one per name) for ``epoch`` (training thread)."""
        row = tuple(float(r) for r in ratios)
        if len(row) != len(self.names):
            raise ValueError(f"expected {len(self.names)} ratios, got {len(row)}")
        with self._lock:
            self._epochs.append(int(epoch))
            self._rows.append(row)
            if epoch > self.dense:
                self._later += 1
                if self._later > self.capacity:
                    self._thin()
            self.version += 1

    def _thin(self) -> None:
        """Keep every other later point (those on the doubled stride)."""
        stride = 2 * self.stride
        kept = [(e, r) for e, r in zip(self._epochs, self._rows, strict=True)
                if e <= self.dense or (e - self.dense) % stride == 0]
        self._epochs = [e for e, _ in kept]
        self._rows = [r for _, r in kept]
        self._later = sum(1 for e in self._epochs if e > self.dense)
        self.stride = stride

    def __len__(self) -> int:
        return len(self._epochs)

    def snapshot(self) -> RatioHistory:
        """A copy of what is recorded now (any thread)."""
        with self._lock:
            epochs = np.array(self._epochs, dtype=np.int64)
            table = np.array(self._rows, dtype=float).reshape(len(self._rows), len(self.names))
            version = self.version
        return RatioHistory(epochs, {name: table[:, k].copy()
                                     for k, name in enumerate(self.names)}, version)


__all__ = ["CAPACITY", "DENSE", "RatioHistory", "UpdateRatioLog"]
