"""The function actions and what they do (see the package doc)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog

from graphgui.core.functions import Group
from graphgui.core.functions.instances import EXPANSIONS
from graphgui.core.graph import GraphError

from ...actions import make_action

if TYPE_CHECKING:
    from ...document import Document
    from ...shell import Shell


class FunctionActions:
    """Group, ungroup, open/close and open up, on the selection."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.dialog: QInputDialog | None = None  # the open "name the function" prompt
        parent = shell.widget()
        self.group_action = make_action(
            parent, "&Group into Function...", self.ask_name, name="group_function",
            tip="Make the selected nodes one function node with named inputs and outputs",
        )
        self.ungroup_action = make_action(
            parent, "&Ungroup Function", self.ungroup, name="ungroup_function",
            tip="Take the selected function's nodes out of it (the palette keeps the function)",
        )
        self.toggle_action = make_action(
            parent, "&Open or Close Function", self.toggle, name="toggle_function",
            tip="Show the selected function's inside in a frame, or close it into one node",
        )
        self.open_up_action = make_action(
            parent, "Open Up into &Simple Ops", self.open_up, name="open_up",
            tip="Replace the selected sigmoid (tanh, softplus, mse, bce) by the simple ops it "
            "is made of, e.g. 1 / (1 + exp(-x)): the same gradient from simple steps",
        )
        menu = shell.menu("graph")
        menu.addSeparator()
        for action in self.actions:
            menu.addAction(action)
            shell.add_action(action)
        shell.document_changed.connect(self._follow)
        shell.selection_changed.connect(lambda _ids: self._update_enabled())
        self._graph = None
        self._follow(shell.document)

    @property
    def actions(self) -> list:
        return [self.group_action, self.ungroup_action, self.toggle_action, self.open_up_action]

    # ---- following the document ----------------------------------------------------------

    def _follow(self, document: Document) -> None:
        if self._graph is not None:
            self._graph.functions_changed.unsubscribe(self._on_functions)
            self._graph.group_changed.unsubscribe(self._on_groups)
        self._graph = document.graph
        self._graph.functions_changed.subscribe(self._on_functions)
        self._graph.group_changed.subscribe(self._on_groups)
        self._on_functions()

    def _on_functions(self, _name: str | None = None) -> None:
        self.shell.show_functions(self.shell.document.graph.functions)

    def _on_groups(self, _group_id: str | None = None) -> None:
        self._update_enabled()

    def selected_group(self) -> Group | None:
        """The one instance the selection lies in, if it lies in exactly one."""
        graph = self.shell.document.graph
        groups = {graph.node(n).group for n in self.shell.selected_node_ids() if n in graph}
        if len(groups) != 1 or None in groups:
            return None
        gid = groups.pop()
        return graph.group(gid) if gid is not None and graph.has_group(gid) else None

    def _update_enabled(self) -> None:
        graph = self.shell.document.graph
        ids = [n for n in self.shell.selected_node_ids() if n in graph]
        group = self.selected_group()
        # Enabled for any selection: a refusal (nesting, a path leaving it) says why.
        self.group_action.setEnabled(bool(ids))
        self.ungroup_action.setEnabled(group is not None)
        self.toggle_action.setEnabled(group is not None)
        self.open_up_action.setEnabled(
            len(ids) == 1 and graph.node(ids[0]).op in EXPANSIONS
            and graph.node(ids[0]).group is None
        )

    # ---- the actions ---------------------------------------------------------------------

    def ask_name(self) -> None:
        """Ask for the function's name in a window-modal prompt (``open``: the event loop
        runs on), then group."""
        ids = self.shell.selected_node_ids()
        if not ids:
            self.shell.show_message("Group into Function: select the nodes to group first")
            return
        graph = self.shell.document.graph
        k = 1
        while graph.function(f"function{k}") is not None:
            k += 1
        dialog = QInputDialog(self.shell.widget())
        dialog.setObjectName("functionNameDialog")
        dialog.setWindowTitle("Group into Function")
        dialog.setLabelText(f"Name of the function made of these {len(ids)} nodes:")
        dialog.setTextValue(f"function{k}")
        dialog.textValueSelected.connect(lambda name: self.group(ids, name.strip()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def group(self, node_ids: list[str], name: str) -> Group | None:
        try:
            group = self.shell.document.group_into_function(node_ids, name)
        except GraphError as exc:
            self.shell.show_message(f"Cannot group into a function: {exc}", 10000)
            return None
        definition = self.shell.document.graph.function(group.function)
        signature = definition.signature if definition else name
        self.shell.show_message(
            f"{signature}: {len(node_ids)} nodes in one function. Double-click it to look "
            "inside; the palette's Functions section adds more of it."
        )
        return group

    def ungroup(self) -> None:
        group = self.selected_group()
        if group is not None:
            self._guarded(lambda: self.shell.document.ungroup(group.id))

    def toggle(self) -> None:
        group = self.selected_group()
        if group is not None:
            self._guarded(lambda: self.shell.document.set_collapsed(group.id, not group.collapsed))

    def open_up(self) -> None:
        ids = self.shell.selected_node_ids()
        if len(ids) != 1:
            self.shell.show_message("Open Up: select one sigmoid, tanh, softplus, mse or bce")
            return
        graph = self.shell.document.graph
        op = graph.node(ids[0]).op
        try:
            out = self.shell.document.open_up(ids[0])
        except GraphError as exc:
            self.shell.show_message(f"Cannot open up: {exc}", 10000)
            return
        group = graph.group_of(out)
        inside = len(graph.group_members(group.id)) if group else 0
        self.shell.show_message(
            f"{op} opened up into {inside} simple nodes: {EXPANSIONS[op]}. Step through it "
            "to see the same gradient built from simple steps; close the frame to see one "
            f"{op} again.", 12000,
        )

    def _guarded(self, edit) -> None:  # type: ignore[no-untyped-def]
        try:
            edit()
        except GraphError as exc:
            self.shell.show_message(str(exc))
