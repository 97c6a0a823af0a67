"""Re-evaluate the graph after edits: forward, then backward from the output.

Edits arrive in bursts (a paste adds many nodes, each emitting ``changed``), so evaluation is
coalesced with a zero-time single-shot timer: it runs once, after the burst, when control
returns to the event loop. The compiled Program is reused while only source values change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.engine import Evaluation, Program
from graphgui.core.graph import Graph, GraphError

WireKey = tuple[str, int]


class Evaluator(QObject):
    """Owns the latest :class:`Evaluation` of one graph and announces new ones."""

    evaluated = Signal(object)  # Evaluation

    def __init__(self, graph: Graph | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.evaluation: Evaluation | None = None
        self.wire_grads: dict[WireKey, Any] = {}
        self._program: Program | None = None
        self._key: tuple[int, int] | None = None
        self._names = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.evaluate_now)
        if graph is not None:
            self.set_graph(graph)

    def set_graph(self, graph: Graph | None) -> None:
        if self.graph is not None:
            self.graph.changed.unsubscribe(self.schedule)
            self.graph.node_changed.unsubscribe(self._on_node_changed)
        self.graph = graph
        self._program = None
        self._key = None
        self.evaluation = None
        self.wire_grads = {}
        if graph is not None:
            graph.changed.subscribe(self.schedule)
            graph.node_changed.subscribe(self._on_node_changed)
            self.schedule()

    def _on_node_changed(self, node: Any, what: str) -> None:
        if what == "name":  # names appear in the Program's error messages
            self._names += 1

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def evaluate_now(self) -> Evaluation | None:
        """Evaluate at once (cancelling a scheduled run) and emit ``evaluated``."""
        self._timer.stop()
        graph = self.graph
        if graph is None:
            return None
        key = (graph.structure_version, self._names)
        try:
            if self._program is None or self._key != key:
                self._program = Program(graph)
                self._key = key
            program = self._program
            overrides = {n.id: n.value for n in graph if n.is_source}
            evaluation = program.evaluate(overrides)
        except GraphError as exc:  # only a corrupt graph gets here; say so, do not crash
            evaluation = Evaluation(None, {}, {}, {"": str(exc)})
            program = None
        self.evaluation = evaluation
        self.wire_grads = wire_gradients(graph, evaluation) if program is not None else {}
        self.evaluated.emit(evaluation)
        return evaluation


def wire_gradients(graph: Graph, ev: Evaluation) -> dict[WireKey, Any]:
    """The gradient flowing back along each wire, keyed by (dst, port).

    A wire carries its source's whole gradient unless the source fans out (or is the output
    itself); then each wire carries only its consumer's contribution, as in circuit diagrams.
    """
    grads = ev.grads
    values = ev.values
    result: dict[WireKey, Any] = {}
    out_degree: dict[str, int] = {}
    edges = graph.edges
    for e in edges:
        out_degree[e.src] = out_degree.get(e.src, 0) + 1
    for e in edges:
        if e.src not in grads:
            continue
        if out_degree[e.src] == 1 and e.src != ev.output:
            result[(e.dst, e.port)] = grads[e.src]
            continue
        g = grads.get(e.dst)
        if g is None:
            continue
        node = graph.node(e.dst)
        xs = [values.get(s) for s in graph.input_ids(e.dst)]
        if any(x is None for x in xs) or e.dst not in values:
            continue
        try:
            result[(e.dst, e.port)] = node.spec.vjps[e.port](g, values[e.dst], *xs, **node.params)
        except Exception:  # noqa: BLE001  (a rule failing here is shown as a missing label)
            continue
    return result
