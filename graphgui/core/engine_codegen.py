"""Scalar programs as generated straight-line Python: the engine's plan without its loop.

A :class:`~graphgui.core.engine.Program` whose values are all floats and whose ops all
declare scalar templates (``OpSpec.scalar_code`` and ``scalar_grads``) can run its two
passes as generated code: one line per plan entry (``v12 = math.tanh(v11)``) and one per
gradient contribution (``g11 = g12 * (1.0 - v12 * v12)``), in the order of the Program's own
forward plan and backward work list, so each value and each fan-out sum is computed by the
same operations in the same order as the interpreter: the numbers are equal to the bit.

What enters the text: slot numbers (``v12``, ``g12``), the registry's templates and the
nodes' float parameters as ``repr(float)``; never a name, title or anything else typed. The
text is compiled once per *structure* (ops, wiring, parameters and which gradients are
needed, not values) and kept in a small LRU cache shared by all Programs, so a Program built
again after a value edit finds its code. A structure is compiled on its ``COMPILE_AFTER``th
fast pass: compiling costs what about 80 (5 nodes) to 170 (47 or 10,000 nodes) passes save
(benchmarks/README.md), so a graph evaluated a few times never pays for it.

Every generated pass is checked: sources must be exact floats, and on any exception or any
non-finite value (math.log(0) raises where the interpreter gives -inf; overflow gives inf)
the caller gets None and runs that pass with the interpreter, which then reports errors,
nan and inf exactly as it always did. Recorded steps (the stepper, wire gradients) never
come here: they are the interpreter's one backward code path.

A program of up to ``CHUNK`` statements a pass is one generator (``RUN``): the forward pass
into locals and the slot list, a ``yield``, then the backward pass, so ``gradients(vals)``
given the values the last pass returned finds them in the generator's locals. A longer one
is cut into functions (``FORWARD``, ``BACKWARD``) that pass values and partial sums on
through the slot lists. Cutting costs run time wherever a program's fan-out crosses a cut
(the 10,000-node benchmark cut into 3 functions: backward 0.14 us/node, in one 0.09), while
CPython 3.11 compiles a 20,000-line function at about the cost per line of 200-line ones
(about 10 us a line, a conditional expression several times that); 3.12 and 3.13 are slower
on long functions (20,000 lines: 1.3x the time of 2,000-line pieces; 80,000: 1.4x), which
the cap bounds. Programs over ``MAX_NODES`` nodes stay interpreted.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from .ops.registry import PLACEHOLDER, SCALAR_MATH

CHUNK = 20_000  # statements per generated function (measured: see benchmarks/README.md)
MAX_NODES = 50_000  # larger programs run interpreted (compiling would take seconds)
COMPILE_AFTER = 100  # fast passes of one structure before it is compiled (~break-even)
CACHE_ENTRIES = 32  # structures whose code is kept ...
CACHE_NODES = 100_000  # ... holding at most this many nodes together
_SEEN_ENTRIES = 256  # structures whose passes are counted

# What the text may use: max, abs and math's functions, each bound to a global name of its
# own (``math_tanh``: one lookup where ``math.tanh`` takes two; see _text)
_NAMESPACE = {"__builtins__": {"max": max, "abs": abs},
              **{f"math_{name}": getattr(math, name) for name in SCALAR_MATH}}


@dataclass(frozen=True)
class ScalarCode:
    """The generated passes of one structure, and what making them cost."""

    run_fn: Callable[[list, bool], Any] | None  # both passes in one generator, or
    forward_fns: tuple[Callable[[list], None], ...]  # each pass cut into functions
    backward_fns: tuple[Callable[[list, list], None], ...]
    grad_slots: tuple[int, ...]  # the slots that get a gradient (the others stay None)
    nodes: int
    source: str
    seconds: float  # writing, compiling and executing the text

    @property
    def lines(self) -> int:
        return self.source.count("\n")


class _Key:
    """A structure as a tuple, with its hash computed once (the tuple may be long)."""

    __slots__ = ("parts", "hash")

    def __init__(self, parts: tuple) -> None:
        self.parts = parts
        self.hash = hash(parts)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.parts == other.parts


_LOCK = threading.Lock()
_CACHE: OrderedDict[_Key, ScalarCode] = OrderedDict()
_SEEN: OrderedDict[int, int] = OrderedDict()


def clear_cache() -> None:
    """Forget every compiled structure and every count (tests)."""
    with _LOCK:
        _CACHE.clear()
        _SEEN.clear()


def cache_info() -> dict[str, int]:
    with _LOCK:
        return {"entries": len(_CACHE), "nodes": sum(c.nodes for c in _CACHE.values())}


def _remember(key: _Key, code: ScalarCode) -> None:
    with _LOCK:
        _CACHE[key] = code
        _CACHE.move_to_end(key)
        total = sum(c.nodes for c in _CACHE.values())
        while len(_CACHE) > 1 and (len(_CACHE) > CACHE_ENTRIES or total > CACHE_NODES):
            _, old = _CACHE.popitem(last=False)
            total -= old.nodes


def _cached(key: _Key) -> ScalarCode | None:
    with _LOCK:
        code = _CACHE.get(key)
        if code is not None:
            _CACHE.move_to_end(key)
        return code


def _count(key: _Key) -> int:
    """This pass of ``key``'s structure, counted: how many so far. Counted by hash alone
    (a collision only moves when a structure compiles), so the counts hold no structures."""
    with _LOCK:
        count = _SEEN.pop(key.hash, 0) + 1
        _SEEN[key.hash] = count
        if len(_SEEN) > _SEEN_ENTRIES:
            _SEEN.popitem(last=False)
        return count


# ---- which Programs qualify, and the structure they are cached by ------------------------


class _Entry(NamedTuple):
    """One forward plan entry as the writer needs it."""

    slot: int
    spec: Any
    params: Mapping[str, Any]
    args: tuple[int, ...]


class FastPath:
    """A Program's generated code: whether it may have one, when it is compiled, and the
    checked runs of its two passes (None: run that pass with the interpreter)."""

    def __init__(self, program: Any, sources: tuple[int, ...]) -> None:
        # The Program's plans never change once it is built (set_source changes values only)
        self._program = program
        self._n = len(program.ids)
        self._out = program._out_slot
        self._sources = sources
        self._key: _Key | None = None
        self._entries: list[_Entry] = []
        self._work: list[tuple[int, int, int, bool, bool]] = []
        self.code: ScalarCode | None = None
        self._failed = False
        self._getter: Callable[[list], Any] | None = None
        self.forward_runs = self.backward_runs = 0  # passes the generated code completed
        # the last generated pass: (RUN waiting at its yield or None, its values, a copy)
        self._pending: tuple[Any, list[Any], list[Any]] | None = None

    @classmethod
    def for_program(cls, program: Any) -> FastPath | None:
        """The fast path of a compiled Program, or None when it cannot have one: a node
        failed to compile, there is no output, an op has no scalar template, or it is
        larger than MAX_NODES. (Whether the values are floats is checked on every pass.)"""
        if program.errors or program._out_slot < 0 or len(program.ids) > MAX_NODES:
            return None
        nodes = [program.graph_node(nid) for nid in program.ids]
        for entry in program._plan:
            if not nodes[entry[0]].spec.scalar_code:
                return None
        return cls(program, tuple(k for k, node in enumerate(nodes) if node.is_source))

    def key(self) -> _Key:
        """The structure: each plan entry's op, parameters and input slots, and the backward
        work list (which inputs need a gradient), not the values."""
        if self._key is None:
            program = self._program
            for k, _fn, _a, _b in program._plan:
                node = program.graph_node(program.ids[k])
                self._entries.append(_Entry(k, node.spec, node.params, program._inputs[k]))
            self._work = [(i, a, b, ra is not None, rb is not None)
                          for i, a, b, ra, rb in program._bwork]
            plan = tuple((e.slot, e.spec.name, tuple(sorted(e.params.items())), e.args)
                         for e in self._entries)
            self._key = _Key((self._n, self._out, self._sources, plan, tuple(self._work)))
            self._program = None  # what it needed is taken
        return self._key

    def ready(self) -> ScalarCode | None:
        """The compiled code, if its structure has run often enough (this pass counts)."""
        if self.code is None and not self._failed:
            key = self.key()
            code = _cached(key)
            if code is None and _count(key) >= COMPILE_AFTER:
                code = self._build(key)
            if code is not None:
                self._take(code)
        return self.code

    def compile(self) -> ScalarCode | None:
        """Compile now (or take the cached code), whatever the count."""
        if self.code is None and not self._failed:
            key = self.key()
            code = _cached(key) or self._build(key)
            if code is not None:
                self._take(code)
        return self.code

    def _build(self, key: _Key) -> ScalarCode | None:
        try:
            code = build(self._n, self._out, self._entries, self._work, self._sources)
        except (RecursionError, MemoryError, SyntaxError):  # the text is too much for Python
            self._failed = True
            return None
        _remember(key, code)
        return code

    def _take(self, code: ScalarCode) -> None:
        slots = code.grad_slots  # every slot (the common case): sum the whole list
        self._getter = (None if len(slots) == self._n else itemgetter(*slots) if len(slots) > 1
                        else lambda g: (g[slots[0]],))
        self.code = code
        self._entries, self._work = [], []  # the text is written: the plans are not needed

    # ---- the two passes, checked ----------------------------------------------------------

    def forward(self, initial: Sequence[Any], overrides: Mapping[str, Any] | None,
                slot: Mapping[str, int]) -> list[Any] | None:
        """All values by slot, or None: run the forward pass interpreted."""
        vals = list(initial)
        if overrides:
            for nid, value in overrides.items():
                vals[slot[nid]] = value
        for k in self._sources:
            if vals[k].__class__ is not float:
                return None
        code = self.code or self.ready()
        if code is None:
            return None
        self._pending = None
        run = None
        try:
            if code.run_fn is not None:
                run = code.run_fn(vals, True)
                next(run)  # the forward pass: it waits for the backward pass at its yield
            else:
                for fn in code.forward_fns:
                    fn(vals)
            if not _finite(sum(vals)):  # a sum is finite only if every value is
                return None
        except Exception:  # noqa: BLE001  (math raises where the interpreter gives inf/nan)
            return None
        self.forward_runs += 1
        self._pending = (run, vals, list(vals))
        return vals

    def gradients(self, vals: list[Any], seed: Any = None) -> list[Any] | None:
        """All gradients by slot, or None: run the backward pass interpreted."""
        code = self.code
        if code is None or len(vals) != self._n:
            return None
        if seed is None:
            seed = 1.0
        elif seed.__class__ is not float:
            return None
        for k in self._sources:
            if vals[k].__class__ is not float:
                return None
        pending, self._pending = self._pending, None
        try:
            if not _finite(sum(vals)):
                return None  # values the interpreter computed, and reports
            # the values of the last generated pass, unchanged since (compared with a copy)
            fresh = pending is not None and pending[1] is vals and vals == pending[2]
            grads: list[Any] = [None] * self._n
            grads[self._out] = seed
            if code.run_fn is None:
                for fn in code.backward_fns:
                    fn(vals, grads)
            else:
                if fresh:  # the pass waiting at its yield has them in its locals
                    run = pending[0]
                else:
                    run = code.run_fn(vals, False)
                    next(run)  # reads the values from vals
                with suppress(StopIteration):
                    run.send(grads)
            if not _finite(sum(self._getter(grads) if self._getter else grads)):
                return None
        except Exception:  # noqa: BLE001
            return None
        self.backward_runs += 1
        return grads


def _finite(total: Any) -> bool:
    """A sum of floats that is finite (a sum of anything else is not a float)."""
    return total.__class__ is float and math.isfinite(total)


# ---- writing the text ----------------------------------------------------------------------


def _param_text(value: Any) -> str:
    if value.__class__ is not float or not math.isfinite(value):
        raise ValueError(f"a scalar template names a parameter that is not a number: {value!r}")
    return f"({value!r})"


@lru_cache(maxsize=512)
def _text(template: str) -> str:
    """A template as it is written into the text: ``math.tanh`` as ``math_tanh``."""
    return re.sub(r"\bmath\.(\w+)", r"math_\1", template)


@lru_cache(maxsize=512)
def _fields(template: str) -> dict[str, int]:
    """The placeholders of a template, in order, with how often each occurs."""
    return dict(Counter(m.group(2) for m in PLACEHOLDER.finditer(template)))


def build(n: int, out: int, entries: list[_Entry],
          work: list[tuple[int, int, int, bool, bool]], sources: tuple[int, ...]) -> ScalarCode:
    """Write, compile and execute the generated passes of one structure."""
    start = time.perf_counter()
    terms, has = _terms(out, entries, work)
    if len(entries) <= CHUNK and len(terms) <= CHUNK:
        source = _write_single(n, entries, terms, has, sources)
    else:
        source = _write_chunked(n, entries, terms, has)
    namespace = dict(_NAMESPACE)
    exec(compile(source, "<graphgui scalar program>", "exec"), namespace)  # noqa: S102
    return ScalarCode(namespace.get("RUN"), namespace.get("FORWARD", ()),
                      namespace.get("BACKWARD", ()), tuple(sorted(has)), n, source,
                      time.perf_counter() - start)


def _write_single(n: int, entries: list[_Entry], terms: list[_Term], has: set[int],
                  sources: tuple[int, ...]) -> str:
    """``def run(V, fresh)``: both passes in one generator, so the backward pass finds the
    values in the locals the forward pass left them in. ``fresh``: compute the values and
    store them into V; else read them from V. It then waits at ``yield`` for the gradient
    list G (seeded) and fills it."""
    loads = [f"    v{k} = V[{k}]\n" for k in sources]
    forward = _forward_chunk(n, entries, 0, n, local=True)
    backward = _backward_chunk(terms, has, 0, n, local=True)
    unpack = ", ".join(f"v{k}" for k in range(n))
    return ("def run(V, fresh):\n    if fresh:\n"
            + "".join(f"    {line}\n" for line in "".join((*loads, *forward)).splitlines())
            + f"    else:\n        ({unpack},) = V\n    G = yield\n{''.join(backward)}"
            "    return\n\nRUN = run\n")


def _write_chunked(n: int, entries: list[_Entry], terms: list[_Term], has: set[int]) -> str:
    """``def f<c>(V)`` and ``def b<c>(V, G)`` of at most CHUNK statements each, passing
    values and partial sums on through V and G."""
    parts = []
    low = 0
    forward = [entries[i:i + CHUNK] for i in range(0, len(entries), CHUNK)] or [[]]
    for c, chunk in enumerate(forward):
        high = n if c == len(forward) - 1 else chunk[-1].slot + 1
        parts.append(f"def f{c}(V):\n{''.join(_forward_chunk(n, chunk, low, high))}\n")
        low = high
    backward: list[list[_Term]] = [[]]
    for t in terms:  # cut between nodes only: a node's contributions share one function
        if len(backward[-1]) >= CHUNK and t.node != backward[-1][-1].node:
            backward.append([])
        backward[-1].append(t)
    high = n
    for c, chunk in enumerate(backward):
        low = 0 if c == len(backward) - 1 else chunk[-1].node
        parts.append(f"def b{c}(V, G):\n{''.join(_backward_chunk(chunk, has, low, high))}"
                     "    pass\n\n")
        high = low
    parts.append(f"FORWARD = ({''.join(f'f{c}, ' for c in range(len(forward)))})\n")
    parts.append(f"BACKWARD = ({''.join(f'b{c}, ' for c in range(len(backward)))})\n")
    return "".join(parts)


def _forward_chunk(n: int, chunk: list[_Entry], low: int, high: int,
                   local: bool = False) -> list[str]:
    """Plan entries into locals, then the slots [low, high) stored into V in slices. A value
    from before the chunk is read from V where it is used (``V[7]``), or into a local first
    when it is used twice; with ``local`` every such value is a local already."""
    mine = {e.slot for e in chunk}
    uses: Counter[int] = Counter()
    if not local:
        for e in chunk:
            for name, count in _fields(e.spec.scalar_code).items():
                if name in e.spec.inputs and (a := e.args[e.spec.inputs.index(name)]) not in mine:
                    uses[a] += count
    lines = [f"    v{a} = V[{a}]\n" for a, count in uses.items() if count > 1]
    for e in chunk:
        fields = {name: f"v{a}" if local or a in mine or uses[a] > 1 else f"V[{a}]"
                  for name, a in zip(e.spec.inputs, e.args, strict=True)}
        for name in _fields(e.spec.scalar_code):
            if name not in fields:
                fields[name] = _param_text(e.params[name])
        lines.append(f"    v{e.slot} = {_text(e.spec.scalar_code).format(**fields)}\n")
    lines.append(_slices("V", low, [f"v{k}" if local or k in mine else f"V[{k}]"
                                    for k in range(low, high)]))
    return lines


def _slices(name: str, low: int, items: list[str]) -> str:
    """``V[low:high] = (...)`` in pieces of 30: CPython builds a longer tuple display through
    a list, one more instruction per item."""
    return "".join(f"    {name}[{low + i}:{low + i + len(part)}] = ({', '.join(part)},)\n"
                   for i in range(0, len(items), 30) for part in [items[i:i + 30]])


class _Term(NamedTuple):
    """One gradient contribution: node ``node``'s part for input ``target``."""

    node: int
    target: int
    template: str  # as written into the text (see _text)
    # (placeholder, "v" a value / "g" a gradient / "p" a parameter, its slot or value, uses)
    fields: tuple[tuple[str, str, Any, int], ...]
    first: bool  # the target's first contribution (it had no gradient)


def _terms(out: int, entries: list[_Entry], work: list[tuple[int, int, int, bool, bool]]
           ) -> tuple[list[_Term], set[int]]:
    """Every contribution of the backward pass in the interpreter's order, and the slots
    that end with a gradient. As there, a node whose gradient is None passes nothing on, an
    input's first contribution is its gradient and each later one is added to it."""
    by_slot = {e.slot: e for e in entries}
    recipes: dict[str, list] = {}  # per op: per port, its template and where its fields are
    has = {out}
    terms = []
    for i, a, b, need_a, need_b in work:
        if i not in has:
            continue
        e = by_slot[i]
        recipe = recipes.get(e.spec.name)
        if recipe is None:
            recipe = recipes[e.spec.name] = [_recipe(e.spec, port) for port in range(e.spec.arity)]
        for port, target, needed in ((0, a, need_a), (1, b, need_b)):
            if not needed:
                continue
            template, places = recipe[port]
            fields = tuple(
                (name, kind, i if where == "self" else e.args[where] if kind == "v"
                 else e.params[name], count)
                for name, kind, where, count in places)
            terms.append(_Term(i, target, template, fields, target not in has))
            has.add(target)
    return terms, has


def _recipe(spec: Any, port: int) -> tuple[str, list[tuple[str, str, Any, int]]]:
    """Input ``port``'s gradient template and, per placeholder, what it names: the node's
    gradient or value ("self"), an input's value (its index) or a parameter."""
    template = spec.scalar_grads[port]
    places = []
    for name, count in _fields(template).items():
        if name in ("g", "out"):
            places.append((name, "g" if name == "g" else "v", "self", count))
        elif name in spec.inputs:
            places.append((name, "v", spec.inputs.index(name), count))
        else:
            places.append((name, "p", None, count))
    return _text(template), places


def _backward_chunk(chunk: list[_Term], has: set[int], low: int, high: int,
                    local: bool = False) -> list[str]:
    """The contributions of ``chunk`` in their order. The chunk visits the nodes of the slots
    [low, high), going down; once it is done every gradient in that range is final (a node's
    consumers come after it), so it stores them in slices. A gradient the chunk touches twice
    or more is a local (``g3 = G[3] + ...`` on the way in), one it touches once is read or
    updated in G; values are read from V as in _forward_chunk (``local``: all are locals)."""
    values: Counter[int] = Counter()
    touches = Counter(t.target for t in chunk)
    for t in chunk:
        for _, kind, k, count in t.fields:
            if kind == "v":
                values[k] += count
            elif kind == "g":
                touches[k] += count
    local: set[int] = set()  # gradients held in locals from their first touch on
    lines = [] if local else [f"    v{k} = V[{k}]\n" for k, count in values.items() if count > 1]

    def grad(k: int) -> str:  # a gradient read ({g}): final, so from G or its local
        if k in local:
            return f"g{k}"
        if touches[k] > 1:
            local.add(k)
            lines.append(f"    g{k} = G[{k}]\n")
            return f"g{k}"
        return f"G[{k}]"

    for t in chunk:
        fields = {}
        for name, kind, k, _ in t.fields:
            if kind == "v":
                fields[name] = f"v{k}" if local or values[k] > 1 else f"V[{k}]"
            elif kind == "g":
                fields[name] = grad(k)
            else:
                fields[name] = _param_text(k)
        term = t.template.format(**fields)
        k = t.target
        if k in local:
            lines.append(f"    g{k} = g{k} + {term}\n")
        elif touches[k] > 1:
            local.add(k)
            lines.append(f"    g{k} = {term}\n" if t.first else f"    g{k} = G[{k}] + {term}\n")
        else:
            lines.append(f"    G[{k}] = {term}\n" if t.first else f"    G[{k}] = G[{k}] + {term}\n")
    lines += [f"    G[{k}] = g{k}\n" for k in sorted(local) if k < low]
    final = [k for k in range(low, high) if k in local]
    if final:  # one slice from the first to the last local of the range
        first, last = final[0], final[-1]
        lines.append(_slices("G", first, [f"g{k}" if k in local else f"G[{k}]" if k in has
                                          else "None" for k in range(first, last + 1)]))
    return lines
