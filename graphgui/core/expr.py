"""Expression programs -> Graph.

A program is a small subset of Python: one assignment per line (or separated by ``;``),
arithmetic operators and calls to registered ops. It is parsed with :mod:`ast` and every
syntax node is checked against an allow-list; nothing is ever evaluated with ``eval`` or
``exec``, and the graph is not evaluated while it is built. See docs/expression-language.md.

Rules in short:

- a name used but never assigned is an ``input`` (value 0.0);
- ``x = -2`` or ``W = [[1, 2], [3, 4]]`` (a number or list written out) makes ``x`` an
  input holding that value; ``w = param(0.5)`` a parameter; ``c = const(3)`` a constant;
- ``y = <expression>`` names the node computing the expression ``y``; ``y = x`` (a bare
  name) adds an ``identity`` node named ``y``;
- re-assigning a name gives it to the new node and renames the older one (``a_1``);
- number literals, ``pi`` and ``e`` inside expressions become unnamed ``constant`` nodes;
- the output is ``output`` if given, else a bare expression on the last line, else the last
  assigned name that is computed (not a plain value).
"""

from __future__ import annotations

import ast
import difflib
import math
import warnings
from dataclasses import dataclass
from typing import Any

from .graph import Graph, GraphError, Node, check_name
from .layout import apply_layout, layered_layout
from .ops import OpError, OpSpec, get_op, has_op, op_names
from .values import to_value

MAX_SOURCE_BYTES = 100_000
MAX_STATEMENTS = 5_000
MAX_NODES = 20_000
MAX_DEPTH = 100
MAX_LIST_ELEMENTS = 1_000_000
MAX_TEXT = 40  # characters of offending text quoted in a message

NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}
# Calls that make a source node from a literal value: name -> op.
SOURCE_FORMS = {"param": "parameter", "const": "constant"}

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.MatMult: "matmul",
}
_OPERATOR_TEXT: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
# Why each refused piece of syntax is refused, as shown in messages.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "subscripts (a[i]) are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred arguments (*a) are not allowed",
    ast.NamedExpr: "the walrus operator := is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators (and, or) are not allowed",
    ast.IfExp: "if-expressions are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}
_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "def",
    ast.ClassDef: "class",
    ast.AnnAssign: "annotated assignment",
    ast.If: "if",
    ast.For: "for",
    ast.AsyncFor: "for",
    ast.While: "while",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Return: "return",
    ast.Delete: "del",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Assert: "assert",
    ast.Raise: "raise",
    ast.Try: "try",
    ast.Pass: "pass",
    ast.Break: "break",
    ast.Continue: "continue",
}


class ExprError(ValueError):
    """A program the parser refuses.

    ``line`` and ``col`` (1-based; None when the problem is the whole program) and ``text``
    (the offending source, shortened) say where; ``str()`` is one line.
    """

    def __init__(
        self, message: str, line: int | None = None, col: int | None = None, text: str = ""
    ) -> None:
        self.message = message
        self.line = line
        self.col = col
        self.text = text
        where = f"line {line}, col {col}: " if line is not None else ""
        quoted = f' in "{text}"' if text else ""
        hint = ""
        if " (did you mean " in message:  # keep hints after the quoted text
            message, _, rest = message.partition(" (did you mean ")
            hint = " (did you mean " + rest
        elif "; " in message:  # "what is wrong; what to write instead"
            message, _, rest = message.partition("; ")
            hint = "; " + rest
        super().__init__(f"{where}{message}{quoted}{hint}")


@dataclass
class _Binding:
    node_id: str
    line: int
    implicit: bool  # created by use, never assigned


def parse(source: str, output: str | None = None, title: str = "") -> Graph:
    """Build a new, laid-out Graph from an expression program; raises :class:`ExprError`."""
    if not isinstance(source, str):
        raise ExprError(f"the program must be text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_BYTES or len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise ExprError(f"the program is longer than {MAX_SOURCE_BYTES // 1000} kB")
    tree = _parse_ast(source)
    if not tree.body:
        raise ExprError("the program is empty: write an assignment such as f = (x + y) * z")
    if len(tree.body) > MAX_STATEMENTS:
        stmt = tree.body[MAX_STATEMENTS]
        raise ExprError(
            f"the program has more than {MAX_STATEMENTS} statements", *_where(source, stmt)
        )
    builder = _Builder(source, tree, title)
    for index, stmt in enumerate(tree.body):
        builder.statement(stmt, last=index == len(tree.body) - 1)
    graph = builder.finish(output)
    apply_layout(graph, layered_layout(graph))
    return graph


def _parse_ast(source: str) -> ast.Module:
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": refused or harmless
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        text = (exc.text or "").strip("\n")
        msg = exc.msg
        if "null bytes" in msg:
            raise ExprError("the program contains a null byte") from None
        if msg.startswith("Exceeds the limit") and "digits" in msg:
            msg = "number literal is too long"
        elif msg == "invalid decimal literal":  # 2x: Python needs the operator
            msg = "a number runs into a name; write 2 * x for a product"
        raise ExprError(msg, line, col, _shorten(text.strip())) from None
    except (RecursionError, MemoryError):
        raise ExprError(
            "a statement is too long or too deeply nested for the parser; "
            "split it into several assignments"
        ) from None
    except ValueError as exc:  # e.g. null bytes on some Python versions
        raise ExprError(str(exc).splitlines()[0]) from None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _where(source_lines: str | list[str], node: ast.AST) -> tuple[int, int, str]:
    """(line, 1-based column in characters, shortened source text) of an ast node."""
    lines = source_lines.splitlines() if isinstance(source_lines, str) else source_lines
    line = getattr(node, "lineno", 1)
    offset = getattr(node, "col_offset", 0)
    text = ""
    col = offset + 1
    if 1 <= line <= len(lines):
        raw = lines[line - 1].encode("utf-8")
        col = len(raw[:offset].decode("utf-8", "replace")) + 1  # ast offsets count bytes
        end_line = getattr(node, "end_lineno", line)
        end = getattr(node, "end_col_offset", None)
        if end_line == line and end is not None:
            text = raw[offset:end].decode("utf-8", "replace")
        else:
            text = raw[offset:].decode("utf-8", "replace")
    return line, col, _shorten(text)


# Functions people reach for that have another name here.
_INSTEAD = {
    "max": "relu(x) is max(x, 0)",
    "min": "-relu(-x) is min(x, 0)",
    "square": "write x ** 2",
    "sqr": "write x ** 2",
    "dot": "write a @ b",
    "exp2": "write 2 ** x",
    "logistic": "sigmoid(x) is the logistic function",
}


def _suggest(name: str) -> str:
    if name in _INSTEAD:
        return f"; {_INSTEAD[name]}"
    candidates = list(op_names()) + [a for n in op_names() for a in get_op(n).aliases]
    candidates += list(SOURCE_FORMS)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


class _Builder:
    def __init__(self, source: str, tree: ast.Module, title: str) -> None:
        self.lines = source.splitlines()
        self.graph = Graph(title)
        self.bindings: dict[str, _Binding] = {}
        self.names: dict[str, str] = {}  # every node name in the graph -> node id
        self.suffixes: dict[str, int] = {}  # next suffix to try for a renamed base
        # Names generated for renamed nodes avoid every identifier the program mentions.
        self.identifiers = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.count = 0
        self.output_id: str | None = None  # from a bare expression on the last line
        self.last_assigned: str | None = None
        self.last_computed: str | None = None

    def error(self, message: str, node: ast.AST) -> ExprError:
        return ExprError(message, *_where(self.lines, node))

    # ---- statements ----------------------------------------------------------------------

    def statement(self, stmt: ast.stmt, last: bool) -> None:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1:
                raise self.error("assign one name per statement (no a = b = ...)", stmt)
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
        self.check_name(node.id, node)
        if node.id in NAMED_CONSTANTS:
            raise self.error(
                f"{node.id!r} is the constant {NAMED_CONSTANTS[node.id]:.6g}; "
                "choose another name",
                node,
            )
        return node.id

    def assign(self, name: str, value: ast.expr, stmt: ast.stmt) -> None:
        old = self.bindings.get(name)
        if _is_literal(value):
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
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_literal(node):
            return self.add_source("constant", self.literal(node), node)  # -2 is one constant
        if isinstance(node, ast.List):
            if not _is_literal(node):
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
        spec = self.call_spec(node)
        return self.add_op(spec.name, args, self.call_params(node, spec), node)

    def resolve_name(self, name: str, node: ast.AST) -> str:
        binding = self.bindings.get(name)
        if binding is not None:
            return binding.node_id
        if name in NAMED_CONSTANTS:
            return self.add_source("constant", NAMED_CONSTANTS[name], node)
        node_id = self.add_source("input", 0.0, node)
        self.bind(name, node_id, node, implicit=True)
        return node_id

    # ---- calls ---------------------------------------------------------------------------

    def call_spec(self, node: ast.Call) -> OpSpec:
        """The op a call names, after checking its argument counts and keywords."""
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if not has_op(name):
            raise self.error(f"unknown function {name!r}{_suggest(name)}", node)
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
        if not _is_literal(node, lists=False):
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
        if not _is_literal(value):
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
        if node_id is None:
            raise ExprError("the program assigns nothing: write an assignment such as f = x * y")
        self.graph.set_output(node_id)
        return self.graph


def _is_literal(node: ast.expr, lists: bool = True) -> bool:
    """A number written out: ``2``, ``-0.5``, ``pi``, or (if ``lists``) a list of them."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Constant):
            if isinstance(item.value, bool) or not isinstance(item.value, (int, float)):
                return False
        elif isinstance(item, ast.Name):
            if item.id not in NAMED_CONSTANTS:
                return False
        elif isinstance(item, ast.UnaryOp) and isinstance(item.op, (ast.USub, ast.UAdd)):
            stack.append(item.operand)
        elif lists and isinstance(item, ast.List):
            stack.extend(item.elts)
        else:
            return False
    return True


def _negate(value: Any) -> Any:
    if isinstance(value, list):
        return [_negate(v) for v in value]
    return -value


__all__ = ["ExprError", "MAX_DEPTH", "MAX_NODES", "MAX_SOURCE_BYTES", "MAX_STATEMENTS", "parse"]
