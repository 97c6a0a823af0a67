"""How every GUI text names a node (canvas titles, inspector, stepper, status bar, undo
texts): the core's one short label per node (its name, else its op with a counter where
needed, e.g. ``add2``), never the internal id. The CLI prints the same labels."""

from __future__ import annotations

from graphgui.core.graph import Graph, node_label, node_labels

__all__ = ["Graph", "node_label", "node_labels"]
