"""Datasets for training: the notebooks' generators, a CSV reader, split and standardization.

Layout. Arrays are 2-D. With ``sample_axis=1`` (the default, the notebook's convention)
``X`` is (features, m) and ``Y`` is (outputs, m): each *column* is a sample, so a layer is
``W @ X + b`` with ``W`` of shape (units, features) and ``b`` of shape (units, 1).
With ``sample_axis=0`` the arrays are transposed: ``X`` is (m, features), ``Y`` is (m, outputs),
each *row* is a sample, and a layer is ``X @ W + b``. Use ``sample_axis=0`` for more than two
classes with ``softmax_ce``, which reads the classes on the last axis.

Labels. A binary classification has ``Y`` with one output holding 0/1. More classes are
one-hot (one output per class). Regression targets are the numbers themselves.

scikit-learn is imported inside the functions that need it, so importing this module (and the
``graphgui eval`` command) stays fast.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .messages import did_you_mean, shown
from .paths import display_path, regular_file_problem
from .values import MAX_ELEMENTS


class DatasetError(ValueError):
    """A dataset spec or file that cannot be used; the message says why in one line."""


@dataclass
class Dataset:
    """Training and test arrays, laid out along ``sample_axis`` (see the module docstring)."""

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    kind: str
    feature_names: tuple[str, ...]
    n_classes: int  # 0 for regression
    is_classification: bool
    meta: dict[str, Any] = field(default_factory=dict)
    sample_axis: int = 1

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[self.sample_axis])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[self.sample_axis])

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1 - self.sample_axis])

    @property
    def n_outputs(self) -> int:
        return int(self.Y_train.shape[1 - self.sample_axis])

    def take(self, array: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The samples ``index`` of ``array`` (a copy), keeping the layout."""
        return np.take(array, index, axis=self.sample_axis)

    def labels(self, Y: np.ndarray) -> np.ndarray:
        """Integer class labels, one per sample, of a target array (classification only)."""
        if not self.is_classification:
            raise DatasetError(f"{self.kind} is a regression dataset; it has no class labels")
        if Y.shape[1 - self.sample_axis] == 1:
            return (np.take(Y, 0, axis=1 - self.sample_axis) > 0.5).astype(int)
        return np.argmax(Y, axis=1 - self.sample_axis)

    def samples_first(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(X_train, Y_train, X_test, Y_test) with one row per sample, whatever the layout."""
        arrays = (self.X_train, self.Y_train, self.X_test, self.Y_test)
        return tuple(a.T if self.sample_axis == 1 else a for a in arrays)  # type: ignore[return-value]


# ---- spec ------------------------------------------------------------------------------------

COMMON_KEYS = ("kind", "n", "seed", "test_size", "split_seed", "standardize", "sample_axis")
# Extra keys per kind, with their defaults. A spec with any other key is refused.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "moons": {"n": 200, "noise": 0.2},
    "circles": {"n": 200, "noise": 0.1, "factor": 0.5},
    "xor": {"n": 200, "noise": 0.0},
    "blobs": {"n": 200, "centers": 2, "n_features": 2, "cluster_std": 1.0, "one_hot": None},
    "sin": {"n": 100, "noise": 0.0, "x_min": -math.pi, "x_max": math.pi},
    "ising": {"n": 1000, "L": 4, "test_size": 0.2},
    "csv": {
        "path": None, "features": None, "label": -1, "header": "auto", "delimiter": ",",
        "task": "auto",
    },
}
COMMON_DEFAULTS: dict[str, Any] = {
    "seed": 42, "test_size": 0.3, "split_seed": 42, "standardize": False, "sample_axis": 1,
}
DATASET_KINDS = tuple(KIND_DEFAULTS)
MAX_SAMPLES = 1_000_000
MAX_CSV_BYTES = 50_000_000  # a CSV file larger than this is refused before it is read
MAX_CLASSES_AUTO = 20  # a CSV label column with more distinct integers is taken as regression


def dataset_defaults(kind: str) -> dict[str, Any]:
    """The full spec of ``kind`` with every default filled in (what a GUI form shows)."""
    if kind not in KIND_DEFAULTS:
        kinds = ", ".join(DATASET_KINDS)
        hint = did_you_mean(kind, DATASET_KINDS).removesuffix("?)")
        hint = f"{hint}?; one of {kinds})" if hint else f" (one of {kinds})"
        raise DatasetError(f"dataset spec: unknown kind {shown(kind)}{hint}")
    spec = {"kind": kind, **COMMON_DEFAULTS, **KIND_DEFAULTS[kind]}
    if kind == "ising":
        del spec["split_seed"]  # the notebook's split: the generator's own shuffle
    if kind == "csv":
        del spec["seed"]  # a file has no generator
    return spec


def make_dataset(spec: Mapping[str, Any]) -> Dataset:
    """A Dataset from a JSON-able spec such as ``{"kind": "moons", "n": 200, "noise": 0.2}``.

    Missing keys take the defaults of :func:`dataset_defaults`; unknown keys and bad values
    raise :class:`DatasetError` with a one-line reason.
    """
    full = validate_spec(spec)
    kind = full["kind"]
    if kind == "csv":
        X, y, names, n_classes, extra = _load_csv(full)
        is_cls = n_classes > 0
    elif kind == "ising":
        X, y = ising_configurations(full["L"], full["n"], full["seed"])
        names = tuple(f"s{i}" for i in range(X.shape[1]))
        n_classes, is_cls, extra = 2, True, {"classes": ["ordered", "disordered"]}
    else:
        X, y, n_classes = _GENERATORS[kind](full)
        is_cls = n_classes > 0
        names = ("x",) if kind == "sin" else tuple(f"x{i + 1}" for i in range(X.shape[1]))
        extra = {}
    if kind == "ising":
        X_tr, X_te, y_tr, y_te = _head_tail_split(X, y, full["test_size"])
    else:
        X_tr, X_te, y_tr, y_te = _split(X, y, full["test_size"], full["split_seed"])
    meta: dict[str, Any] = {"spec": dict(full), **extra}
    if full["standardize"]:
        mean = X_tr.mean(axis=0) if len(X_tr) else np.zeros(X.shape[1])
        std = X_tr.std(axis=0) if len(X_tr) else np.ones(X.shape[1])
        std = np.where(std > 0, std, 1.0)  # a constant feature stays constant, not nan
        X_tr = (X_tr - mean) / std
        X_te = (X_te - mean) / std
        meta["mean"] = mean.tolist()
        meta["std"] = std.tolist()
    one_hot = full.get("one_hot")
    if one_hot is None:
        one_hot = n_classes > 2
    Y_tr = _targets(y_tr, n_classes, one_hot)
    Y_te = _targets(y_te, n_classes, one_hot)
    axis = full["sample_axis"]
    if axis == 1:
        X_tr, Y_tr, X_te, Y_te = (np.ascontiguousarray(a.T) for a in (X_tr, Y_tr, X_te, Y_te))
    return Dataset(X_tr, Y_tr, X_te, Y_te, kind, tuple(names), n_classes, is_cls, meta, axis)


def validate_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with defaults filled in; raises DatasetError naming the first bad key."""
    if not isinstance(spec, Mapping):
        raise DatasetError(f"dataset spec must be an object, got {type(spec).__name__}")
    kind = spec.get("kind")
    if not isinstance(kind, str):
        raise DatasetError(f"dataset spec: 'kind' must be one of {', '.join(DATASET_KINDS)}")
    full = dataset_defaults(kind)
    for key in spec:
        if key not in full:
            if kind == "ising" and key == "split_seed":
                raise DatasetError(
                    "dataset spec: 'split_seed' does not apply to ising "
                    "(it keeps the notebook's split: the generator's shuffle, first part train)"
                )
            allowed = ", ".join(sorted(full))
            hint = did_you_mean(key, full)
            raise DatasetError(
                f"dataset spec: unknown key {shown(key)} in the data set{hint}" if hint else
                f"dataset spec: unknown key {shown(key)} for {kind} (allowed: {allowed})"
            )
    full.update(spec)
    if kind != "csv":
        full["n"] = _int(full, "n", 2, MAX_SAMPLES)
        full["seed"] = _seed(full, "seed")
    if "split_seed" in full:
        full["split_seed"] = _seed(full, "split_seed")
    full["test_size"] = _number(full, "test_size", 0.0, 1.0, high_open=True)
    full["standardize"] = _bool(full, "standardize")
    if full["sample_axis"] not in (0, 1) or isinstance(full["sample_axis"], bool):
        raise DatasetError(
            f"dataset spec: 'sample_axis' must be 0 or 1, got {shown(full['sample_axis'])}"
        )
    if "noise" in full:
        full["noise"] = _number(full, "noise", 0.0, math.inf)
    if kind == "circles":
        full["factor"] = _number(full, "factor", 0.0, 1.0, low_open=True, high_open=True)
    elif kind == "blobs":
        full["centers"] = _int(full, "centers", 2, 100)
        full["n_features"] = _int(full, "n_features", 1, 1000)
        full["cluster_std"] = _number(full, "cluster_std", 0.0, math.inf)
        if full["one_hot"] is not None:
            full["one_hot"] = _bool(full, "one_hot")
    elif kind == "sin":
        full["x_min"] = _number(full, "x_min", -math.inf, math.inf)
        full["x_max"] = _number(full, "x_max", -math.inf, math.inf)
        if not full["x_min"] < full["x_max"]:
            raise DatasetError("dataset spec: 'x_min' must be less than 'x_max'")
    elif kind == "ising":
        full["L"] = _int(full, "L", 1, 64)
        if full["n"] < 2:
            raise DatasetError("dataset spec: ising needs 'n' >= 2 (half ordered, half not)")
    elif kind == "csv":
        _check_csv_spec(full)
    if kind != "csv":  # X and one-hot Y together stay within the element limit of a value
        width = {"blobs": full.get("n_features", 2) + full.get("centers", 2),
                 "ising": full.get("L", 4) ** 2 + 1, "sin": 2}.get(kind, 3)
        if full["n"] * width > MAX_ELEMENTS:
            raise DatasetError(
                f"dataset spec: {full['n']:,} samples of {width} numbers each (inputs and "
                f"targets) are more than the limit of {MAX_ELEMENTS:,}; take fewer samples"
            )
    return full


def _where(key: str) -> str:
    return f"dataset spec: {key!r}"


def _number(
    spec: Mapping[str, Any], key: str, low: float, high: float,
    low_open: bool = False, high_open: bool = False,
) -> float:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise DatasetError(f"{_where(key)} must be a number, got {shown(value)}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise DatasetError(
            f"{_where(key)} must be in {lo}{low:g}, {high:g}{hi}, got {shown(value)}"
        )
    return float(value)


def _int(spec: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = spec[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DatasetError(f"{_where(key)} must be a whole number, got {shown(value)}")
    if not low <= value <= high:
        raise DatasetError(f"{_where(key)} must be between {low} and {high}, got {shown(value)}")
    return value


def _seed(spec: Mapping[str, Any], key: str) -> int | None:
    if spec[key] is None:
        return None
    return _int(spec, key, 0, 2**32 - 1)


def _bool(spec: Mapping[str, Any], key: str) -> bool:
    value = spec[key]
    if not isinstance(value, bool):
        raise DatasetError(f"{_where(key)} must be true or false, got {shown(value)}")
    return value


# ---- generators ------------------------------------------------------------------------------


def _moons(spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=spec["n"], noise=spec["noise"], random_state=spec["seed"])
    return X, y, 2


def _circles(spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=spec["n"], noise=spec["noise"], factor=spec["factor"], random_state=spec["seed"]
    )
    return X, y, 2


def _blobs(spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=spec["n"], centers=spec["centers"], n_features=spec["n_features"],
        cluster_std=spec["cluster_std"], random_state=spec["seed"],
    )
    return X, y, spec["centers"]


def _xor(spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    # Uniform points in [-1, 1]^2; the label is 1 where the two signs differ. Noise moves the
    # points after labelling, so noisy points may cross the axes.
    rng = np.random.default_rng(spec["seed"])
    X = rng.uniform(-1.0, 1.0, size=(spec["n"], 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int)
    if spec["noise"] > 0:
        X = X + rng.normal(0.0, spec["noise"], size=X.shape)
    return X, y, 2


def _sin(spec: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    # The notebook's exercise 4: X = np.linspace(-np.pi, np.pi, 100), y = np.sin(X).
    x = np.linspace(spec["x_min"], spec["x_max"], spec["n"])
    y = np.sin(x)
    if spec["noise"] > 0:
        y = y + np.random.default_rng(spec["seed"]).normal(0.0, spec["noise"], size=x.shape)
    return x.reshape(-1, 1), y, 0


_GENERATORS: dict[str, Callable[[Mapping[str, Any]], tuple[np.ndarray, np.ndarray, int]]] = {
    "moons": _moons, "circles": _circles, "blobs": _blobs, "xor": _xor, "sin": _sin,
}


def ising_configurations(L: int, n_samples: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's toy Ising data, shuffled: (X of shape (m, L*L), labels of shape (m,)).

    The same calls in the same order as the notebook's ``generate_ising_data`` followed by its
    ``np.random.permutation``, on a ``RandomState(seed)``: the result equals the notebook's after
    ``np.random.seed(seed)``. Label 0 is the ordered phase (spins +1 with probability 0.9),
    1 the disordered one (probability 0.5).
    """
    rs = np.random.RandomState(seed)
    X = []
    y = []
    for _ in range(n_samples // 2):
        X.append(rs.choice([-1, 1], size=(L, L), p=[0.1, 0.9]).flatten())
        y.append(0)
    for _ in range(n_samples // 2):
        X.append(rs.choice([-1, 1], size=(L, L), p=[0.5, 0.5]).flatten())
        y.append(1)
    X_arr = np.array(X)
    y_arr = np.array(y)
    permutation = rs.permutation(X_arr.shape[0])
    return X_arr[permutation].astype(float), y_arr[permutation]


# ---- split and targets -----------------------------------------------------------------------


def _n_test(m: int, test_size: float) -> int:
    return math.ceil(m * test_size)  # what train_test_split uses for a float test_size


def _split(
    X: np.ndarray, y: np.ndarray, test_size: float, seed: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if test_size == 0:
        return X, X[:0], y, y[:0]
    if _n_test(len(X), test_size) >= len(X):
        raise DatasetError(
            f"dataset spec: test_size {test_size:g} of {len(X)} samples leaves no training data"
        )
    from sklearn.model_selection import train_test_split

    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed)
    return X_tr, X_te, y_tr, y_te


def _head_tail_split(
    X: np.ndarray, y: np.ndarray, test_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # The notebook's Ising split: the data is already shuffled; the first part trains.
    n_train = len(X) - _n_test(len(X), test_size)
    if n_train <= 0:
        raise DatasetError(
            f"dataset spec: test_size {test_size:g} of {len(X)} samples leaves no training data"
        )
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def _targets(y: np.ndarray, n_classes: int, one_hot: bool) -> np.ndarray:
    """Samples-first targets: (m, 1) labels or values, or (m, k) one-hot."""
    if n_classes > 0 and one_hot:
        out = np.zeros((len(y), n_classes))
        out[np.arange(len(y)), y.astype(int)] = 1.0
        return out
    return np.asarray(y, dtype=float).reshape(-1, 1)


# ---- CSV -------------------------------------------------------------------------------------


def _check_csv_spec(spec: dict[str, Any]) -> None:
    path = spec["path"]
    if not isinstance(path, str) or not path:
        raise DatasetError("dataset spec: csv needs 'path', the file to read")
    if spec["header"] not in ("auto", True, False):
        raise DatasetError(
            f"dataset spec: 'header' must be \"auto\", true or false, got {shown(spec['header'])}"
        )
    if not isinstance(spec["delimiter"], str) or len(spec["delimiter"]) != 1:
        raise DatasetError(
            f"dataset spec: 'delimiter' must be one character, got {shown(spec['delimiter'])}"
        )
    if spec["task"] not in ("auto", "classification", "regression"):
        raise DatasetError(
            "dataset spec: 'task' must be \"auto\", \"classification\" or \"regression\", "
            f"got {shown(spec['task'])}"
        )
    label = spec["label"]
    if isinstance(label, bool) or not isinstance(label, (int, str)):
        raise DatasetError(
            f"dataset spec: 'label' must be a column name or index, got {shown(label)}"
        )
    features = spec["features"]
    if features is not None:
        if isinstance(features, (str, int)):
            features = [features]
        if not isinstance(features, Sequence) or not features or any(
            isinstance(f, bool) or not isinstance(f, (int, str)) for f in features
        ):
            raise DatasetError(
                "dataset spec: 'features' must be a list of column names or indices, "
                f"got {shown(spec['features'])}"
            )
        spec["features"] = list(features)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_csv(
    spec: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], int, dict[str, Any]]:
    path = spec["path"]
    name = display_path(os.path.basename(path))
    problem = regular_file_problem(path)
    if problem is None:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        if size > MAX_CSV_BYTES:
            problem = f"is larger than the limit of {MAX_CSV_BYTES:,} bytes"
    if problem is not None:
        raise DatasetError(f"{display_path(path)}: {problem}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=spec["delimiter"])
            rows = []
            for row in reader:
                if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#"):
                    rows.append((reader.line_num, [c.strip() for c in row]))
                    if len(rows) > MAX_SAMPLES + 1:  # a header and MAX_SAMPLES rows
                        raise DatasetError(f"{name}: more than {MAX_SAMPLES:,} rows")
    except DatasetError:
        raise
    except FileNotFoundError:
        raise DatasetError(f"{display_path(path)}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200]
        raise DatasetError(f"{display_path(path)}: cannot read the file ({reason})") from None
    if not rows:
        raise DatasetError(f"{name}: the file is empty")
    header = spec["header"]
    if header == "auto":
        header = not all(_is_number(c) for c in rows[0][1])
    width = len(rows[0][1])
    if header:
        names = rows[0][1]
        data = rows[1:]
        if not data:
            raise DatasetError(f"{name}: no data rows after the header")
    else:
        names = [f"col{i}" for i in range(width)]
        data = rows
    for line, row in data:
        if len(row) != width:
            raise DatasetError(f"{name}, line {line}: {len(row)} fields, expected {width}")
    label = _column(spec["label"], names, name, header)
    if spec["features"] is None:
        features = [i for i in range(width) if i != label]
    else:
        features = [_column(f, names, name, header) for f in spec["features"]]
    if label in features:
        raise DatasetError(f"{name}: column {names[label]!r} is both a feature and the label")
    if not features:
        raise DatasetError(f"{name}: no feature columns besides the label")
    if len(data) * len(features) > MAX_ELEMENTS:
        raise DatasetError(
            f"{name}: {len(data):,} rows of {len(features)} features are more than the limit "
            f"of {MAX_ELEMENTS:,} numbers"
        )
    X = np.empty((len(data), len(features)))
    for r, (line, row) in enumerate(data):
        for c, col in enumerate(features):
            X[r, c] = _cell(row[col], name, line, names[col])
    texts = [row[label] for _, row in data]
    task = spec["task"]
    numeric = all(_is_number(t) for t in texts)
    if not numeric and task != "classification":
        bad_line, bad = next((ln, row[label]) for ln, row in data if not _is_number(row[label]))
        raise DatasetError(
            f"{name}, line {bad_line}, column {names[label]!r}: {bad!r} is not a number "
            "(set task to \"classification\" for text labels)"
        )
    if numeric:
        values = np.array([_cell(row[label], name, ln, names[label]) for ln, row in data])
    if task == "auto":
        distinct = np.unique(values)
        whole = bool(np.all(values == np.round(values)))
        task = "classification" if whole and len(distinct) <= MAX_CLASSES_AUTO else "regression"
    extra: dict[str, Any] = {"path": path, "label_name": names[label]}
    if task == "regression":
        return X, values, tuple(names[c] for c in features), 0, extra
    if numeric:
        # Equal numbers written differently ("1" and "1.0") are one class.
        classes: list[Any] = sorted(set(values.tolist()))
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[v] for v in values.tolist()])
    else:
        classes = sorted(set(texts))
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[t] for t in texts])
    if len(classes) < 2:
        raise DatasetError(f"{name}: the label column {names[label]!r} holds a single class")
    extra["classes"] = classes
    n_classes = len(classes)
    return X, y, tuple(names[c] for c in features), n_classes, extra


def _column(ref: int | str, names: list[str], file: str, header: bool) -> int:
    if isinstance(ref, str):
        if ref in names:
            return names.index(ref)
        if not header:
            raise DatasetError(f"{file}: no column named {shown(ref)}: the file has no header row")
        raise DatasetError(f"{file}: no column named {shown(ref)} (columns: {', '.join(names)})")
    if not -len(names) <= ref < len(names):
        raise DatasetError(f"{file}: column index {ref} is out of range ({len(names)} columns)")
    return ref % len(names)


def _cell(text: str, file: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        shown = "an empty field" if text == "" else repr(text)
        where = f"{file}, line {line}, column {column!r}"
        raise DatasetError(f"{where}: {shown} is not a number") from None
    if not math.isfinite(value):
        raise DatasetError(f"{file}, line {line}, column {column!r}: {text!r} is not finite")
    return value


def generate(kind: str, **options: Any) -> Dataset:
    """``make_dataset({"kind": kind, **options})``, e.g. ``generate("moons", n=200)``."""
    return make_dataset({"kind": kind, **options})


__all__ = [
    "DATASET_KINDS", "Dataset", "DatasetError", "dataset_defaults", "generate",
    "ising_configurations", "make_dataset", "validate_spec",
]
