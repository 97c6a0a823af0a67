"""Initial values for parameters: zeros, constant, normal * scale, Xavier/Glorot and He.

Fans follow the ``W @ x`` layout (the notebook's and PyTorch's ``Linear``): a weight of shape
(out, in) has ``fan_in = in = shape[1]`` and ``fan_out = out = shape[0]``. A vector of
length n has fan_in = fan_out = n. For the ``x @ W`` layout (in, out) give ``"fan_in"``
explicitly in the spec, or transpose: Xavier is symmetric in the two fans, He is not.

Random numbers come from a ``numpy.random.RandomState``, the generator behind the legacy
``np.random.*`` functions the notebook calls, so a seed reproduces the notebook exactly:
``np.random.seed(s); W1 = np.random.randn(4, 2) * 0.01; W2 = np.random.randn(1, 4) * 0.01``
equals initializing W1 then W2 with ``normal(scale=0.01)`` from one ``make_rng(s)``
(the notebook itself never seeds, so each of its runs starts elsewhere).

Specs are JSON-able: ``"zeros"``, ``{"kind": "normal", "scale": 0.01, "seed": 3}``,
``{"kind": "xavier", "distribution": "normal"}``. A ``seed`` in the spec gives that parameter
its own generator; without one the ``rng`` passed to :func:`initialize` is used (and advanced).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .values import Value

INITIALIZERS = ("zeros", "constant", "normal", "xavier", "he")
_KEYS: dict[str, dict[str, Any]] = {
    "zeros": {},
    "constant": {"value": 0.0},
    "normal": {"scale": 0.01, "mean": 0.0},
    "xavier": {"distribution": "uniform", "gain": 1.0},
    "he": {"distribution": "normal"},
}
_RANDOM = frozenset({"normal", "xavier", "he"})


class InitializerError(ValueError):
    """A bad initializer spec; the message says why in one line."""


Rng = np.random.RandomState | np.random.Generator


def make_rng(seed: int | None) -> np.random.RandomState:
    """The generator the initializers draw from (``np.random.seed``'s kind)."""
    return np.random.RandomState(seed)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` in the W @ x layout (see the module doc)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])  # 1 for matrices
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape: tuple[int, ...]) -> Value:
    return _as_value(np.zeros(shape))


def constant(shape: tuple[int, ...], value: float) -> Value:
    return _as_value(np.full(shape, float(value)))


def normal(shape: tuple[int, ...], rng: Rng, scale: float = 0.01, mean: float = 0.0) -> Value:
    """``mean + scale * randn(*shape)``: the notebook's ``np.random.randn(...) * 0.01``."""
    return _as_value(mean + _randn(rng, shape) * scale)


def xavier(
    shape: tuple[int, ...], rng: Rng, distribution: str = "uniform", gain: float = 1.0,
    fan_in: int | None = None, fan_out: int | None = None,
) -> Value:
    """Glorot & Bengio (2010). Uniform (the default, as PyTorch's ``xavier_uniform_``):
    U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); normal: N(0, s^2) with
    s = gain * sqrt(2 / (fan_in + fan_out))."""
    f_in, f_out = fans(shape)
    f_in = fan_in or f_in
    f_out = fan_out or f_out
    if distribution == "uniform":
        a = gain * math.sqrt(6.0 / (f_in + f_out))
        return _as_value(_uniform(rng, -a, a, shape))
    return _as_value(_randn(rng, shape) * (gain * math.sqrt(2.0 / (f_in + f_out))))


def he(
    shape: tuple[int, ...], rng: Rng, distribution: str = "normal", fan_in: int | None = None
) -> Value:
    """He et al. (2015), for ReLU layers. Normal (the default, as PyTorch's
    ``kaiming_normal_``): N(0, 2 / fan_in); uniform: U(-a, a) with a = sqrt(6 / fan_in)."""
    f_in = fan_in or fans(shape)[0]
    if distribution == "uniform":
        a = math.sqrt(6.0 / f_in)
        return _as_value(_uniform(rng, -a, a, shape))
    return _as_value(_randn(rng, shape) * math.sqrt(2.0 / f_in))


def validate_init(spec: Any) -> dict[str, Any]:
    """The spec as a full dict with defaults; raises InitializerError naming the bad key."""
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, Mapping):
        raise InitializerError(f"initializer must be a name or an object, got {spec!r}")
    kind = spec.get("kind")
    if kind not in _KEYS:
        raise InitializerError(
            f"initializer: unknown kind {kind!r} (one of {', '.join(INITIALIZERS)})"
        )
    allowed = {"kind", "seed", *(_KEYS[kind])}
    if kind in ("xavier", "he"):
        allowed |= {"fan_in", "fan_out"} if kind == "xavier" else {"fan_in"}
    full: dict[str, Any] = {"kind": kind, **_KEYS[kind]}
    for key, value in spec.items():
        if key not in allowed:
            raise InitializerError(
                f"initializer {kind}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
        full[key] = value
    for key in ("value", "scale", "mean", "gain"):
        if key in full:
            v = full[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InitializerError(f"initializer {kind}: {key!r} must be a number, got {v!r}")
            full[key] = float(v)
    if "distribution" in full and full["distribution"] not in ("uniform", "normal"):
        raise InitializerError(
            f"initializer {kind}: 'distribution' must be \"uniform\" or \"normal\", "
            f"got {full['distribution']!r}"
        )
    for key in ("seed", "fan_in", "fan_out"):
        v = full.get(key)
        low = 0 if key == "seed" else 1
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < low):
            raise InitializerError(
                f"initializer {kind}: {key!r} must be a whole number >= {low}, got {v!r}"
            )
    return full


def spec_for(kind: str, **values: Any) -> Any:
    """The spec of ``kind`` with those of ``values`` that the kind takes, e.g. a form's fields:
    ``spec_for("normal", scale=0.05)`` is ``{"kind": "normal", "scale": 0.05}``,
    ``spec_for("he", scale=0.05)`` is ``{"kind": "he"}``; ``"zeros"`` stays a name. Raises
    InitializerError for an unknown kind or a bad value."""
    if kind not in _KEYS:
        raise InitializerError(
            f"initializer: unknown kind {kind!r} (one of {', '.join(INITIALIZERS)})"
        )
    if kind == "zeros":
        return "zeros"
    spec = {"kind": kind, **{k: v for k, v in values.items() if k in _KEYS[kind]}}
    validate_init(spec)
    return spec


def initialize(spec: Any, shape: tuple[int, ...], rng: Rng | int | None = None) -> Value:
    """A new value of ``shape`` (``()`` gives a float) drawn as ``spec`` says.

    ``rng`` is a RandomState (advanced by the draw), a seed, or None (a fresh unseeded
    generator); a ``seed`` inside the spec wins over it.
    """
    full = validate_init(spec)
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise InitializerError(f"initializer: bad shape {shape}")
    kind = full["kind"]
    if kind == "zeros":
        return zeros(shape)
    if kind == "constant":
        return constant(shape, full["value"])
    if full.get("seed") is not None:
        gen: Rng = make_rng(full["seed"])
    elif rng is None or isinstance(rng, int):
        gen = make_rng(rng)
    else:
        gen = rng
    if kind == "normal":
        return normal(shape, gen, full["scale"], full["mean"])
    if kind == "xavier":
        return xavier(
            shape, gen, full["distribution"], full["gain"], full.get("fan_in"), full.get("fan_out")
        )
    return he(shape, gen, full["distribution"], full.get("fan_in"))


def _randn(rng: Rng, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(rng, np.random.RandomState):
        return np.asarray(rng.randn(*shape), dtype=float)
    return np.asarray(rng.standard_normal(shape), dtype=float)


def _uniform(rng: Rng, low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(rng.uniform(low, high, size=shape), dtype=float)


def _as_value(arr: np.ndarray) -> Value:
    return float(arr) if arr.ndim == 0 else arr


__all__ = [
    "INITIALIZERS", "InitializerError", "constant", "fans", "he", "initialize", "make_rng",
    "normal", "validate_init", "xavier", "zeros",
]
