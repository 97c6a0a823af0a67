"""The bundled training examples: they load with their settings, train with falling loss, and
the notebook's moons network reaches the notebook's own numbers (checked against the
notebook's NumPy loop written out here, on scikit-learn's points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphgui.core.examples import (
    ExampleError,
    build_training_example,
    example_names,
    example_path,
    example_text,
    list_examples,
    list_training_examples,
    load_example,
    load_example_document,
    training_example_names,
)
from graphgui.core.train import Trainer, TrainSettings, train_graph

TRAINING_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples" / "training"
NAMES = training_example_names()


def test_catalogue_is_separate_from_the_worked_examples() -> None:
    assert len(list_examples()) == 8 and not set(example_names()) & set(NAMES)
    assert NAMES == [
        "moons_network", "moons_tanh", "moons_l2", "moons_sgd", "sin_regression",
        "ising_phases", "gradient_descent_x2", "vanishing_gradients",
    ]
    for info in list_training_examples():
        assert info.title and len(info.title) <= 60, info.name
        assert 40 <= len(info.description) <= 700, info.name
    on_disk = sorted(p.stem for p in TRAINING_DIR.glob("*.json"))
    assert on_disk == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_file_equals_what_the_build_script_writes_now(name: str) -> None:
    committed = (TRAINING_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == example_text(name), f"run python scripts/build_examples.py ({name})"
    assert Path(str(example_path(name))).resolve() == (TRAINING_DIR / f"{name}.json").resolve()


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_with_settings_and_trains_with_falling_loss(name: str) -> None:
    graph, settings = load_example_document(name)
    assert set(settings) == {"training", "initializer"}
    training = TrainSettings.from_dict(settings["training"])
    assert load_example(name).title == graph.title == build_training_example(name)[0].title
    positions = [n.pos for n in graph.nodes]
    assert len(set(positions)) == len(positions)
    if training.dataset is not None:
        # X and Y hold the training split, so the canvas shows the real shapes.
        trainer = Trainer.from_settings(graph, {**training.to_dict(), "epochs": 6})
        ds = trainer.dataset
        np.testing.assert_array_equal(graph.find("X").value, ds.X_train)
        np.testing.assert_array_equal(graph.find("Y").value, ds.Y_train)
    else:
        trainer = Trainer.from_settings(graph, {**training.to_dict(), "epochs": 6})
    results = trainer.run()
    losses = [r.train_loss for r in results]
    assert len(losses) == 6 and all(np.isfinite(losses))
    assert losses[-1] < losses[0], (name, losses)


def test_worked_examples_have_no_settings_and_unknown_names_are_refused() -> None:
    graph, settings = load_example_document("chain_rule")
    assert settings is None and graph.find("f") is not None
    with pytest.raises(ExampleError, match=r"no bundled example named 'nope' \(known: chain_rule"):
        load_example_document("nope")
    with pytest.raises(ExampleError, match="no bundled example"):
        example_path("../training/moons_network")


# ---- the notebook's moons network ------------------------------------------------------------


def _notebook_run(X, Y, W1, b1, W2, b2, epochs, lr):  # noqa: ANN001, ANN202
    """Notebook 001's SimpleNeuralNetwork.train, line by line."""
    def sigmoid(z):  # noqa: ANN001, ANN202
        return 1 / (1 + np.exp(-z))

    m = Y.shape[1]
    losses = []
    for _ in range(epochs):
        Z1 = W1 @ X + b1
        A1 = sigmoid(Z1)
        A2 = sigmoid(W2 @ A1 + b2)
        losses.append(-(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).mean())
        dZ2 = A2 - Y
        dW2 = dZ2 @ A1.T / m
        db2 = dZ2.sum(axis=1, keepdims=True) / m
        dZ1 = (W2.T @ dZ2) * sigmoid(Z1) * (1 - sigmoid(Z1))
        dW1 = dZ1 @ X.T / m
        db1 = dZ1.sum(axis=1, keepdims=True) / m
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return losses, (W1, b1, W2, b2)


def test_moons_example_is_the_notebooks_network_and_reaches_its_numbers() -> None:
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    graph, settings = load_example_document("moons_network")
    t = settings["training"]
    assert (t["optimizer"], t["lr"], t["epochs"], t["batch_size"], t["l2"]) == (
        "sgd", 0.1, 10_000, None, 0.0)
    assert settings["initializer"]["weights"] == {"kind": "normal", "scale": 0.01}
    ops = {n.name: n.op for n in graph.nodes}
    assert ops["A1"] == ops["A2"] == "sigmoid" and ops["L"] == "bce"
    # The notebook's data and (seeded) initial weights.
    X, y = make_moons(n_samples=200, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    np.testing.assert_array_equal(graph.find("X").value, X_train.T)
    np.testing.assert_array_equal(graph.find("Y").value, y_train.reshape(1, -1))
    np.random.seed(0)
    W1 = np.random.randn(4, 2) * 0.01
    W2 = np.random.randn(1, 4) * 0.01
    np.testing.assert_array_equal(graph.find("W1").value, W1)
    np.testing.assert_array_equal(graph.find("W2").value, W2)
    assert not graph.find("b1").value.any() and not graph.find("b2").value.any()

    report = train_graph(graph, t)
    losses, (V1, c1, V2, c2) = _notebook_run(
        X_train.T, y_train.reshape(1, -1), W1, np.zeros((4, 1)), W2, np.zeros((1, 1)),
        10_000, 0.1)
    np.testing.assert_allclose(report.loss_history[::1000], losses[::1000], rtol=1e-9)
    assert 0.31 < report.loss_history[-1] < 0.34  # the notebook's "about 0.32"
    A2 = 1 / (1 + np.exp(-(V2 @ (1 / (1 + np.exp(-(V1 @ X_test.T + c1)))) + c2)))
    notebook_accuracy = np.mean((A2 > 0.5).ravel() == y_test)
    assert report.test_accuracy == pytest.approx(notebook_accuracy)
    assert 0.80 <= report.test_accuracy <= 0.86  # the notebook's "about 83%"


# ---- the other examples' claims ---------------------------------------------------------------


def test_gradient_descent_on_x_squared_follows_x_times_0_8_per_step() -> None:
    graph, settings = load_example_document("gradient_descent_x2")
    trainer = Trainer.from_settings(graph, settings["training"])
    results = trainer.run()
    assert len(results) == 30
    x = 5.0
    for r in results:  # the loss is measured before each update: f = x^2
        assert r.train_loss == pytest.approx(x * x, rel=1e-12)
        x -= 0.1 * 2 * x
    (value,) = trainer.parameters().values()
    assert value == pytest.approx(5 * 0.8**30, rel=1e-12)


def test_tanh_variant_goes_further_than_sigmoid() -> None:
    graph, settings = load_example_document("moons_tanh")
    report = train_graph(graph, {**settings["training"], "eval_every": 0})
    assert report.final_loss < 0.1 and report.test_accuracy >= 0.9


def test_vanishing_gradients_example_shows_them_at_the_first_epoch() -> None:
    graph, settings = load_example_document("vanishing_gradients")
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": 1})
    (first,) = trainer.run()
    norms = first.grad_norms
    assert norms["W5s"] / norms["W1s"] > 100
    assert norms["W1r"] > norms["W5r"]
