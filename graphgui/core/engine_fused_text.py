"""The text of a tensor Program's generated passes (engine_fused.py compiles and runs it).

``forward_lines`` and ``backward_text`` write straight-line Python from the compiled
Program only (slots, op names, shapes): the registry rules' own NumPy calls, the fused rules
(matmul + bias add, sigmoid + bce) and, with buffers, ``out=`` writes and in-place chains.
Never from user text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

_INLINE = {"add": "+", "sub": "-", "mul": "*"}

# Elementwise activations written as their rules' one ufunc call (the forward) and their
# gradients' calls (in backward_text), so they write into buffers too, in place along a
# chain (matmul, bias add, activation in one buffer) where no one reads the intermediate.
_ELEMENTWISE = {"tanh": "_tanh({x}{out})", "relu": "_max({x}, 0.0{out})"}


def _node(program: Any, k: int) -> Any:
    return program.graph_node(program.ids[k])


def forward_lines(program: Any, shapes: list[Any], dtypes: list[Any], names: dict[str, Any],
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


def backward_text(program: Any, shapes: list[Any], names: dict[str, Any],
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

    def buffered(k: int) -> bool:  # may k's gradient be a buffer? A source's: fresh
        return bool(buf) and not _node(program, k).is_source

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
            same = buffered(s) and shapes[a] == np.broadcast_shapes(shapes[a], ys or ())
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
                    add(k, text + (f", out={buf(shapes[k], i)})" if buffered(k) else ")"))
            continue
        if op == "tanh" and shapes[i] is not None:  # _tanh_grad's array path: 1 - out^2
            first = f"_mul(v{i}, v{i}, out={buf(shapes[i], i)})" if buffered(a) else f"v{i} * v{i}"
            lines += [f"    _c = {first}", "    _sub(1.0, _c, out=_c)", f"    _c *= {g}"]
            add(a, "_c")
            continue
        if op == "relu" and shapes[i] is not None and shapes[i] == shapes[a]:
            # _relu_grad's g * (x > 0), from the output: relu(x) > 0 exactly where x > 0
            in_buffer = buffered(a)
            if in_buffer and only_wrt and i in alone and i not in targets:
                # in g's own buffer: only this rule reads g, and the caller reads no
                # gradient but the targets' (g's slot is then None, as a skipped one)
                lines += [f"    _mul({g}, _gt(v{i}, 0), out={g})", f"    _c = {g}",
                          f"    {g} = None"]
                add(a, "_c")
                continue
            target = f", out={buf(shapes[i], i)}" if in_buffer else ""
            add(a, f"_mul({g}, _gt(v{i}, 0){target})")
            continue
        if op == "sigmoid" and shapes[i] is not None:  # _sigmoid_grad's array path
            first = f"_sub(1.0, v{i}, out={buf(shapes[i], i)})" if buffered(a) else f"1.0 - v{i}"
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
