"""Network health on a crafted network whose figures are known by construction: weights that
push half the tanh and sigmoid outputs past their thresholds, ReLU rows negative for every
sample, gradients chosen by a constant, and update-to-data ratios computed by hand."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from graphgui.core.datasets import make_dataset
from graphgui.core.engine import Program
from graphgui.core.graph import Graph
from graphgui.core.health import (
    BINS,
    GRAD_DECADES,
    MAX_ELEMENTS,
    activation_health,
    activation_ids,
    network_health,
    nice_ceiling,
    sample_axis_of,
    shares,
    update_ratio,
    update_ratios,
)
from graphgui.core.train import Trainer, mlp_graph
from graphgui.core.train.ratios import CAPACITY, DENSE, UpdateRatioLog

# Four samples (columns) of two features.
X = np.array([[1.0, -1.0, 2.0, -2.0],
              [0.5, 0.5, -0.5, -0.5]])
# tanh rows: 10 x0 (|10| .. |20|: all four saturated), 0.1 x1 (|0.05|: none), 0 (none),
# 5 x0 (|5| .. |10|: all four). 8 of 16 outputs past 0.97.
W_TANH = np.array([[10.0, 0.0], [0.0, 0.1], [0.0, 0.0], [5.0, 0.0]])
# relu rows: x0 (positive for samples 0 and 2: alive), -10 (dead), -1 + 0 (dead),
# x0 + 3 (always positive). 2 of 4 units dead.
W_RELU = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
B_RELU = np.array([[0.0], [-10.0], [-1.0], [3.0]])
# sigmoid rows: 10 x0 (sigmoid(+-10), sigmoid(+-20): all saturated), 0 (0.5: none).
W_SIG = np.array([[10.0, 0.0], [0.0, 0.0]])
# dL/dA of the tanh layer: the constant it is multiplied by before the sum.
C_TANH = np.array([[1.0, 1.0, 1.0, 1.0],
                   [1e-3, 1e-3, 1e-3, 1e-3],
                   [1e-6, 1e-6, 1e-6, 1e-6],
                   [0.0, 0.0, 0.0, 0.0]])


def crafted() -> Graph:
    g = Graph()
    x = g.add_node("input", name="X", value=X)
    nodes = {}
    for tag, op, W, b in (("t", "tanh", W_TANH, None), ("r", "relu", W_RELU, B_RELU),
                          ("s", "sigmoid", W_SIG, None)):
        w = g.add_node("parameter", name=f"W{tag}", value=W)
        mm = g.add_node("matmul", name=f"Z{tag}")
        g.connect(w.id, mm.id, 0)
        g.connect(x.id, mm.id, 1)
        pre = mm.id
        if b is not None:
            bias = g.add_node("parameter", name=f"b{tag}", value=b)
            z = g.add_node("add", name=f"Zb{tag}")
            g.connect(mm.id, z.id, 0)
            g.connect(bias.id, z.id, 1)
            pre = z.id
        a = g.add_node(op, name=f"A{tag}")
        g.connect(pre, a.id, 0)
        nodes[tag] = a.id
    c = g.add_node("constant", name="C", value=C_TANH)
    weighted = g.add_node("mul", name="CA")
    g.connect(c.id, weighted.id, 0)
    g.connect(nodes["t"], weighted.id, 1)
    total = g.add_node("sum", name="L")
    g.connect(weighted.id, total.id, 0)
    g.set_output(total.id)
    return g


@pytest.fixture(scope="module")
def health():
    graph = crafted()
    ev = Program(graph).evaluate()
    assert ev.ok
    return {h.name: h for h in network_health(graph, ev.values, ev.grads)}


def test_every_activation_is_measured_in_order():
    graph = crafted()
    order = [nid for nid in graph.topological_order() if graph.node(nid).op != "input"]
    ids = activation_ids(graph)
    assert {graph.node(i).name for i in ids} == {"At", "Ar", "As"}
    assert ids == [nid for nid in order if nid in ids]


def test_half_the_tanh_outputs_are_saturated(health):
    h = health["At"]
    assert (h.op, h.units, h.samples, h.sampled) == ("tanh", 4, 4, False)
    assert h.saturated == 0.5
    assert h.dead is None and h.kind == "saturated" and h.share == 0.5


def test_two_relu_rows_never_active_are_dead(health):
    h = health["Ar"]
    assert (h.units, h.samples) == (4, 4)
    assert h.dead == 0.5 and h.dead_units == 2
    assert h.saturated is None and h.kind == "dead"


def test_half_the_sigmoid_outputs_are_saturated(health):
    assert health["As"].saturated == 0.5


def test_activation_mean_std_and_histogram_by_hand(health):
    h = health["As"]
    outputs = [1 / (1 + math.exp(-z)) for z in (10, -10, 20, -20)] + [0.5] * 4
    assert h.mean == pytest.approx(statistics.fmean(outputs), abs=1e-15)
    assert h.std == pytest.approx(statistics.pstdev(outputs), abs=1e-15)
    # 40 bins over [0, 1]: 0.5 falls in bin 20, values near 0 in bin 0, near 1 in bin 39.
    counts = h.values.counts
    assert h.values.edges[0] == 0.0 and h.values.edges[-1] == 1.0 and len(counts) == BINS
    assert (counts[0], counts[20], counts[39], counts.sum()) == (2, 4, 2, 8)
    # relu is unbounded and never negative: [0, R], R = 5 >= its largest value 5 (x0 + 3 at
    # x0 = 2). Its 10 zeros (8 in the dead rows, 2 in row 0) are counted apart; its 6 active
    # outputs are 1, 2 (row 0) and 4, 2, 5, 1 (row 3): bins of width 1/8.
    relu = health["Ar"]
    assert (relu.values.edges[0], relu.values.edges[-1]) == (0.0, 5.0)
    assert relu.values.zeros == 10 and relu.values.total == 16
    assert {k: int(c) for k, c in enumerate(relu.values.counts) if c} == {
        8: 2, 16: 2, 32: 1, 39: 1}


def test_gradient_histograms_are_the_constant_the_layer_is_multiplied_by(health):
    h = health["At"]  # dL/dAt = C_TANH: four 1s, four 1e-3s, four 1e-6s and four zeros
    assert h.grad_mean == pytest.approx(statistics.fmean(C_TANH.ravel()), abs=1e-15)
    assert h.grad_std == pytest.approx(statistics.pstdev(C_TANH.ravel()), abs=1e-15)
    mag = h.grad_magnitudes
    assert mag.zeros == 4 and mag.total == 16
    low = GRAD_DECADES[0]
    for decade in (0, -3, -6):  # a quarter-decade bin starting at each decade
        k = int(round((decade - low) * 4))
        assert mag.edges[k] == pytest.approx(decade)
        assert mag.counts[k] == 4, decade
    # The loss does not depend on the relu layer: no gradient, no gradient histograms.
    assert health["Ar"].grad_std is None and health["Ar"].grad_magnitudes is None


def test_the_saturation_thresholds_are_strict():
    # tanh(2.1) = 0.9705 is past 0.97, tanh(2.0) = 0.9640 is not; sigmoid(3.5) = 0.9707,
    # sigmoid(3.4) = 0.9677, sigmoid(-3.5) = 0.0293.
    assert shares("tanh", np.array([[math.tanh(2.1), math.tanh(2.0)]])) == (0.5, None)
    sig = [1 / (1 + math.exp(-z)) for z in (3.5, 3.4, -3.5, -3.4)]
    assert shares("sigmoid", np.array([sig])) == (0.5, None)
    assert shares("tanh", -0.98) == (1.0, None)
    assert shares("relu", 0.0) == (None, 1.0)  # relu(x) = 0: no gradient passes
    assert shares("relu", np.array([[0.0, 0.0, 1e-9]])) == (None, 0.0)
    assert shares("softplus", np.array([[1.0]])) == (None, None)


def test_shares_agree_with_the_full_health(health):
    graph = crafted()
    ev = Program(graph).evaluate()
    for name, h in health.items():
        node = graph.find(name)
        assert shares(node.op, ev.values[node.id]) == (h.saturated, h.dead)


def test_samples_on_axis_zero_when_the_data_set_says_so():
    # The relu layer as (samples, units): rows are samples. Units 1 and 2 are dead.
    value = np.maximum(W_RELU @ X + B_RELU, 0).T
    h = activation_health("n", "A", "relu", value, sample_axis=0)
    assert (h.units, h.samples, h.dead) == (4, 4, 0.5)
    settings = {"training": {"dataset": {"kind": "moons", "sample_axis": 0}}}
    assert sample_axis_of(settings) == 0
    assert sample_axis_of({"training": {"dataset": {"kind": "moons"}}}) == -1
    assert sample_axis_of(None) == -1


def test_large_activations_are_sampled_and_stay_bounded():
    units, samples = 10, 3 * MAX_ELEMENTS // 10
    value = np.zeros((units, samples))
    value[:5] = 1.0  # units 0-4 active in every sample, 5-9 never
    h = activation_health("n", "A", "relu", value)
    assert h.sampled and (h.units, h.samples) == (units, samples)
    assert h.dead == 0.5
    assert h.values.counts.sum() <= MAX_ELEMENTS


def test_nice_ceiling():
    assert [nice_ceiling(x) for x in (0.7, 1.0, 1.3, 3.0, 7.0, 0.012, 0.0)] == [
        1.0, 1.0, 2.0, 5.0, 10.0, 0.02, 1.0]


# ---- update-to-data ratio --------------------------------------------------------------------


def test_update_ratio_by_hand():
    before = np.array([[1.0, 2.0], [3.0, 4.0]])
    after = np.array([[1.1, 2.0], [3.0, 3.8]])
    update = [0.1, 0.0, 0.0, -0.2]  # after - before, written out
    expected = statistics.pstdev(update) / statistics.pstdev([1.1, 2.0, 3.0, 3.8])
    assert expected == pytest.approx(0.10701, abs=1e-5)
    assert update_ratio(before, after) == pytest.approx(expected, rel=1e-12)
    assert update_ratio(2.0, 2.5) == pytest.approx(0.2)  # one number: |0.5| / |2.5|
    assert update_ratio(np.array([[2.0]]), np.array([[2.5]])) == pytest.approx(0.2)
    assert math.isnan(update_ratio(np.zeros((3, 1)), np.zeros((3, 1))))  # std(W) = 0


def test_update_ratios_of_many_parameters_are_each_ones_ratio():
    rng = np.random.default_rng(1)
    after = [rng.normal(size=(8, 2)), rng.normal(size=(8, 1)), 2.5, np.array([[3.0]]),
             np.zeros((3, 1)), rng.normal(size=(1, 8))]
    before = [a + 1e-3 * rng.normal(size=np.shape(a)) if isinstance(a, np.ndarray) else 2.0
              for a in after]
    before[5] = after[5].copy()  # no update: ratio 0
    one_by_one = [update_ratio(b, a) for b, a in zip(before, after, strict=True)]
    together = update_ratios(before, after)
    assert np.allclose(together, one_by_one, rtol=1e-12, equal_nan=True)
    assert math.isnan(together[4]) and together[5] == 0.0 and together[2] == 0.2
    big = [rng.normal(size=(100, 100))]  # sampled: every 3rd element, as update_ratio does
    assert update_ratios([big[0] * 1.01], big) == [update_ratio(big[0] * 1.01, big[0])]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_the_trainer_records_karpathys_ratio_of_each_sgd_step():
    """One epoch of plain SGD written out: the ratio of W1 is std(lr * dW1) / std(W1 after)."""
    data = make_dataset({"kind": "moons", "n": 200, "noise": 0.2, "seed": 42,
                         "test_size": 0.3, "split_seed": 42})
    graph = mlp_graph([2, 4, 1], seed=0)
    lr = 0.5
    trainer = Trainer(graph, dataset=data, optimizer="sgd", lr=lr, epochs=2)
    log = trainer.record_update_ratios()
    p = {graph.node(pid).name: v for pid, v in trainer.parameters().items()}
    trainer.run_epoch()
    Xt, Y = data.X_train, data.Y_train
    m = Y.shape[1]
    A1 = sigmoid(p["W1"] @ Xt + p["b1"])
    A2 = sigmoid(p["W2"] @ A1 + p["b2"])
    dZ2 = A2 - Y
    dZ1 = (p["W2"].T @ dZ2) * A1 * (1 - A1)
    grads = {"W1": dZ1 @ Xt.T / m, "b1": dZ1.sum(axis=1, keepdims=True) / m,
             "W2": dZ2 @ A1.T / m, "b2": dZ2.sum(axis=1, keepdims=True) / m}
    history = log.snapshot()
    assert list(history.epochs) == [1]
    for name, g in grads.items():
        after = p[name] - lr * g
        if g.size > 1:
            expected = np.std(lr * g) / np.std(after)
        else:  # b2: one number
            expected = abs(lr * g.item()) / abs(after.item())
        assert history.ratios[name][0] == pytest.approx(expected, rel=1e-9), name


def test_recording_changes_no_trained_number():
    data = make_dataset({"kind": "moons", "n": 200, "noise": 0.2, "seed": 42})
    runs = []
    for record in (False, True):
        graph = mlp_graph([2, 8, 1], hidden="tanh", seed=3)
        trainer = Trainer(graph, dataset=data, optimizer="adam", lr=0.01, epochs=120,
                          batch_size=32, l2=0.01)
        if record:
            trainer.record_update_ratios()
        results = trainer.run()
        runs.append(([r.train_loss for r in results], [r.grad_norms for r in results],
                     trainer.parameters()))
    (loss_a, norms_a, params_a), (loss_b, norms_b, params_b) = runs
    assert loss_a == loss_b and norms_a == norms_b
    assert all(np.array_equal(params_a[k], params_b[k]) for k in params_a)


def test_the_log_is_dense_early_and_bounded():
    log = UpdateRatioLog(["W"], planned=10_000)
    kept = [e for e in range(1, 10_001) if log.due(e)]
    for e in kept:
        log.add(e, [0.001])
    epochs = list(log.snapshot().epochs)
    assert epochs[:DENSE] == list(range(1, DENSE + 1))
    assert len(epochs) <= DENSE + CAPACITY
    assert epochs[-1] >= 10_000 - log.stride
    # A run longer than planned thins its later points instead of growing.
    unplanned = UpdateRatioLog(["W", "b"], planned=None, dense=10, capacity=20)
    for e in range(1, 5001):
        if unplanned.due(e):
            unplanned.add(e, [1.0, math.nan])
    history = unplanned.snapshot()
    assert len(history.epochs) <= 10 + 20
    assert list(history.epochs[:10]) == list(range(1, 11))
    assert np.all(np.diff(history.epochs) > 0)
    assert history.latest()["W"] == 1.0 and math.isnan(history.latest()["b"])
