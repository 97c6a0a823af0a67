"""The Trainer's step on the fused path, without the Program's per-pass checks.

Each call of ``Program.forward`` and ``Program.gradients`` finds the generated code for the
sources' shapes (a key of every source's shape and dtype), copies the value list, checks
that the gradients are asked of the values just computed, and each parameter's update is a
call of the optimizer: about 6 us of a 28 us step of the moons network, where the generated
code itself takes 20. Within one run none of that changes from step to step: the feed is the
same arrays, SGD keeps every parameter's shape and dtype. :class:`FusedSGDStep` looks the
code up once per feed and then runs it directly, with SGD's update written out: the same
operations in the same order, so the numbers are the general step's to the bit
(tests/core/test_fused_step.py).

Where the buffered code has it (one dtype, every parameter an array), the backward writes
the parameters' gradients into one flat array and the parameters live in two flat arrays
that take turns (:class:`_FlatParameters`): the update of all of them is then ``G *= lr``
and ``np.subtract(P, G, out=P')``, two calls where per-parameter SGD takes eight, with the
same numbers (elementwise operations do not depend on how the elements are grouped).

It steps aside (``step`` returns None: the Trainer takes its general path) for anything else:
another optimizer or L2, a graph or shapes without fused code, a pass outside
``Program.batch_mode`` (the code expects NumPy's error state set), a non-finite loss (the
general path names the node and rolls back) and any exception in the generated code.
"""

from __future__ import annotations

import math
from operator import is_
from typing import Any

import numpy as np

from ..engine_flat import Stepping, views
from ..optimizers import SGD


class FusedSGDStep:
    """Forward, parameter gradients and the SGD update of one batch, for one Trainer."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self._feed: Any = None  # the feed (dict) the functions below were looked up for
        self._code: tuple[Any, Any] | None = None
        self._in_place: bool | None = None  # may lr * g overwrite g? (decided on one step)
        self._stepping: Stepping | None = None  # the flat gradients, if the code has them
        self._flat: _FlatParameters | None = None
        self.steps = 0  # steps taken here (tests)

    @staticmethod
    def applies(trainer: Any) -> bool:
        optimizer = trainer.optimizer
        program = trainer.program
        return (type(optimizer) is SGD and not optimizer.l2 and program.fused is not None
                and program.fast_path is None)

    def _lookup(self, feed: dict[str, Any], vals: list[Any]) -> tuple[Any, Any] | None:
        fused = self.trainer.program.fused
        self._feed = self._code = None
        key = fused._key(vals)
        code = fused._codes.get(key) if key is not None else None
        if not code:  # not compiled yet (the general step does) or not fusable
            return None
        forward, _, backward_wrt = code.reusing() if fused.reuse else (
            code.forward, code.backward, code.backward_wrt)
        stepping = code.stepping() if fused.reuse else None
        slots = [k for _, k in self.trainer._param_slots]
        if stepping is not None and sorted(slots) == list(stepping.views):
            backward_wrt = stepping.backward
            flat = self._flat
            if flat is None or flat.layout != stepping.layout:
                self._flat = _FlatParameters(stepping)
        else:
            stepping = None
        self._stepping = stepping
        self._feed, self._code, self._in_place = feed, (forward, backward_wrt), None
        return self._code

    def forget(self) -> None:
        """A parameter was set from outside (its shape may differ): look the code up again."""
        self._feed = self._code = None

    def step(self, feed: dict[str, Any], labels: Any, norms: list[float] | None
             ) -> tuple[float, int] | None:
        """(loss, correct count), or None for the Trainer's general step."""
        trainer = self.trainer
        program = trainer.program
        fused = program.fused
        if fused is None or program._own_errstate:
            return None
        initial = program.initial
        vals = initial.copy()
        slot = program.slot
        for nid, value in feed.items():
            vals[slot[nid]] = value
        code = self._code if feed is self._feed else self._lookup(feed, vals)
        if code is None:
            return None
        forward, backward_wrt = code
        try:
            out = forward(vals)
            loss = out[trainer._loss_slot]
            if not math.isfinite(loss):
                return None  # the general step names the node and rolls back
            grads = backward_wrt(out, 1.0)
        except Exception:  # noqa: BLE001 (the general step runs it and names the failure)
            self._feed = self._code = None
            return None
        trainer._current_feed = feed
        correct = 0 if labels is None else trainer._correct(trainer._prediction(out), labels)
        trainer._previous = initial.copy()
        trainer._previous_feed = feed
        if norms is not None:
            trainer._add_norms(norms, grads)
        lr = trainer.optimizer.lr
        if self._stepping is not None:
            self._flat.apply(self._stepping, grads, initial, lr)
        else:
            self._update(grads, initial, lr)
        fused.forward_runs += 1  # the passes the fused code ran, as Program's count them
        fused.backward_runs += 1
        self.steps += 1
        return loss, correct


    def _update(self, grads: list[Any], initial: list[Any], lr: float) -> None:
        """SGD parameter by parameter (where the code has no flat gradients)."""
        slots = self.trainer._param_slots
        in_place = self._in_place
        if in_place is None:
            in_place = self._in_place = _scalable(grads, slots)
        for _, k in slots:
            g = grads[k]
            if g is None:
                continue
            if in_place:  # lr * g into g's own memory: a buffer the next step overwrites
                g *= lr
                initial[k] = initial[k] - g  # a new array: the old one is the rollback's
            else:
                initial[k] = initial[k] - lr * g  # SGD.update, written out


def _scalable(grads: list[Any], slots: list[tuple[str, int]]) -> bool:
    """True when every parameter's gradient is an array of its own (no view, none shared):
    then scaling one in place changes no other. The generated code makes the same kind of
    array in the same place on every step, so one step's answer holds for the run."""
    arrays = [grads[k] for _, k in slots if grads[k] is not None]
    return (all(g.__class__ is np.ndarray and g.base is None and g.flags.writeable
                for g in arrays)
            and len({id(g) for g in arrays}) == len(arrays))



class _FlatParameters:
    """The parameters in two flat arrays of the gradients' layout, taking turns: a step
    reads one and writes ``w - lr * g`` into the other, two NumPy calls for all of them
    (as SGD's ``w - lr * g`` per parameter: the same numbers). The one read stays as it
    was, for the rollback (``Trainer._previous``); the snapshot holds views of the one
    written. A parameter set from outside is not a view: the step reads it where it is."""

    def __init__(self, stepping: Stepping) -> None:
        self.layout = stepping.layout
        self.flats = [np.empty_like(stepping.flat), np.empty_like(stepping.flat)]
        self.views = [views(flat, self.layout) for flat in self.flats]
        self.current: int | None = None  # the array the snapshot holds views of
        slots = [k for k, _, _ in self.layout]
        if slots == list(range(slots[0], slots[0] + len(slots))):  # one slice of the list
            self._span: slice | None = slice(slots[0], slots[0] + len(slots))
        else:
            self._span = None
            self._slots = slots

    def _held(self, initial: list[Any]) -> list[Any]:
        span = self._span
        return initial[span] if span is not None else [initial[k] for k in self._slots]

    def apply(self, stepping: Stepping, grads: list[Any], initial: list[Any], lr: float) -> None:
        gradient = stepping.views
        if stepping.copies is None:  # the same code puts the same arrays there every step
            stepping.copies = [k for k, view in gradient.items() if grads[k] is not view]
        for k in stepping.copies:  # rules that made an array of their own (or none reached)
            g = grads[k]
            np.copyto(gradient[k], 0.0 if g is None else g)
        # Write into the array the snapshot did not hold last: the parameters not set from
        # outside may still be views of that one, and so is the rollback's copy.
        target = 1 if self.current == 0 else 0
        current = self.current
        if current is not None and not all(map(is_, self._held(initial), self.views[current])):
            current = None  # some set from outside: read each where it is
        flat = stepping.flat
        flat *= lr
        written = self.views[target]
        if current is None:
            for (k, _, _), view in zip(self.layout, written, strict=True):
                np.subtract(initial[k], gradient[k], out=view)
        else:
            np.subtract(self.flats[current], flat, out=self.flats[target])
        if self._span is not None:
            initial[self._span] = written
        else:
            for k, view in zip(self._slots, written, strict=True):
                initial[k] = view
        self.current = target
