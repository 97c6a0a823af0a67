"""``def`` blocks and their calls, as part of the builder (see docs/expression-language.md,
"Functions").

A top-level ``def`` is built into a :class:`FunctionDef` by a second builder working on its
body (one ``input`` node per parameter; a name neither a parameter nor assigned before is
refused); every call of it at the top level becomes one collapsed function instance of the
graph, its nodes named as :func:`graphgui.core.functions.instances.instance_graph` (the
palette) names them: ``h1 = neuron(...)`` gives the instance and its output the name
``h1``, inner locals ``h1_z``; its inputs are wired to the arguments. Inside a body a call
is copied in as plain nodes: instances do not nest. A body may call only functions defined
before it, so there is no recursion.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import GraphError
from ..functions.model import FunctionDef, Group, GroupInput, GroupOutput
from ..layout import apply_layout, layered_layout
from ..names import check_name as check_graph_name
from ..ops import has_op
from .syntax import _REFUSED, MAX_STATEMENTS, NAMED_CONSTANTS, SOURCE_FORMS, ExprError

if TYPE_CHECKING:
    from ..graph import Graph, Node


@dataclass(frozen=True)
class _Scope:
    """What a body's builder knows about the def it builds."""

    function: str
    params: tuple[str, ...]


def collect_defs(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    """The program's top-level defs by name (the first of a name; one named like an op or a
    built-in name is left out, its def statement refuses it)."""
    found: dict[str, ast.FunctionDef] = {}
    for stmt in getattr(tree, "body", ()):
        if isinstance(stmt, ast.FunctionDef) and _reserved(stmt.name) is None:
            try:
                check_graph_name(stmt.name)
            except GraphError:
                continue
            found.setdefault(stmt.name, stmt)
    return found


def _reserved(name: str) -> str | None:
    """Why ``name`` cannot name a function, or None."""
    if has_op(name):
        return f"{name!r} is an op; give the function another name, e.g. my_{name}"
    if name in SOURCE_FORMS or name in NAMED_CONSTANTS:
        return f"{name!r} is a built-in name; give the function another name"
    return None


class FunctionsMixin:
    """The builder's part for defs and calls (the attributes below are the builder's)."""

    graph: Graph
    lines: list[str]
    names: dict[str, str]
    bindings: dict
    count: int

    # ---- set up --------------------------------------------------------------------------

    def init_functions(self, tree: ast.AST, parent: FunctionsMixin | None) -> None:
        if parent is None:
            self.defs: dict[str, ast.FunctionDef] = collect_defs(tree)
            self.defined: dict[str, FunctionDef] = {}
            self.scope: _Scope | None = None
        else:
            self.defs, self.defined = parent.defs, parent.defined
            self.scope = None  # set by build_body once the parameters are checked

    def is_def_call(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self.defs)

    def def_as_variable(self, name: str, node: ast.AST) -> ExprError:
        line = self.defs[name].lineno
        return self.error(
            f"{name!r} is the name of a function (def on line {line}); "
            "give the variable another name", node,
        )

    # ---- def statements ------------------------------------------------------------------

    def define(self, stmt: ast.FunctionDef) -> None:
        """Build the def ``stmt`` into a FunctionDef of the graph."""
        if self.scope is not None:
            raise self.error(
                f"a def inside a def is not allowed; define {stmt.name} at the top level, "
                f"before {self.scope.function}", stmt,
            )
        name = stmt.name
        why = _reserved(name)
        if why is not None:
            raise self.error(why, stmt)
        try:
            check_graph_name(name)
        except GraphError as exc:
            raise self.error(str(exc), stmt) from None
        if name in self.defined or self.defs.get(name) is not stmt:
            first = self.defs[name].lineno
            raise self.error(
                f"function {name!r} is already defined on line {first}; "
                "give this one another name", stmt,
            )
        params = self.def_params(stmt)
        if len(stmt.body) > MAX_STATEMENTS:
            raise self.error(f"a def has more than {MAX_STATEMENTS} statements",
                             stmt.body[MAX_STATEMENTS])
        body = type(self)(self.lines, stmt, name, parent=self)
        definition = body.build_body(stmt, params)
        try:
            self.graph.define_function(definition)
        except GraphError as exc:
            raise self.error(str(exc), stmt) from None
        self.defined[name] = definition

    def def_params(self, stmt: ast.FunctionDef) -> tuple[str, ...]:
        """The parameter names, after refusing everything but plain positional ones."""
        args = stmt.args
        for decorator in stmt.decorator_list:
            raise self.error("decorators are not allowed", decorator)
        for extra in getattr(stmt, "type_params", ()) or ():
            raise self.error("type parameters are not allowed", extra)
        if stmt.returns is not None:
            raise self.error("annotations are not allowed", stmt.returns)
        if args.vararg is not None or args.kwarg is not None:
            star = args.vararg or args.kwarg
            raise self.error("*args and **kwargs are not allowed in a def", star)
        if args.posonlyargs or args.kwonlyargs:
            odd = (args.posonlyargs or args.kwonlyargs)[0]
            raise self.error(f"a def takes plain inputs only, e.g. def {stmt.name}(x, w, b)",
                             odd)
        if args.defaults:
            raise self.error(
                "default values are not allowed; give every argument in the call",
                args.defaults[0],
            )
        seen: set[str] = set()
        for arg in args.args:
            if arg.annotation is not None:
                raise self.error("annotations are not allowed", arg.annotation)
            self.check_name(arg.arg, arg)
            if arg.arg in seen:
                raise self.error(f"input {arg.arg!r} of {stmt.name} is named twice", arg)
            seen.add(arg.arg)
        return tuple(arg.arg for arg in args.args)

    def build_body(self, stmt: ast.FunctionDef, params: tuple[str, ...]) -> FunctionDef:
        """(In the body's builder) the statements of ``stmt`` -> its FunctionDef."""
        for name in params:
            self.bind(name, self.add_source("input", 0.0, stmt), stmt, implicit=False)
        self.scope = _Scope(stmt.name, params)
        body = list(stmt.body)
        doc = ""
        first = body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            doc, body = first.value.value, body[1:]
        outputs: tuple[str, ...] | None = None
        for index, item in enumerate(body):
            if isinstance(item, ast.Return):
                if index + 1 < len(body):
                    raise self.error(
                        f"statements after return are not allowed; return ends {stmt.name}",
                        body[index + 1],
                    )
                outputs = self.return_statement(item)
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.define(item)  # refuses it, naming both
            elif isinstance(item, ast.Expr):
                raise self.error(
                    "an expression on its own does nothing inside a def; "
                    "assign it to a name or return it", item,
                )
            else:
                self.statement(item, last=False)
        if outputs is None:
            raise self.error(
                f"def {stmt.name} has no return; end it with return <expression>", stmt
            )
        apply_layout(self.graph, layered_layout(self.graph))
        return FunctionDef(stmt.name, params, outputs, self.graph, doc)

    def return_statement(self, stmt: ast.Return) -> tuple[str, ...]:
        """Name the returned nodes; their names are the function's outputs."""
        if stmt.value is None:
            raise self.error("return needs a value, e.g. return x * w", stmt)
        several = isinstance(stmt.value, ast.Tuple)
        items = list(stmt.value.elts) if isinstance(stmt.value, ast.Tuple) else [stmt.value]
        if not items:
            raise self.error("return needs a value, e.g. return x * w", stmt)
        for item in items:
            if isinstance(item, ast.Starred):
                raise self.error(_REFUSED[ast.Starred], item)
            self.check_expression(item)
        assert self.scope is not None
        params = set(self.scope.params)
        results: list[tuple[str, str | None]] = []  # (node id, name it needs or None)
        for k, item in enumerate(items, start=1):
            wanted = f"out{k}" if several else "out"
            if self.is_def_call(item):
                node_id = self.call(item, wanted)[0]
            else:
                node_id = self.expression(item)
                node = self.graph.node(node_id)
                if node.name in params:  # return x: an identity of the input, named out
                    node_id = self.add_op("identity", [node_id], {}, item)
                elif node.name is not None:  # return h: a local keeps its name
                    wanted = None
            if any(node_id == done for done, _ in results):
                label = self.graph.node(node_id).name
                raise self.error(f"{label!r} is returned twice; return each value once", item)
            results.append((node_id, wanted))
        returned = {node_id for node_id, _ in results}
        for node_id, wanted in results:
            if wanted is None:
                continue
            holder = self.names.get(wanted)
            if holder is not None and holder in returned:
                wanted = self.fresh_name(wanted)
            self.bind(wanted, node_id, stmt, implicit=False)
        return tuple(str(self.graph.node(node_id).name) for node_id, _ in results)

    # ---- what a body may use -------------------------------------------------------------

    def check_assignable(self, name: str, node: ast.AST) -> None:
        if self.scope is not None and name in self.scope.params:
            raise self.error(
                f"{name!r} is an input of {self.scope.function} and cannot be assigned inside "
                f"it; use a new name, e.g. {name}2 = ...", node,
            )

    def unknown_in_body(self, name: str, node: ast.AST) -> ExprError:
        assert self.scope is not None
        known = [n for n in self.bindings if n not in NAMED_CONSTANTS]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        scope = self.scope
        if close:
            hint = f" (did you mean {close[0]}?)"
        else:
            inputs = ", ".join(scope.params + (name,))
            hint = f"; add it to the inputs: def {scope.function}({inputs})"
        return self.error(
            f"{name!r} is neither an input of {scope.function} nor assigned before this line"
            + hint, node,
        )

    # ---- calls ---------------------------------------------------------------------------

    def check_def_call(self, node: ast.Call) -> FunctionDef:
        """The function a call names, after checking it exists by now and its arguments."""
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if self.scope is not None and name == self.scope.function:
            raise self.error(
                f"{name} calls itself; a function cannot call itself (no recursion)", node
            )
        definition = self.defined.get(name)
        if definition is None:
            where = "a def may call only functions defined before it" if self.scope \
                else "call a function only after its def"
            raise self.error(
                f"{name!r} is defined later, on line {self.defs[name].lineno}; {where}", node
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(_REFUSED[ast.Starred], arg)
        for kw in node.keywords:
            raise self.error(
                f"give the arguments of {name} by position, e.g. {definition.signature}", kw
            )
        n = len(definition.inputs)
        if len(node.args) != n:
            ports = f" ({', '.join(definition.inputs)})" if n else ""
            plural = "input" if n == 1 else "inputs"
            raise self.error(
                f"{name} takes {n or 'no'} {plural}{ports}, got {len(node.args)} argument(s)",
                node,
            )
        return definition

    def assign_call(self, target: ast.expr, value: ast.Call, stmt: ast.stmt) -> None:
        """``h = neuron(...)`` or ``h1, h2 = layer(...)``: an instance named after the
        (first) target, its outputs bound to the targets."""
        self.check_expression(value)
        definition = self.check_def_call(value)
        outputs = definition.outputs
        several = isinstance(target, (ast.Tuple, ast.List))
        items = list(target.elts) if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names = []
        for item in items:
            if isinstance(item, (ast.Tuple, ast.List)):
                raise self.error("assign to plain names, e.g. a, b = ...", item)
            names.append(self.target(item))
        listed = ", ".join(outputs)
        if several and len(outputs) == 1:
            raise self.error(
                f"{definition.name} returns one value; assign it to one name, "
                f"e.g. {names[0]} = {definition.name}(...)", target,
            )
        if len(names) != len(outputs):
            if not several:
                raise self.error(
                    f"{definition.name} returns {len(outputs)} values ({listed}); assign them "
                    f"to as many names, e.g. {listed} = {definition.name}(...)", stmt,
                )
            raise self.error(
                f"{definition.name} returns {len(outputs)} values ({listed}), not {len(names)}",
                target,
            )
        for k, name in enumerate(names):
            if name in names[:k]:
                raise self.error(f"{name!r} is assigned twice in one statement", items[k])
        results = self.call(value, names[0])
        for name, node_id in zip(names, results, strict=True):
            self.bind(name, node_id, stmt, implicit=False)

    def nested_call(self, node: ast.Call, args: list[str]) -> str:
        """A call inside a larger expression: the instance ``<function>_<k>``."""
        definition = self.check_def_call(node)
        if len(definition.outputs) > 1:
            listed = ", ".join(definition.outputs)
            raise self.error(
                f"{definition.name} returns {len(definition.outputs)} values ({listed}); "
                f"assign them on a line of their own: {listed} = {definition.name}(...)", node,
            )
        instance = self.fresh_name(definition.name)
        (result,) = self.instantiate(definition, args, instance, node)
        self.set_name(self.graph.node(result), instance)
        return result

    def call(self, node: ast.Call, instance: str) -> list[str]:
        """The output node ids (unnamed) of a call whose instance is called ``instance``."""
        definition = self.check_def_call(node)
        args = [self.expression(arg) for arg in node.args]
        return self.instantiate(definition, args, instance, node)

    def instantiate(
        self, definition: FunctionDef, args: list[str], instance: str, where: ast.AST
    ) -> list[str]:
        """Copy one instance of ``definition`` in, fed by ``args``; at the top level its nodes
        form a function instance, inside a body they are plain nodes. Returns the output
        nodes' ids (left unnamed for the caller) in the definition's order.

        Inner named nodes are called ``<instance>_<local>``, as :func:`instance_graph` names
        them (tests/core/test_expr_functions.py checks the two agree)."""
        body = definition.body
        placeholders: dict[str, str] = {}
        for name in definition.inputs:
            found = body.find(name)
            if found is not None:
                placeholders[found.id] = name
        outputs: dict[str, str] = {}
        for out in definition.outputs:
            found = body.find(out)
            if found is None or found.id in placeholders:
                raise self.error(f"{definition.name}: its output {out!r} is not in its body",
                                 where)
            outputs[found.id] = out
        ids: dict[str, str] = {}
        targets: dict[str, list[tuple[str, int]]] = {name: [] for name in definition.inputs}
        feeds = dict(zip(definition.inputs, args, strict=True))
        try:
            for node in body.nodes:
                if node.id in placeholders:
                    continue
                self.count_node(where)
                value = node.value.copy() if hasattr(node.value, "copy") else node.value
                copy = self.graph.add_node(node.op, params=node.params, value=value,
                                           pos=node.pos)
                ids[node.id] = copy.id
                if node.name is not None and node.id not in outputs:
                    self.name_local(copy, f"{instance}_{node.name}"[:64])
            for edge in body.edges:
                if edge.src in placeholders:
                    name = placeholders[edge.src]
                    targets[name].append((ids[edge.dst], edge.port))
                    self.graph.connect(feeds[name], ids[edge.dst], edge.port)
                else:
                    self.graph.connect(ids[edge.src], ids[edge.dst], edge.port)
            if self.scope is None:
                group = Group(
                    self.graph.new_group_id(), definition.name, instance,
                    tuple(GroupInput(name, tuple(t)) for name, t in targets.items()),
                    tuple(GroupOutput(out, ids[nid]) for nid, out in outputs.items()),
                    collapsed=True,
                )
                self.graph.add_group(group)
                for nid in ids.values():
                    self.graph.set_node_group(nid, group.id)
        except GraphError as exc:
            raise self.error(str(exc), where) from None
        return [ids[nid] for nid in outputs]

    def name_local(self, node: Node, name: str) -> None:
        """An inner local's name, with a suffix when a node already has it."""
        taken = name in self.names or name in self.defs
        self.set_name(node, self.fresh_name(name) if taken else name)

    if TYPE_CHECKING:  # the builder's own methods
        def __init__(self, source: str | list[str], tree: ast.AST, title: str,
                     parent: FunctionsMixin | None = None) -> None: ...
        def error(self, message: str, node: ast.AST) -> ExprError: ...
        def check_name(self, name: str, node: ast.AST) -> None: ...
        def statement(self, stmt: ast.stmt, last: bool) -> None: ...
        def target(self, node: ast.expr) -> str: ...
        def check_expression(self, root: ast.expr) -> None: ...
        def expression(self, root: ast.expr) -> str: ...
        def bind(self, name: str, node_id: str, where: ast.AST, implicit: bool) -> None: ...
        def set_name(self, node: Node, name: str) -> None: ...
        def fresh_name(self, base: str, prefer_plain: bool = False) -> str: ...
        def count_node(self, where: ast.AST) -> None: ...
        def add_source(self, op: str, value: object, where: ast.AST) -> str: ...
        def add_op(self, op: str, inputs: list[str], params: dict, where: ast.AST) -> str: ...
