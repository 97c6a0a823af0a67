"""Writing: a Graph as file text (one node or edge per line, rows of numbers on one line) and
an atomic save (temp file in the same folder, fsync, ``os.replace``)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..graph import Graph
from ..paths import display_path, regular_file_problem
from ..values import Value, to_json
from .functions import write_functions, write_groups
from .schema import (
    CURRENT_VERSION,
    FORMAT,
    ID_PATTERN,
    FileFormatError,
    _bad_id_reason,
    _check_json_data,
    _check_settings_size,
    _Invalid,
    _node_where,
)

WIDTH = 100  # the writer puts a JSON container on one line when it fits in this width


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
    write_atomic(source, data)


def write_atomic(path: str | os.PathLike[str], data: bytes, verb: str = "save") -> None:
    """Replace the file at ``path`` with ``data`` as :func:`save` does (a temporary file
    beside it, flushed and renamed over it; an existing file is left byte-identical on any
    failure; a path that is not a regular file is refused). Raises FileFormatError
    ``cannot <verb>: <reason>``; graph files and exported code are written through it."""
    source = os.fspath(path)
    target = os.path.realpath(source)
    problem = regular_file_problem(target)  # replacing a pipe or a device is not saving
    if problem is not None:
        raise FileFormatError(f"cannot {verb}: {problem}", display_path(source))
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
        raise FileFormatError(f"cannot {verb}: {reason}", source) from exc
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
        if node.group is not None and graph.group_members(node.group):
            item["group"] = node.group
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
    if graph.functions:  # left out when there are none, so plain graphs read as before
        doc["functions"] = write_functions(graph, lambda body: _document_data(body, None))
    if graph.groups:
        doc["groups"] = write_groups(graph)
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


def _render(
    obj: Any, pad: str, lead: str, top: bool = False, top_settings: bool = False
) -> list[str]:
    """Lines for ``obj``; the first starts with ``pad + lead`` (lead is ``"key": ``).
    ``top_settings`` marks the free-form settings, whose keys mean nothing here."""
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
            # nodes and edges (a function body's too): always one per line, so a file diffs
            # line by line
            _render_list_expanded(v, inner, f"{_scalar(k)}: ")
            if k in ("nodes", "edges") and isinstance(v, list) and v and not top_settings
            else _render(v, inner, f"{_scalar(k)}: ", top_settings=top_settings or
                         (top and k == "settings"))
            for k, v in obj.items()
        ]
        open_, close = "{", "}"
    else:
        children = [_render(v, inner, "", top_settings=top_settings) for v in obj]
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
