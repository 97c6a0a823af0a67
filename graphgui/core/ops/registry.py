"""The op registry: every op is declared once, as an :class:`OpSpec`.

The engine, palette, inspector, stepper text, expression parser and the gradient test suite
all read the same entry, so adding an op is one ``register(OpSpec(...))`` and nothing else.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Forward = Callable[..., Any]
# vjp(upstream_grad, forward_result, *inputs, **params) -> contribution to one input
Vjp = Callable[..., Any]
# jvp(input_tangent, forward_result, *inputs, **params) -> that input's part of the result's
# tangent (forward mode: the tangents of all inputs' parts add up to the result's tangent)
Jvp = Callable[..., Any]
# out_shape(*input_shapes, **params) -> the result's shape (see ops/shapes.py)
ShapeRule = Callable[..., tuple[int, ...]]
# vjp_graph(b, g, out, inputs, params, needs) -> one Ref (or None) per input: the vjps
# written as graph nodes (autodiff/grad_graph.py); see OpSpec.vjp_graph
VjpGraph = Callable[..., tuple[Any, ...]]
# A code template (graphgui/core/codegen: the exported NumPy and PyTorch code): text with
# placeholders, or a function (input_shapes, params) -> such text; see OpSpec.numpy_code
CodeTemplate = str | Callable[[tuple[tuple[int, ...], ...], Mapping[str, Any]], str]
# {name}: an input, a parameter, g (the upstream gradient), out (the result), n (how many
# elements the inputs hold broadcast together); {@a,b} (PyTorch only): the inputs a and b
# as the arguments of a function that needs them of one shape
PLACEHOLDER = re.compile(r"\{(@?)([A-Za-z_]\w*(?:,[A-Za-z_]\w*)*)\}")

CATEGORIES = ("Sources", "Arithmetic", "Math", "Activations", "Tensor", "Losses")


class OpError(Exception):
    """An op used wrongly: unknown name, bad parameter, inconsistent declaration."""


@dataclass(frozen=True)
class Param:
    """A parameter of an op, such as ``alpha`` of ``leaky_relu``.

    ``kind`` is one of ``"float"``, ``"axis"`` (int or None), ``"shape"`` (tuple of ints).
    """

    name: str
    kind: str
    default: Any
    doc: str = ""

    def coerce(self, value: Any) -> Any:
        """Validate ``value`` for this parameter, returning its canonical form."""
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise OpError(f"parameter {self.name!r} must be a number, got {value!r}")
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise OpError(f"parameter {self.name!r} must be a finite number, got {value!r}")
            return number
        if self.kind == "axis":
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or not -32 <= value < 32:
                raise OpError(f"parameter {self.name!r} must be an axis (integer or null)")
            return int(value)
        if self.kind == "shape":
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in value
            ):
                raise OpError(f"parameter {self.name!r} must be a list of sizes, got {value!r}")
            if len(value) > 32 or sum(d == -1 for d in value) > 1:
                raise OpError(f"parameter {self.name!r} is not a valid shape: {value!r}")
            return tuple(int(d) for d in value)
        raise OpError(f"unknown parameter kind {self.kind!r}")


@dataclass(frozen=True)
class OpSpec:
    """One op, declared once.

    ``formula`` is the forward value written with the input names (``"a * b"``);
    ``derivatives[i]`` is d(out)/d(input i) written with the input names and ``out``.
    ``vjps[i]`` and ``jvps[i]`` are the two ways to apply that derivative: reverse mode
    (an upstream gradient back to input i) and forward mode (input i's tangent on to the
    result); tests/core/test_ops.py checks both against central differences.
    ``out_shape`` predicts the result's shape from the inputs' shapes, so the engine can
    refuse a result over the size limit before computing it; elementwise ops need none
    (they broadcast, :func:`shapes.broadcast`). An op without one is not size-checked.
    """

    name: str
    category: str
    label: str
    doc: str
    inputs: tuple[str, ...]
    forward: Forward | None
    vjps: tuple[Vjp, ...]
    formula: str
    derivatives: tuple[str, ...]
    jvps: tuple[Jvp, ...] = ()
    # What jvps[i] computes, written with the input names and ``tangent`` (input i's
    # tangent), for the forward-mode step text: "tangent @ b". An elementwise op needs none:
    # its part is ``derivatives[i] * tangent`` (see :meth:`tangent_formula`).
    tangent_formulas: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    elementwise: bool = False
    is_source: bool = False
    aliases: tuple[str, ...] = field(default=())
    out_shape: ShapeRule | None = None
    # The vjps once more, as a small graph template, so a gradient can be a graph and be
    # differentiated again: ``vjp_graph(b, g, out, inputs, params, needs)`` gets a Builder
    # ``b`` (graphgui/core/autodiff/builder.py: b.op(name, *refs, **params), b.const(value),
    # b.shape(ref), b.unbroadcast(ref, shape)), Refs to the upstream gradient ``g``, the
    # result ``out`` and the ``inputs``, the node's ``params`` and, per input, whether it
    # ``needs`` a gradient; it returns a Ref of input k's shape for each input that needs
    # one (None for the others). Only registry ops, so the result runs on the engine.
    vjp_graph: VjpGraph | None = None
    # The op once more as code, for the exported modules (graphgui/core/codegen):
    # ``numpy_code`` computes the result ("{a} + {b}", "np.exp({x})"); ``numpy_grads[k]``
    # is input k's part of the backward pass ("{g} * {b}"). A text template is elementwise:
    # its shape is that of the values it names broadcast together, and the code generator
    # writes out the sum back to input k's shape where they broadcast. A function
    # (input_shapes, params) -> text is for a rule whose text depends on the shapes or
    # parameters (matmul, sum): its text already has input k's shape (see :func:`exact`).
    # ``torch_code`` computes the result with PyTorch (autograd does the backward pass);
    # ``numpy_helpers`` are the sources of functions the NumPy templates call (``def
    # log_softmax(z): ...``), written once into a module that uses them.
    numpy_code: CodeTemplate = ""
    numpy_grads: tuple[CodeTemplate, ...] = ()
    torch_code: CodeTemplate = ""
    numpy_helpers: tuple[str, ...] = ()
    # The op once more for floats, as straight-line Python (graphgui/core/engine_codegen.py
    # compiles a program whose values are all floats into one such text): ``scalar_code``
    # is the result of float inputs ("math.tanh({x})") and ``scalar_grads[k]`` input k's
    # contribution ("{g} * (1.0 - {out} * {out})"), each the very operations the float path
    # of ``forward`` and ``vjps[k]`` performs, so the numbers are equal to the bit (tested
    # for every op). Where that path turns an exception into inf or nan (math.log(0)), the
    # template may simply raise: the engine then runs that pass with the rules above. An
    # expression of the placeholders (inputs, float parameters, g, out), numbers, ``math``
    # functions, ``max``, ``abs``, and scratch names ``_name`` bound with ``:=`` (checked at
    # registration). An op without them makes a program that uses it run interpreted.
    scalar_code: str = ""
    scalar_grads: tuple[str, ...] = ()

    @property
    def arity(self) -> int:
        return len(self.inputs)

    @property
    def shape_rule(self) -> ShapeRule | None:
        """``out_shape``, or NumPy broadcasting for an elementwise op; None: not predicted."""
        if self.out_shape is not None or not self.elementwise:
            return self.out_shape
        from .shapes import broadcast

        return broadcast

    def check_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Complete ``params`` with defaults and validate each; unknown names are refused."""
        known = {p.name: p for p in self.params}
        for key in params:
            if key not in known:
                raise OpError(f"op {self.name!r} has no parameter {key!r}")
        return {p.name: p.coerce(params.get(p.name, p.default)) for p in self.params}

    def render(self, template: str, names: Mapping[str, str]) -> str:
        """Substitute input names (and ``out``) in a formula template by node names."""
        if not names:
            return template
        pattern = r"\b(" + "|".join(re.escape(k) for k in names) + r")\b"
        return re.sub(pattern, lambda m: names[m.group(1)], template)

    def tangent_formula(self, port: int) -> str:
        """Input ``port``'s part of the result's tangent, as a template (``tangent`` stands
        for that input's tangent)."""
        if self.tangent_formulas:
            return self.tangent_formulas[port]
        derivative = self.derivatives[port]
        if derivative in ("1", "-1"):
            return derivative[:-1] + "tangent"
        if derivative.split()[0] == "0":  # a step function: "0 (almost everywhere; ...)"
            return "0"
        if not re.fullmatch(r"-?[\w.]+(\([\w.]+\))?", derivative):
            derivative = f"({derivative})"
        return f"{derivative} * tangent"

    def tooltip(self) -> str:
        lines = [f"{self.name}: {self.doc}", f"out = {self.formula}"]
        for port, d in zip(self.inputs, self.derivatives, strict=True):
            lines.append(f"d out/d {port} = {d}")
        return "\n".join(lines)


_REGISTRY: dict[str, OpSpec] = {}
_ALIASES: dict[str, str] = {}


def register(spec: OpSpec) -> OpSpec:
    """Add an op; an incomplete declaration fails here, at import, not at run time."""
    problems = []
    if spec.name in _REGISTRY or spec.name in _ALIASES:
        problems.append("name already registered")
    if spec.category not in CATEGORIES:
        problems.append(f"category {spec.category!r} is not one of {CATEGORIES}")
    if not spec.is_source:
        if spec.forward is None:
            problems.append("no forward function")
        if len(spec.vjps) != spec.arity:
            problems.append(f"{len(spec.vjps)} gradient rules for {spec.arity} inputs")
        if not callable(spec.vjp_graph):
            problems.append("no gradient-graph rule (vjp_graph)")
        if len(spec.jvps) != spec.arity:
            problems.append(f"{len(spec.jvps)} tangent rules for {spec.arity} inputs")
        if not spec.elementwise and len(spec.tangent_formulas) != spec.arity:
            problems.append(
                f"{len(spec.tangent_formulas)} tangent formulas for {spec.arity} inputs "
                "(an op that is not elementwise writes its own)"
            )
        problems.extend(_code_problems(spec))
        problems.extend(_scalar_problems(spec))
    if len(spec.derivatives) != spec.arity:
        problems.append(f"{len(spec.derivatives)} derivative formulas for {spec.arity} inputs")
    if problems:
        raise OpError(f"cannot register op {spec.name!r}: " + "; ".join(problems))
    _REGISTRY[spec.name] = spec
    for alias in spec.aliases:
        _ALIASES[alias] = spec.name
    return spec


def exact(text: str) -> Callable[..., str]:
    """A code template whose text already has the shape it must have (no sum over
    broadcast axes is added): ``numpy_grads=(exact("np.transpose({g})"),)``."""
    return lambda shapes, params: text


def _code_problems(spec: OpSpec) -> list[str]:
    """What is missing or wrong in an op's code templates (see OpSpec.numpy_code)."""
    problems = []
    if not spec.numpy_code:
        problems.append("no NumPy code template (numpy_code)")
    if len(spec.numpy_grads) != spec.arity or not all(spec.numpy_grads):
        problems.append(f"{len(spec.numpy_grads)} NumPy gradient templates for "
                        f"{spec.arity} inputs")
    if not spec.torch_code:
        problems.append("no PyTorch code template (torch_code)")
    known = {*spec.inputs, *(p.name for p in spec.params), "n"}
    texts = [("numpy_code", spec.numpy_code, known),
             ("torch_code", spec.torch_code, known)]
    texts += [("numpy_grads", t, known | {"g", "out"}) for t in spec.numpy_grads]
    for field_name, template, names in texts:
        if not isinstance(template, str):
            if not callable(template):
                problems.append(f"{field_name} must be text or a function")
            continue
        for match in PLACEHOLDER.finditer(template):
            macro, body = match.groups()
            if macro and field_name != "torch_code":
                problems.append(f"{field_name}: {{@...}} is for torch_code only")
            unknown = [w for w in body.split(",") if w not in names]
            if unknown:
                problems.append(f"{field_name}: unknown placeholder {{{unknown[0]}}}")
    for source in spec.numpy_helpers:
        if not re.match(r"def [A-Za-z_]\w*\(", source):
            problems.append("numpy_helpers must be function definitions (def name(...): ...)")
    return problems


SCALAR_CALLS = frozenset({"max", "abs"})
SCALAR_MATH = frozenset({"exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "floor", "nan"})
_SCALAR_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Call,
    ast.Name, ast.Attribute, ast.Constant, ast.NamedExpr, ast.Load, ast.Store,
    ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)


def scalar_placeholders(spec: OpSpec, grad: bool) -> frozenset[str]:
    """The placeholders a scalar template of ``spec`` may name (see OpSpec.scalar_code)."""
    floats = {p.name for p in spec.params if p.kind == "float"}
    return frozenset({*spec.inputs, *floats, *(("g", "out") if grad else ())})


def _scalar_problems(spec: OpSpec) -> list[str]:
    """What is wrong in an op's scalar templates: an allow-list over their syntax trees."""
    if not spec.scalar_code and not spec.scalar_grads:
        return []
    if not spec.scalar_code or len(spec.scalar_grads) != spec.arity:
        return [f"scalar templates: one result and {spec.arity} gradient texts needed"]
    problems = []
    for template, grad in ((spec.scalar_code, False), *((t, True) for t in spec.scalar_grads)):
        known = scalar_placeholders(spec, grad)
        names = [m.group(2) for m in PLACEHOLDER.finditer(template)]
        bad = [n for n in names if n not in known] + (["@"] if "{@" in template else [])
        bad += re.findall(r"\bph_\w*", template)  # the names placeholders become below
        if bad:
            problems.append(f"scalar template {template!r}: unknown placeholder {bad[0]!r}")
            continue
        text = PLACEHOLDER.sub(lambda m: f"ph_{m.group(2)}", template)
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            problems.append(f"scalar template {template!r} is not an expression")
            continue
        problems.extend(f"scalar template {template!r}: {why}" for why in _scalar_syntax(tree))
    return problems


def _scalar_syntax(tree: ast.AST) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, _SCALAR_NODES):
            problems.append(f"{type(node).__name__} is not allowed")
        elif isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            problems.append(f"constant {node.value!r} is not a number")
        elif isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and node.value.id == "math"
            and node.attr in SCALAR_MATH
        ):
            problems.append(f"attribute {node.attr!r} is not one of math.{sorted(SCALAR_MATH)}")
        elif isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Attribute)
            or isinstance(node.func, ast.Name) and node.func.id in SCALAR_CALLS
        ):
            problems.append("only math functions, max and abs may be called")
        elif isinstance(node, ast.Call) and node.keywords:
            problems.append("calls take positional arguments only")
        elif isinstance(node, ast.Name) and not (
            node.id.startswith(("ph_", "_")) or node.id in SCALAR_CALLS or node.id == "math"
        ):
            problems.append(f"name {node.id!r} is not a placeholder")
    return problems


def unregister(name: str) -> None:
    """Remove an op (tests register throw-away ops and remove them again)."""
    spec = _REGISTRY.pop(name)
    for alias in spec.aliases:
        _ALIASES.pop(alias, None)


def get_op(name: str) -> OpSpec:
    spec = _REGISTRY.get(name) or _REGISTRY.get(_ALIASES.get(name, ""))
    if spec is None:
        raise OpError(f"unknown op {name!r}")
    return spec


def has_op(name: str) -> bool:
    return name in _REGISTRY or name in _ALIASES


def all_ops() -> list[OpSpec]:
    """Every op, in category order, then in declaration order."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY.values(), key=lambda s: order[s.category])


def op_names() -> Sequence[str]:
    return list(_REGISTRY)
