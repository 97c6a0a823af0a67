"""Graph files in the editor are written atomically, through :mod:`graphgui.gui.atomic`
(reading is :func:`graphgui.core.fileformat.load_document`, which refuses a FIFO or folder
before opening it)."""

from __future__ import annotations

from typing import Any

from graphgui.core import fileformat
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph

from ..atomic import write_bytes


def write_graph_file(
    graph: Graph, path: str, settings_obj: dict[str, Any] | None = None
) -> None:
    """Write ``graph`` to ``path`` atomically (see :mod:`graphgui.gui.atomic`).

    Raises FileFormatError (the graph cannot be written) or OSError (the file cannot); in
    both cases an existing file at ``path`` is left byte-identical.
    """
    try:
        data = fileformat.dumps(graph, settings_obj).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in text set by code
        raise FileFormatError(f"text is not valid Unicode ({exc.reason})", path) from None
    write_bytes(path, data)
