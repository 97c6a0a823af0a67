"""What a graph file may hold: the format name and version, limits, the keys, the error types,
checks of free-form JSON data (both directions) and the helpers that word every message."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..graph import Graph
from ..ops import get_op, op_names

FORMAT = "graphgui"
CURRENT_VERSION = 2  # 2: function definitions and instances (see migrations.py)

MAX_DEPTH = 100  # nesting levels of JSON containers anywhere in a file
MAX_SETTINGS_CHARS = 1_000_000  # "settings" as compact JSON
MAX_INT_DIGITS = 300  # larger integers do not fit a float anyway
MAX_ID_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}\Z")

TOP_KEYS = (
    "format", "version", "title", "description", "output", "nodes", "edges", "functions",
    "groups", "settings",
)
NODE_KEYS = ("id", "op", "name", "params", "value", "pos", "group")
FUNCTION_KEYS = ("name", "doc", "inputs", "outputs", "nodes", "edges")
GROUP_KEYS = ("id", "function", "name", "collapsed", "inputs", "outputs")
EDGE_KEYS = ("from", "to", "port")
NONFINITE_TEXT = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_QUOTE_LIMIT = 40  # characters of offending text quoted in a message


class FileFormatError(ValueError):
    """A file that cannot be read or a graph that cannot be written.

    ``str(error)`` is one line: ``source: where: reason`` (parts that are unknown are left
    out), e.g. ``example.json: node "n3": unknown op 'sigmod' (did you mean 'sigmoid'?)``.
    """

    def __init__(self, reason: str, source: str | None = None, where: str | None = None):
        self.reason = " ".join(reason.split())  # one line, whatever the parts contain
        if source is not None:  # a file name may hold a line break too
            source = source.replace("\n", "\\n").replace("\r", "\\r")
        self.source = source
        self.where = where
        super().__init__(": ".join(p for p in (source, where, self.reason) if p))


@dataclass(frozen=True)
class Document:
    """What a graph file holds: the graph and the free-form ``settings`` (None if absent)."""

    graph: Graph
    settings: dict[str, Any] | None = None


class _Invalid(Exception):
    """Internal: a problem found while reading, before the source name is known."""

    def __init__(self, where: str | None, reason: str):
        super().__init__(reason)
        self.where = where
        self.reason = reason


# ---- JSON data (settings are free-form) --------------------------------------------------


def _check_json_data(obj: Any, where: str) -> None:
    """Refuse anything that would not read back as the same data (settings are free-form)."""
    stack: list[tuple[Any, str, int]] = [(obj, where, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise _Invalid(_short(path), f"nested more than {MAX_DEPTH} levels deep")
            for k, v in item.items():
                if not isinstance(k, str):
                    raise _Invalid(path, f"key {k!r} is not text; JSON keys are strings")
                _check_text(k, path)
                stack.append((v, _child_path(path, k), depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise _Invalid(_short(path), f"nested more than {MAX_DEPTH} levels deep")
            # Paths are made only for containers: arrays hold millions of plain numbers.
            for i, v in enumerate(item):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{path}[{i}]", depth + 1))
                elif not (isinstance(v, float) and math.isfinite(v)):
                    _check_json_leaf(v, f"{path}[{i}]")
        else:
            _check_json_leaf(item, path)


def _check_json_leaf(item: Any, path: str) -> None:
    if isinstance(item, str):
        _check_text(item, path)
    elif isinstance(item, float):
        if not math.isfinite(item):
            raise _Invalid(path, f"{item} is not a number JSON allows")
    elif isinstance(item, int):  # bool included, which is fine
        if abs(item) >= 10**MAX_INT_DIGITS:
            raise _Invalid(path, f"integer with more than {MAX_INT_DIGITS} digits")
    elif item is not None:
        raise _Invalid(path, f"a {type(item).__name__} is not JSON data")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid(where, "text contains an unpaired surrogate (not valid Unicode)") from None


def _check_settings_size(settings: dict[str, Any]) -> None:
    size = len(json.dumps(settings, ensure_ascii=False, separators=(",", ":")))
    if size > MAX_SETTINGS_CHARS:
        raise _Invalid("settings", f"{size} characters is more than {MAX_SETTINGS_CHARS}")


# ---- message helpers ---------------------------------------------------------------------


def _node_where(node_id: str) -> str:
    return f"node {_quote(node_id)}"


def _bad_id_reason(node_id: Any) -> str:
    if not isinstance(node_id, str):
        return f'"id" must be text, not {_kind(node_id)}'
    return (
        f"the id {_quote(node_id)} is not valid (1 to {MAX_ID_LENGTH} letters, digits, "
        "_ . or -, not starting with . or -)"
    )


def _all_op_names() -> list[str]:
    names = list(op_names())
    for name in list(names):
        names.extend(get_op(name).aliases)
    return names


def _suggest(word: str, choices: Any, quote: Callable[[str], str] = repr) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(quote(c) for c in close) + "?)"


def _kind(x: Any) -> str:
    """JSON's name for the type of ``x``, as messages show it."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true/false"
    if isinstance(x, (int, float)):
        return f"the number {_short(_dump(x))}"
    if isinstance(x, str):
        return f"the text {_quote(x)}"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, dict):
        return "an object"
    return type(x).__name__


def _dump(x: Any) -> str:
    try:
        return json.dumps(x, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(x)


def _quote(text: str) -> str:
    return _short(json.dumps(text, ensure_ascii=False))


def _short(text: str) -> str:
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."


def _short_message(text: str) -> str:
    # Messages from the registry and the graph quote user text in full; keep lines short.
    return text if len(text) <= 200 else text[:197] + "..."


def _child_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{_quote(key)}]"
