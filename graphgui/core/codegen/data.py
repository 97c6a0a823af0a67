"""``load_data()`` for the exported training loop: the data set of the training settings,
made with the same calls as graphgui.core.datasets (so the arrays are equal, element for
element): scikit-learn's generators as in the notebooks, the notebooks' own NumPy code for
xor, sin and the Ising model, the same split and standardization. A CSV data set is
written out as arrays (its file may not travel with the code).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets import Dataset
from . import literals
from .literals import docstring

MAX_EMBEDDED = 200_000  # numbers of a CSV data set written into the code, at most
_SKLEARN = {"moons": "make_moons", "circles": "make_circles", "blobs": "make_blobs"}


class TooLarge(ValueError):
    """A CSV data set with more numbers than MAX_EMBEDDED."""


def _r(value: Any) -> str:
    """A spec's number as code (repr of an int, float or None)."""
    if isinstance(value, float):
        return literals.number(value)
    return repr(value)


def load_data_function(dataset: Dataset) -> str:
    spec = dataset.meta["spec"]
    kind = spec["kind"]
    if kind == "csv":
        return _embedded(dataset)
    layout = ("one column per sample, as the graph's X (features, m) and Y (outputs, m)"
              if dataset.sample_axis == 1 else
              "one row per sample, as the graph's X (m, features) and Y (m, outputs)")
    lines = ["def load_data():",
             *docstring(f"The training settings' data set: {_describe(spec)}, {layout}. "
                        "Returns X_train, Y_train, X_test, Y_test.")]
    body = _generate(spec) + _split(spec, dataset) + _standardize(spec)
    body += _targets(dataset)
    if dataset.sample_axis == 1:
        body.append("return X_train.T, Y_train.T, X_test.T, Y_test.T")
    else:
        body.append("return X_train, Y_train, X_test, Y_test")
    return "\n".join(lines + ["    " + line if line else "" for line in body]) + "\n"


def _describe(spec: dict[str, Any]) -> str:
    kind = spec["kind"]
    held = f"{spec['test_size']:.0%} held out for testing" if spec["test_size"] else \
        "no test split"
    return f"{spec['n']} {kind} samples, {held}"


def _generate(spec: dict[str, Any]) -> list[str]:
    kind, n, seed = spec["kind"], spec["n"], spec.get("seed")
    if kind in _SKLEARN:
        function = _SKLEARN[kind]
        args = {"moons": ("noise",), "circles": ("noise", "factor"),
                "blobs": ("centers", "n_features", "cluster_std")}[kind]
        options = "".join(f", {key}={_r(spec[key])}" for key in args)
        return [f"from sklearn.datasets import {function}", "",
                f"X, y = {function}(n_samples={n}{options}, random_state={_r(seed)})"]
    if kind == "xor":
        lines = [f"rng = np.random.default_rng({_r(seed)})",
                 f"X = rng.uniform(-1.0, 1.0, size=({n}, 2))",
                 "y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int)  # 1 where the signs differ"]
        if spec["noise"] > 0:
            lines.append(f"X = X + rng.normal(0.0, {_r(spec['noise'])}, size=X.shape)")
        return lines
    if kind == "sin":
        lines = [f"x = np.linspace({_r(spec['x_min'])}, {_r(spec['x_max'])}, {n})",
                 "y = np.sin(x)"]
        if spec["noise"] > 0:
            lines.append(f"y = y + np.random.default_rng({_r(seed)}).normal("
                         f"0.0, {_r(spec['noise'])}, size=x.shape)")
        return lines + ["X = x.reshape(-1, 1)"]
    assert kind == "ising", kind
    size = spec["L"]
    return [
        f"# {n // 2} ordered grids (spins +1 with probability 0.9, label 0), then {n // 2}",
        "# disordered ones (probability 0.5, label 1), shuffled: the notebook's generator",
        f"rs = np.random.RandomState({_r(seed)})",
        "X, y = [], []",
        f"for _ in range({n // 2}):",
        f"    X.append(rs.choice([-1, 1], size=({size}, {size}), p=[0.1, 0.9]).flatten())",
        "    y.append(0)",
        f"for _ in range({n // 2}):",
        f"    X.append(rs.choice([-1, 1], size=({size}, {size}), p=[0.5, 0.5]).flatten())",
        "    y.append(1)",
        "X, y = np.array(X), np.array(y)",
        "permutation = rs.permutation(X.shape[0])",
        "X, y = X[permutation].astype(float), y[permutation]",
    ]


def _split(spec: dict[str, Any], dataset: Dataset) -> list[str]:
    if spec["kind"] == "ising":
        n_train = dataset.n_train
        return [f"X_train, X_test = X[:{n_train}], X[{n_train}:]  # already shuffled",
                f"y_train, y_test = y[:{n_train}], y[{n_train}:]"]
    if not spec["test_size"]:
        return ["X_train, X_test, y_train, y_test = X, X[:0], y, y[:0]"]
    return ["", "from sklearn.model_selection import train_test_split", "",
            "X_train, X_test, y_train, y_test = train_test_split(",
            f"    X, y, test_size={_r(spec['test_size'])}, "
            f"random_state={_r(spec['split_seed'])})"]


def _standardize(spec: dict[str, Any]) -> list[str]:
    if not spec["standardize"]:
        return []
    return ["mean, std = X_train.mean(axis=0), X_train.std(axis=0)  # the training set's",
            "std = np.where(std > 0, std, 1.0)  # a constant feature stays constant",
            "X_train, X_test = (X_train - mean) / std, (X_test - mean) / std"]


def _targets(dataset: Dataset) -> list[str]:
    if dataset.n_classes > 0 and dataset.n_outputs > 1:
        k = dataset.n_classes
        return [f"Y_train = np.eye({k})[y_train.astype(int)]  # one-hot: one column per class",
                f"Y_test = np.eye({k})[y_test.astype(int)]"]
    return ["Y_train = y_train.reshape(-1, 1).astype(float)",
            "Y_test = y_test.reshape(-1, 1).astype(float)"]


def _embedded(dataset: Dataset) -> str:
    arrays = {"X_train": dataset.X_train, "Y_train": dataset.Y_train,
              "X_test": dataset.X_test, "Y_test": dataset.Y_test}
    if sum(a.size for a in arrays.values()) > MAX_EMBEDDED:
        raise TooLarge(f"the CSV data set holds more than {MAX_EMBEDDED:,} numbers")
    lines = ["def load_data():",
             *docstring("The training settings' data set, read from a CSV file when this "
                        "code was written (split and laid out as graphgui does). Returns "
                        "X_train, Y_train, X_test, Y_test.")]
    for name, array in arrays.items():
        if array.size:
            text = literals.value_text(array, "np.array", indent=4, column=4 + len(name) + 3)
        else:
            text = f"np.zeros({array.shape})"
        lines.append(f"    {name} = {text}")
    lines.append("    return X_train, Y_train, X_test, Y_test")
    return "\n".join(lines) + "\n"


def same_arrays(dataset: Dataset, arrays: tuple[np.ndarray, ...]) -> bool:
    """Whether ``arrays`` (what load_data() returned) equal the data set's, exactly."""
    mine = (dataset.X_train, dataset.Y_train, dataset.X_test, dataset.Y_test)
    return all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(mine, arrays,
                                                                          strict=True))
