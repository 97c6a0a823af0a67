"""One short, unique name per node: what every text calls a node (canvas, inspector,
stepper, step log, command line, error messages). Never the internal id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import GraphError

if TYPE_CHECKING:
    from .graph import Graph, Node


def node_labels(graph: Graph) -> Mapping[str, str]:
    """A short name for every node, unique in the graph (node id -> label, insertion order).

    The one place that decides how a node is called: canvas, inspector, stepper text, step
    log and command line all use it. See :func:`label_nodes` for the rule. Cached per graph
    until its structure or a name changes, so asking for one label after another is O(1);
    the read-only mapping returned stays valid (as a snapshot) after later edits.
    """
    key = (graph.structure_version, graph.names_version)
    cached = graph._labels
    if cached is not None and cached[0] == key:
        return cached[1]
    labels: Mapping[str, str] = MappingProxyType(label_nodes(graph))
    graph._labels = (key, labels)
    return labels


def node_label(graph: Graph, node_id: str) -> str:
    """The label of one node (see :func:`node_labels`), e.g. ``q``, ``sigmoid``, ``add2``."""
    try:
        return node_labels(graph)[node_id]
    except KeyError:
        raise GraphError(f"no node with id {node_id!r}") from None


def label_nodes(nodes: Iterable[Node]) -> dict[str, str]:
    """Label ``nodes`` (in their order): a node's own name if it has one; otherwise its op
    (``sigmoid``) when it is the only unnamed node of that op and no node is named so; otherwise
    the op with a counter in that order (``add1``, ``add2``, ``l2_1`` for an op ending in a
    digit), skipping every label already taken, users' names included. Never the id. O(n).
    """
    nodes = list(nodes)
    taken = {n.name for n in nodes if n.name}
    unnamed = Counter(n.op for n in nodes if not n.name)
    alone = {op for op, count in unnamed.items() if count == 1 and op not in taken}
    taken |= alone
    counters: dict[str, int] = {}
    labels: dict[str, str] = {}
    for node in nodes:
        if node.name:
            labels[node.id] = node.name
        elif node.op in alone:
            labels[node.id] = node.op
        else:
            sep = "_" if node.op[-1:].isdigit() else ""
            k = counters.get(node.op, 0)
            while True:
                k += 1
                label = f"{node.op}{sep}{k}"
                if label not in taken:
                    break
            counters[node.op] = k
            taken.add(label)
            labels[node.id] = label
    return labels
