"""PyTorch as an independent reference for the autodiff tests: a graph run op by op with
torch's own functions (none of graphgui's rules), and random programs to run it on.

torch is optional (not installed in CI); tests that need it call
``pytest.importorskip("torch", reason=TORCH_MISSING)``, so the skip says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graphgui.core.graph import Graph

TORCH_MISSING = "torch is the optional reference here: pip install torch to run this test"


def _ops(torch: Any) -> dict[str, Callable[..., Any]]:
    F = torch.nn.functional

    def mean_loss(x):
        return x.sum() / x.numel()

    def softmax_ce(z, t):
        lsm = torch.log_softmax(z, dim=-1)
        rows = max(1, z.numel() // z.shape[-1]) if z.dim() else 1
        return -(t * lsm).sum() / rows

    return {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "neg": lambda x: -x,
        "pow": lambda a, b: torch.pow(a, b),
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "abs": torch.abs,
        "sin": torch.sin,
        "cos": torch.cos,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda x, alpha: F.leaky_relu(x, alpha),
        "identity": lambda x: x,
        "softplus": F.softplus,
        "softmax": lambda x, axis: torch.softmax(x, dim=axis),
        "matmul": torch.matmul,
        "transpose": lambda x: x.permute(*reversed(range(x.dim()))),
        "sum": lambda x, axis: x.sum() if axis is None else x.sum(dim=axis),
        "mean": lambda x, axis: x.mean() if axis is None else x.mean(dim=axis),
        "reshape": lambda x, shape: x.reshape(shape),
        "mse": lambda p, t: mean_loss((p - t) ** 2),
        "bce": lambda p, y: mean_loss(
            -(y * torch.clamp(torch.log(p), min=-100)
              + (1 - y) * torch.clamp(torch.log(1 - p), min=-100))
        ),
        "bce_logits": lambda z, y: mean_loss(
            F.binary_cross_entropy_with_logits(*torch.broadcast_tensors(z, y), reduction="none")
        ),
        "softmax_ce": softmax_ce,
        "hinge": lambda s, y: mean_loss(torch.clamp(1 - y * s, min=0)),
        "l2": lambda w, lam: 0.5 * lam * (w * w).sum(),
    }


def torch_function(graph: Graph, output: str | None = None) -> Callable[[Mapping[str, Any]], Any]:
    """``f(sources) -> output tensor``: ``sources`` maps source node ids to torch tensors
    (missing ones take the graph's stored values, as constants)."""
    import torch

    ops = _ops(torch)
    order = graph.topological_order()
    out = graph.output if output is None else graph.lookup(output).id

    def run(sources: Mapping[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for nid in order:
            node = graph.node(nid)
            if node.is_source:
                stored = torch.as_tensor(np.asarray(node.value), dtype=torch.float64)
                values[nid] = sources.get(nid, stored)
                continue
            args = [values[i] for i in graph.input_ids(nid)]
            values[nid] = ops[node.op](*args, **node.params)
        return values[out]

    return run


def as_tensor(value: Any) -> Any:
    import torch

    return torch.as_tensor(np.asarray(value, dtype=float), dtype=torch.float64)


def random_program(seed: int, n_ops: int = 20, shape: tuple[int, ...] | None = None) -> Graph:
    """A random DAG over three inputs and a constant, of smooth bounded ops, ending in one
    node (a sum for tensors, so the output is a scalar)."""
    rng = np.random.default_rng(seed)

    def val():
        return float(rng.normal()) if shape is None else rng.normal(size=shape)

    g = Graph()
    ids = [g.add_node("input", name=f"x{k}", value=val()).id for k in range(3)]
    ids.append(g.add_node("constant", value=val()).id)
    ops = ["add", "sub", "mul", "tanh", "sigmoid", "sin", "cos", "neg", "softplus", "identity"]
    for _ in range(n_ops):
        node = g.add_node(str(rng.choice(ops)))
        for port in range(node.spec.arity):
            # Favour recent nodes, so programs are deep and fan out.
            pick = min(len(ids) - 1, int(len(ids) - 1 - rng.geometric(0.35) + 1))
            g.connect(ids[max(0, pick)], node.id, port)
        ids.append(node.id)
    if shape is not None:
        total = g.add_node("sum", name="f")
        g.connect(ids[-1], total.id, 0)
    else:
        g.rename(ids[-1], "f")
    return g
