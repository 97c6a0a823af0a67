"""What the expression language allows: its limits, the allow-list of syntax (and why the rest
is refused), literals, the error type and where in the source a problem is."""

from __future__ import annotations

import ast
import math
from collections.abc import Container
from typing import Any

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
    ast.AsyncFunctionDef: "async def",
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


def _is_literal(node: ast.expr, lists: bool = True, shadowed: Container[str] = ()) -> bool:
    """A number written out: ``2``, ``-0.5``, ``pi``, or (if ``lists``) a list of them.
    A constant's name in ``shadowed`` was assigned by the program: it names a node then."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Constant):
            if isinstance(item.value, bool) or not isinstance(item.value, (int, float)):
                return False
        elif isinstance(item, ast.Name):
            if item.id not in NAMED_CONSTANTS or item.id in shadowed:
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
