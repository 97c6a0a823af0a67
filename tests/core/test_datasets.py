"""Datasets: the notebook's points, shapes and labels per kind, split, standardization, CSV."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles, make_moons
from sklearn.model_selection import train_test_split

from graphgui.core.datasets import (
    DATASET_KINDS,
    DatasetError,
    dataset_defaults,
    generate,
    make_dataset,
)

# ---- the notebook's data ---------------------------------------------------------------------


def test_moons_are_the_notebooks_points():
    # The notebook: make_moons(200, noise=0.2, random_state=42), then
    # train_test_split(test_size=0.3, random_state=42), then X_train.T and y.reshape(1, -1).
    X, y = make_moons(n_samples=200, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    ds = make_dataset({"kind": "moons", "n": 200, "noise": 0.2, "seed": 42,
                       "test_size": 0.3, "split_seed": 42, "standardize": False})
    np.testing.assert_array_equal(ds.X_train, X_train.T)
    np.testing.assert_array_equal(ds.Y_train, y_train.reshape(1, -1))
    np.testing.assert_array_equal(ds.X_test, X_test.T)
    np.testing.assert_array_equal(ds.Y_test, y_test.reshape(1, -1))
    assert ds.X_train.shape == (2, 140) and ds.X_test.shape == (2, 60)
    assert (ds.kind, ds.n_classes, ds.is_classification) == ("moons", 2, True)
    assert ds.feature_names == ("x1", "x2")
    # The defaults are the notebook's.
    np.testing.assert_array_equal(make_dataset({"kind": "moons"}).X_train, X_train.T)


def notebook_ising(L, n_samples):
    """The notebook's generate_ising_data, shuffle and split, copied (global np.random)."""
    X = []
    y = []
    for _ in range(n_samples // 2):
        config = np.random.choice([-1, 1], size=(L, L), p=[0.1, 0.9])
        X.append(config.flatten())
        y.append(0)
    for _ in range(n_samples // 2):
        config = np.random.choice([-1, 1], size=(L, L), p=[0.5, 0.5])
        X.append(config.flatten())
        y.append(1)
    X_ising, y_ising = np.array(X), np.array(y).reshape(-1, 1)
    permutation = np.random.permutation(X_ising.shape[0])
    X_ising = X_ising[permutation, :]
    y_ising = y_ising[permutation, :]
    return (X_ising.T[:, :800], y_ising.T[:, :800], X_ising.T[:, 800:], y_ising.T[:, 800:])


def test_ising_reproduces_the_notebooks_generator_and_split():
    state = np.random.get_state()
    try:
        np.random.seed(7)
        X_tr, y_tr, X_te, y_te = notebook_ising(4, 1000)
    finally:
        np.random.set_state(state)
    ds = make_dataset({"kind": "ising", "seed": 7})
    np.testing.assert_array_equal(ds.X_train, X_tr)
    np.testing.assert_array_equal(ds.Y_train, y_tr)
    np.testing.assert_array_equal(ds.X_test, X_te)
    np.testing.assert_array_equal(ds.Y_test, y_te)
    assert ds.X_train.dtype == np.float64
    assert ds.feature_names[0] == "s0" and len(ds.feature_names) == 16
    # The phases differ as described: ordered configurations are mostly +1.
    labels = ds.labels(ds.Y_train)
    mean_spin = ds.X_train.mean(axis=0)
    assert mean_spin[labels == 0].mean() == pytest.approx(0.8, abs=0.05)
    assert mean_spin[labels == 1].mean() == pytest.approx(0.0, abs=0.05)


def test_ising_rejects_split_seed():
    with pytest.raises(DatasetError, match="'split_seed' does not apply to ising"):
        make_dataset({"kind": "ising", "split_seed": 1})


# ---- each kind -------------------------------------------------------------------------------


def test_circles_and_blobs_are_sklearns():
    ds = make_dataset({"kind": "circles", "n": 100, "noise": 0.05, "factor": 0.3, "seed": 1,
                       "test_size": 0.0})
    X, y = make_circles(n_samples=100, noise=0.05, factor=0.3, random_state=1)
    np.testing.assert_array_equal(ds.X_train, X.T)
    np.testing.assert_array_equal(ds.Y_train[0], y)
    assert ds.X_test.shape == (2, 0) and ds.n_test == 0

    ds = make_dataset({"kind": "blobs", "n": 90, "centers": 3, "seed": 3, "test_size": 0.0})
    X, y = make_blobs(n_samples=90, centers=3, n_features=2, cluster_std=1.0, random_state=3)
    np.testing.assert_array_equal(ds.X_train, X.T)
    # Three classes: one-hot, one row per class, exactly one 1 per column.
    assert ds.Y_train.shape == (3, 90)
    np.testing.assert_array_equal(ds.Y_train.sum(axis=0), np.ones(90))
    np.testing.assert_array_equal(np.argmax(ds.Y_train, axis=0), y)
    np.testing.assert_array_equal(ds.labels(ds.Y_train), y)
    assert ds.n_classes == 3 and ds.n_outputs == 3


def test_xor_labels_follow_the_signs():
    ds = make_dataset({"kind": "xor", "n": 400, "seed": 5, "test_size": 0.25})
    X = np.hstack([ds.X_train, ds.X_test])
    y = np.hstack([ds.Y_train, ds.Y_test])[0]
    expected = (X[0] > 0) != (X[1] > 0)
    np.testing.assert_array_equal(y, expected.astype(float))
    assert np.all(np.abs(X) <= 1.0)
    assert 0.35 < y.mean() < 0.65
    assert ds.n_train == 300 and ds.n_test == 100


def test_sin_is_the_exercise_curve():
    ds = make_dataset({"kind": "sin", "n": 100, "test_size": 0.0})
    x = np.linspace(-np.pi, np.pi, 100)
    np.testing.assert_array_equal(ds.X_train, x.reshape(1, -1))
    np.testing.assert_array_equal(ds.Y_train, np.sin(x).reshape(1, -1))
    assert (ds.is_classification, ds.n_classes) == (False, 0)
    with pytest.raises(DatasetError, match="regression"):
        ds.labels(ds.Y_train)
    noisy = make_dataset({"kind": "sin", "noise": 0.1, "seed": 1, "test_size": 0.0})
    residual = noisy.Y_train[0] - np.sin(noisy.X_train[0])
    assert 0.05 < residual.std() < 0.15


@pytest.mark.parametrize("kind", [k for k in DATASET_KINDS if k != "csv"])
def test_both_layouts_hold_the_same_samples(kind):
    cols = make_dataset({"kind": kind, "n": 60})
    rows = make_dataset({"kind": kind, "n": 60, "sample_axis": 0})
    assert rows.sample_axis == 0 and cols.sample_axis == 1
    for a, b in zip(cols.samples_first(), rows.samples_first(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(rows.X_train, cols.X_train.T)
    assert rows.n_train == cols.n_train == cols.X_train.shape[1]
    assert rows.n_features == cols.n_features
    index = np.array([2, 0])
    np.testing.assert_array_equal(rows.take(rows.X_train, index), cols.take(cols.X_train, index).T)


@pytest.mark.parametrize("kind", [k for k in DATASET_KINDS if k != "csv"])
def test_same_seed_same_data_other_seed_other_data(kind):
    spec = {"kind": kind, "n": 40, "seed": 1}
    if kind not in ("ising", "blobs"):
        spec["noise"] = 0.1
    a = make_dataset(spec)
    b = make_dataset(dict(a.meta["spec"]))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    if kind not in ("sin",):  # sin's x are a fixed grid; its noise uses the seed
        c = make_dataset({**a.meta["spec"], "seed": 2})
        assert not np.array_equal(a.X_train, c.X_train)


def test_standardize_uses_training_statistics_only():
    raw = make_dataset({"kind": "blobs", "n": 100, "seed": 0})
    std = make_dataset({"kind": "blobs", "n": 100, "seed": 0, "standardize": True})
    mean = raw.X_train.mean(axis=1, keepdims=True)
    sd = raw.X_train.std(axis=1, keepdims=True)
    np.testing.assert_allclose(std.X_train, (raw.X_train - mean) / sd)
    np.testing.assert_allclose(std.X_test, (raw.X_test - mean) / sd)
    np.testing.assert_allclose(std.X_train.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(std.X_train.std(axis=1), 1.0)
    assert std.meta["mean"] == pytest.approx(mean.ravel().tolist())


def test_defaults_and_generate():
    spec = dataset_defaults("moons")
    assert spec == {"kind": "moons", "n": 200, "noise": 0.2, "seed": 42, "test_size": 0.3,
                    "split_seed": 42, "standardize": False, "sample_axis": 1}
    np.testing.assert_array_equal(generate("moons").X_train, make_dataset(spec).X_train)


# ---- spec errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("moons", "dataset spec must be an object"),
        ({}, "'kind' must be one of moons, circles"),
        ({"kind": "spiral"}, "unknown kind 'spiral'"),
        ({"kind": "moons", "noize": 0.1}, "unknown key 'noize' in the data set (did you mean"),
        ({"kind": "moons", "noise": -1}, "'noise' must be in [0, inf], got -1"),
        ({"kind": "moons", "noise": "a"}, "'noise' must be a number, got 'a'"),
        ({"kind": "moons", "n": 1}, "'n' must be between 2 and"),
        ({"kind": "moons", "n": 2.5}, "'n' must be a whole number, got 2.5"),
        ({"kind": "moons", "test_size": 1.0}, "'test_size' must be in [0, 1), got 1.0"),
        ({"kind": "moons", "seed": -3}, "'seed' must be between 0 and"),
        ({"kind": "moons", "standardize": 1}, "'standardize' must be true or false"),
        ({"kind": "moons", "sample_axis": 2}, "'sample_axis' must be 0 or 1"),
        ({"kind": "circles", "factor": 1.0}, "'factor' must be in (0, 1)"),
        ({"kind": "blobs", "centers": 1}, "'centers' must be between 2 and 100"),
        ({"kind": "sin", "x_min": 2, "x_max": 1}, "'x_min' must be less than 'x_max'"),
        ({"kind": "moons", "n": 3, "test_size": 0.9}, "leaves no training data"),
        ({"kind": "csv"}, "csv needs 'path'"),
        ({"kind": "csv", "path": "a.csv", "header": "yes"}, "'header' must be"),
        ({"kind": "csv", "path": "a.csv", "features": []}, "'features' must be a list"),
        ({"kind": "csv", "path": "a.csv", "task": "ranking"}, "'task' must be"),
    ],
)
def test_bad_specs_give_one_line_errors(spec, message):
    with pytest.raises(DatasetError) as info:
        make_dataset(spec)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# ---- CSV -------------------------------------------------------------------------------------


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_with_header_and_columns_by_name(tmp_path):
    path = write(tmp_path, "a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,1\n10,11,12,0\n")
    ds = make_dataset({"kind": "csv", "path": path, "features": ["c", "a"], "label": "label",
                       "test_size": 0.0})
    np.testing.assert_array_equal(ds.X_train, [[3, 6, 9, 12], [1, 4, 7, 10]])
    np.testing.assert_array_equal(ds.Y_train, [[0, 1, 1, 0]])
    assert ds.feature_names == ("c", "a")
    assert (ds.is_classification, ds.n_classes) == (True, 2)


def test_csv_without_header_by_index_and_default_label(tmp_path):
    path = write(tmp_path, "# a comment\n0.5,1.5,2.25\n\n1.0,2.0,3.5\n")
    ds = make_dataset({"kind": "csv", "path": path, "test_size": 0.0})
    # No header: every row is data; label = last column; features = the rest.
    np.testing.assert_array_equal(ds.X_train, [[0.5, 1.0], [1.5, 2.0]])
    np.testing.assert_array_equal(ds.Y_train, [[2.25, 3.5]])
    assert ds.feature_names == ("col0", "col1")
    assert not ds.is_classification  # 2.25 is not a class label
    ds = make_dataset({"kind": "csv", "path": path, "features": [1], "label": 0,
                       "test_size": 0.0, "sample_axis": 0})
    np.testing.assert_array_equal(ds.X_train, [[1.5], [2.0]])


def test_csv_text_labels_become_classes(tmp_path):
    path = write(tmp_path, "x;species\n1;setosa\n2;virginica\n3;versicolor\n4;setosa\n")
    ds = make_dataset({"kind": "csv", "path": path, "delimiter": ";", "task": "classification",
                       "test_size": 0.0})
    assert ds.meta["classes"] == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(ds.labels(ds.Y_train), [0, 2, 1, 0])
    assert ds.Y_train.shape == (3, 4)  # three classes: one-hot


def test_csv_numeric_labels_map_to_class_indices(tmp_path):
    path = write(tmp_path, "x,y\n1,-1\n2,1.0\n3,1\n4,-1\n")
    ds = make_dataset({"kind": "csv", "path": path, "test_size": 0.0})
    assert ds.meta["classes"] == [-1.0, 1.0]
    np.testing.assert_array_equal(ds.Y_train, [[0, 1, 1, 0]])


def test_csv_split_and_standardize_like_the_generators(tmp_path):
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.normal(size=(50, 2)), rng.integers(0, 2, 50)])
    lines = [f"{float(a)!r},{float(b)!r},{int(c)}" for a, b, c in data]
    path = write(tmp_path, "p,q,y\n" + "\n".join(lines))
    ds = make_dataset({"kind": "csv", "path": path, "test_size": 0.2, "split_seed": 3})
    X_tr, X_te, y_tr, y_te = train_test_split(data[:, :2], data[:, 2], test_size=0.2,
                                              random_state=3)
    np.testing.assert_array_equal(ds.X_train, X_tr.T)
    np.testing.assert_array_equal(ds.Y_test, y_te.reshape(1, -1))
    ds = make_dataset({"kind": "csv", "path": path, "test_size": 0.2, "split_seed": 3,
                       "standardize": True})
    mean, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    np.testing.assert_allclose(ds.X_test, ((X_te - mean) / sd).T)


@pytest.mark.parametrize(
    ("text", "spec", "message"),
    [
        ("", {}, "data.csv: the file is empty"),
        ("\n\n  \n", {}, "data.csv: the file is empty"),
        ("a,b\n", {}, "data.csv: no data rows after the header"),
        ("a,b,y\n1,2,0\n3,x4,1\n", {}, "data.csv, line 3, column 'b': 'x4' is not a number"),
        ("a,b,y\n1,,0\n", {}, "data.csv, line 2, column 'b': an empty field is not a number"),
        ("a,b,y\n1,nan,0\n", {}, "data.csv, line 2, column 'b': 'nan' is not finite"),
        ("a,b,y\n1,2,0\n3,4\n", {}, "data.csv, line 3: 2 fields, expected 3"),
        ("a,b,y\n1,2,0\n", {"label": "z"}, "data.csv: no column named 'z' (columns: a, b, y)"),
        ("a,b,y\n1,2,0\n", {"features": ["a", "q"]}, "no column named 'q'"),
        ("a,b,y\n1,2,0\n", {"label": 5}, "data.csv: column index 5 is out of range (3 columns)"),
        ("1,2,0\n", {"label": "y"}, "no column named 'y': the file has no header row"),
        ("a,b,y\n1,2,0\n", {"features": ["y"]}, "column 'y' is both a feature and the label"),
        ("a,y\n1,cat\n2,dog\n", {}, "line 2, column 'y': 'cat' is not a number (set task"),
        ("a,y\n1,1\n2,1\n", {"task": "classification"}, "holds a single class"),
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path, text, spec, message):
    path = write(tmp_path, text)
    with pytest.raises(DatasetError) as info:
        make_dataset({"kind": "csv", "path": path, "test_size": 0.0, **spec})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_csv_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    with pytest.raises(DatasetError, match="nope.csv: no such file"):
        make_dataset({"kind": "csv", "path": path})


def test_importing_datasets_does_not_import_sklearn():
    import subprocess
    import sys

    code = ("import sys, graphgui.core.datasets, graphgui.core.train; "
            "print(any(m.startswith('sklearn') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_n_test_rounds_up_like_sklearn():
    ds = make_dataset({"kind": "xor", "n": 11, "test_size": 0.3})
    assert ds.n_test == math.ceil(11 * 0.3) == 4
