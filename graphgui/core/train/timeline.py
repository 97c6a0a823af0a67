"""A training run's timeline: snapshots of the parameters (with the loss and gradient norms)
kept within a memory budget, dense early and sparser later, so any moment of a long run can
be looked at again and restored exactly.

The first DENSE_HEAD epochs are kept one by one (training changes fastest there). After
them, every ``stride``-th epoch is kept, the stride starting at 1 and doubling (every
other kept snapshot dropped) whenever the budget or MAX_MOMENTS would be passed; the
newest epoch is always kept too, so the end of the run can be looked at. The spacing is
even after the head: a long run fills the budget with evenly spread moments, whatever its
length (10,000 epochs of the moons network: 720 moments in 98 kB, benchmarks/bench_timeline.py).
A run that knows its length (:meth:`Timeline.plan`) starts at the stride it would end on,
so it copies only the moments it keeps: ~720 copies instead of ~2,500 for those 10,000
epochs, the same moments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

DEFAULT_BUDGET = 8_000_000  # bytes of parameter copies one timeline may hold
DENSE_HEAD = 100  # the first snapshots are never thinned (training changes fastest there)
MAX_MOMENTS = 1_000  # snapshots kept at most (copying every epoch would cost the run 60 %)


@dataclass(frozen=True)
class Snapshot:
    """The parameters after ``epoch`` epochs (copies), with that epoch's loss and norms."""

    epoch: int
    parameters: Mapping[str, Any]
    loss: float | None = None
    grad_norms: Mapping[str, float] = field(default_factory=dict)

    @cached_property
    def nbytes(self) -> int:  # asked after every epoch kept: counted once
        return sum(int(np.asarray(v).nbytes) for v in self.parameters.values()) or 8


class Timeline:
    """The snapshots of one run, in epoch order, within ``budget`` bytes."""

    def __init__(self, label: str = "", budget: int = DEFAULT_BUDGET,
                 max_moments: int = MAX_MOMENTS) -> None:
        if budget <= 0 or max_moments < DENSE_HEAD + 2:
            raise ValueError("a timeline needs a positive budget and room for its head")
        self.label = label  # how a comparison names the run, e.g. "sgd, lr 0.1"
        self.budget = budget
        self.max_moments = max_moments
        self.snapshots: list[Snapshot] = []  # the head, then every stride-th epoch after it
        self.losses: list[tuple[int, float]] = []  # every epoch's loss (small: kept whole)
        self.stride = 1
        self._ordinals: list[int] = []  # each kept snapshot's count of epochs after the head
        self._after_head = 0
        self._latest: Snapshot | None = None  # the newest epoch, when the stride skipped it
        self._bytes = 0

    def __len__(self) -> int:
        return len(self.all())

    def all(self) -> list[Snapshot]:
        """Every snapshot kept, in epoch order (the newest included)."""
        return self.snapshots + ([self._latest] if self._latest is not None else [])

    @property
    def nbytes(self) -> int:
        return self._bytes + (self._latest.nbytes if self._latest is not None else 0)

    @property
    def epochs(self) -> list[int]:
        return [s.epoch for s in self.all()]

    def add(
        self, epoch: int, parameters: Mapping[str, Any], loss: float | None = None,
        grad_norms: Mapping[str, float] | None = None, copy: bool = True,
    ) -> None:
        """Keep the parameters after ``epoch`` epochs (copied, unless ``copy`` is False for
        values the caller already copied: the run goes on changing its own); epochs must
        grow."""
        newest = self._latest or (self.snapshots[-1] if self.snapshots else None)
        last = newest.epoch if newest is not None else None
        if last is not None and epoch <= last:
            raise ValueError(f"epoch {epoch} is not after {last}")
        copies = {k: np.array(v, copy=True) if copy and isinstance(v, np.ndarray) else v
                  for k, v in parameters.items()}
        snap = Snapshot(epoch, copies, loss, dict(grad_norms or {}))
        if snap.nbytes * 2 > self.budget:
            raise ValueError(f"one snapshot ({snap.nbytes:,} bytes) is over half the budget "
                             f"of {self.budget:,} bytes")
        if loss is not None:
            self.losses.append((epoch, float(loss)))
        self._latest = None
        if len(self.snapshots) < DENSE_HEAD and not self._ordinals:
            self._keep(snap, None)
        else:
            ordinal = self._after_head
            self._after_head += 1
            if ordinal % self.stride == 0:
                self._keep(snap, ordinal)
            else:
                self._latest = snap
        while (self.nbytes > self.budget or len(self.snapshots) > self.max_moments) \
                and self._ordinals:
            self._thin()

    def plan(self, epochs: int) -> None:
        """The run ahead trains ``epochs`` more epochs: start at the stride the thinning
        would reach by its end (a power of two, so later thinning works the same), so the
        epochs copied and then dropped again are never copied. A run that ends as planned
        keeps the very moments it would have kept (10,000 moons epochs: 720 either way,
        from ~720 copies instead of ~2,500); one stopped early keeps fewer, evenly spread.
        Call it after the first snapshot (its size tells how many fit the budget)."""
        if not self.snapshots or epochs <= 0:
            return
        size = self.snapshots[-1].nbytes
        room = min(self.max_moments, self.budget // size) - DENSE_HEAD - 1  # 1: the newest
        head_left = max(0, DENSE_HEAD - len(self.snapshots))
        after = epochs - head_left
        if room <= 0 or after <= room:
            return
        stride = self.stride
        while after > room * stride:
            stride *= 2
        self.stride = stride

    def due(self) -> bool:
        """Would the next epoch be kept? (A run copies its parameters only then.)"""
        if len(self.snapshots) < DENSE_HEAD and not self._ordinals:
            return True
        return self._after_head % self.stride == 0

    def skip(self, epoch: int, loss: float | None = None) -> None:
        """An epoch not kept (``due()`` was False): its loss joins the curve."""
        if loss is not None:
            self.losses.append((epoch, float(loss)))
        self._after_head += 1

    def finish(self, epoch: int, parameters: Mapping[str, Any]) -> None:
        """The run ended after ``epoch``: its parameters are kept as the newest snapshot."""
        if len(self) and self.all()[-1].epoch >= epoch:
            return
        copies = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                  for k, v in parameters.items()}
        self._latest = Snapshot(epoch, copies)

    def _keep(self, snap: Snapshot, ordinal: int | None) -> None:
        self.snapshots.append(snap)
        self._bytes += snap.nbytes
        if ordinal is not None:
            self._ordinals.append(ordinal)

    def _thin(self) -> None:
        """Double the stride: keep the snapshots after the head on the new stride only."""
        self.stride *= 2
        head = len(self.snapshots) - len(self._ordinals)
        kept, ordinals = self.snapshots[:head], []
        for snap, ordinal in zip(self.snapshots[head:], self._ordinals, strict=True):
            if ordinal % self.stride == 0:
                kept.append(snap)
                ordinals.append(ordinal)
            else:
                self._bytes -= snap.nbytes
        self.snapshots, self._ordinals = kept, ordinals

    def at(self, epoch: int) -> Snapshot:
        """The snapshot nearest ``epoch`` (the one before it on a tie)."""
        snaps = self.all()
        if not snaps:
            raise ValueError("the timeline is empty: train first")
        epochs = np.asarray([s.epoch for s in snaps])
        k = int(np.argmin(np.abs(epochs - epoch)))
        return snaps[k]
