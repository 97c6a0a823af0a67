"""The Trainer against hand-written NumPy: the notebook's network, batches, failures, threads."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest

from graphgui.core.datasets import Dataset, make_dataset
from graphgui.core.graph import Graph
from graphgui.core.initializers import (
    InitializerError,
    fans,
    initialize,
    make_rng,
    validate_init,
)
from graphgui.core.train import (
    Trainer,
    TrainingError,
    TrainSettings,
    apply_parameters,
    initial_values,
    mlp_graph,
    train_graph,
)

# ---- the notebook's algorithm, written out (the reference the Trainer must match) ------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def notebook_train(X, Y, W1, b1, W2, b2, epochs, lr, reg_lambda=0.0):
    """The notebook's SimpleNeuralNetwork.train on copies; returns losses and parameters.

    ``reg_lambda`` is the notebook's exercise 2: dW += (lambda / m) W (biases unpenalized).
    """
    W1, b1, W2, b2 = (a.copy() for a in (W1, b1, W2, b2))
    m = Y.shape[1]
    losses = []
    for _ in range(epochs):
        A1 = sigmoid(W1 @ X + b1)
        A2 = sigmoid(W2 @ A1 + b2)
        losses.append(-(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).mean())
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m + reg_lambda / m * W2
        db2 = dZ2.sum(axis=1, keepdims=True) / m
        dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
        dW1 = dZ1 @ X.T / m + reg_lambda / m * W1
        db1 = dZ1.sum(axis=1, keepdims=True) / m
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
    return losses, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def notebook_predict(params, X):
    A1 = sigmoid(params["W1"] @ X + params["b1"])
    return sigmoid(params["W2"] @ A1 + params["b2"])


def by_name(graph, values):
    return {graph.node(nid).name: v for nid, v in values.items()}


@pytest.fixture(scope="module")
def moons():
    return make_dataset({"kind": "moons", "n": 200, "noise": 0.2, "seed": 42,
                         "test_size": 0.3, "split_seed": 42})


# ---- the notebook's network ------------------------------------------------------------------


def test_initial_weights_are_the_notebooks_after_seeding():
    graph = mlp_graph([2, 4, 1], seed=11)
    state = np.random.get_state()
    try:
        np.random.seed(11)
        W1 = np.random.randn(4, 2) * 0.01  # the notebook's constructor, in its order
        W2 = np.random.randn(1, 4) * 0.01
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(graph.find("W1").value, W1)
    np.testing.assert_array_equal(graph.find("W2").value, W2)
    np.testing.assert_array_equal(graph.find("b1").value, np.zeros((4, 1)))
    np.testing.assert_array_equal(graph.find("b2").value, np.zeros((1, 1)))


def test_notebook_moons_network_reaches_the_notebooks_figures(moons):
    # The example: 2-4-1, sigmoid, BCE, lr 0.1, 10,000 epochs. The graph and the
    # notebook's own loop start from the same weights and must agree throughout.
    graph = mlp_graph([2, 4, 1], seed=0)
    start = {n.name: n.value for n in graph.nodes if n.op == "parameter"}
    trainer = Trainer(graph, dataset=moons, optimizer="sgd", lr=0.1, epochs=10_000,
                      eval_every=0)
    results = trainer.run()
    losses, params = notebook_train(moons.X_train, moons.Y_train, start["W1"], start["b1"],
                                    start["W2"], start["b2"], 10_000, 0.1)
    ours = [r.train_loss for r in results]
    np.testing.assert_allclose(ours[::500], losses[::500], rtol=1e-9)
    assert ours[-1] == pytest.approx(losses[-1], rel=1e-9)
    assert ours[0] == pytest.approx(math.log(2), abs=1e-3)  # tiny weights: p = 0.5
    assert 0.30 < ours[-1] < 0.34  # the notebook's "about 0.32"
    for name, value in by_name(graph, trainer.parameters()).items():
        np.testing.assert_allclose(value, params[name], rtol=1e-7, atol=1e-10)
    test_acc = np.mean((notebook_predict(params, moons.X_test) > 0.5) == moons.Y_test)
    assert results[-1].test_accuracy == pytest.approx(test_acc)
    assert 0.80 <= results[-1].test_accuracy <= 0.87  # the notebook's "about 83%"
    train_acc = np.mean((notebook_predict(params, moons.X_train) > 0.5) == moons.Y_train)
    assert trainer.evaluate("train")[1] == pytest.approx(train_acc)


def test_l2_matches_the_notebooks_exercise(moons):
    # Exercise 2: L + lambda / (2m) (||W1||^2 + ||W2||^2), i.e. l2 = lambda / m on the weights.
    graph = mlp_graph([2, 4, 1], seed=1)
    start = {n.name: n.value for n in graph.nodes if n.op == "parameter"}
    lam, m = 5.0, moons.n_train
    trainer = Trainer(graph, dataset=moons, lr=0.5, epochs=200, l2=lam / m, eval_every=0)
    trainer.run()
    assert sorted(graph.node(i).name for i in trainer.l2_ids) == ["W1", "W2"]
    _, params = notebook_train(moons.X_train, moons.Y_train, start["W1"], start["b1"],
                               start["W2"], start["b2"], 200, 0.5, reg_lambda=lam)
    for name, value in by_name(graph, trainer.parameters()).items():
        np.testing.assert_allclose(value, params[name], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_loss_falls_with_every_optimizer_and_batch_mode(moons, optimizer):
    graph = mlp_graph([2, 8, 1], hidden="tanh", seed=2, weight_init={"kind": "xavier"})
    lr = {"sgd": 0.5, "momentum": 0.1, "rmsprop": 0.01, "adam": 0.02}[optimizer]
    trainer = Trainer(graph, dataset=moons, optimizer=optimizer, lr=lr, epochs=40,
                      batch_size=20)
    initial_loss = trainer.evaluate("train")[0]
    results = trainer.run()
    assert trainer.evaluate("train")[0] < 0.7 * initial_loss
    assert results[-1].train_loss < results[0].train_loss
    assert results[-1].test_accuracy > 0.8


def test_training_never_touches_the_live_graph(moons):
    graph = mlp_graph([2, 4, 1], seed=0)
    before = {n.id: n.value.copy() for n in graph.nodes if n.is_source}
    events = []
    graph.changed.subscribe(lambda: events.append(1))
    trainer = Trainer(graph, dataset=moons, lr=0.5, epochs=20)
    trainer.run()
    assert events == []
    for nid, value in before.items():
        np.testing.assert_array_equal(graph.node(nid).value, value)
    # parameters() gives copies; applying them is the one edit.
    values = trainer.parameters()
    values[graph.find("W1").id][0, 0] = 123.0
    assert trainer.parameters()[graph.find("W1").id][0, 0] != 123.0
    apply_parameters(graph, trainer.parameters())
    assert len(events) == 4
    np.testing.assert_array_equal(graph.find("W2").value,
                                  trainer.parameters()[graph.find("W2").id])


# ---- batches ---------------------------------------------------------------------------------


def linear_graph(n_features=2):
    """L = mse(W @ X + b, Y) with W (1, n_features), b (1, 1)."""
    g = Graph()
    X = g.add_node("input", name="X", value=np.zeros((n_features, 1)))
    Y = g.add_node("input", name="Y", value=np.zeros((1, 1)))
    W = g.add_node("parameter", name="W", value=np.array([[0.5, -0.25]])[:, :n_features])
    b = g.add_node("parameter", name="b", value=np.array([[0.1]]))
    mm = g.add_node("matmul", name="WX")
    g.connect(W.id, mm.id, 0)
    g.connect(X.id, mm.id, 1)
    z = g.add_node("add", name="Z")
    g.connect(mm.id, z.id, 0)
    g.connect(b.id, z.id, 1)
    L = g.add_node("mse", name="L")
    g.connect(z.id, L.id, 0)
    g.connect(Y.id, L.id, 1)
    return g


def id_dataset(m=30):
    """Row 0 of X holds each sample's index, so a recorded feed tells which were visited."""
    X = np.vstack([np.arange(m, dtype=float), np.linspace(-1, 1, m)]) / m
    Y = (0.3 * X[0] - X[1]).reshape(1, -1)
    empty = np.zeros((2, 0))
    return Dataset(X, Y, empty, np.zeros((1, 0)), "custom", ("id", "z"), 0, False)


def record_feeds(trainer):
    seen = []
    original = trainer.program.forward

    def forward(overrides=None):
        vals = original(overrides)
        ids = np.rint(overrides[trainer.feed_ids["X"]][0] * 30).astype(int)
        seen.append((ids, vals[trainer.program.slot[trainer.loss_id]]))
        return vals

    trainer.program.forward = forward  # instance attribute: the Trainer calls this one
    return seen


@pytest.mark.parametrize(("batch_size", "sizes"), [(7, [7, 7, 7, 7, 2]), (1, [1] * 30),
                                                   (None, [30]), (30, [30]), (64, [30])])
def test_every_sample_once_per_epoch(batch_size, sizes):
    trainer = Trainer(linear_graph(), dataset=id_dataset(), lr=0.1, epochs=3,
                      batch_size=batch_size, seed=5)
    seen = record_feeds(trainer)
    orders = []
    for _ in range(3):
        seen.clear()
        result = trainer.run_epoch()
        ids = np.concatenate([s[0] for s in seen])
        assert [len(s[0]) for s in seen] == sizes
        np.testing.assert_array_equal(np.sort(ids), np.arange(30))
        orders.append(ids)
        # The epoch's loss is the batch losses weighted by batch size.
        expected = sum(loss * len(ids) for ids, loss in seen) / 30
        assert result.train_loss == pytest.approx(expected, rel=1e-12)
    if batch_size in (1, 7):
        assert not np.array_equal(orders[0], orders[1])  # shuffled anew each epoch


def test_shuffle_order_follows_the_seed():
    def ids(seed):
        trainer = Trainer(linear_graph(), dataset=id_dataset(), epochs=1, batch_size=4,
                          seed=seed)
        seen = record_feeds(trainer)
        trainer.run()
        return np.concatenate([s[0] for s in seen])

    np.testing.assert_array_equal(ids(3), ids(3))
    assert not np.array_equal(ids(3), ids(4))


def test_one_epoch_of_sgd_with_l2_by_hand():
    # One full-batch step on L = mean((W X + b - Y)^2) with the gradients written out:
    # dL/dW = 2/m (WX + b - Y) X^T, dL/db = 2/m sum(WX + b - Y); L2 on W only (it feeds matmul).
    ds = id_dataset()
    g = linear_graph()
    W, b = g.find("W").value, g.find("b").value
    r = W @ ds.X_train + b - ds.Y_train
    dW = 2 / 30 * r @ ds.X_train.T
    db = 2 / 30 * r.sum(keepdims=True)
    lr, l2 = 0.3, 0.2
    trainer = Trainer(g, dataset=ds, lr=lr, epochs=1, l2=l2)
    result = trainer.run()[0]
    new = by_name(g, trainer.parameters())
    np.testing.assert_allclose(new["W"], W - lr * (dW + l2 * W), rtol=1e-12)
    np.testing.assert_allclose(new["b"], b - lr * db, rtol=1e-12)
    assert result.train_loss == pytest.approx(float(np.mean(r**2)))
    assert result.grad_norms["W"] == pytest.approx(float(np.linalg.norm(dW)))
    assert result.grad_norms["b"] == pytest.approx(abs(float(db[0, 0])))
    assert result.train_accuracy is None  # regression


# ---- gradient descent without data -----------------------------------------------------------


def test_gradient_descent_on_x_squared_from_5():
    # x <- x - 0.1 * 2x = 0.8 x: after k steps x = 5 * 0.8^k; the loss logged at step k
    # is the value before that step, (5 * 0.8^(k-1))^2.
    g = Graph()
    x = g.add_node("parameter", name="x", value=5.0)
    two = g.add_node("constant", value=2.0)
    f = g.add_node("pow", name="f")
    g.connect(x.id, f.id, 0)
    g.connect(two.id, f.id, 1)
    trainer = Trainer(g, lr=0.1, epochs=10)
    results = trainer.run()
    assert trainer.parameters()[x.id] == pytest.approx(5 * 0.8**10)
    assert [r.train_loss for r in results] == pytest.approx([(5 * 0.8**k) ** 2
                                                             for k in range(10)])
    assert results[3].grad_norms == {"x": pytest.approx(2 * 5 * 0.8**3)}


# ---- failures --------------------------------------------------------------------------------


def scalar_graph(op_chain, x0):
    g = Graph()
    x = g.add_node("parameter", name="w", value=x0)
    src = x.id
    for op, name, *const in op_chain:
        node = g.add_node(op, name=name)
        g.connect(src, node.id, 0)
        if const:
            c = g.add_node("constant", value=const[0])
            g.connect(c.id, node.id, 1)
        src = node.id
    return g, x.id


def test_nonfinite_loss_names_the_node_and_keeps_the_last_finite_parameters():
    # L = ln(w), w = 1, lr 2: w1 = 1 - 2 * (1/1) = -1, and ln(-1) is nan at epoch 2.
    g, w = scalar_graph([("log", "f")], 1.0)
    trainer = Trainer(g, lr=2.0, epochs=10)
    with pytest.raises(TrainingError) as info:
        trainer.run()
    err = info.value
    assert (err.node_id, err.epoch) == (g.find("f").id, 2)
    assert str(err) == "epoch 2: the loss became nan: f (log of -1) gave nan"
    assert trainer.parameters() == {w: 1.0}  # the values whose loss (0) was finite
    assert trainer.epoch == 1


def test_overflow_in_the_forward_pass_is_named():
    # L = w^4: w = 1e70 gives 1e280; the step 0.1 * 4e210 sends w to -4e209, whose 4th power
    # overflows to inf in the pow node at epoch 2.
    g, w = scalar_graph([("pow", "f", 4.0)], 1e70)
    trainer = Trainer(g, lr=0.1, epochs=5)
    with pytest.raises(TrainingError, match=r"^epoch 2: the loss became infinite: f \(pow"):
        trainer.run()
    assert trainer.parameters() == {w: 1e70}


def test_an_update_that_breaks_a_parameter_is_named():
    # L = w^2 with w = 1e154 (L = 1e308, finite); lr 1e160 sends w to -2e314 = -inf.
    g, w = scalar_graph([("pow", "f", 2.0)], 1e154)
    trainer = Trainer(g, lr=1e160, epochs=5)
    with pytest.raises(TrainingError) as info:
        trainer.run()
    assert info.value.node_id == w
    assert "the sgd update made w non-finite; try a smaller learning rate" in str(info.value)
    assert trainer.parameters() == {w: 1e154}


def test_diverging_regression_stops_with_finite_parameters():
    ds = id_dataset()
    trainer = Trainer(linear_graph(), dataset=ds, lr=1e6, epochs=500, batch_size=8)
    with pytest.raises(TrainingError) as info:
        trainer.run()
    assert "the loss became" in str(info.value) and info.value.epoch >= 1
    params = trainer.parameters()
    assert all(np.all(np.isfinite(v)) for v in params.values())


# ---- threads: pause and stop -----------------------------------------------------------------


def test_stop_event_ends_training_after_the_current_epoch():
    stop = threading.Event()
    trainer = Trainer(linear_graph(), dataset=id_dataset(), epochs=100)

    def callback(result):
        if result.epoch == 3:
            stop.set()

    results = trainer.run(callback=callback, stop=stop)
    assert [r.epoch for r in results] == [1, 2, 3]
    assert trainer.epoch == 3
    stop.clear()
    more = trainer.run()  # continues where it stopped
    assert more[0].epoch == 4 and trainer.epoch == 100


def test_stop_between_mini_batches():
    stop = threading.Event()
    trainer = Trainer(linear_graph(), dataset=id_dataset(), epochs=5, batch_size=1)
    trainer._fused_step = None  # every batch through Program.forward, which this counts
    calls = []
    original = trainer.program.forward

    def forward(overrides=None):
        calls.append(1)
        if len(calls) == 10:
            stop.set()  # as if the GUI pressed Stop in the middle of an epoch
        return original(overrides)

    trainer.program.forward = forward
    assert trainer.run(stop=stop) == []
    assert len(calls) == 10 and trainer.epoch == 0


def test_pause_waits_and_resume_continues():
    pause = threading.Event()
    stop = threading.Event()
    reached = threading.Event()
    trainer = Trainer(linear_graph(), dataset=id_dataset(), epochs=6)

    def callback(result):
        if result.epoch == 2:
            pause.set()
            reached.set()

    results = []
    worker = threading.Thread(
        target=lambda: results.extend(trainer.run(callback=callback, stop=stop, pause=pause))
    )
    worker.start()
    try:
        assert reached.wait(10)
        assert trainer.paused.wait(10)  # waiting, not training
        assert trainer.epoch == 2 and worker.is_alive()
        pause.clear()
        worker.join(10)
        assert not worker.is_alive()
    finally:
        stop.set()
        worker.join(10)
    assert [r.epoch for r in results] == [1, 2, 3, 4, 5, 6]
    assert not trainer.paused.is_set()


def test_stop_while_paused():
    pause = threading.Event()
    pause.set()
    stop = threading.Event()
    trainer = Trainer(linear_graph(), dataset=id_dataset(), epochs=6)
    worker = threading.Thread(target=lambda: trainer.run(stop=stop, pause=pause))
    worker.start()
    assert trainer.paused.wait(10)
    stop.set()
    worker.join(10)
    assert not worker.is_alive() and trainer.epoch == 0


# ---- accuracy and prediction -----------------------------------------------------------------


def test_argmax_accuracy_for_several_classes():
    # Softmax regression on three blobs, samples as rows (softmax_ce reads the last axis).
    ds = make_dataset({"kind": "blobs", "n": 150, "centers": 3, "seed": 0, "sample_axis": 0})
    g = Graph()
    X = g.add_node("input", name="X")
    Y = g.add_node("input", name="Y")
    W = g.add_node("parameter", name="W", value=np.zeros((2, 3)))
    b = g.add_node("parameter", name="b", value=np.zeros((1, 3)))
    mm = g.add_node("matmul")
    g.connect(X.id, mm.id, 0)
    g.connect(W.id, mm.id, 1)
    z = g.add_node("add", name="Z")
    g.connect(mm.id, z.id, 0)
    g.connect(b.id, z.id, 1)
    L = g.add_node("softmax_ce", name="L")
    g.connect(z.id, L.id, 0)
    g.connect(Y.id, L.id, 1)
    trainer = Trainer(g, dataset=ds, lr=0.1, epochs=30)
    results = trainer.run()
    assert trainer.predict_title == "Z"
    assert results[0].train_loss == pytest.approx(math.log(3))  # zero weights: uniform
    assert results[-1].train_loss < 0.5
    p = by_name(g, trainer.parameters())
    predicted = np.argmax(ds.X_test @ p["W"] + p["b"], axis=1)
    assert results[-1].test_accuracy == pytest.approx(np.mean(predicted == ds.labels(ds.Y_test)))
    np.testing.assert_allclose(trainer.predict(ds.X_test), ds.X_test @ p["W"] + p["b"])


def test_logits_with_a_separate_probability_node(moons):
    # L = bce_logits(Z2, Y); the prediction is a sigmoid node the loss does not use.
    g = mlp_graph([2, 6, 1], hidden="tanh", output=None, loss="bce_logits", seed=4,
                  weight_init={"kind": "xavier"})
    prob = g.add_node("sigmoid", name="P")
    g.connect(g.find("Z2").id, prob.id, 0)
    auto = Trainer(g, dataset=moons, lr=0.5, epochs=1)
    assert auto.predict_title == "Z2" and auto.threshold == 0.0  # logits: split at 0
    trainer = Trainer(g, dataset=moons, optimizer="adam", lr=0.05, epochs=60, predict="P")
    assert trainer.threshold == 0.5  # a probability
    results = trainer.run()
    p = by_name(g, trainer.parameters())
    z2 = p["W2"] @ np.tanh(p["W1"] @ moons.X_test + p["b1"]) + p["b2"]
    assert results[-1].test_accuracy == pytest.approx(np.mean((z2 > 0) == (moons.Y_test > 0.5)))
    grid = np.array([[0.0, 1.0, -1.0], [0.5, -0.5, 0.0]])
    z = p["W2"] @ np.tanh(p["W1"] @ grid + p["b1"]) + p["b2"]
    np.testing.assert_allclose(trainer.predict(grid), 1 / (1 + np.exp(-z)))


def test_eval_every_controls_the_extra_metrics(moons):
    trainer = Trainer(mlp_graph([2, 3, 1], seed=0), dataset=moons, epochs=7, eval_every=3)
    results = trainer.run()
    measured = [r.epoch for r in results if r.test_loss is not None]
    assert measured == [3, 6, 7]  # and always the last epoch
    assert [r.epoch for r in results if r.train_accuracy is not None] == [3, 6, 7]
    assert [r.epoch for r in results if r.grad_norms] == [3, 6, 7]
    assert all(isinstance(r.train_loss, float) for r in results)
    assert results[-1].test_loss == pytest.approx(trainer.evaluate("test")[0])


# ---- examples of the issue -------------------------------------------------------------------


def test_sin_regression_and_ising_losses_fall():
    sin = make_dataset({"kind": "sin", "n": 100})
    g = mlp_graph([1, 8, 1], hidden="tanh", output=None, loss="mse", seed=1,
                  weight_init={"kind": "xavier"})
    results = Trainer(g, dataset=sin, optimizer="adam", lr=0.05, epochs=150).run()
    assert results[-1].train_loss < 0.1 * results[0].train_loss
    assert results[-1].train_accuracy is None
    ising = make_dataset({"kind": "ising", "seed": 0})
    g = mlp_graph([16, 8, 1], seed=0)
    results = Trainer(g, dataset=ising, lr=0.5, epochs=150, eval_every=50).run()
    assert results[-1].train_loss < 0.3 < results[0].train_loss
    assert results[-1].test_accuracy > 0.9


# ---- settings and the one-call API -----------------------------------------------------------


def test_settings_round_trip_through_json():
    s = TrainSettings(loss="L", predict="A2", dataset={"kind": "moons", "n": 100},
                      optimizer="adam", optimizer_options={"beta1": 0.8}, lr=0.01, epochs=5,
                      batch_size=10, l2=0.001, l2_params=["W1"], seed=3, eval_every=2)
    data = json.loads(json.dumps(s.to_dict()))
    assert TrainSettings.from_dict(data) == s
    assert TrainSettings.from_dict({}).to_dict()["inputs"] == {"X": "X", "Y": "Y"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"epoch": 3}, "unknown key 'epoch'"),
        ({"epochs": -1}, "'epochs' must be a whole number from 0 to 1,000,000"),
        ({"batch_size": 0}, "'batch_size' must be a whole number >= 1"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"lr": 0}, "lr must be > 0"),
        ({"optimizer": "adam", "optimizer_options": {"beta9": 1}}, "unknown option 'beta9'"),
        ({"dataset": {"kind": "moons", "noise": -1}}, "'noise' must be in"),
        ({"inputs": {"Z": "a"}}, "'inputs' has 'Z'"),
        ({"threshold": "half"}, "'threshold' must be a number"),
        ({"l2_params": "W1"}, "'l2_params' must be a list"),
        ([1], "training settings must be an object"),
    ],
)
def test_bad_settings_give_one_line_errors(data, message):
    with pytest.raises(TrainingError) as info:
        TrainSettings.from_dict(data)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_train_graph_report():
    graph = mlp_graph([2, 4, 1], seed=0)
    epochs_seen = []
    report = train_graph(graph, {"dataset": {"kind": "moons"}, "epochs": 25, "lr": 0.5},
                         progress=lambda r: epochs_seen.append(r.epoch))
    assert epochs_seen == list(range(1, 26))
    data = report.to_dict()
    assert set(data) == {"epochs", "final_loss", "loss_history", "train_accuracy",
                         "test_accuracy", "seconds"}
    assert data["epochs"] == 25 and len(data["loss_history"]) == 25
    assert data["loss_history"][-1] > data["final_loss"]  # measured after the last update
    assert data["seconds"] > 0 and 0 <= data["test_accuracy"] <= 1
    json.dumps(data)
    # final metrics by hand from the returned parameters
    ds = make_dataset({"kind": "moons"})
    p = by_name(graph, report.parameters)
    A2 = notebook_predict(p, ds.X_train)
    bce = -np.mean(ds.Y_train * np.log(A2) + (1 - ds.Y_train) * np.log(1 - A2))
    assert report.final_loss == pytest.approx(bce, rel=1e-12)
    assert report.train_accuracy == pytest.approx(np.mean((A2 > 0.5) == ds.Y_train))
    assert graph.find("W1").value is not report.parameters[graph.find("W1").id]


def test_train_graph_needs_nothing_but_settings_for_a_dataless_graph():
    g, w = scalar_graph([("pow", "f", 2.0)], 5.0)
    report = train_graph(g, {"epochs": 3, "lr": 0.1})
    assert report.parameters[w] == pytest.approx(5 * 0.8**3)
    assert report.final_loss == pytest.approx((5 * 0.8**3) ** 2)
    assert report.train_accuracy is None and report.test_accuracy is None


@pytest.mark.parametrize(
    ("edit", "kwargs", "message"),
    [
        (lambda g: g.rename(g.find("X").id, "inp"), {}, "the X node 'X' is not in the graph"),
        (lambda g: g.set_op(g.find("Y").id, "constant"), {}, "Y must be an input node"),
        (lambda g: None, {"loss": "Q"}, "the loss node 'Q' is not in the graph"),
        (lambda g: None, {"loss": "A2"}, "the loss A2 does not depend on Y"),
        (lambda g: g.set_value(g.find("W1").id, np.zeros((4, 3))), {},
         "shape mismatch in matmul"),
        (lambda g: g.disconnect(g.find("Z1").id, 1), {}, "input 'b' is not connected"),
    ],
)
def test_unusable_graphs_are_refused_with_one_line(moons, edit, kwargs, message):
    g = mlp_graph([2, 4, 1], seed=0)
    edit(g)
    with pytest.raises(TrainingError) as info:
        Trainer(g, dataset=moons, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_prediction_shaped_unlike_y_is_refused():
    three = make_dataset({"kind": "blobs", "centers": 3, "n": 60})
    with pytest.raises(TrainingError, match=r"the prediction A2 has shape \(1, 42\) but Y has "
                                            r"shape \(3, 42\)"):
        Trainer(mlp_graph([2, 4, 1]), dataset=three)
    with pytest.raises(TrainingError, match="l2_params: 'X' is not a parameter the loss uses"):
        Trainer(mlp_graph([2, 4, 3]), dataset=three, l2_params=["X"])


def test_a_loss_must_be_a_single_number():
    g, w = scalar_graph([("sin", "f")], np.array([1.0, 2.0]))
    with pytest.raises(TrainingError, match=r"^the loss f must be a single number; it has shape"):
        Trainer(g)


def test_a_graph_without_parameters_is_refused():
    g = Graph()
    x = g.add_node("input", name="x", value=2.0)
    f = g.add_node("sin", name="f")
    g.connect(x.id, f.id, 0)
    with pytest.raises(TrainingError, match="no parameter node feeds the loss f"):
        Trainer(g)


# ---- initializers ----------------------------------------------------------------------------


def test_initializers_by_hand():
    assert initialize("zeros", (2, 3)).tolist() == [[0.0] * 3] * 2
    assert initialize({"kind": "constant", "value": 0.5}, ()) == 0.5
    assert isinstance(initialize("zeros", ()), float)
    w = initialize({"kind": "normal", "scale": 0.01, "seed": 9}, (3, 2))
    np.testing.assert_array_equal(w, np.random.RandomState(9).randn(3, 2) * 0.01)
    # one generator, drawn in order (the notebook's W1 then W2 after np.random.seed(9))
    rng = make_rng(9)
    a = initialize("normal", (4, 2), rng)
    b = initialize("normal", (1, 4), rng)
    ref = np.random.RandomState(9)
    np.testing.assert_array_equal(a, ref.randn(4, 2) * 0.01)
    np.testing.assert_array_equal(b, ref.randn(1, 4) * 0.01)


def test_xavier_and_he_scales():
    # W of shape (out, in) = (300, 200): fan_in 200, fan_out 300.
    assert fans((300, 200)) == (200, 300)
    u = initialize({"kind": "xavier", "seed": 0}, (300, 200))
    bound = math.sqrt(6 / 500)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    assert u.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)  # uniform std = a / sqrt 3
    n = initialize({"kind": "xavier", "distribution": "normal", "seed": 0}, (300, 200))
    assert n.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)
    h = initialize({"kind": "he", "seed": 0}, (300, 200))
    assert h.std() == pytest.approx(math.sqrt(2 / 200), rel=0.02)
    hu = initialize({"kind": "he", "distribution": "uniform", "seed": 0}, (300, 200))
    assert np.abs(hu).max() <= math.sqrt(6 / 200)
    h_in = initialize({"kind": "he", "seed": 0, "fan_in": 50}, (300, 200))
    assert h_in.std() == pytest.approx(math.sqrt(2 / 50), rel=0.02)


def test_initial_values_follow_the_graph_order():
    g = mlp_graph([2, 4, 1])
    values = initial_values(g, {"W2": "he", "W1": {"kind": "normal", "scale": 0.01},
                                "b1": {"kind": "constant", "value": 0.1}}, seed=3)
    ref = np.random.RandomState(3)
    np.testing.assert_array_equal(values[g.find("W1").id], ref.randn(4, 2) * 0.01)
    np.testing.assert_array_equal(values[g.find("W2").id], ref.randn(1, 4) * math.sqrt(2 / 4))
    np.testing.assert_array_equal(values[g.find("b1").id], np.full((4, 1), 0.1))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("glorot", "unknown kind 'glorot'"),
        ({"kind": "normal", "std": 1}, "unknown key 'std'"),
        ({"kind": "normal", "scale": "big"}, "'scale' must be a number"),
        ({"kind": "xavier", "distribution": "cauchy"}, "'distribution' must be"),
        ({"kind": "he", "seed": -1}, "'seed' must be a whole number >= 0"),
        (3, "initializer must be a name or an object"),
    ],
)
def test_bad_initializers(spec, message):
    with pytest.raises(InitializerError) as info:
        validate_init(spec)
    assert message in str(info.value) and "\n" not in str(info.value)
