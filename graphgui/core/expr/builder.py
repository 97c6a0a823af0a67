"""The builder: checked ast statements -> Graph nodes and wires, with names and the output."""

from __future__ import annotations

import ast
import difflib
import math
from dataclasses import dataclass
from typing import Any

from ..graph import Graph, GraphError, Node, check_name
from ..ops import OpError, OpSpec, get_op, has_op
from ..values import to_value
from .functions import FunctionsMixin
from .hints import _suggest
from .syntax import (
    _BINOPS,
    _OPERATOR_TEXT,
    _REFUSED,
    _STATEMENTS,
    MAX_DEPTH,
    MAX_LIST_ELEMENTS,
    MAX_NODES,
    NAMED_CONSTANTS,
    SOURCE_FORMS,
    ExprError,
    _is_literal,
    _negate,
    _where,
)


@dataclass
class _Binding:
    node_id: str
    line: int
    implicit: bool  # created by use, never assigned


class _Builder(FunctionsMixin):
    def __init__(
        self, source: str | list[str], tree: ast.AST, title: str,
        parent: FunctionsMixin | None = None,
    ) -> None:
        self.lines = source.splitlines() if isinstance(source, str) else source
        self.graph = Graph(title)
        self.bindings: dict[str, _Binding] = {}
        self.names: dict[str, str] = {}  # every node name in the graph -> node id
        self.suffixes: dict[str, int] = {}  # next suffix to try for a renamed base
        # Names generated for renamed nodes avoid every identifier the program mentions.
        self.identifiers = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.identifiers |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
        self.count = 0
        self.output_id: str | None = None  # from a bare expression on the last line
        self.last_assigned: str | None = None
        self.last_computed: str | None = None
        self.init_functions(tree, parent)

    def error(self, message: str, node: ast.AST) -> ExprError:
        return ExprError(message, *_where(self.lines, node))

    # ---- statements ----------------------------------------------------------------------

    def statement(self, stmt: ast.stmt, last: bool) -> None:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1:
                raise self.error("assign one name per statement (no a = b = ...)", stmt)
            if isinstance(stmt.value, ast.Call) and self.is_def_call(stmt.value):
                self.assign_call(stmt.targets[0], stmt.value, stmt)
                return
            target = self.target(stmt.targets[0])
            self.check_expression(stmt.value)
            self.assign(target, stmt.value, stmt)
        elif isinstance(stmt, ast.AugAssign):
            target = self.target(stmt.target)
            op = _BINOPS.get(type(stmt.op))
            if op is None:
                symbol = _OPERATOR_TEXT.get(type(stmt.op), type(stmt.op).__name__)
                raise self.error(f"operator '{symbol}=' is not supported", stmt)
            self.check_expression(stmt.value)
            left = self.resolve_name(target, stmt.target)
            right = self.expression(stmt.value)
            node = self.add_op(op, [left, right], {}, stmt)
            self.bind(target, node, stmt, implicit=False)
        elif isinstance(stmt, ast.Expr):
            if not last:
                raise self.error(
                    "an expression on its own must be the last statement (it is the output); "
                    "assign it to a name, e.g. g = ...",
                    stmt,
                )
            self.check_expression(stmt.value)
            node_id = self.expression(stmt.value)
            node = self.graph.node(node_id)
            if node.name is None:
                self.set_name(node, self.fresh_name("f", prefer_plain=True))
            self.output_id = node_id
        elif isinstance(stmt, ast.FunctionDef):
            self.define(stmt)
        elif isinstance(stmt, ast.Return):
            raise self.error("'return' is only allowed as the last line of a def", stmt)
        else:
            what = _STATEMENTS.get(type(stmt), type(stmt).__name__)
            raise self.error(
                f"'{what}' statements are not allowed; write assignments such as f = x * y", stmt
            )

    def target(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Name):
            if isinstance(node, (ast.Tuple, ast.List)):
                raise self.error("assign one name per statement (no a, b = ...)", node)
            raise self.error("assign to a plain name, e.g. f = ...", node)
        self.check_name(node.id, node)  # pi or e assigned: the name shadows the constant
        self.check_assignable(node.id, node)
        return node.id

    def is_literal(self, node: ast.expr, lists: bool = True) -> bool:
        """A number written out; ``pi`` and ``e`` count only while no assignment shadows them."""
        return _is_literal(node, lists, self.bindings)

    def assign(self, name: str, value: ast.expr, stmt: ast.stmt) -> None:
        old = self.bindings.get(name)
        if self.is_literal(value):
            if old is not None and old.implicit:
                raise self.error(
                    f"{name!r} is already used as an input on line {old.line}; "
                    "give its value before its first use",
                    stmt,
                )
            node = self.add_source("input", self.literal(value), value)
            self.bind(name, node, stmt, implicit=False)
            return
        node_id = self.expression(value)
        if self.graph.node(node_id).name is not None:  # y = x: a node of its own
            node_id = self.add_op("identity", [node_id], {}, value)
        self.bind(name, node_id, stmt, implicit=False)

    def bind(self, name: str, node_id: str, where: ast.AST, implicit: bool) -> None:
        holder = self.names.get(name)
        if holder is not None and holder != node_id:
            self.set_name(self.graph.node(holder), self.fresh_name(name))
        self.set_name(self.graph.node(node_id), name)
        self.bindings[name] = _Binding(node_id, getattr(where, "lineno", 1), implicit)
        if not implicit:
            self.last_assigned = node_id
            if not self.graph.node(node_id).is_source:
                self.last_computed = node_id

    def set_name(self, node: Node, name: str) -> None:
        if node.name is not None:
            self.names.pop(node.name, None)
        self.graph.rename(node.id, name)
        self.names[name] = node.id

    def fresh_name(self, base: str, prefer_plain: bool = False) -> str:
        if prefer_plain and base not in self.names and base not in self.identifiers:
            return base
        stem = base[:56] if base.endswith("_") else base[:55] + "_"  # "_" + "_1" is not "__1"
        k = self.suffixes.get(stem, 1)  # remembered, so 5,000 re-assignments stay linear
        while f"{stem}{k}" in self.names or f"{stem}{k}" in self.identifiers:
            k += 1
        self.suffixes[stem] = k + 1
        return f"{stem}{k}"

    def check_name(self, name: str, node: ast.AST) -> None:
        if name.startswith("__"):
            raise self.error(f"names starting with __ are not allowed ({name})", node)
        if name in self.defs:
            raise self.def_as_variable(name, node)
        if name in NAMED_CONSTANTS:
            return
        try:
            check_name(name)
        except GraphError as exc:
            raise self.error(str(exc), node) from None

    # ---- expressions ---------------------------------------------------------------------

    def check_expression(self, root: ast.expr) -> None:
        """Refuse syntax outside the allow-list and nesting deeper than MAX_DEPTH.

        Iterative on purpose: a sum of 2,000 terms is 2,000 levels of ast but no nesting
        (the left operand of an operator stays on its parent's level).
        """
        stack: list[tuple[ast.AST, int]] = [(root, 0)]
        while stack:
            node, level = stack.pop()
            if level > MAX_DEPTH:
                raise self.error(f"the expression is nested more than {MAX_DEPTH} levels", node)
            if isinstance(node, ast.BinOp):
                if type(node.op) not in _BINOPS:
                    symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                    hint = "; write x ** 2 for a power" if symbol == "^" else ""
                    raise self.error(f"operator '{symbol}' is not supported{hint}", node)
                stack.append((node.right, level + 1))
                stack.append((node.left, level))
            elif isinstance(node, ast.UnaryOp):
                if not isinstance(node.op, (ast.USub, ast.UAdd)):
                    symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                    raise self.error(f"operator '{symbol}' is not supported", node)
                stack.append((node.operand, level + 1))
            elif isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name):
                    raise self.error("only registered ops can be called, by name", node.func)
                if node.func.id in self.defs:
                    self.check_def_call(node)
                else:
                    self.check_name(node.func.id, node.func)
                    if node.func.id not in SOURCE_FORMS:
                        self.call_spec(node)  # an unknown op is reported before its arguments
                for kw in reversed(node.keywords):
                    if kw.arg is None:
                        raise self.error("** arguments are not allowed", kw)
                    stack.append((kw.value, level + 1))
                for arg in reversed(node.args):
                    stack.append((arg, level + 1))
            elif isinstance(node, (ast.List, ast.Tuple)):
                if len(node.elts) > MAX_LIST_ELEMENTS:
                    raise self.error(f"a list holds more than {MAX_LIST_ELEMENTS} items", node)
                for item in reversed(node.elts):
                    stack.append((item, level + 1))
            elif isinstance(node, ast.Name):
                self.check_name(node.id, node)
            elif isinstance(node, ast.Constant):
                if node.value is not None:  # None is refused later unless it is an axis
                    self.number(node)  # refuses strings, True, complex...
            else:
                why = _REFUSED.get(type(node), f"'{type(node).__name__}' is not allowed")
                raise self.error(why, node)

    def expression(self, root: ast.expr) -> str:
        """Add the nodes computing ``root`` (already checked); returns the result's node id.

        Post-order with an explicit stack, so long operator chains need no recursion.
        """
        stack: list[tuple[ast.expr, bool]] = [(root, False)]
        results: list[str] = []
        while stack:
            node, ready = stack.pop()
            if not ready:
                direct = self.leaf(node)
                if direct is not None:
                    results.append(direct)
                    continue
                stack.append((node, True))
                for child in reversed(self.children(node)):
                    stack.append((child, False))
                continue
            n = len(self.children(node))
            args = results[len(results) - n :]
            del results[len(results) - n :]
            results.append(self.combine(node, args))
        (result,) = results
        return result

    def leaf(self, node: ast.expr) -> str | None:
        """The node id for ``node`` if it needs no sub-expressions, else None."""
        if isinstance(node, ast.Constant):
            return self.add_source("constant", self.number(node), node)
        if isinstance(node, ast.Name):
            if node.id in NAMED_CONSTANTS and node.id not in self.bindings:
                return self.add_source("constant", NAMED_CONSTANTS[node.id], node)
            return self.resolve_name(node.id, node)
        if (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and self.is_literal(node)
        ):
            return self.add_source("constant", self.literal(node), node)  # -2 is one constant
        if isinstance(node, ast.List):
            if not self.is_literal(node):
                raise self.error(
                    "lists may hold only numbers (to combine nodes, use ops)", node
                )
            return self.add_source("constant", self.literal(node), node)
        if isinstance(node, ast.Tuple):
            raise self.error("tuples are only for shape parameters, e.g. reshape(x, (2, 3))", node)
        if isinstance(node, ast.Call):
            return self.source_form(node)
        return None

    def children(self, node: ast.expr) -> list[ast.expr]:
        if isinstance(node, ast.BinOp):
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            return [node.operand]
        if isinstance(node, ast.Call):
            if self.is_def_call(node):
                return list(node.args)
            return list(node.args[: self.call_spec(node).arity])
        raise AssertionError(f"unexpected {type(node).__name__}")  # check_expression refused it

    def combine(self, node: ast.expr, args: list[str]) -> str:
        if isinstance(node, ast.BinOp):
            return self.add_op(_BINOPS[type(node.op)], args, {}, node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return args[0]
            return self.add_op("neg", args, {}, node)
        assert isinstance(node, ast.Call)
        if self.is_def_call(node):
            return self.nested_call(node, args)
        spec = self.call_spec(node)
        return self.add_op(spec.name, args, self.call_params(node, spec), node)

    def resolve_name(self, name: str, node: ast.AST) -> str:
        binding = self.bindings.get(name)
        if binding is not None:
            return binding.node_id
        if name in NAMED_CONSTANTS:
            return self.add_source("constant", NAMED_CONSTANTS[name], node)
        if self.scope is not None:
            raise self.unknown_in_body(name, node)
        node_id = self.add_source("input", 0.0, node)
        self.bind(name, node_id, node, implicit=True)
        return node_id

    # ---- calls ---------------------------------------------------------------------------

    def call_spec(self, node: ast.Call) -> OpSpec:
        """The op a call names, after checking its argument counts and keywords."""
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if not has_op(name):
            raise self.error(f"unknown function {name!r}{_suggest(name, self.defs)}", node)
        spec = get_op(name)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(_REFUSED[ast.Starred], arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error("** arguments are not allowed", kw)
            if kw.arg in spec.inputs:
                raise self.error(
                    f"give input {kw.arg!r} of {name} by position, e.g. {name}(z)", kw
                )
        if spec.is_source:
            form = {v: k for k, v in SOURCE_FORMS.items()}.get(spec.name)
            hint = f"write c = {form}(3)" if form else "an input is a name you use, or x = 3"
            raise self.error(f"{name!r} is a source and cannot be called; {hint}", node)
        n_in, n_params = spec.arity, len(spec.params)
        if len(node.args) < n_in or len(node.args) > n_in + n_params:
            ports = ", ".join(spec.inputs)
            plural = "input" if n_in == 1 else "inputs"
            extra = f" and at most {n_params} parameter(s)" if n_params else ""
            raise self.error(
                f"{name} takes {n_in} {plural} ({ports}){extra}, got {len(node.args)} "
                "argument(s)",
                node,
            )
        known = [p.name for p in spec.params]
        positional = set(known[: len(node.args) - n_in])
        for kw in node.keywords:
            if kw.arg not in known:
                offer = f"; its parameters: {', '.join(known)}" if known else ""
                raise self.error(f"{name} has no parameter {kw.arg!r}{offer}", kw)
            if kw.arg in positional:
                raise self.error(f"parameter {kw.arg!r} of {name} is given twice", kw)
        seen: set[str] = set()
        for kw in node.keywords:
            if kw.arg in seen:
                raise self.error(f"parameter {kw.arg!r} of {name} is given twice", kw)
            seen.add(str(kw.arg))
        return spec

    def call_params(self, node: ast.Call, spec: OpSpec) -> dict[str, Any]:
        given: list[tuple[str, ast.expr]] = [
            (p.name, arg) for p, arg in zip(spec.params, node.args[spec.arity :], strict=False)
        ]
        given += [(str(kw.arg), kw.value) for kw in node.keywords]
        params: dict[str, Any] = {}
        by_name = {p.name: p for p in spec.params}
        for key, value in given:
            param = by_name[key]
            allow_none = param.kind == "axis"
            try:
                raw = self.param_literal(value, allow_none)
            except OpError:
                raise self.error(
                    f"parameter {key!r} of {spec.name} must be written out as a "
                    + ("shape, e.g. (2, 3)" if param.kind == "shape" else "number"),
                    value,
                ) from None
            try:
                params[key] = param.coerce(raw)
            except OpError as exc:
                raise self.error(f"{spec.name}: {exc}", value) from None
        return params

    def param_literal(self, node: ast.expr, allow_none: bool) -> Any:
        if allow_none and isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self.param_literal(item, False) for item in node.elts)
        if not self.is_literal(node, lists=False):
            raise OpError("not a literal")
        return self.literal(node, keep_int=True)

    def source_form(self, node: ast.Call) -> str | None:
        """``param(0.5)`` / ``const([1, 2])``: a source with a literal value, else None."""
        assert isinstance(node.func, ast.Name)
        op = SOURCE_FORMS.get(node.func.id)
        if op is None:
            return None
        if len(node.args) != 1 or node.keywords:
            raise self.error(f"{node.func.id} takes one value, e.g. {node.func.id}(0.5)", node)
        value = node.args[0]
        if not self.is_literal(value):
            raise self.error(
                f"{node.func.id} needs a number or list written out, not an expression", value
            )
        return self.add_source(op, self.literal(value), node)

    # ---- literals ------------------------------------------------------------------------

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, str):
            raise self.error("strings are not allowed", node)
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.error(f"{value!r} is not a number", node)
        if isinstance(value, complex):
            raise self.error("complex numbers are not supported", node)
        if not isinstance(value, (int, float)):
            raise self.error(f"{type(value).__name__} values are not allowed", node)
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise self.error("number is too large (beyond 1.8e308)", node)
        return result

    def literal(self, node: ast.expr, keep_int: bool = False) -> Any:
        """The value of a literal (checked by :func:`_is_literal`): float or nested lists."""
        if isinstance(node, ast.Constant):
            number = self.number(node)
            if keep_int and isinstance(node.value, int):
                return node.value
            return number
        if isinstance(node, ast.Name):
            return NAMED_CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp):
            inner = self.literal(node.operand, keep_int)
            return _negate(inner) if isinstance(node.op, ast.USub) else inner
        assert isinstance(node, ast.List)
        items = [self.literal(item) for item in node.elts]
        try:
            value = to_value(items)
        except ValueError as exc:
            raise self.error(str(exc), node) from None
        if isinstance(value, float) or value.size == 0:
            raise self.error("a list value needs at least one number", node)
        return value

    # ---- nodes ---------------------------------------------------------------------------

    def count_node(self, where: ast.AST) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(f"the program makes more than {MAX_NODES} nodes", where)

    def add_source(self, op: str, value: Any, where: ast.AST) -> str:
        self.count_node(where)
        try:
            return self.graph.add_node(op, value=value).id
        except GraphError as exc:
            raise self.error(str(exc), where) from None

    def add_op(self, op: str, inputs: list[str], params: dict[str, Any], where: ast.AST) -> str:
        self.count_node(where)
        try:
            node = self.graph.add_node(op, params=params)
            for port, src in enumerate(inputs):
                self.graph.connect(src, node.id, port)
        except GraphError as exc:
            raise self.error(str(exc), where) from None
        return node.id

    def finish(self, output: str | None) -> Graph:
        if output is not None:
            node_id = self.names.get(output)
            if node_id is None:
                hint = difflib.get_close_matches(output, list(self.names), n=1)
                more = f" (did you mean {hint[0]}?)" if hint else ""
                raise ExprError(f"output {output!r} is not a name in the program{more}")
        else:
            node_id = self.output_id or self.last_computed or self.last_assigned
        if node_id is None and self.graph.functions:  # only defs: the functions, no nodes
            return self.graph
        if node_id is None:
            raise ExprError("the program assigns nothing: write an assignment such as f = x * y")
        self.graph.set_output(node_id)
        return self.graph
