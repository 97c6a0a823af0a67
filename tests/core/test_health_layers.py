"""Which activations are the network's output (their saturation is expected) and how layers
are grouped into stacks, on graphs built here node by node so the answer is known by
construction; and the vanishing-gradients example at its stored settings: the picture its
description promises, from NumPy passes written out here."""

from __future__ import annotations

import numpy as np

from graphgui.core.engine import Program
from graphgui.core.examples import load_example_document
from graphgui.core.graph import Graph
from graphgui.core.health import (
    activation_ids,
    layer_order,
    layer_stacks,
    network_health,
    output_activations,
)
from graphgui.core.train import Trainer, apply_parameters


def chain(g: Graph, src: str, ops: list[str], tag: str) -> list[str]:
    """``ops`` applied one after another, each through a scalar weight: W * a."""
    out = []
    for k, op in enumerate(ops):
        w = g.add_node("parameter", name=f"W{k}{tag}", value=0.5)
        mul = g.add_node("mul", name=f"Z{k}{tag}")
        g.connect(w.id, mul.id, 0)
        g.connect(src, mul.id, 1)
        act = g.add_node(op, name=f"A{k}{tag}")
        g.connect(mul.id, act.id, 0)
        out.append(act.id)
        src = act.id
    return out


def test_an_activation_feeding_a_loss_or_the_graph_output_is_the_output():
    g = Graph()
    x = g.add_node("input", name="x", value=1.0)
    y = g.add_node("input", name="y", value=1.0)
    tanh, sig = chain(g, x.id, ["tanh", "sigmoid"], "a")
    loss = g.add_node("bce", name="L")
    g.connect(sig, loss.id, 0)
    g.connect(y.id, loss.id, 1)
    # A second branch whose last sigmoid feeds a mul, not a loss: hidden, not the output.
    (hidden,) = chain(g, tanh, ["sigmoid"], "b")
    extra = g.add_node("mul", name="M")
    g.connect(hidden, extra.id, 0)
    g.connect(hidden, extra.id, 1)
    g.set_output(loss.id)
    assert output_activations(g) == {sig}
    g.set_output(hidden)  # the graph's output node itself
    assert output_activations(g) == {sig, hidden}


def test_network_health_marks_the_output_and_its_share_is_no_warning():
    g = Graph()
    x = g.add_node("input", name="x", value=np.array([[30.0, -30.0, 0.0, 40.0]]))
    y = g.add_node("input", name="y", value=np.array([[1.0, 0.0, 1.0, 1.0]]))
    hidden, out = chain(g, x.id, ["sigmoid", "sigmoid"], "")
    loss = g.add_node("bce", name="L")
    g.connect(out, loss.id, 0)
    g.connect(y.id, loss.id, 1)
    g.set_output(loss.id)
    ev = Program(g).evaluate()
    by_name = {h.name: h for h in network_health(g, ev.values, ev.grads)}
    # sigmoid(0.5 x): 15, -15 and 20 past the thresholds, 0 not: 3 of 4 saturated.
    a = 1 / (1 + np.exp(-0.5 * np.array([30.0, -30.0, 0.0, 40.0])))
    share = np.mean((a < 0.03) | (a > 0.97))
    assert share == 0.75
    h = by_name["A0"]
    assert not h.at_output and h.saturated == share and h.warning == share
    out_h = by_name["A1"]
    assert out_h.at_output and out_h.warning == 0.0 and out_h.share == out_h.saturated
    assert out_h.to_dict()["at_output"] is True


def test_layers_are_grouped_by_stack_input_to_output():
    g = Graph()
    x = g.add_node("input", name="x", value=1.0)
    s = chain(g, x.id, ["sigmoid"] * 3, "s")
    r = chain(g, x.id, ["relu"] * 3, "r")
    ids = activation_ids(g)
    # Evaluation order depends on the nodes' order, not on the stacks: ask for it
    # interleaved, as the vanishing pair's is.
    interleaved = [s[0], r[0], s[1], r[1], s[2], r[2]]
    assert set(ids) == set(interleaved)
    assert layer_stacks(g, interleaved) == [s, r]
    assert layer_order(g, interleaved) == s + r
    # A fork: the second layer fed by the same one starts a stack of its own.
    (fork,) = chain(g, s[0], ["tanh"], "f")
    stacks = layer_stacks(g, [s[0], r[0], s[1], fork, r[1], s[2], r[2]])
    assert stacks == [s, r, [fork]]
    # A layer whose feeder is not asked for starts its own stack.
    assert layer_stacks(g, [s[1], s[2]]) == [[s[1], s[2]]]
    assert layer_stacks(g, [s[0], s[2]]) == [[s[0]], [s[2]]]


def test_the_vanishing_pair_lists_each_network_input_to_output():
    graph, _ = load_example_document("vanishing_gradients")
    names = [graph.node(n).name for n in layer_order(graph, activation_ids(graph))]
    assert names == [f"A{k}s" for k in range(1, 6)] + [f"A{k}r" for k in range(1, 6)]
    assert {graph.node(n).name for n in output_activations(graph)} == {"A5s", "A5r"}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def by_hand(graph: Graph) -> dict[str, np.ndarray]:
    """|dL/dA| of every hidden layer of both networks, written out in NumPy from the
    graph's parameters and data (L = mean BCE of each net, the nets independent)."""
    p = {n.name: n.value for n in graph if n.op in ("parameter", "input")}
    X, Y = p["X"], p["Y"]
    m = Y.shape[1]
    out = {}
    for tag in ("s", "r"):
        acts, zs, a = [X], [], X
        for k in range(1, 6):
            z = p[f"W{k}{tag}"] @ a + p[f"b{k}{tag}"]
            a = sigmoid(z) if k == 5 or tag == "s" else np.maximum(z, 0)
            zs.append(z)
            acts.append(a)
        dz = (acts[5] - Y) / m  # sigmoid + mean BCE
        for k in range(4, 0, -1):
            g = p[f"W{k + 1}{tag}"].T @ dz  # dL/dA_k
            out[f"A{k}{tag}"] = np.abs(g)
            slope = acts[k] * (1 - acts[k]) if tag == "s" else (zs[k - 1] > 0)
            dz = g * slope
    return out


def test_the_vanishing_pair_at_its_stored_epochs_still_shows_vanishing_gradients():
    """Before training and after the example's own run (its stored epochs): each sigmoid
    layer's median |dL/dA| is at least a third of a decade below the next one's, more than
    two decades from A4s to A1s, while the ReLU layers' medians stay within one decade of each
    other; the sigmoid net has not left its plateau (L_s = ln 2), the ReLU net has learned.
    The update-to-data ratios of the last epoch put every sigmoid weight under 1e-3 and
    every ReLU weight over it."""
    graph, settings = load_example_document("vanishing_gradients")
    epochs = settings["training"]["epochs"]
    trainer = Trainer.from_settings(graph, settings["training"])
    log = trainer.record_update_ratios()
    for moment in ("before", "after"):
        if moment == "after":
            trainer.run()
            apply_parameters(graph, trainer.parameters())
        grads = by_hand(graph)
        medians = {k: float(np.median(np.log10(v[v > 0]))) for k, v in grads.items()}
        s = [medians[f"A{k}s"] for k in range(1, 5)]
        r = [medians[f"A{k}r"] for k in range(1, 5)]
        assert all(b - a > 1 / 3 for a, b in zip(s, s[1:], strict=False)), (moment, s)
        assert s[3] - s[0] > 2, (moment, s)
        assert max(r) - min(r) < 1.0, (moment, r)
        # The health module reads the same numbers off the graph's own evaluation.
        ev = Program(graph).evaluate()
        layers = {h.name: h for h in network_health(graph, ev.values, ev.grads)}
        g = layers["A1s"].grad_magnitudes
        k = int(np.searchsorted(np.cumsum(g.counts), g.total / 2))
        assert abs(g.centers[k] - medians["A1s"]) <= 0.25  # within its quarter-decade bin
    losses = {n.name: float(ev.values[n.id]) for n in graph if n.name in ("L_s", "L_r")}
    assert abs(losses["L_s"] - np.log(2)) < 0.01 and losses["L_r"] < 0.2
    history = log.snapshot()
    assert int(history.epochs[-1]) == epochs
    last = history.latest()
    assert all(last[f"W{k}s"] < 1e-3 for k in range(1, 6)), last
    assert all(last[f"W{k}r"] > 1e-3 for k in range(1, 6)), last
