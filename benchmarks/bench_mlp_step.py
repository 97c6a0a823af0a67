"""One training step (forward, loss, backward) of the notebook's two-moons MLP.

graphgui: the network as a graph (X input; W1, b1, W2, b2 parameters; matmul, add, sigmoid,
bce), compiled once with ``Program(graph, wrt=params, prune=True)``; a step is ``forward`` +
``gradients``. NumPy: the same network written the way seed notebook 001 writes it
(``SimpleNeuralNetwork.forward_pass``, ``compute_loss``, ``backward_pass``).

Both are timed in the same run (median of interleaved repeats); the ratio graphgui / NumPy
is the figure of merit (target <= 1.1), and graphgui / tuned NumPy (issue 13: <= 1.0). The
graphgui step asks for the parameters' gradients only (``gradients(only_wrt=True)``, as the
Trainer does: the fused sigmoid + bce rule runs) under one NumPy error state
(``batch_mode``, as the Trainer), writing its arrays into buffers kept across steps
(``program.fused.reuse``, as the Trainer's program) and overwriting the values it does not
read in place (``program.fused.keep``: the loss). The gradients of all three are
compared before timing.

    python benchmarks/bench_mlp_step.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from _common import auto_number, median_times, table, write_results
from _notebook import SimpleNeuralNetwork, compute_loss

from graphgui.core.engine import Program
from graphgui.core.graph import Graph


def make_moons(n: int = 200, noise: float = 0.2, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as sklearn.datasets.make_moons), X (n, 2), y (n,)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]),
    ])
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    X += rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def data(n: int, train: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Training data shaped as in the notebook: X (2, m), Y (1, m)."""
    X, y = make_moons(n, seed=seed)
    return np.ascontiguousarray(X[:train].T), y[:train].reshape(1, -1).astype(float)


def init(hidden: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        # Larger than the notebook's 0.01 so the gradients are not all ~0 (same cost).
        "W1": rng.normal(size=(hidden, 2)) * 0.5,
        "b1": np.zeros((hidden, 1)),
        "W2": rng.normal(size=(1, hidden)) * 0.5,
        "b2": np.zeros((1, 1)),
    }


# ---- the notebook's NumPy network (benchmarks/_notebook.py), with the benchmark's weights ---


def notebook_network(params: dict[str, np.ndarray]) -> SimpleNeuralNetwork:
    net = SimpleNeuralNetwork(input_size=2, hidden_size=params["W1"].shape[0], output_size=1)
    net.W1, net.b1 = params["W1"].copy(), params["b1"].copy()
    net.W2, net.b2 = params["W2"].copy(), params["b2"].copy()
    return net


def notebook_step(net: SimpleNeuralNetwork, X: np.ndarray, Y: np.ndarray) -> float:
    """One step as the notebook's train loop does it: forward, loss, backward."""
    loss = compute_loss(Y, net.forward_pass(X))
    net.backward_pass(X, Y)
    return loss


def tuned_numpy_step_fn(X, Y, params: dict[str, np.ndarray]):
    """The same step written for speed (issue 13's yardstick): ``np.dot`` then ``+= b`` in one
    buffer (matmul and bias add fused), the sigmoid in place, ``dZ2 = A2 - Y`` (sigmoid and
    BCE fused), sigmoid' from the stored activation in place, ``1 - Y`` computed once."""
    W1, b1, W2, b2 = (params[k].copy() for k in ("W1", "b1", "W2", "b2"))
    m = Y.shape[1]
    Yc = 1.0 - Y

    def step():
        A1 = np.dot(W1, X)
        A1 += b1
        np.negative(A1, out=A1)
        np.exp(A1, out=A1)
        A1 += 1.0
        np.reciprocal(A1, out=A1)
        A2 = np.dot(W2, A1)
        A2 += b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)
        A2 += 1.0
        np.reciprocal(A2, out=A2)
        loss = -float((Y * np.log(A2) + Yc * np.log(1.0 - A2)).sum()) / m
        dZ2 = A2 - Y
        dZ2 *= 1.0 / m
        dW2 = np.dot(dZ2, A1.T)
        db2 = dZ2.sum(axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2)
        dZ1 *= A1
        np.subtract(1.0, A1, out=A1)
        dZ1 *= A1
        dW1 = np.dot(dZ1, X.T)
        db1 = dZ1.sum(axis=1, keepdims=True)
        return loss, [dW1, db1, dW2, db2]

    return step


# ---- the same network as a graph ----------------------------------------------------------------


def build_graph(X: np.ndarray, Y: np.ndarray, params: dict[str, np.ndarray]) -> Graph:
    g = Graph("two-moons MLP")
    nodes = {"X": g.add_node("input", name="X", value=X), "Y": g.add_node("constant", name="Y",
                                                                           value=Y)}
    for name, value in params.items():
        nodes[name] = g.add_node("parameter", name=name, value=value)
    for name, op in [("Z1", "matmul"), ("S1", "add"), ("A1", "sigmoid"), ("Z2", "matmul"),
                     ("S2", "add"), ("A2", "sigmoid"), ("loss", "bce")]:
        nodes[name] = g.add_node(op, name=name)
    for src, dst, port in [
        ("W1", "Z1", 0), ("X", "Z1", 1), ("Z1", "S1", 0), ("b1", "S1", 1), ("S1", "A1", 0),
        ("W2", "Z2", 0), ("A1", "Z2", 1), ("Z2", "S2", 0), ("b2", "S2", 1), ("S2", "A2", 0),
        ("A2", "loss", 0), ("Y", "loss", 1),
    ]:
        g.connect(nodes[src].id, nodes[dst].id, port)
    g.set_output(nodes["loss"].id)
    return g


def graph_step_fn(g: Graph):
    program = Program(g, wrt=["W1", "b1", "W2", "b2"], prune=True)
    program.fused.reuse = True  # arrays in buffers kept across steps, as the Trainer's
    slots = [program.slot[g.find(n).id] for n in ("W1", "b1", "W2", "b2")]
    out = program.slot[program.output_id]
    program.fused.keep = frozenset({out})  # the step reads the loss only (others in place)

    def step():  # the parameters' gradients only, as the Trainer asks (fused sigmoid + bce)
        vals = program.forward()
        grads = program.gradients(vals, only_wrt=True)
        return vals[out], [grads[k] for k in slots]

    step.program = program
    return step


def compare(hidden: int, n: int, train: int, repeat: int) -> dict[str, object]:
    X, Y = data(n, train)
    params = init(hidden)
    net = notebook_network(params)
    step = graph_step_fn(build_graph(X, Y, params))

    tuned = tuned_numpy_step_fn(X, Y, params)
    loss, grads = step()
    ref_loss = notebook_step(net, X, Y)
    ref = [net.dW1, net.db1, net.dW2, net.db2]
    err = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, ref, strict=True))
    err_tuned = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, tuned()[1], strict=True))
    assert abs(loss - ref_loss) < 1e-12, (loss, ref_loss)
    assert max(err, err_tuned) < 1e-12, f"gradients differ by {max(err, err_tuned)}"

    def numpy_step():
        notebook_step(net, X, Y)

    number = auto_number(numpy_step, target=0.1)
    load = os.getloadavg()[0]
    with step.program.batch_mode():  # one NumPy error state for all passes, as the Trainer
        times = median_times({"numpy": numpy_step, "tuned": tuned, "graphgui": step}, number,
                             repeat)
    t_np, t_tuned, t_gg = times["numpy"], times["tuned"], times["graphgui"]
    return {
        "hidden": hidden, "samples": train, "numpy_us": t_np * 1e6,
        "tuned_numpy_us": t_tuned * 1e6, "graphgui_us": t_gg * 1e6, "ratio": t_gg / t_np,
        "ratio_vs_tuned": t_gg / t_tuned, "max_grad_diff": max(err, err_tuned),
        "number": number, "repeat": repeat, "load_average": (load + os.getloadavg()[0]) / 2,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeat = 7 if args.quick else 31
    rows = [
        compare(hidden=4, n=200, train=140, repeat=repeat),
        compare(hidden=256, n=25_000, train=20_000, repeat=max(3, repeat // 3)),
    ]
    print(table(
        ["hidden", "samples", "notebook NumPy (us)", "tuned NumPy (us)", "graphgui (us)",
         "ratio", "ratio vs tuned", "max |dgrad|"],
        [[r["hidden"], r["samples"], f"{r['numpy_us']:.1f}", f"{r['tuned_numpy_us']:.1f}",
          f"{r['graphgui_us']:.1f}", f"{r['ratio']:.2f}x", f"{r['ratio_vs_tuned']:.2f}x",
          f"{r['max_grad_diff']:.1e}"] for r in rows],
    ))
    path = write_results("mlp_step", {"target_ratio": 1.1, "rows": rows})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
