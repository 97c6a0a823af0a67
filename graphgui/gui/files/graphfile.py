"""Graph files in the editor: read (refusing what is not a regular file) and written
atomically through :mod:`graphgui.gui.atomic`."""

from __future__ import annotations

from typing import Any

from graphgui.core import fileformat
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph

from ..atomic import special_file_reason, write_bytes


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


def read_graph_file(path: str) -> fileformat.Document:
    """The graph file at ``path``; a folder, FIFO or device is refused at once (reading a
    FIFO would block for ever). Raises FileFormatError."""
    special = special_file_reason(path)
    if special is not None:
        raise FileFormatError(f"cannot read: {special}", path)
    return fileformat.load_document(path)
