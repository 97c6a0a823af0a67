"""The core's error for refused edits and queries (its own module so that graph.py and the
modules it uses, such as labels.py, can share it without importing each other)."""

from __future__ import annotations


class GraphError(Exception):
    """An edit or a query that the graph refuses; the message says why in one line."""
