"""Fused execution of tensor programs: an execution plan, not a change of the graph.

A Program whose values are arrays runs its fast passes (``forward``, ``gradients``) as
straight-line Python generated from its own plans, once per set of source shapes and
dtypes, with a few known patterns written as one rule:

- **matmul + bias add** (``Z = W @ A + b``, the matmul feeding only the add): forward
  ``np.dot`` then ``+``; backward the three gradients at once (``g`` for W @ A itself,
  ``sum(g)`` over the broadcast axes for b, ``g @ A^T`` and ``W^T @ g``).
- **sigmoid + bce** (the sigmoid's output feeding only the loss's ``p``): backward
  ``(p - y) * (g / n)`` straight to the sigmoid's input (the logits form), skipping
  d loss / d p = (p - y) / (p (1 - p)) / n and its product with p (1 - p). Only when the
  caller reads the gradients of the ``wrt`` targets (``gradients(only_wrt=True)``, what the
  Trainer does): the sigmoid output's own gradient is then None.
- every other node: its own registry rules, called as the interpreter calls them (sigmoid,
  matmul and the arithmetic ops written out as the very NumPy calls of their rules).

Values are the interpreter's to the bit (the same calls in the same order) and every node's
value is in its slot. Gradients are too, except through a fused sigmoid + bce, where they
agree to rounding (a few ulp) and differ where the unfused rule clips: bce's gradient divides
by max(p (1 - p), 1e-12), so for |z| > ~27.6 (p (1 - p) < 1e-12) the unfused gradient is
damped by that floor, and where p rounds to exactly 0 or 1 (|z| > ~36.7 for p = 1) it is 0;
the fused one is the exact p - y there (what bce_logits gives).

The code is written from the compiled Program only (slots, op names, shapes), never from
user text. A pass whose sources differ in shape or dtype from the generated code's, or
whose generated code raises, returns None: the caller runs the interpreter, which reports
failures as it always does. Recorded passes (the stepper, wire gradients) never come here.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from .engine_flat import Stepping, flat_gradients
from .engine_fused_text import backward_text, forward_lines
from .engine_pool import BufferPool, adoptable
from .sizes import predict_shapes

_MAX_CODES = 4  # sets of source shapes a Program keeps generated code for


class FusedPath:
    """A tensor Program's generated passes, per set of source shapes and dtypes."""

    def __init__(self, program: Any) -> None:
        self._program = program
        self._codes: dict[tuple, _Code | None] = {}
        self._pool = BufferPool()  # the buffers' memory, shared by the codes (engine_pool)
        self._last: tuple[list[Any], list[Any], _Code] | None = None
        self._sources = [k for k, nid in enumerate(program.ids)
                         if program.graph_node(nid).is_source]
        self.forward_runs = self.backward_runs = 0
        # Write arrays into buffers kept across passes (_Code.reusing): a pass's values and
        # gradients are then valid until the next pass. For a caller that keeps none.
        self.reuse = False
        # With reuse: the slots the caller reads (None: all). Values no one reads may then be
        # overwritten in place by their one consumer (Z = W @ A + b into W @ A's buffer, a
        # sigmoid into Z's), as hand-written NumPy does; those slots hold None.
        self.keep: frozenset[int] | None = None

    @classmethod
    def for_program(cls, program: Any) -> FusedPath | None:
        """None for a Program that cannot fail over to it: compile errors, no output."""
        if program.errors or program._out_slot < 0 or not program._plan:
            return None
        return cls(program)

    def _key(self, vals: list[Any]) -> tuple | None:
        """The sources' shapes and dtypes (None: a float); None if one is neither or all
        are floats (those are the scalar fast path's)."""
        key = []
        arrays = False
        for k in self._sources:
            v = vals[k]
            if v.__class__ is np.ndarray:
                key.append(v.shape)
                key.append(v.dtype.char)  # a char: a dtype == None is float64's dtype
                arrays = True
            elif v.__class__ is float:
                key.append(None)
            else:
                return None
        return tuple(key) if arrays else None

    def forward(self, initial: list[Any], overrides: Mapping[str, Any] | None,
                slot: Mapping[str, int]) -> list[Any] | None:
        vals = list(initial)
        if overrides:
            for nid, value in overrides.items():
                vals[slot[nid]] = value
        key = self._key(vals)
        if key is None:
            return None
        code = self._codes.get(key, False)
        new = False
        if code is False:  # a new set of shapes: the interpreter's pass, then the code
            code = self._predicted(vals) if self.reuse else None
            if code is None:
                return self._first(key, overrides)
            new = True
        if code is None:
            return None
        try:
            run = code.reusing()[0] if self.reuse else code.forward
            if self._program._own_errstate:
                with np.errstate(all="ignore"):
                    out = run(vals)
            else:
                out = run(vals)
        except Exception:  # noqa: BLE001  (the interpreter runs it and names the failure)
            return self._first(key, overrides) if new else None
        if new:
            if not _as_predicted(code, out):
                return self._first(key, overrides)
            if len(self._codes) >= _MAX_CODES:
                self._codes.clear()
            self._codes[key] = code
        self._last = (out, list(out), code)
        self.forward_runs += 1
        return out

    def _first(self, key: tuple, overrides: Mapping[str, Any] | None) -> list[Any] | None:
        program = self._program
        vals, _ = program._run_forward(overrides, tolerant=False)
        if len(self._codes) >= _MAX_CODES:
            self._codes.clear()
        try:
            # with buffers, this pass's own arrays become the first ones (their pages are
            # touched already: a new 30 MB array costs ~50 ms of page faults here)
            self._codes[key] = _Code(program, vals, adopt=self.reuse, keep=self.keep,
                                     pool=self._pool)
        except _NotFusable:
            self._codes[key] = None
        return vals

    def _predicted(self, vals: list[Any]) -> _Code | None:
        """With buffers, a code for a second set of shapes (the test set after the training
        set) without an interpreter pass first: every slot's shape from the ops' shape
        rules, which slots are floats and the dtypes from a code already made (the same
        sources, arrays and floats alike, the same dtypes), its buffers in the pool's
        memory. None where anything differs or a result would be too large (the
        interpreter then runs and reports); its first pass is checked against the
        prediction (:func:`_as_predicted`)."""
        template = next((c for c in self._codes.values() if c), None)
        if template is None:
            return None
        program = self._program
        predicted, bad = predict_shapes(program._nodes, program.ids, program._plan, vals)
        if bad:
            return None
        shapes, dtypes = list(template._shapes), list(template._dtypes)
        for k in self._sources:
            v = vals[k]
            array = v.__class__ is np.ndarray
            if array != (shapes[k] is not None) or (array and v.dtype != dtypes[k]):
                return None
            shapes[k] = v.shape if array else None
        for i, *_ in program._plan:
            if shapes[i] is not None:
                if predicted[i] is None:
                    return None
                shapes[i] = tuple(predicted[i])
        try:
            return _Code(program, None, keep=self.keep, pool=self._pool,
                         shapes=(shapes, dtypes))
        except _NotFusable:
            return None

    def gradients(self, vals: list[Any], seed: Any, only_wrt: bool) -> list[Any] | None:
        """Gradients of values from this object's last forward pass (else None)."""
        last = self._last
        if last is None or vals is not last[0] or any(map(operator.is_not, vals, last[1])):
            return None
        code = last[2]
        if self.reuse:
            run = code.reusing()[2 if only_wrt else 1]
        else:
            run = code.backward_wrt if only_wrt else code.backward
        if seed is None:
            value = vals[code.out]
            seed = 1.0 if value.__class__ is float else np.ones_like(value)
        try:
            if self._program._own_errstate:
                with np.errstate(all="ignore"):
                    grads = run(vals, seed)
            else:
                grads = run(vals, seed)
        except Exception:  # noqa: BLE001
            return None
        self.backward_runs += 1
        return grads

    def all_values(self, overrides: Mapping[str, Any] | None) -> list[Any]:
        """Every node's value, by the interpreter (for a failure report after a pass that
        kept only some values)."""
        return self._program._run_forward(overrides, tolerant=True)[0]

    def source(self, only_wrt: bool = False) -> str | None:
        """The generated text of the last pass's code (for tests and the design notes)."""
        if self._last is None:
            return None
        code = self._last[2]
        return code.text_wrt if only_wrt else code.text


class _NotFusable(Exception):
    pass


def _as_predicted(code: _Code, out: list[Any]) -> bool:
    """Did a predicted code's pass make the values it was written for (arrays of those
    shapes and dtypes, floats where floats)?"""
    for k, v in enumerate(out):
        if v is None:
            continue
        shape = code._shapes[k]
        if shape is None:
            if v.__class__ is np.ndarray:
                return False
        elif v.__class__ is not np.ndarray or v.shape != shape or v.dtype != code._dtypes[k]:
            return False
    return True


class _Complement:
    """``1.0 - y`` for bce's labels, computed once for labels that cannot change: the same
    read-only array of its own on every pass (the Trainer's), else every time."""

    __slots__ = ("y", "c")

    def __init__(self) -> None:
        self.y: Any = None
        self.c: Any = None

    def __call__(self, y: Any) -> Any:
        if y is self.y:
            return self.c
        c = 1.0 - y
        if y.__class__ is np.ndarray and y.base is None and not y.flags.writeable:
            self.y, self.c = y, c
        return c


def _shape(value: Any) -> tuple[int, ...] | None:
    if value.__class__ is np.ndarray:
        return value.shape
    if value.__class__ is float:
        return None
    raise _NotFusable


_CALLS = {"_dot": np.dot, "_tanh": np.tanh, "_gt": np.greater, "_neg": np.negative,
          "_exp": np.exp, "_recip": np.reciprocal, "_reduce": np.add.reduce, "_log": np.log,
          "_max": np.maximum, "_add": np.add, "_sub": np.subtract, "_mul": np.multiply}


class _Code:
    """The generated forward and the two backward functions for one set of shapes; with
    buffers (:meth:`reusing`) a second set that writes arrays into buffers of its own."""

    def __init__(self, program: Any, vals: list[Any] | None, adopt: bool = False,
                 keep: frozenset[int] | None = None, pool: BufferPool | None = None,
                 shapes: tuple[list[Any], list[Any]] | None = None) -> None:
        """From a pass's values ``vals``, or (vals None) from ``shapes``: (shapes, dtypes)
        by slot, predicted."""
        self.out = program._out_slot
        self._keep = keep
        self._adopt = adoptable(program, vals) if adopt and vals is not None else {}
        self._pool = pool or BufferPool()
        self._program = program
        if vals is None:
            self._shapes, self._dtypes = shapes
        else:
            self._shapes = [None if v is None else _shape(v) for v in vals]
            self._dtypes = [v.dtype if v.__class__ is np.ndarray else None for v in vals]
        self._reuse: tuple[Any, Any, Any] | None = None
        self._stepping: Stepping | None = None
        self._plain: tuple[tuple[Any, Any, Any], tuple[str, ...]] | None = None
        self.text_reusing = ""  # the buffered passes' text, once built (tests, design notes)

    # Built on first use: a caller with buffers (the Trainer) never runs these, and a set
    # of shapes seen once (the test set's last evaluation) never needs code at all.
    def _plain_set(self) -> tuple[tuple[Any, Any, Any], tuple[str, ...]]:
        if self._plain is None:
            self._plain = self._build(None)
        return self._plain

    forward = property(lambda self: self._plain_set()[0][0])
    backward = property(lambda self: self._plain_set()[0][1])
    backward_wrt = property(lambda self: self._plain_set()[0][2])
    text = property(lambda self: self._plain_set()[1][1])
    text_wrt = property(lambda self: self._plain_set()[1][2])

    def _build(self, buffers: dict[str, Any] | None) -> tuple[tuple[Any, Any, Any], tuple]:
        program, shapes, dtypes = self._program, self._shapes, self._dtypes
        names: dict[str, Any] = dict(_CALLS)
        names["_complement"] = _Complement()
        buf = None
        if buffers is not None:
            adopt, self._adopt = self._adopt, {}

            def buf(shape: tuple[int, ...], slot: int, value: bool = False) -> str:
                if buf.replay is not None:
                    return buf.replay.pop(0)
                name = f"_B{len(buffers)}"
                buf.handed.append(name)
                own = adopt.get(slot) if value else None
                ok = own is not None and own.shape == shape and own.dtype == dtypes[slot]
                buffers[name] = self._pool.take(buf.count, shape, dtypes[slot],
                                                own if ok else None)
                buf.count += 1  # the pool's chunk: one of its own for each buffer of a code
                buf.ids.add(id(buffers[name]))
                if buffers[name].base is not None:  # a pool chunk: views of it are buffers too
                    buf.ids.add(id(buffers[name].base))
                return name

            def halves(name: str) -> tuple[str, str]:  # views of a buffer's two rows
                buffers[name + "a"], buffers[name + "b"] = buffers[name]
                return name + "a", name + "b"

            buf.halves = halves
            buf.ids = set()
            buf.count = 0
            buf.handed = []  # the names handed out, in order (for the step's backward)
            buf.replay = None  # names to hand out again instead of new buffers
        dead: set[int] = set()
        keep = self._keep if buffers is not None else None
        texts = (forward_lines(program, shapes, dtypes, names, buf, keep, dead),
                 backward_text(program, shapes, names, False, buf))
        if buf is not None:
            buf.handed = []
        texts += (backward_text(program, shapes, names, True, buf),)
        stepping = flat_gradients(program, shapes, dtypes) if buf is not None else None
        if stepping is not None:
            # backward_wrt again, writing the targets' gradients into one flat array (an
            # optimizer's step may then scale and apply them in one call each) and sharing
            # backward_wrt's buffers: a pass runs one of the two
            into = {k: f"_G{k}" for k in stepping.views}
            buffers.update({f"_G{k}": view for k, view in stepping.views.items()})
            buf.replay = list(buf.handed)
            texts += (backward_text(program, shapes, names, True, buf, into=into),)
            buf.replay = None
        read = re.compile(rf"\bv(?:{'|'.join(map(str, dead))})\b")
        if dead and any(read.search(text.split("\n", 2)[2]) for text in texts[1:]):
            # a rule reads a value overwritten in place: build it again without that
            self._keep = None
            return self._build({} if buffers is not None else None)
        namespace = {**names, **(buffers or {})}
        exec(compile("".join(texts), "<fused>", "exec"), namespace)  # noqa: S102
        if stepping is not None:
            stepping.backward = namespace["backward_step"]
            self._stepping = stepping
        return (namespace["forward"], namespace["backward"], namespace["backward_wrt"]), texts

    def reusing(self) -> tuple[Any, Any, Any]:
        """forward, backward, backward_wrt writing into buffers kept across passes: a pass's
        arrays are valid until the next pass (for a caller that keeps none, the Trainer)."""
        if self._reuse is None:
            if len({d for d in self._dtypes if d is not None}) > 1:
                self._reuse = (self.forward, self.backward, self.backward_wrt)
            else:
                self._reuse, texts = self._build({})
                self.text_reusing = "".join(texts)
        return self._reuse

    def stepping(self) -> Stepping | None:
        """The buffered passes' backward that writes the ``wrt`` targets' gradients into one
        flat array (:class:`Stepping`); None unless every target is an array of the one
        dtype of all values."""
        self.reusing()
        return self._stepping


__all__ = ["FusedPath"]
