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

_MAX_CODES = 4  # sets of source shapes a Program keeps generated code for
_INLINE = {"add": "+", "sub": "-", "mul": "*"}


class FusedPath:
    """A tensor Program's generated passes, per set of source shapes and dtypes."""

    def __init__(self, program: Any) -> None:
        self._program = program
        self._codes: dict[tuple, _Code | None] = {}
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
        if code is False:  # a new set of shapes: the interpreter's pass, then the code
            return self._first(key, overrides)
        if code is None:
            return None
        run = code.reusing()[0] if self.reuse else code.forward
        try:
            if self._program._own_errstate:
                with np.errstate(all="ignore"):
                    out = run(vals)
            else:
                out = run(vals)
        except Exception:  # noqa: BLE001  (the interpreter runs it and names the failure)
            return None
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
            self._codes[key] = _Code(program, vals, adopt=self.reuse, keep=self.keep)
        except _NotFusable:
            self._codes[key] = None
        return vals

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


# Elementwise activations written as their rules' one ufunc call (the forward) and their
# gradients' calls (in _backward_text), so they write into buffers too, in place along a
# chain (matmul, bias add, activation in one buffer) where no one reads the intermediate.
_ELEMENTWISE = {"tanh": "_tanh({x}{out})", "relu": "_max({x}, 0.0{out})"}

_CALLS = {"_dot": np.dot, "_tanh": np.tanh, "_gt": np.greater, "_neg": np.negative,
          "_exp": np.exp, "_recip": np.reciprocal, "_reduce": np.add.reduce, "_log": np.log,
          "_max": np.maximum, "_add": np.add, "_sub": np.subtract, "_mul": np.multiply}


class _Code:
    """The generated forward and the two backward functions for one set of shapes; with
    buffers (:meth:`reusing`) a second set that writes arrays into buffers of its own."""

    def __init__(self, program: Any, vals: list[Any], adopt: bool = False,
                 keep: frozenset[int] | None = None) -> None:
        self.out = program._out_slot
        self._keep = keep
        self._adopt = _adoptable(program, vals) if adopt else {}
        self._program = program
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
                buffers[name] = own if ok else np.empty(shape, dtype=dtypes[slot])
                buf.ids.add(id(buffers[name]))
                return name

            def halves(name: str) -> tuple[str, str]:  # views of a buffer's two rows
                buffers[name + "a"], buffers[name + "b"] = buffers[name]
                return name + "a", name + "b"

            buf.halves = halves
            buf.ids = set()
            buf.handed = []  # the names handed out, in order (for the step's backward)
            buf.replay = None  # names to hand out again instead of new buffers
        dead: set[int] = set()
        keep = self._keep if buffers is not None else None
        texts = (_forward_lines(program, shapes, dtypes, names, buf, keep, dead),
                 _backward_text(program, shapes, names, False, buf))
        if buf is not None:
            buf.handed = []
        texts += (_backward_text(program, shapes, names, True, buf),)
        stepping = flat_gradients(program, shapes, dtypes) if buf is not None else None
        if stepping is not None:
            # backward_wrt again, writing the targets' gradients into one flat array (an
            # optimizer's step may then scale and apply them in one call each) and sharing
            # backward_wrt's buffers: a pass runs one of the two
            into = {k: f"_G{k}" for k in stepping.views}
            buffers.update({f"_G{k}": view for k, view in stepping.views.items()})
            buf.replay = list(buf.handed)
            texts += (_backward_text(program, shapes, names, True, buf, into=into),)
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


def _adoptable(program: Any, vals: list[Any]) -> dict[int, np.ndarray]:
    """The arrays of an interpreter pass that may become buffers: computed values that own
    their memory, contiguous and writeable, held by no other slot (identity returns its
    input) and no source."""
    count: dict[int, int] = {}
    for v in vals:
        count[id(v)] = count.get(id(v), 0) + 1
    out = {}
    for i, *_ in program._plan:
        v = vals[i]
        if (v.__class__ is np.ndarray and v.base is None and v.flags.c_contiguous
                and v.flags.writeable and count[id(v)] == 1):
            out[i] = v
    return out


def _node(program: Any, k: int) -> Any:
    return program.graph_node(program.ids[k])


def _forward_lines(program: Any, shapes: list[Any], dtypes: list[Any], names: dict[str, Any],
                   buf: Any, keep: frozenset[int] | None = None,
                   dead: set[int] | None = None) -> str:
    n = len(program.ids)
    lines = ["def forward(vals):", f"    ({', '.join(f'v{k}' for k in range(n))},) = vals"]
    uses = [0] * n  # how many plan entries read each slot
    for _, _, a, b in program._plan:
        uses[a] += 1
        if b >= 0:
            uses[b] += 1
    owned: set[int] = set()  # slots whose array is this pass's own buffer

    def spare(k: int) -> bool:  # a buffer only its one consumer reads: may be overwritten
        return keep is not None and k in owned and uses[k] == 1 and k not in keep

    for i, fn, a, b in program._plan:
        node = _node(program, i)
        op = node.op
        arrays = shapes[i] is not None and shapes[a] is not None and (
            b < 0 or shapes[b] is not None)
        if (op == "add" and arrays and spare(a) and shapes[a] == shapes[i]
                and _node(program, a).op == "matmul"):  # Z = W @ A + b in W @ A's buffer
            lines += [f"    v{i} = v{a}", f"    v{i} += v{b}", f"    v{a} = None"]
            dead.add(a)
            owned.add(i)
            continue
        if op == "sigmoid" and arrays and spare(a):  # in place on its input's buffer
            lines += [f"    _t = v{a}", f"    v{a} = None", "    _neg(_t, out=_t)",
                      "    _exp(_t, out=_t)", "    _t += 1.0", f"    v{i} = _recip(_t, out=_t)"]
            dead.add(a)
            owned.add(i)
            continue
        if op in _ELEMENTWISE and arrays and shapes[a] == shapes[i]:
            call = _ELEMENTWISE[op]
            if spare(a):  # in place on its input's buffer (the chain's one buffer)
                lines += [f"    v{i} = {call.format(x=f'v{a}', out=f', out=v{a}')}",
                          f"    v{a} = None"]
                dead.add(a)
                owned.add(i)
                continue
            target = f", out={buf(shapes[i], i, True)}" if buf else ""
            lines.append(f"    v{i} = {call.format(x=f'v{a}', out=target)}")
            if target:
                owned.add(i)
            continue
        out = f", out={buf(shapes[i], i, True)}" if buf and shapes[i] is not None else ""
        if out and (op in _INLINE or op == "sigmoid" or (op == "matmul" and arrays)):
            owned.add(i)
        if op == "matmul" and arrays and len(shapes[a]) == 2 and len(shapes[b]) == 2:
            lines.append(f"    v{i} = _dot(v{a}, v{b}{out})")
        elif op in _INLINE and out:  # _add, _sub, _mul are these operators
            lines.append(f"    v{i} = _{op}(v{a}, v{b}{out})")
        elif op in _INLINE:
            lines.append(f"    v{i} = v{a} {_INLINE[op]} v{b}")
        elif (op == "bce" and buf and shapes[a] is not None and shapes[b] is not None
              and np.broadcast_shapes(shapes[a], shapes[b]) == shapes[a] and shapes[a]):
            # the same calls in buffers, both logs in one, so one clamp
            both = buf((2, *shapes[a]), a)  # in p's dtype
            p, q = buf.halves(both)
            size = _count(shapes[a], shapes[b])
            total = f"_reduce({p}, axis=None)"
            mean = (f"float({total}) / {size}" if dtypes[a] == np.float64
                    else f"float({total} / {size})")  # float32's division in float32
            lines += [f"    _log(v{a}, out={p})", f"    _sub(1.0, v{a}, out={q})",
                      f"    _log({q}, out={q})", f"    _max({both}, -100.0, out={both})",
                      f"    _mul(v{b}, {p}, out={p})", f"    _mul(_complement(v{b}), {q}, out={q})",
                      f"    _add({p}, {q}, out={p})", f"    v{i} = 0.0 - {mean}"]
        elif op == "bce" and shapes[a] is not None and _count(shapes[a], shapes[b]):
            # _bce's array path, call for call, without its errstate (the pass has one)
            lines += [f"    _p = _log(v{a})", f"    _q = _log(1.0 - v{a})",
                      "    _max(_p, -100.0, out=_p)", "    _max(_q, -100.0, out=_q)",
                      f"    _l = v{b} * _p", f"    _l += _complement(v{b}) * _q",
                      f"    v{i} = 0.0 - float(_l.sum() / _l.size)"]
        elif op == "sigmoid" and arrays:  # _sigmoid's array path, call for call
            lines += [f"    _t = _neg(v{a}{out})", "    _exp(_t, out=_t)", "    _t += 1.0",
                      f"    v{i} = _recip(_t, out=_t)"]
        else:
            names[f"f{i}"] = fn
            args = f"v{a}" if b < 0 else f"v{a}, v{b}"
            lines.append(f"    v{i} = f{i}({args})")
    lines.append(f"    return [{', '.join(f'v{k}' for k in range(n))}]")
    return "\n".join(lines) + "\n\n"


def _bias_axes(z: tuple[int, ...], bias: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The axes unbroadcast sums a bias's gradient over (same rank, size 1 there)."""
    if bias is None or len(bias) != len(z):
        return None
    axes = []
    for k, (m, n) in enumerate(zip(z, bias, strict=True)):
        if m != n:
            if n != 1:
                return None
            axes.append(k)
    return tuple(axes)


def _backward_text(program: Any, shapes: list[Any], names: dict[str, Any],
                   only_wrt: bool, buf: Any, into: Mapping[int, str] | None = None) -> str:
    """A backward pass's text; ``into`` (slot: array name) makes it ``backward_step``,
    writing those slots' gradients into the named arrays where a rule makes a new one."""
    n = len(program.ids)
    out = program._out_slot
    consumers = program._consumers
    targets = program._targets
    name = "backward_step" if into else "backward_wrt" if only_wrt else "backward"
    outs = into or {}
    lines = [f"def {name}(vals, seed):",
             f"    ({', '.join(f'v{k}' for k in range(n))},) = vals",
             f"    g{out} = seed"]
    has = {out}
    skip: set[int] = set()

    shared: set[int] = set()  # gradients that may be (a view of) a buffer
    alone: set[int] = set()  # gradients in a buffer of their own that no other name holds

    def add(k: int, expr: str) -> None:
        if k in has:  # a sum: a fresh array
            lines.append(f"    g{k} = g{k} + {expr}")
            shared.discard(k)
            alone.discard(k)
            return
        if expr.startswith("_dot(") and "out=_B" in expr:
            alone.add(k)
        if k in outs and expr.startswith(("_dot(", "_reduce(")) and "out=" not in expr:
            lines.append(f"    g{k} = {expr[:-1]}, out={outs[k]})")  # the same call
            has.add(k)
            return
        lines.append(f"    g{k} = {expr}")
        has.add(k)
        if "out=" in expr or not expr.startswith(("_dot(", "_reduce(")):
            shared.add(k)

    for i, a, b, ra, rb in program._bwork:
        if i not in has or i in skip:
            continue
        node = _node(program, i)
        op = node.op
        g = f"g{i}"
        if (only_wrt and op == "bce" and ra is not None
                and _node(program, a).op == "sigmoid" and consumers[a] == 1
                and a not in targets and shapes[a] is not None):
            s = program._inputs[a][0]
            ys = shapes[b]
            same = (buf and shapes[a] == np.broadcast_shapes(shapes[a], ys or ())
                    and not _node(program, s).is_source)  # a source's gradient: fresh
            diff = f"_sub(v{a}, v{b}, out={buf(shapes[a], a)})" if same else f"v{a} - v{b}"
            lines += [f"    _c = {diff}", f"    _c *= {g} / {_count(shapes[a], ys) or 1}"]
            if np.broadcast_shapes(shapes[a], ys or ()) != shapes[a]:
                names["_unb"] = _unbroadcast()
                lines.append(f"    _c = _unb(_c, v{a})")
            if program.needs_grad[s]:
                add(s, "_c")
            skip.add(a)
            if rb is not None:
                names[f"rb{i}"] = rb
                add(b, f"rb{i}({g}, v{i}, v{a}, v{b})")
            continue
        if (op == "add" and ra is not None and shapes[i] is not None
                and _node(program, a).op == "matmul" and shapes[a] == shapes[i]
                and _is_matrix_pair(program, shapes, a)):
            # matmul + bias add, one rule: W @ A's gradient is g itself, b's is g summed
            # over the bias's broadcast axes; W's and A's follow at the matmul's entry
            add(a, g)
            if rb is not None:
                axes = _bias_axes(shapes[i], shapes[b])
                if axes is not None:
                    add(b, f"_reduce({g}, axis={axes}, keepdims=True)")
                else:
                    names[f"rb{i}"] = rb
                    add(b, f"rb{i}({g}, v{i}, v{a}, v{b})")
            continue
        if op == "matmul" and shapes[a] is not None and _is_matrix_pair(program, shapes, i):
            for k, rule, text in ((a, ra, f"_dot({g}, v{b}.T"), (b, rb, f"_dot(v{a}.T, {g}")):
                if rule is not None:  # buffers for the values' gradients, not the sources'
                    into = buf and not _node(program, k).is_source
                    add(k, text + (f", out={buf(shapes[k], i)})" if into else ")"))
            continue
        if op == "tanh" and shapes[i] is not None:  # _tanh_grad's array path: 1 - out^2
            into = buf and not _node(program, a).is_source
            first = f"_mul(v{i}, v{i}, out={buf(shapes[i], i)})" if into else f"v{i} * v{i}"
            lines += [f"    _c = {first}", "    _sub(1.0, _c, out=_c)", f"    _c *= {g}"]
            add(a, "_c")
            continue
        if op == "relu" and shapes[i] is not None and shapes[i] == shapes[a]:
            # _relu_grad's g * (x > 0), from the output: relu(x) > 0 exactly where x > 0
            into = buf and not _node(program, a).is_source
            if into and only_wrt and i in alone and i not in targets:
                # in g's own buffer: only this rule reads g, and the caller reads no
                # gradient but the targets' (g's slot is then None, as a skipped one)
                lines += [f"    _mul({g}, _gt(v{i}, 0), out={g})", f"    _c = {g}",
                          f"    {g} = None"]
                add(a, "_c")
                continue
            target = f", out={buf(shapes[i], i)}" if into else ""
            add(a, f"_mul({g}, _gt(v{i}, 0){target})")
            continue
        if op == "sigmoid" and shapes[i] is not None:  # _sigmoid_grad's array path
            into = buf and not _node(program, a).is_source  # a source's gradient: fresh
            first = f"_sub(1.0, v{i}, out={buf(shapes[i], i)})" if into else f"1.0 - v{i}"
            lines += [f"    _c = {first}", f"    _c *= v{i}", f"    _c *= {g}"]
            add(a, "_c")
            continue
        for port, (k, rule) in enumerate(((a, ra), (b, rb))):
            if rule is None:
                continue
            names[f"r{port}_{i}"] = rule
            args = f"v{a}" if b < 0 else f"v{a}, v{b}"
            add(k, f"r{port}_{i}({g}, v{i}, {args})")
    def result(k: int) -> str:
        if k not in has:
            return "None"
        if buf and k in shared and _node(program, k).is_source and k not in outs:
            names["_fresh"] = _fresh  # the optimizers may keep a gradient: never a buffer
            names["_BUFFERS"] = buf.ids
            return f"_fresh(g{k}, _BUFFERS)"
        return f"g{k}"

    lines.append(f"    return [{', '.join(result(k) for k in range(n))}]")
    return "\n".join(lines) + "\n\n"


def _fresh(g: Any, buffers: set[int]) -> Any:
    """``g``, copied if it is one of the pass's buffers or a view of one."""
    if g.__class__ is np.ndarray and (id(g) in buffers or id(g.base) in buffers):
        return g.copy()
    return g


def _count(a: tuple[int, ...], b: tuple[int, ...] | None) -> int:
    """How many terms a loss of inputs shaped a and b averages (_helpers.broadcast_count)."""
    return int(np.prod(np.broadcast_shapes(a, b or ())))


def _is_matrix_pair(program: Any, shapes: list[Any], m: int) -> bool:
    ins = program._inputs[m]
    return len(ins) == 2 and all(shapes[k] is not None and len(shapes[k]) == 2 for k in ins)


def _unbroadcast():
    from .ops._helpers import unbroadcast

    return unbroadcast


__all__ = ["FusedPath"]
