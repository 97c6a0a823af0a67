"""Graph builders for training: fresh parameter values, stacks of dense layers, an MLP, and
which parameters are weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..functions.copying import without_functions
from ..functions.grouping import apply_plan, plan_group
from ..graph import Graph
from ..initializers import initialize, make_rng
from ..values import Value
from .settings import TrainingError

# A parameter consumed by one of these is a weight (L2's default, the weights' initializer).
WEIGHT_CONSUMERS = frozenset({"matmul", "mul"})
LAYER_PREFIXES = ("W", "b", "WA", "Z", "A")  # the names add_layers gives a layer's nodes


def is_weight(graph: Graph, node_id: str) -> bool:
    """A parameter consumed by a ``matmul`` or ``mul`` is a weight; others are biases."""
    return any(graph.node(e.dst).op in WEIGHT_CONSUMERS for e in graph.consumers(node_id))


def free_layer_number(graph: Graph, suffix: str = "") -> int:
    """The first k for which no node is named W{k}, b{k}, WA{k}, Z{k} or A{k} (+ suffix)."""
    k = 1
    while any(graph.find(f"{p}{k}{suffix}") is not None for p in LAYER_PREFIXES):
        k += 1
    return k


def initial_values(
    graph: Graph, inits: Mapping[str, Any], seed: int | None = None,
    shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> dict[str, Value]:
    """Fresh values for parameters named in ``inits`` ({name or id: initializer spec}).

    Parameters are drawn in the graph's topological order from one ``make_rng(seed)``, so the
    notebook's ``np.random.seed(s)`` followed by W1 then W2 is reproduced. The shape is the
    current value's unless ``shapes`` gives one. The order is the flat graph's: function
    instances (which keep their nodes together) change no drawn number.
    """
    rng = make_rng(seed)
    wanted = {graph.lookup(ref).id: spec for ref, spec in inits.items()}
    out = {}
    for nid in without_functions(graph).topological_order():
        if nid in wanted:
            node = graph.node(nid)
            shape = (shapes or {}).get(node.name or nid, np.shape(node.value))
            out[nid] = initialize(wanted[nid], tuple(shape), rng)
    return out


def add_layers(
    graph: Graph,
    source: str | None,
    sizes: Sequence[int],
    hidden: str | None,
    output: str | None,
    init: Any,
    rng: np.random.RandomState,
    suffix: str = "",
    first: int = 1,
    functions: bool = False,
) -> str:
    """Add fully connected layers ``Z{k} = W{k} @ A{k-1} + b{k}``, ``A{k} = act(Z{k})`` after
    node ``source`` (names end in ``suffix``; None leaves the first matmul's input open);
    ``output=None`` leaves the last layer linear. Layers are numbered from ``first``.
    W1, W2, ... are drawn in order from ``rng``; biases start at zero. Returns the last
    node's id.

    ``functions``: each layer (W, b, matmul, bias add, activation) becomes a collapsed
    instance of its own function ``dense{k}{suffix}``, input the layer's input, output its
    last node; this needs ``source`` (an open input would be no input of the function)."""
    if any(int(n) < 1 for n in sizes):
        raise TrainingError(f"a dense layer needs at least 1 input and 1 unit, got sizes "
                            f"{list(sizes)}")
    if functions and source is None:
        raise TrainingError("dense layers grouped into functions need their input node")
    a = source
    n_layers = len(sizes) - 1
    for layer in range(1, n_layers + 1):
        k = layer + first - 1
        W = graph.add_node(
            "parameter", name=f"W{k}{suffix}",
            value=initialize(init, (sizes[layer], sizes[layer - 1]), rng),
        )
        b = graph.add_node("parameter", name=f"b{k}{suffix}",
                           value=np.zeros((sizes[layer], 1)))
        mm = graph.add_node("matmul", name=f"WA{k}{suffix}")
        graph.connect(W.id, mm.id, 0)
        if a is not None:
            graph.connect(a, mm.id, 1)
        z = graph.add_node("add", name=f"Z{k}{suffix}")
        graph.connect(mm.id, z.id, 0)
        graph.connect(b.id, z.id, 1)
        act = hidden if layer < n_layers else output
        a = z.id
        if act is not None:
            h = graph.add_node(act, name=f"A{k}{suffix}")
            graph.connect(z.id, h.id, 0)
            a = h.id
        if functions:
            members = [W.id, b.id, mm.id, z.id] + ([a] if a != z.id else [])
            apply_plan(graph, plan_group(graph, members, f"dense{k}{suffix}"))
    return a


def mlp_graph(
    sizes: Sequence[int],
    hidden: str = "sigmoid",
    output: str | None = "sigmoid",
    loss: str = "bce",
    weight_init: Any = None,
    seed: int | None = None,
    title: str = "",
) -> Graph:
    """A fully connected network in the notebook's layout: ``Z = W @ A + b`` per layer,
    inputs ``X`` (features, m) and ``Y`` (outputs, m), loss node ``L`` (the graph's output),
    prediction ``A{last}``. ``output=None`` leaves the last layer linear. Weights start as
    ``weight_init`` (default normal * 0.01, the notebook's) drawn W1, W2, ... from one
    ``make_rng(seed)``; biases start at zero. Each layer is a collapsed function instance
    ``dense1``, ``dense2``, ... (see :func:`add_layers`); the loss stays outside.
    """
    if len(sizes) < 2:
        raise TrainingError("an MLP needs at least an input and an output size")
    init = weight_init if weight_init is not None else {"kind": "normal", "scale": 0.01}
    rng = make_rng(seed)
    g = Graph(title=title)
    X = g.add_node("input", name="X", value=np.zeros((sizes[0], 1)))
    Y = g.add_node("input", name="Y", value=np.zeros((sizes[-1], 1)))
    a = add_layers(g, X.id, sizes, hidden, output, init, rng, functions=True)
    L = g.add_node(loss, name="L")
    g.connect(a, L.id, 0)
    g.connect(Y.id, L.id, 1)
    g.set_output(L.id)
    return g
