"""Graph files: versioned JSON, validated completely before a graph is built.

A file is one JSON object (see docs/file-format.md)::

    {"format": "graphgui", "version": 1, "title": ..., "description": ..., "output": ...,
     "nodes": [...], "edges": [...], "settings": {...}}

Public API:

- :func:`dumps` / :func:`loads`: a Graph to text and back.
- :func:`save` / :func:`load`: the same with a file; ``save`` is atomic (temp file in the same
  folder, fsync, ``os.replace``), so a failed save leaves the old file byte-identical.
- :func:`read_document` / :func:`load_document`: like ``loads``/``load`` but also return the
  file's free-form ``settings`` object, as a :class:`Document`.
- :class:`FileFormatError` (a ValueError): every problem, as one line naming the file, where
  in it and what is wrong.

Loading never executes anything: the text is parsed with :mod:`json` and every field is
checked against the op registry; there is no pickle and no eval. Older versions are upgraded
one version at a time by the functions in :data:`MIGRATIONS`.
"""

from __future__ import annotations

import contextlib
import difflib
import graphlib
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import Graph, GraphError, check_name
from .ops import OpError, get_op, has_op, op_names
from .values import Value, to_json, to_value

FORMAT = "graphgui"
CURRENT_VERSION = 1
# MIGRATIONS[v] turns a version-v document (a dict) into a version v+1 document. Loading an
# old file runs them one after another up to CURRENT_VERSION; each one only rewrites data,
# the result is validated like any current file.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

MAX_FILE_BYTES = 50_000_000
MAX_DEPTH = 100  # nesting levels of JSON containers anywhere in a file
MAX_SETTINGS_CHARS = 1_000_000  # "settings" as compact JSON
MAX_INT_DIGITS = 300  # larger integers do not fit a float anyway
MAX_ID_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}\Z")
WIDTH = 100  # the writer puts a JSON container on one line when it fits in this width

TOP_KEYS = ("format", "version", "title", "description", "output", "nodes", "edges", "settings")
NODE_KEYS = ("id", "op", "name", "params", "value", "pos")
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


# ---- writing -----------------------------------------------------------------------------


def dumps(graph: Graph, settings: dict[str, Any] | None = None) -> str:
    """The graph as the text of a version-``CURRENT_VERSION`` file (ends with a newline).

    ``settings`` (a JSON object, or None to leave the key out) is written verbatim.
    Raises FileFormatError if something cannot be written so that it reads back equal, e.g.
    a non-finite position or an array with an empty axis before its last one.
    """
    try:
        doc = _document_data(graph, settings)
    except _Invalid as exc:
        raise FileFormatError(exc.reason, "cannot write the graph", exc.where) from None
    return "\n".join(_render(doc, "", "", top=True)) + "\n"


def save(
    graph: Graph, path: str | os.PathLike[str], settings: dict[str, Any] | None = None
) -> None:
    """Write the graph to ``path`` atomically.

    The text is made in memory first, then written to a temporary file in the same folder,
    flushed to disk and renamed over ``path``. On any failure the temporary file is removed,
    an existing file at ``path`` is left byte-identical, and FileFormatError says why.
    A symbolic link is followed: the file it points to is replaced.
    """
    source = os.fspath(path)
    try:
        data = dumps(graph, settings).encode("utf-8")
    except FileFormatError as exc:
        what = f"{exc.where}: {exc.reason}" if exc.where else exc.reason
        raise FileFormatError(f"cannot save: {what}", source) from None
    except UnicodeEncodeError as exc:  # a lone surrogate in a title set by code
        raise FileFormatError(
            f"cannot save: text is not valid Unicode ({exc.reason})", source
        ) from None
    target = os.path.realpath(source)
    folder, base = os.path.split(target)
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = None
        # 0o666 lets the umask decide a new file's permissions, as for any new file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            _remove_quietly(tmp)
            raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise FileFormatError(f"cannot save: {reason}", source) from exc
    _sync_folder(folder)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); not possible everywhere, so best effort."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _document_data(graph: Graph, settings: dict[str, Any] | None) -> dict[str, Any]:
    for key in ("title", "description"):
        if not isinstance(getattr(graph, key), str):
            raise _Invalid(key, f"must be text, not {type(getattr(graph, key)).__name__}")
    nodes = []
    for node in graph.nodes:
        where = _node_where(node.id)
        if not isinstance(node.id, str) or not ID_PATTERN.match(node.id):
            raise _Invalid(where, _bad_id_reason(node.id))
        item: dict[str, Any] = {"id": node.id, "op": node.op, "name": node.name}
        item["params"] = {k: _param_json(k, v, where) for k, v in node.params.items()}
        if node.is_source:
            item["value"] = _value_json(node.value, where)
        x, y = node.pos
        if not (math.isfinite(x) and math.isfinite(y)):
            raise _Invalid(where, f"position ({x}, {y}) is not finite")
        item["pos"] = [float(x), float(y)]
        nodes.append(item)
    order = {node.id: i for i, node in enumerate(graph.nodes)}
    edges = [
        {"from": e.src, "to": e.dst, "port": graph.node(e.dst).spec.inputs[e.port]}
        for e in sorted(graph.edges, key=lambda e: (order[e.dst], e.port))
    ]
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": CURRENT_VERSION,
        "title": graph.title,
        "description": graph.description,
        "output": graph.chosen_output,
        "nodes": nodes,
        "edges": edges,
    }
    if settings is not None:
        if not isinstance(settings, dict):
            raise _Invalid("settings", f"must be a JSON object, not {type(settings).__name__}")
        _check_json_data(settings, "settings")
        _check_settings_size(settings)
        doc["settings"] = settings
    return doc


def _param_json(key: str, value: Any, where: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(where, f"parameter {key!r} is {value}, which a file cannot hold")
    return list(value) if isinstance(value, tuple) else value


def _value_json(value: Value | None, where: str) -> Any:
    # Nested lists cannot show an empty axis before the last one: [] is shape (0,) for
    # shapes (0,), (0, 3) and (0, 0), so such an array would not read back equal.
    if isinstance(value, np.ndarray) and any(d == 0 for d in value.shape[:-1]):
        raise _Invalid(where, f"an array of shape {value.shape} cannot be written as lists")
    return to_json(value)


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


# The writer: 2-space indent, and a container on one line when it fits in WIDTH (a list of
# plain numbers is always one line), so matrices read as rows and each edge is one line.


def _scalar(x: Any) -> str:
    return json.dumps(x, ensure_ascii=False, allow_nan=False)


def _is_flat(items: list[Any]) -> bool:
    return not any(isinstance(x, (list, dict)) for x in items)


def _inline(obj: Any, budget: int) -> str | None:
    """``obj`` on one line, or None if that is longer than ``budget`` characters."""
    if isinstance(obj, dict):
        parts: Iterator[str] = (
            f"{_scalar(k)}: {v}" if v is not None else ""
            for k, v in ((k, _inline(v, budget)) for k, v in obj.items())
        )
        return _join_within("{", parts, "}", budget, len(obj))
    if isinstance(obj, list):
        if _is_flat(obj):
            text = _scalar(obj)
            return text if len(text) <= budget else None
        return _join_within("[", (_inline(v, budget) or "" for v in obj), "]", budget, len(obj))
    return _scalar(obj)


def _join_within(
    open_: str, parts: Iterator[str], close: str, budget: int, count: int
) -> str | None:
    out: list[str] = []
    used = len(open_) + len(close) + 2 * max(count - 1, 0)
    for part in parts:
        used += len(part)
        if not part or used > budget:  # "" marks a child that did not fit
            return None
        out.append(part)
    return open_ + ", ".join(out) + close


def _render(obj: Any, pad: str, lead: str, top: bool = False) -> list[str]:
    """Lines for ``obj``; the first starts with ``pad + lead`` (lead is ``"key": ``)."""
    if not top and not (isinstance(obj, (dict, list)) and obj):
        return [pad + lead + _scalar(obj)]
    if not top:
        text = _inline(obj, WIDTH - len(pad) - len(lead) - 1)  # 1 for a trailing comma
        if text is None and isinstance(obj, list) and _is_flat(obj):
            text = _scalar(obj)
        if text is not None:
            return [pad + lead + text]
    inner = pad + "  "
    if isinstance(obj, dict):
        children = [
            # nodes and edges: always one per line, so a file diffs line by line
            _render_list_expanded(v, inner, f"{_scalar(k)}: ")
            if top and k in ("nodes", "edges") and v
            else _render(v, inner, f"{_scalar(k)}: ")
            for k, v in obj.items()
        ]
        open_, close = "{", "}"
    else:
        children = [_render(v, inner, "") for v in obj]
        open_, close = "[", "]"
    lines = [pad + lead + open_]
    for i, child in enumerate(children):
        if i < len(children) - 1:
            child[-1] += ","
        lines.extend(child)
    lines.append(pad + close)
    return lines


def _render_list_expanded(items: list[Any], pad: str, lead: str) -> list[str]:
    lines = [pad + lead + "["]
    for i, item in enumerate(items):
        child = _render(item, pad + "  ", "")
        if i < len(items) - 1:
            child[-1] += ","
        lines.extend(child)
    lines.append(pad + "]")
    return lines


# ---- reading -----------------------------------------------------------------------------


def loads(text: str, source: str = "<string>") -> Graph:
    """The graph in ``text``; ``source`` names it in messages. Raises FileFormatError."""
    return read_document(text, source).graph


def load(path: str | os.PathLike[str]) -> Graph:
    """The graph in the file at ``path`` (UTF-8 JSON). Raises FileFormatError."""
    return load_document(path).graph


def load_document(path: str | os.PathLike[str]) -> Document:
    """The graph and settings in the file at ``path``. Raises FileFormatError."""
    source = os.fspath(path)
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
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise _Invalid(None, reason) from None
    except _Constant as exc:
        raise _Invalid(None, _constant_reason(text, exc.args[0])) from None
    except RecursionError:
        raise _Invalid(None, "nested too deeply to read") from None
    _check_json_data(data, "")  # depth and valid Unicode everywhere (cheap next to parsing)
    return data


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


def _upgrade(data: Any) -> dict[str, Any]:
    """Check format and version, and migrate an older document to CURRENT_VERSION."""
    if not isinstance(data, dict):
        raise _Invalid(None, f"expected a JSON object at the top level, not {_kind(data)}")
    if "format" not in data:
        raise _Invalid(None, f'not a graphgui file (no "format": "{FORMAT}")')
    if data["format"] != FORMAT:
        raise _Invalid("format", f"is {_short(repr(data['format']))}, expected {FORMAT!r}")
    version = data.get("version")
    if "version" not in data:
        raise _Invalid(None, 'no "version"')
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Invalid("version", f"must be an integer, not {_kind(version)}")
    if version > CURRENT_VERSION:
        raise _Invalid(
            None,
            f"was written by a newer graphgui (version {version}); "
            f"this one reads up to {CURRENT_VERSION}",
        )
    while version < CURRENT_VERSION:
        migrate = MIGRATIONS.get(version)
        if migrate is None:
            raise _Invalid("version", f"{version} is older than any version this graphgui reads")
        try:
            data = migrate(dict(data))
        except _Invalid:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise _Invalid(
                None, f"cannot upgrade from version {version}: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise _Invalid(None, f"the migration from version {version} did not give an object")
        version += 1
        data["version"] = version
    return data


@dataclass
class _NodePlan:
    id: str
    op: str
    name: str | None
    params: dict[str, Any]
    value: Value | None
    pos: tuple[float, float]


def _build(data: dict[str, Any]) -> Document:
    _check_keys(data, TOP_KEYS, None)
    title = _text_field(data, "title")
    description = _text_field(data, "description")
    if "nodes" not in data:
        raise _Invalid(None, 'no "nodes" list')
    nodes = data["nodes"]
    if not isinstance(nodes, list):
        raise _Invalid("nodes", f"must be a list, not {_kind(nodes)}")
    plans: dict[str, _NodePlan] = {}
    names: dict[str, str] = {}
    for i, item in enumerate(nodes):
        plan = _node_plan(item, i, plans)
        if plan.name is not None:
            if plan.name in names:
                raise _Invalid(
                    _node_where(plan.id),
                    f"the name {plan.name!r} is already used by {_node_where(names[plan.name])}",
                )
            names[plan.name] = plan.id
        plans[plan.id] = plan

    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise _Invalid("edges", f"must be a list, not {_kind(edges)}")
    wires: dict[tuple[str, str], int] = {}  # (dst, port) -> index of the edge filling it
    planned: list[tuple[str, str, str, str]] = []
    for i, item in enumerate(edges):
        src, dst, port = _edge_plan(item, f"edges[{i}]", plans)
        if (dst, port) in wires:
            raise _Invalid(
                f"edges[{i}]",
                f"input {port!r} of {_node_where(dst)} is connected twice "
                f"(also by edges[{wires[dst, port]}])",
            )
        wires[dst, port] = i
        planned.append((src, dst, port, f"edges[{i}]"))
    rank = _check_acyclic(planned)
    # Graph.connect looks for cycles downstream of the target; wiring targets in topological
    # order keeps that search trivial, so building is linear whatever order the file uses.
    planned.sort(key=lambda edge: rank[edge[1]])

    output = data.get("output")
    if output is not None:
        if not isinstance(output, str):
            raise _Invalid("output", f"must be a node id or null, not {_kind(output)}")
        if output not in plans:
            raise _Invalid("output", f"no node has the id {_quote(output)}")

    settings = data.get("settings")
    if settings is not None or "settings" in data:
        if not isinstance(settings, dict):
            raise _Invalid("settings", f"must be a JSON object, not {_kind(settings)}")
        _check_settings_size(settings)

    # Everything is valid: build through Graph methods so the Graph stays the single judge.
    graph = Graph(title, description)
    where = None
    try:
        for plan in plans.values():
            where = _node_where(plan.id)
            graph.add_node(
                plan.op, name=plan.name, params=plan.params, value=plan.value, pos=plan.pos,
                node_id=plan.id,
            )
        for src, dst, port, edge_where in planned:
            where = edge_where
            graph.connect(src, dst, port)
        where = "output"
        graph.set_output(output)
    except GraphError as exc:  # not expected after the checks above
        raise _Invalid(where, str(exc)) from None
    return Document(graph, settings)


def _node_plan(item: Any, index: int, seen: dict[str, _NodePlan]) -> _NodePlan:
    where = f"nodes[{index}]"
    if not isinstance(item, dict):
        raise _Invalid(where, f"must be an object, not {_kind(item)}")
    node_id = item.get("id")
    if "id" not in item:
        raise _Invalid(where, 'no "id"')
    if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
        raise _Invalid(where, _bad_id_reason(node_id))
    if node_id in seen:
        raise _Invalid(where, f"the id {_quote(node_id)} is used by another node")
    where = _node_where(node_id)
    _check_keys(item, NODE_KEYS, where)

    op = item.get("op")
    if "op" not in item:
        raise _Invalid(where, 'no "op"')
    if not isinstance(op, str):
        raise _Invalid(where, f'"op" must be text, not {_kind(op)}')
    if not has_op(op):
        raise _Invalid(where, f"unknown op {_short(repr(op))}{_suggest(op, _all_op_names())}")
    spec = get_op(op)

    name = item.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise _Invalid(where, f'"name" must be text or null, not {_kind(name)}')
        try:
            check_name(name)
        except GraphError as exc:
            raise _Invalid(where, _short_message(str(exc))) from None

    params = item.get("params", {})
    if not isinstance(params, dict):
        raise _Invalid(where, f'"params" must be an object, not {_kind(params)}')
    try:
        checked = spec.check_params(params)
    except OpError as exc:
        raise _Invalid(where, _short_message(str(exc))) from None

    value: Value | None = None
    if spec.is_source:
        if item.get("value") is None:
            raise _Invalid(where, f"an {spec.name} node needs a \"value\" (a number or a list)")
        value = _decode_value(item["value"], where)
    elif "value" in item:
        raise _Invalid(
            where, f'only input, constant and parameter nodes have a "value" (this is {op})'
        )

    pos = item.get("pos", [0.0, 0.0])
    if (
        not isinstance(pos, list)
        or len(pos) != 2
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos)
    ):
        raise _Invalid(where, f'"pos" must be [x, y] with two numbers, not {_short(_dump(pos))}')
    return _NodePlan(node_id, spec.name, name, checked, value, (float(pos[0]), float(pos[1])))


def _decode_value(raw: Any, where: str) -> Value:
    """A source's value from JSON: a number or nested lists, with "nan"/"inf"/"-inf"."""

    def leaf(x: Any) -> Any:
        if isinstance(x, list):
            return [leaf(v) for v in x]  # depth is bounded by MAX_DEPTH (checked at parse)
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise _Invalid(where, f"value: {_short(_dump(x))} is not a number")
        if isinstance(x, str):
            if x not in NONFINITE_TEXT:
                raise _Invalid(
                    where,
                    f'value: {_short(_dump(x))} is not a number (only "nan", "inf" and "-inf" '
                    "may be written as text)",
                )
            return NONFINITE_TEXT[x]
        return x

    try:
        return to_value(leaf(raw))
    except (ValueError, OverflowError) as exc:
        raise _Invalid(where, f"value: {exc}") from None


def _edge_plan(item: Any, where: str, plans: dict[str, _NodePlan]) -> tuple[str, str, str]:
    if not isinstance(item, dict):
        raise _Invalid(where, f"must be an object, not {_kind(item)}")
    _check_keys(item, EDGE_KEYS, where)
    for key in EDGE_KEYS:
        if key not in item:
            raise _Invalid(where, f"no {_quote(key)}")
    src, dst, port = item["from"], item["to"], item["port"]
    for key, ref in (("from", src), ("to", dst)):
        if not isinstance(ref, str):
            raise _Invalid(where, f"{_quote(key)} must be a node id, not {_kind(ref)}")
        if ref not in plans:
            raise _Invalid(where, f"{_quote(key)} names no node: {_quote(ref)}")
    inputs = get_op(plans[dst].op).inputs
    if not isinstance(port, str):
        raise _Invalid(
            where, f'"port" must be an input name such as "a", not {_short(_dump(port))}'
        )
    if port not in inputs:
        if not inputs:
            reason = f"{_node_where(dst)} ({plans[dst].op}) has no inputs"
        else:
            reason = (
                f"{_node_where(dst)} ({plans[dst].op}) has no input {_short(repr(port))}"
                f" (its inputs are {', '.join(inputs)})"
            )
        raise _Invalid(where, reason)
    if src == dst:
        raise _Invalid(where, f"{_node_where(src)} is connected to itself")
    return src, dst, port


def _check_acyclic(edges: list[tuple[str, str, str, str]]) -> dict[str, int]:
    """Each wired node's place in a topological order; refuses a cycle, naming its nodes."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for src, dst, _port, _where in edges:
        sorter.add(dst, src)
    try:
        return {node_id: i for i, node_id in enumerate(sorter.static_order())}
    except graphlib.CycleError as exc:
        # graphlib lists the cycle in data-flow order, first node repeated at the end
        path = " -> ".join(_quote(n) for n in exc.args[1])
        raise _Invalid("edges", f"the wires make a cycle: {path}") from None


def _check_keys(item: dict[str, Any], known: tuple[str, ...], where: str | None) -> None:
    # Unknown keys are refused, not ignored, so a typo ("valeu") does not silently vanish.
    for key in item:
        if key not in known:
            raise _Invalid(where, f"unknown key {_quote(key)}{_suggest(key, known, _quote)}")


def _text_field(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _Invalid(key, f"must be text, not {_kind(value)}")
    return value


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
