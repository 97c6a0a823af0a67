"""Reading: bytes -> text -> JSON (strict: no NaN, no duplicate keys, bounded numbers and
depth) -> an upgraded document -> a validated Graph. Nothing is ever executed."""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from ..graph import Graph
from ..paths import display_path, regular_file_problem
from .migrations import _upgrade
from .schema import (
    MAX_INT_DIGITS,
    Document,
    FileFormatError,
    _check_json_data,
    _Invalid,
    _quote,
    _short,
)
from .validate import _build

MAX_FILE_BYTES = 50_000_000


def loads(text: str, source: str = "<string>") -> Graph:
    """The graph in ``text``; ``source`` names it in messages. Raises FileFormatError."""
    return read_document(text, source).graph


def load(path: str | os.PathLike[str]) -> Graph:
    """The graph in the file at ``path`` (UTF-8 JSON). Raises FileFormatError."""
    return load_document(path).graph


def load_document(path: str | os.PathLike[str]) -> Document:
    """The graph and settings in the file at ``path``. Raises FileFormatError."""
    source = os.fspath(path)
    problem = regular_file_problem(path)  # a named pipe would block the read forever
    if problem is not None:
        raise FileFormatError(f"cannot read: {problem}", display_path(source))
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise FileFormatError(f"cannot read: {reason}", source) from exc
    if len(data) > MAX_FILE_BYTES:
        raise FileFormatError(f"larger than the limit of {MAX_FILE_BYTES:,} bytes", source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise FileFormatError(
            f"not UTF-8 text (byte 0x{byte:02x} at line {line}, offset {exc.start})", source
        ) from None
    return read_document(text, source)


def parse_json(text: str) -> Any:
    """JSON data read as strictly as a graph file: no NaN or Infinity, no number too large
    for a float (``1e999``), integers of at most MAX_INT_DIGITS digits, no duplicate keys,
    at most MAX_DEPTH levels of nesting. Raises FileFormatError with a one-line reason
    (``--set`` and ``--dataset`` on the command line read their values with it)."""
    try:
        data = _strict_loads(text)
        _check_json_data(data, "")
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{_short(repr(text))} is not JSON ({exc.msg})") from None
    except _Constant as exc:
        raise FileFormatError(f"{exc.args[0]} is not a number JSON allows") from None
    except RecursionError:
        raise FileFormatError("nested too deeply to read") from None
    except _Invalid as exc:
        raise FileFormatError(exc.reason, None, exc.where or None) from None
    return data


def read_document(text: str, source: str = "<string>") -> Document:
    """The graph and settings in ``text``. Everything is checked before the graph is built,
    so a bad file never yields a partial graph. Raises FileFormatError."""
    try:
        data = _parse(text)
        data = _upgrade(data)
        return _build(data)
    except _Invalid as exc:
        raise FileFormatError(exc.reason, source, exc.where) from None


def _parse(text: str) -> Any:
    if not isinstance(text, str):
        raise _Invalid(None, f"expected text, got {type(text).__name__}")
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors add
    if len(text) > MAX_FILE_BYTES:
        raise _Invalid(None, f"larger than the limit of {MAX_FILE_BYTES:,} characters")
    try:
        data = _strict_loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise _Invalid(None, reason) from None
    except _Constant as exc:
        raise _Invalid(None, _constant_reason(text, exc.args[0])) from None
    except RecursionError:
        raise _Invalid(None, "nested too deeply to read") from None
    _check_json_data(data, "")  # depth and valid Unicode everywhere (cheap next to parsing)
    return data


def _strict_loads(text: str) -> Any:
    """json.loads refusing NaN/Infinity (_Constant), oversized numbers and duplicate keys
    (_Invalid): the one reading of JSON for graph files and command-line values."""
    return json.loads(
        text,
        parse_constant=_refuse_constant,
        parse_float=_parse_float,
        parse_int=_parse_int,
        object_pairs_hook=_no_duplicate_keys,
    )


class _Constant(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


def _constant_reason(text: str, name: str) -> str:
    # json does not tell where; find the first NaN/Infinity outside a string.
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', text):
        if m.group(1):
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            name = f"{m.group(1)} (line {line}, column {col})"
            break
    return f'{name} is not valid JSON; write "nan", "inf" or "-inf" in a value instead'


def _parse_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):  # 1e999 would silently become inf
        raise _Invalid(None, f"the number {_short(text)} is too large for a float")
    return x


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Invalid(None, f"an integer with more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:  # json would silently keep the last one, hiding a typo
            raise _Invalid(None, f"the key {_quote(key)} appears twice in one object")
        out[key] = value
    return out
