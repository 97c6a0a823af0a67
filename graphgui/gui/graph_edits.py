"""Following one graph's edits that change numbers, for views that must start over then
(the stepper, forward mode): every structural event and every node change but a move, and
every change of a function instance (opening or closing one changes what a step is)."""

from __future__ import annotations

from collections.abc import Callable

from graphgui.core.graph import Graph, Node


class EditWatcher:
    """Calls ``on_edit()`` after each edit of the followed graph that can change a number."""

    def __init__(self, on_edit: Callable[[], object]) -> None:
        self._on_edit = on_edit
        self.graph: Graph | None = None

    def follow(self, graph: Graph | None) -> None:
        """Follow ``graph`` (None: nothing), and no longer the previous one."""
        for g, hook in ((self.graph, "unsubscribe"), (graph, "subscribe")):
            if g is not None:
                for event in (g.node_added, g.node_removed, g.edge_added, g.edge_removed,
                              g.output_changed, g.group_changed):
                    getattr(event, hook)(self._edited)
                getattr(g.node_changed, hook)(self._node_changed)
        self.graph = graph

    def _edited(self, *_: object) -> None:
        self._on_edit()

    def _node_changed(self, node: Node, what: str) -> None:
        if what != "pos":  # moving a node changes no number
            self._on_edit()
