"""How every GUI text names a node (canvas titles, inspector, stepper, status bar, undo
texts): one short label per node, never the internal id."""

from __future__ import annotations

from graphgui.core.graph import Graph


def node_label(graph: Graph, node_id: str) -> str:
    node = graph.node(node_id)
    return node.name or node.spec.name
