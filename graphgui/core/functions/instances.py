"""New instances of a definition (the palette's Functions section, expression calls), and
primitive ops opened up into the simple ops they are made of (sigmoid -> 1 / (1 + exp(-x)))."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import GraphError
from ..ops import get_op
from .model import FunctionDef, Group, GroupInput, GroupOutput

if TYPE_CHECKING:
    from ..graph import Graph

# Each op with a textbook decomposition, as an expression over its input names; opening one
# up keeps its value and its gradient (tests/core/test_functions.py checks every entry).
EXPANSIONS: dict[str, str] = {
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "(exp(x) - exp(-x)) / (exp(x) + exp(-x))",
    "softplus": "log(1 + exp(x))",
    "mse": "mean((pred - target)**2)",
    "bce": "-mean(y * log(p) + (1 - y) * log(1 - p))",
}


def instance_graph(
    definition: FunctionDef, instance: str, output_names: dict[str, str] | None = None,
    collapsed: bool = True,
) -> Graph:
    """A small graph holding one instance of ``definition`` (group id ``g1``), its inputs
    left unconnected: insert it with the editor's InsertGraphCommand or :func:`merge`.

    Nodes are named after the instance: outputs ``instance`` (one output) or
    ``instance_out``, inner named nodes ``instance_local``; ``output_names`` overrides an
    output's name (``h1 = neuron(...)`` names the output h1).
    """
    from ..graph import Graph

    body = definition.body
    sub = Graph(definition.name)
    sub.define_function(definition)
    placeholders = {body.find(name).id: name for name in definition.inputs if body.find(name)}
    ids: dict[str, str] = {}
    single = len(definition.outputs) == 1
    for node in body.nodes:
        if node.id in placeholders:
            continue
        name = node.name
        if name in definition.outputs:
            chosen = (output_names or {}).get(name)
            name = chosen or (instance if single else f"{instance}_{name}")
        elif name is not None:
            name = f"{instance}_{name}"
        copy = sub.add_node(
            node.op, name=_fit(name), params=node.params,
            value=node.value.copy() if hasattr(node.value, "copy") else node.value,
            pos=node.pos,
        )
        ids[node.id] = copy.id
    targets: dict[str, list[tuple[str, int]]] = {name: [] for name in definition.inputs}
    for edge in body.edges:
        if edge.src in placeholders:
            targets[placeholders[edge.src]].append((ids[edge.dst], edge.port))
        else:
            sub.connect(ids[edge.src], ids[edge.dst], edge.port)
    outputs = []
    for out in definition.outputs:
        node = body.find(out)
        if node is None or node.id not in ids:
            raise GraphError(f"function {definition.name}: its output {out!r} is not in its body")
        outputs.append(GroupOutput(out, ids[node.id]))
    group = Group(
        "g1", definition.name, instance,
        tuple(GroupInput(name, tuple(t)) for name, t in targets.items()), tuple(outputs),
        collapsed,
    )
    sub.add_group(group)
    for nid in ids.values():
        sub.set_node_group(nid, "g1")
    if single:
        sub.set_output(outputs[0].node)
    return sub


def _fit(name: str | None) -> str | None:
    """Names made by joining stay within the 64-character limit."""
    return name if name is None or len(name) <= 64 else name[:64]


def expansion_definition(op: str) -> FunctionDef:
    """The definition of ``op`` written with simple ops, e.g. sigmoid's 1 / (1 + exp(-x))."""
    from ..expr import parse

    text = EXPANSIONS.get(op)
    if text is None:
        raise GraphError(f"{op} has no decomposition into simpler ops to open up")
    spec = get_op(op)
    program = "".join(f"{name} = 0.5\n" for name in spec.inputs) + f"out = {text}\n"
    body = parse(program, output="out", title=op)
    for node in body.nodes:  # the inside's own constants stay constants, arguments inputs
        if node.name in spec.inputs:
            body.set_op(node.id, "input")
    return FunctionDef(op, tuple(spec.inputs), ("out",), body, doc=f"{op}(x) = {text}")
