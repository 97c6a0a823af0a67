"""Program text -> ast (with one-line syntax errors) -> a laid-out Graph."""

from __future__ import annotations

import ast
import warnings

from ..graph import Graph
from ..layout import apply_layout, layered_layout
from .builder import _Builder
from .syntax import MAX_SOURCE_BYTES, MAX_STATEMENTS, ExprError, _shorten, _where


def parse(source: str, output: str | None = None, title: str = "") -> Graph:
    """Build a new, laid-out Graph from an expression program; raises :class:`ExprError`."""
    if not isinstance(source, str):
        raise ExprError(f"the program must be text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_BYTES or len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise ExprError(f"the program is longer than {MAX_SOURCE_BYTES // 1000} kB")
    tree = _parse_ast(source)
    _end_one_line_defs(tree)
    if not tree.body:
        raise ExprError("the program is empty: write an assignment such as f = (x + y) * z")
    if len(tree.body) > MAX_STATEMENTS:
        stmt = tree.body[MAX_STATEMENTS]
        raise ExprError(
            f"the program has more than {MAX_STATEMENTS} statements", *_where(source, stmt)
        )
    builder = _Builder(source, tree, title)
    # The output may be a lone expression on the last line that is not a def.
    last = max((k for k, s in enumerate(tree.body) if not isinstance(s, ast.FunctionDef)),
               default=-1)
    for index, stmt in enumerate(tree.body):
        builder.statement(stmt, last=index == last)
    graph = builder.finish(output)
    apply_layout(graph, layered_layout(graph))
    return graph


def _end_one_line_defs(tree: ast.Module) -> None:
    """A def written on one line ends at its return: ``def f(x): return 2 * x; y = f(3)``
    is the def, then ``y = f(3)`` (one line is all the editor's expression bar holds;
    Python would read the rest as part of the body)."""
    body: list[ast.stmt] = []
    for stmt in tree.body:
        body.append(stmt)
        if not isinstance(stmt, ast.FunctionDef) or any(
            s.lineno != stmt.lineno for s in stmt.body
        ):
            continue
        ends = next((k for k, s in enumerate(stmt.body) if isinstance(s, ast.Return)), None)
        if ends is not None and ends + 1 < len(stmt.body):
            body.extend(stmt.body[ends + 1:])
            stmt.body = stmt.body[: ends + 1]
    tree.body = body


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
