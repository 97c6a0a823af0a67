"""Autodiff > Gradient as Graph: the graph that computes d(output)/d(node), as a new document.

The gradient graph (core/autodiff/grad_graph.py) holds the original's nodes and the backward
pass written as ordinary nodes, with the gradient as its output, so it evaluates, steps and
differentiates like any graph: Gradient as Graph on it again gives second derivatives.
The original document is left as it is (it is closed like any document: Save/Discard/Cancel
first when it has unsaved changes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QMenu

from graphgui.core.autodiff.grad_graph import GradGraphError, gradient_graph
from graphgui.core.labels import node_labels

from ...actions import make_action
from ...document import Document

if TYPE_CHECKING:
    from ...shell import Shell


class GradientGraphAction:
    """The menu entry and what it does."""

    def __init__(self, shell: Shell, menu: QMenu) -> None:
        self.shell = shell
        self.dialog: QInputDialog | None = None  # the open "with respect to" list
        self.action = make_action(
            shell.widget(), "&Gradient as Graph...", self.run, name="gradient_graph",
            tip="Open the graph that computes d(output)/d(a node): differentiate it again "
            "for second derivatives",
        )
        menu.addAction(self.action)
        shell.add_action(self.action)

    def candidates(self) -> dict[str, str]:
        """label -> node id of what a gradient can be taken against, sources first, then in
        evaluation order."""
        graph = self.shell.document.graph
        output = graph.output
        if output is None:
            return {}
        labels = node_labels(graph)
        above = graph.ancestors(output)
        # Every input and parameter (one the output does not depend on has gradient 0,
        # a graph of one zero), then the computed nodes the output depends on.
        order = [
            nid for nid in graph.topological_order()
            if nid != output and (graph.node(nid).op in ("input", "parameter") or nid in above)
        ]
        order.sort(key=lambda nid: not graph.node(nid).is_source)
        return {labels[nid]: nid for nid in order}

    def run(self) -> None:
        """Differentiate against the selected node when the output depends on it; else ask
        which node, in a window-modal list (Qt's ``open``, so the event loop runs on)."""
        candidates = self.candidates()
        if not candidates:
            self.shell.show_message("Gradient as Graph: the graph has no output that depends "
                                    "on another node")
            return
        selected = [nid for nid in self.shell.selected_node_ids() if nid in candidates.values()]
        if len(selected) == 1:
            self.build(selected[0])
            return
        dialog = QInputDialog(self.shell.widget())
        dialog.setObjectName("gradientGraphDialog")
        dialog.setWindowTitle("Gradient as Graph")
        graph = self.shell.document.graph
        dialog.setLabelText(f"Differentiate {node_labels(graph)[graph.output]} with respect to:")
        dialog.setComboBoxItems(list(candidates))
        dialog.setComboBoxEditable(False)
        dialog.textValueSelected.connect(lambda label: self.build(candidates.get(label)))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def build(self, node_id: str | None) -> None:
        graph = self.shell.document.graph
        if node_id is None or node_id not in graph or graph.output is None:
            return
        labels = node_labels(graph)
        try:
            result = gradient_graph(graph, node_id)
        except GradGraphError as exc:
            self.shell.show_message(f"Gradient as Graph: {exc}")
            return
        if not self.shell.can_discard():
            return
        out, wrt = labels[graph.output], labels[node_id]
        self.shell.set_document(Document(result))
        name = node_labels(result)[result.output]
        self.shell.show_message(
            f"The gradient d{out}/d{wrt} as a graph: its output {name} is the gradient, and "
            f"its gradients are derivatives of d{out}/d{wrt} (Gradient as Graph again: the "
            "next order).", 12000,
        )
