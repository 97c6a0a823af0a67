"""Undoable edits of function instances: group, ungroup, collapse and expand.

Like every command they call Graph methods only (see commands.py); the canvas follows the
Graph's ``group_changed`` and ``node_changed(node, "group")`` events.
"""

from __future__ import annotations

from graphgui.core.functions import Group
from graphgui.core.functions.grouping import GroupPlan
from graphgui.core.graph import Graph

from .commands import GraphCommand


class GroupCommand(GraphCommand):
    """Make the planned nodes one function instance (defining the function if new)."""

    def __init__(self, graph: Graph, plan: GroupPlan) -> None:
        super().__init__(graph, f"Group {len(plan.members)} nodes into {plan.group.name}")
        self.plan = plan

    def redo(self) -> None:
        g, plan = self.graph, self.plan
        with g.bulk_edit():
            if plan.definition is not None:
                g.define_function(plan.definition)
            g.add_group(plan.group)
            for nid in plan.members:
                g.set_node_group(nid, plan.group.id)

    def undo(self) -> None:
        g, plan = self.graph, self.plan
        with g.bulk_edit():
            for nid in plan.members:
                g.set_node_group(nid, None)
            g.remove_group(plan.group.id)
            if plan.definition is not None:
                g.remove_function(plan.definition.name)


class UngroupCommand(GraphCommand):
    """Take an instance's nodes out of it; the definition stays for the palette."""

    def __init__(self, graph: Graph, group_id: str) -> None:
        group = graph.group(group_id)
        super().__init__(graph, f"Ungroup {group.name}")
        self.group: Group = group
        self.members = graph.group_members(group_id)

    def redo(self) -> None:
        g = self.graph
        with g.bulk_edit():
            for nid in self.members:
                g.set_node_group(nid, None)
            g.remove_group(self.group.id)

    def undo(self) -> None:
        g = self.graph
        with g.bulk_edit():
            g.add_group(self.group)
            for nid in self.members:
                g.set_node_group(nid, self.group.id)


class SetCollapsedCommand(GraphCommand):
    def __init__(self, graph: Graph, group_id: str, collapsed: bool) -> None:
        group = graph.group(group_id)
        super().__init__(graph, f"{'Close' if collapsed else 'Open'} {group.name}")
        self.group_id, self.collapsed = group_id, collapsed

    def redo(self) -> None:
        self.graph.set_collapsed(self.group_id, self.collapsed)

    def undo(self) -> None:
        self.graph.set_collapsed(self.group_id, not self.collapsed)
