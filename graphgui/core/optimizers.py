"""Optimizers: SGD, momentum, RMSprop and Adam, with an optional L2 penalty.

Formulas (per parameter w with gradient g; PyTorch's conventions, step count t from 1):

- ``sgd``:      w <- w - lr * g
- ``momentum``: v <- mu * v + g;  w <- w - lr * v          (v starts at 0, so v_1 = g)
- ``rmsprop``:  s <- rho * s + (1 - rho) * g^2;  w <- w - lr * g / (sqrt(s) + eps)
- ``adam``:     m <- b1 * m + (1 - b1) * g;  v <- b2 * v + (1 - b2) * g^2;
                m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);
                w <- w - lr * m_hat / (sqrt(v_hat) + eps)

L2: with ``l2 > 0`` the gradient of each penalized parameter becomes ``g + l2 * w`` before the
rule above: the gradient of ``L + (l2 / 2) * ||w||^2``. The notebook's
``L + lambda / (2m) * (||W1||^2 + ||W2||^2)`` adds ``(lambda / m) * W``, so its lambda is
``l2 * m`` (m = the number of training samples); like the notebook, penalize the weights and
not the biases (``l2_ids``).

``step`` never modifies the arrays it is given (the engine may share them); it returns new
arrays, and its state (v, s, m) is never an array it was given.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from .messages import shown
from .values import Value


class OptimizerError(ValueError):
    """A bad optimizer name or setting; the message says why in one line."""


def _sqrt(x: Value) -> Value:
    return math.sqrt(x) if x.__class__ is float else np.sqrt(x)


class Optimizer:
    """Base class: keeps per-parameter state in dicts keyed by parameter id."""

    name = "sgd"
    title = "SGD"  # as the editor writes it
    defaults: dict[str, float] = {}

    def __init__(
        self, lr: float = 0.01, l2: float = 0.0, l2_ids: Collection[str] | None = None,
        **options: float,
    ) -> None:
        self.lr = _check_number("lr", lr, positive=True)
        self.l2 = _check_number("l2", l2)
        self.l2_ids = None if l2_ids is None else frozenset(l2_ids)
        unknown = set(options) - set(self.defaults)
        if unknown:
            allowed = ", ".join(sorted(self.defaults)) or "none"
            raise OptimizerError(
                f"{self.name}: unknown option {shown(sorted(unknown)[0])} (allowed: {allowed})"
            )
        self.options = {
            **self.defaults,
            **{k: _check_number(f"{self.name}: {k}", v) for k, v in options.items()},
        }
        for key, value in self.options.items():
            _check_option(self.name, key, value)
        self.t: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Forget all state (velocities, averages, step counts)."""
        self.t = {}

    def step(
        self, params: Mapping[str, Value], grads: Mapping[str, Value | None]
    ) -> dict[str, Value]:
        """New values for every parameter; one without a gradient (None) keeps its value."""
        update = self.update
        out: dict[str, Value] = {}
        for pid, w in params.items():
            g = grads.get(pid)
            out[pid] = w if g is None else update(pid, w, g)
        return out

    def update(self, pid: str, w: Value, g: Value) -> Value:
        """The new value of one parameter (``step`` for a single one; the Trainer's loop)."""
        if self.l2 and (self.l2_ids is None or pid in self.l2_ids):
            g = g + self.l2 * w
        return self._update(pid, w, g)

    def _update(self, pid: str, w: Value, g: Value) -> Value:
        return w - self.lr * g

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer": self.name, "lr": self.lr, "l2": self.l2, **self.options}


class SGD(Optimizer):
    name = "sgd"
    title = "SGD"

    def update(self, pid: str, w: Value, g: Value) -> Value:
        # The base class's update inlined: the common case, called per parameter and batch.
        if self.l2 and (self.l2_ids is None or pid in self.l2_ids):
            return w - self.lr * (g + self.l2 * w)
        return w - self.lr * g


class Momentum(Optimizer):
    name = "momentum"
    title = "Momentum"
    defaults = {"momentum": 0.9}

    def reset(self) -> None:
        super().reset()
        self.v: dict[str, Value] = {}

    def _update(self, pid: str, w: Value, g: Value) -> Value:
        v = self.v.get(pid)
        v = g * 1.0 if v is None else self.options["momentum"] * v + g  # never g itself
        self.v[pid] = v
        return w - self.lr * v


class RMSprop(Optimizer):
    name = "rmsprop"
    title = "RMSprop"
    defaults = {"rho": 0.99, "eps": 1e-8}

    def reset(self) -> None:
        super().reset()
        self.s: dict[str, Value] = {}

    def _update(self, pid: str, w: Value, g: Value) -> Value:
        rho = self.options["rho"]
        s = self.s.get(pid, 0.0)
        s = rho * s + (1.0 - rho) * (g * g)
        self.s[pid] = s
        return w - self.lr * g / (_sqrt(s) + self.options["eps"])


class Adam(Optimizer):
    name = "adam"
    title = "Adam"
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def reset(self) -> None:
        super().reset()
        self.m: dict[str, Value] = {}
        self.v: dict[str, Value] = {}

    def _update(self, pid: str, w: Value, g: Value) -> Value:
        b1 = self.options["beta1"]
        b2 = self.options["beta2"]
        t = self.t.get(pid, 0) + 1
        self.t[pid] = t
        m = b1 * self.m.get(pid, 0.0) + (1.0 - b1) * g
        v = b2 * self.v.get(pid, 0.0) + (1.0 - b2) * (g * g)
        self.m[pid] = m
        self.v[pid] = v
        m_hat = m / (1.0 - b1**t)
        v_hat = v / (1.0 - b2**t)
        return w - self.lr * m_hat / (_sqrt(v_hat) + self.options["eps"])


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam,
}


def make_optimizer(
    name: str, lr: float = 0.01, l2: float = 0.0, l2_ids: Collection[str] | None = None,
    **options: float,
) -> Optimizer:
    """An optimizer by name (sgd, momentum, rmsprop, adam); ``options`` as in the formulas."""
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise OptimizerError(f"unknown optimizer {shown(name)} (one of {', '.join(OPTIMIZERS)})")
    return cls(lr=lr, l2=l2, l2_ids=l2_ids, **options)


def _check_number(key: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        raise OptimizerError(f"{key} must be a finite number, got {shown(value)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise OptimizerError(f"{key} must be a finite number, got {shown(value)}")
    if value < 0 or (positive and value == 0):
        raise OptimizerError(f"{key} must be {'> 0' if positive else '>= 0'}, got {shown(value)}")
    return float(value)


def _check_option(name: str, key: str, value: float) -> None:
    if not math.isfinite(value):
        raise OptimizerError(f"{name}: {key} must be a finite number, got {value!r}")
    if key == "eps":
        ok = value > 0
    else:  # momentum, rho, beta1, beta2: averaging factors
        ok = 0 <= value < 1
    if not ok:
        rule = "> 0" if key == "eps" else "in [0, 1)"
        raise OptimizerError(f"{name}: {key} must be {rule}, got {value!r}")


__all__ = [
    "OPTIMIZERS", "SGD", "Adam", "Momentum", "Optimizer", "OptimizerError", "RMSprop",
    "make_optimizer",
]
