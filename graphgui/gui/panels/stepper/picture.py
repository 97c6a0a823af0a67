"""The stepper's picture of the canvas (a :class:`StepOverlay` for the view state).

The canvas shows only what the steps taken so far computed: values so far, gradients so
far, the current node and its wires framed. In quiz mode the node framed is the one the
question is about (the step ahead).
"""

from __future__ import annotations

from graphgui.core.graph import Graph
from graphgui.core.stepper import Stepper

from ...canvas.state import StepOverlay


def question_node(st: Stepper, quiz: bool) -> str | None:
    """In quiz mode, the node of the backward step the user is asked about next."""
    if not quiz or not st.forward_done or st.finished:
        return None
    return st.backward_steps[st.position.backward].node_id


def overlay(st: Stepper, graph: Graph | None, quiz: bool) -> StepOverlay:
    """The canvas picture of ``st``'s position."""
    current = question_node(st, quiz)
    if current is not None:  # the quiz asks about the step ahead: frame that node
        edges = {(src, current) for src in st.program.inputs_of(current)}
    else:
        edges = set(st.current_edges)
        current = st.current_node
    if st.phase == "backward" and current is not None and graph is not None \
            and current in graph and len(graph.consumers(current)) > 1:
        # A fan-out node: the wires whose contributions are being summed.
        edges |= {(current, e.dst) for e in graph.consumers(current)}
    values = st.visible_values()
    nonfinite = st.nonfinite  # the node that gave nan or inf keeps its red frame, once reached
    errors = {nonfinite[0]: nonfinite[1]} if nonfinite is not None and \
        nonfinite[0] in values else {}
    return StepOverlay(
        phase=st.phase, current=current, edges=frozenset(edges), values=values,
        grads=st.visible_grads(), partial=st.partial_grads(),
        pending=frozenset(st.pending_nodes()), wire_grads=st.visible_wire_grads(),
        output=st.program.output_id, errors=errors, precision=st.precision,
        inside=inside.id if (inside := st.inside()) is not None else None,
        function=over.id if (over := st.current_function()) is not None else None,
    )
