"""Every registered op against central finite differences and an independent reference.

The gradient check is written here with NumPy (not with ``graphgui.core.gradcheck``): for an
op f, inputs xs and a random upstream gradient g of f's output shape, each vjp must equal the
finite-difference gradient of ``sum(g * f(xs))`` with respect to that input.

Ops are taken from the registry, so a newly registered op fails ``test_every_op_has_a_case``
until it gets a strategy in ``CASES`` (and a reference in ``REFERENCE``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graphgui.core.ops import (
    CATEGORIES,
    OpError,
    OpSpec,
    Param,
    all_ops,
    get_op,
    register,
    unregister,
)

OPS = [spec.name for spec in all_ops() if not spec.is_source]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# ---- input strategies ----------------------------------------------------------------------

S = None  # the "shape" of a Python float scalar


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def signed(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Magnitude in [lo, hi], either sign: keeps inputs away from kinks at 0."""
    return st.one_of(floats(-hi, -lo), floats(lo, hi))


GENERAL = floats(-3.0, 3.0)
POSITIVE = floats(0.1, 4.0)
AWAY_FROM_ZERO = signed(0.1, 3.0)


def value(shape: tuple[int, ...] | None, elements: st.SearchStrategy[float]) -> st.SearchStrategy:
    """A Python float (shape None) or a float64 array of ``shape``."""
    if shape is None:
        return elements
    return hnp.arrays(np.float64, shape, elements=elements)


SHAPES = [S, (3,), (2, 3)]
# Pairs for binary elementwise ops: equal shapes and every kind of broadcasting.
PAIRS = [
    (S, S), ((3,), (3,)), ((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3), S), (S, (2, 3)),
    ((3,), (2, 3)), ((2, 3), (3,)), ((2, 1), (2, 3)), ((1,), S),
]


def unary(elements: st.SearchStrategy[float], shapes=SHAPES, params=None) -> st.SearchStrategy:
    params = params if params is not None else st.just({})

    @st.composite
    def build(draw):
        shape = draw(st.sampled_from(shapes))
        return (draw(value(shape, elements)),), draw(params)

    return build()


def binary(a_elems, b_elems, pairs=PAIRS) -> st.SearchStrategy:
    @st.composite
    def build(draw):
        sa, sb = draw(st.sampled_from(pairs))
        return (draw(value(sa, a_elems)), draw(value(sb, b_elems))), {}

    return build()


@st.composite
def axis_case(draw, elements=GENERAL):
    """An input and an axis valid for it (None for a scalar)."""
    shape = draw(st.sampled_from([S, (4,), (2, 3), (2, 3, 2)]))
    ndim = 0 if shape is None else len(shape)
    axes = [None] + [a for a in range(-ndim, ndim)]
    return (draw(value(shape, elements)),), {"axis": draw(st.sampled_from(axes))}


@st.composite
def reshape_case(draw):
    shape, target = draw(st.sampled_from([
        (S, (1,)), (S, (1, 1)), (S, (-1,)), ((1,), ()), ((6,), (2, 3)), ((6,), (3, -1)),
        ((6,), (1, 6, 1)), ((2, 3), (-1,)), ((2, 3), (3, 2)), ((2, 3), (6, -1)),
        ((2, 3, 2), (4, -1)),
    ]))
    return (draw(value(shape, GENERAL)),), {"shape": target}


@st.composite
def transpose_case(draw):
    shape = draw(st.sampled_from([S, (3,), (2, 3), (2, 3, 4)]))
    return (draw(value(shape, GENERAL)),), {}


@st.composite
def matmul_case(draw):
    sa, sb = draw(st.sampled_from([
        ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((1, 1), (1, 1)),
        ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)), ((1, 2, 3), (5, 3, 4)),
    ]))
    return (draw(value(sa, GENERAL)), draw(value(sb, GENERAL))), {}


@st.composite
def bce_case(draw):
    sp, sy = draw(st.sampled_from(PAIRS))
    return (draw(value(sp, floats(0.05, 0.95))), draw(value(sy, floats(0.0, 1.0)))), {}


@st.composite
def bce_logits_case(draw):
    sz, sy = draw(st.sampled_from(PAIRS))
    return (draw(value(sz, floats(-4.0, 4.0))), draw(value(sy, floats(0.0, 1.0)))), {}


@st.composite
def hinge_case(draw):
    # Labels +-1 and |s| outside (0.8, 1.2): y * s stays away from the kink at 1, even after
    # broadcasting and finite-difference steps on either input.
    ss, sy = draw(st.sampled_from(PAIRS))
    s = draw(value(ss, st.one_of(signed(0.05, 0.8), signed(1.2, 3.0))))
    y = draw(value(sy, st.sampled_from([-1.0, 1.0])))
    return (s, y), {}


@st.composite
def softmax_ce_case(draw):
    sz, st_ = draw(st.sampled_from([
        ((3,), (3,)), ((2, 3), (2, 3)), ((4, 2), (4, 2)), ((2, 2, 3), (2, 2, 3)), ((2, 3), (3,)),
    ]))
    z = draw(value(sz, GENERAL))
    t = draw(value(st_, floats(0.05, 1.0)))
    t = t / t.sum(axis=-1, keepdims=True)  # target rows are probability distributions
    return (z, t), {}


def with_param(name: str, elements: st.SearchStrategy[float]) -> st.SearchStrategy:
    return st.builds(lambda v: {name: v}, elements)


CASES: dict[str, st.SearchStrategy] = {
    "add": binary(GENERAL, GENERAL),
    "sub": binary(GENERAL, GENERAL),
    "mul": binary(GENERAL, GENERAL),
    "div": binary(GENERAL, signed(0.3, 3.0)),
    "neg": unary(GENERAL),
    "pow": binary(floats(0.2, 3.0), floats(-2.0, 2.5)),
    "exp": unary(GENERAL),
    "log": unary(POSITIVE),
    "sqrt": unary(POSITIVE),
    "abs": unary(AWAY_FROM_ZERO),
    "sin": unary(GENERAL),
    "cos": unary(GENERAL),
    "sigmoid": unary(floats(-6.0, 6.0)),
    "tanh": unary(GENERAL),
    "relu": unary(AWAY_FROM_ZERO),
    "leaky_relu": unary(AWAY_FROM_ZERO, params=with_param("alpha", floats(0.0, 0.5))),
    "identity": unary(GENERAL),
    "heaviside": unary(AWAY_FROM_ZERO, params=with_param("at_zero", floats(0.0, 1.0))),
    "softmax": axis_case(),
    "softplus": unary(floats(-5.0, 5.0)),
    "matmul": matmul_case(),
    "transpose": transpose_case(),
    "sum": axis_case(),
    "mean": axis_case(),
    "reshape": reshape_case(),
    "mse": binary(GENERAL, GENERAL),
    "bce": bce_case(),
    "bce_logits": bce_logits_case(),
    "softmax_ce": softmax_ce_case(),
    "hinge": hinge_case(),
    "l2": unary(GENERAL, params=with_param("lam", floats(0.0, 2.0))),
}

# ---- independent references (NumPy formulas, not the ops' code) ---------------------------


def _ref_matmul(a, b):
    a, b = np.asarray(a), np.asarray(b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    out = np.sum(a2[..., :, :, None] * b2[..., None, :, :], axis=-2)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def _ref_softmax(x, axis):
    e = np.exp(np.asarray(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def _mean_broadcast(loss):
    return np.sum(loss) / np.size(loss)


def _ref_softmax_ce(z, t):
    z = np.asarray(z)
    p = np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    rows = z.size // z.shape[-1]
    return -np.sum(t * np.log(p)) / rows


def _sig(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


REFERENCE: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: np.add(a, b),
    "sub": lambda a, b: np.subtract(a, b),
    "mul": lambda a, b: np.multiply(a, b),
    "div": lambda a, b: np.divide(a, b),
    "neg": lambda x: np.negative(x),
    "pow": lambda a, b: np.exp(b * np.log(a)),
    "exp": lambda x: np.exp(x),
    "log": lambda x: np.log(x),
    "sqrt": lambda x: np.sqrt(x),
    "abs": lambda x: np.where(np.asarray(x) < 0, -np.asarray(x), x),
    "sin": lambda x: np.sin(x),
    "cos": lambda x: np.cos(x),
    "sigmoid": _sig,
    "tanh": lambda x: (np.exp(x) - np.exp(np.negative(x))) / (np.exp(x) + np.exp(np.negative(x))),
    "relu": lambda x: np.where(np.asarray(x) > 0, x, 0.0),
    "leaky_relu": lambda x, alpha: np.where(np.asarray(x) > 0, x, alpha * np.asarray(x)),
    "identity": lambda x: x,
    "heaviside": lambda x, at_zero: np.where(
        np.asarray(x) > 0, 1.0, np.where(np.asarray(x) == 0, at_zero, 0.0)
    ),
    "softmax": _ref_softmax,
    "softplus": lambda x: np.log(1.0 + np.exp(x)),
    "matmul": _ref_matmul,
    "transpose": lambda x: np.asarray(x).T,
    "sum": lambda x, axis: np.sum(x, axis=axis),
    "mean": lambda x, axis: np.mean(x, axis=axis),
    "reshape": lambda x, shape: np.reshape(x, shape),
    "mse": lambda p, t: _mean_broadcast((np.asarray(p) - t) ** 2),
    "bce": lambda p, y: _mean_broadcast(-(y * np.log(p) + (1 - np.asarray(y)) * np.log(1 - p))),
    "bce_logits": lambda z, y: _mean_broadcast(
        -(y * np.log(_sig(z)) + (1 - np.asarray(y)) * np.log(1 - _sig(z)))
    ),
    "softmax_ce": _ref_softmax_ce,
    "hinge": lambda s, y: _mean_broadcast(np.maximum(0.0, 1.0 - np.asarray(y) * s)),
    "l2": lambda w, lam: 0.5 * lam * np.sum(np.asarray(w) ** 2),
}

# ---- finite differences ----------------------------------------------------------------------

STEP = 1e-6


def numeric_vjp(spec: OpSpec, xs: tuple, params: dict, g: Any, k: int) -> Any:
    """Central differences of sum(g * f(xs)) with respect to input k."""

    def phi(x_k: Any) -> float:
        args = list(xs)
        args[k] = x_k
        return float(np.sum(np.asarray(g) * np.asarray(spec.forward(*args, **params))))

    x = xs[k]
    if isinstance(x, float):
        return (phi(x + STEP) - phi(x - STEP)) / (2 * STEP)
    result = np.empty_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += STEP
        minus[index] -= STEP
        result[index] = (phi(plus) - phi(minus)) / (2 * STEP)
    return result


def random_like(out: Any, draw) -> Any:
    """A random upstream gradient of ``out``'s shape (a Python float for a scalar output)."""
    if isinstance(out, float):
        return draw(floats(-2.0, 2.0))
    return draw(hnp.arrays(np.float64, np.shape(out), elements=floats(-2.0, 2.0)))


def assert_value_type(v: Any, what: str) -> None:
    """Graph values are Python floats or float64 arrays of at least one dimension."""
    if type(v) is float:
        return
    assert isinstance(v, np.ndarray), f"{what} is {type(v).__name__}, not float or ndarray"
    assert v.ndim >= 1, f"{what} is a 0-d array; scalars must be Python floats"
    assert v.dtype == np.float64, f"{what} has dtype {v.dtype}"


def copy_of(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


# ---- the property tests -----------------------------------------------------------------------


def test_every_op_has_a_case():
    missing = [name for name in OPS if name not in CASES or name not in REFERENCE]
    assert not missing, f"ops without a strategy or reference in test_ops.py: {missing}"


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    if name not in CASES:
        pytest.fail(f"op {name!r} has no input strategy in CASES")
    spec = get_op(name)
    xs, params = data.draw(CASES[name], label="inputs")
    params = spec.check_params(params)
    out = spec.forward(*xs, **params)
    assert_value_type(out, f"{name} output")
    g = random_like(out, data.draw)
    for k, vjp in enumerate(spec.vjps):
        grad = vjp(g, out, *xs, **params)
        port = spec.inputs[k]
        if isinstance(xs[k], float):
            assert type(grad) is float, f"d{name}/d{port} of a float is {type(grad).__name__}"
        else:
            assert isinstance(grad, np.ndarray), f"d{name}/d{port} is {type(grad).__name__}"
            assert grad.shape == xs[k].shape, f"d{name}/d{port}: {grad.shape} vs {xs[k].shape}"
            assert grad.dtype == np.float64
        expected = numeric_vjp(spec, xs, params, g, k)
        np.testing.assert_allclose(
            grad, expected, rtol=1e-5, atol=1e-6, err_msg=f"d{name}/d{port}"
        )


def numeric_jvp(spec: OpSpec, xs: tuple, params: dict, t: Any, k: int) -> Any:
    """Central differences of f along input k's tangent t: (f(x + h t) - f(x - h t)) / 2h."""
    plus, minus = list(xs), list(xs)
    plus[k] = xs[k] + STEP * t
    minus[k] = xs[k] - STEP * t
    difference = np.asarray(spec.forward(*plus, **params)) - spec.forward(*minus, **params)
    return difference / (2 * STEP)


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(data=st.data())
def test_tangent_matches_finite_differences(name, data):
    """Forward mode: each jvp, on a random tangent of its input, equals the directional
    derivative; and it is the vjp's transpose, <g, jvp(t)> = <vjp(g), t>."""
    spec = get_op(name)
    xs, params = data.draw(CASES[name], label="inputs")
    params = spec.check_params(params)
    out = spec.forward(*xs, **params)
    g = random_like(out, data.draw)
    for k, jvp in enumerate(spec.jvps):
        port = spec.inputs[k]
        t = random_like(xs[k], data.draw)
        tangent = jvp(t, out, *xs, **params)
        if isinstance(out, float):
            assert type(tangent) is float, f"{name} tangent via {port} is {type(tangent)}"
        else:  # an input smaller than the result may give a part that broadcasts to it
            assert np.broadcast_shapes(np.shape(tangent), out.shape) == out.shape
        expected = numeric_jvp(spec, xs, params, t, k)
        np.testing.assert_allclose(
            np.broadcast_to(tangent, np.shape(out)), expected, rtol=1e-5, atol=1e-6,
            err_msg=f"tangent of {name} via {port}",
        )
        pullback = spec.vjps[k](g, out, *xs, **params)
        np.testing.assert_allclose(
            np.sum(np.asarray(g) * tangent), np.sum(pullback * np.asarray(t)),
            rtol=1e-9, atol=1e-9, err_msg=f"{name}: jvp via {port} is not the vjp's transpose",
        )


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(data=st.data())
def test_forward_matches_reference(name, data):
    if name not in REFERENCE:
        pytest.fail(f"op {name!r} has no reference formula in REFERENCE")
    spec = get_op(name)
    xs, params = data.draw(CASES[name], label="inputs")
    params = spec.check_params(params)
    out = spec.forward(*xs, **params)
    expected = REFERENCE[name](*xs, **params)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", OPS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_ops_never_modify_their_inputs(name, data):
    # The engine aliases arrays (identity returns its input; a gradient can be another
    # rule's result), so an in-place write would corrupt other nodes' values.
    spec = get_op(name)
    xs, params = data.draw(CASES[name], label="inputs")
    params = spec.check_params(params)
    before = [copy_of(x) for x in xs]
    out = spec.forward(*xs, **params)
    out_before = copy_of(out)
    g = random_like(out, data.draw)
    g_before = copy_of(g)
    for vjp in spec.vjps:
        vjp(g, out, *xs, **params)
    for k, jvp in enumerate(spec.jvps):
        t = random_like(xs[k], data.draw)
        t_before = copy_of(t)
        jvp(t, out, *xs, **params)
        np.testing.assert_array_equal(t, t_before)
    for x, b in zip(xs, before, strict=True):
        np.testing.assert_array_equal(x, b)
    np.testing.assert_array_equal(out, out_before)
    np.testing.assert_array_equal(g, g_before)


# ---- forward values at the edges (hand values) ------------------------------------------------


def fwd(name: str, *xs: Any, **params: Any) -> Any:
    spec = get_op(name)
    return spec.forward(*xs, **spec.check_params(params))


def grad(name: str, x: Any, g: Any = 1.0, **params: Any) -> Any:
    spec = get_op(name)
    params = spec.check_params(params)
    return spec.vjps[0](g, spec.forward(x, **params), x, **params)


def test_sigmoid_values():
    assert fwd("sigmoid", 0.0) == 0.5
    assert fwd("sigmoid", 1000.0) == 1.0
    assert fwd("sigmoid", -1000.0) == 0.0
    with np.errstate(over="ignore"):
        arr = fwd("sigmoid", np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(arr, [0.0, 0.5, 1.0])
    assert fwd("sigmoid", 2.0) == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-15)


def test_softplus_is_stable_for_large_inputs():
    assert fwd("softplus", 0.0) == pytest.approx(math.log(2.0), rel=1e-15)
    assert fwd("softplus", 1000.0) == 1000.0
    assert fwd("softplus", -1000.0) == 0.0
    np.testing.assert_allclose(fwd("softplus", np.array([1000.0, -1000.0, 0.0])),
                               [1000.0, 0.0, math.log(2.0)])
    assert grad("softplus", 1000.0) == 1.0


def test_bce_with_certain_probabilities_stays_finite():
    # log is clamped at -100 as in PyTorch: a confident wrong answer costs 100, not inf.
    assert fwd("bce", 0.0, 0.0) == 0.0
    assert fwd("bce", 1.0, 1.0) == 0.0
    assert fwd("bce", 0.0, 1.0) == 100.0
    assert fwd("bce", 1.0, 0.0) == 100.0
    assert fwd("bce", np.array([0.0, 1.0]), np.array([1.0, 1.0])) == 50.0
    spec = get_op("bce")
    for p, y in ((0.0, 1.0), (1.0, 0.0), (0.0, 0.0)):
        out = spec.forward(p, y)
        for rule in spec.vjps:
            assert math.isfinite(rule(1.0, out, p, y))


def test_bce_logits_is_finite_for_huge_logits():
    # By hand: z = 1000, y = 0 costs 1000; z = -1000, y = 1 costs 1000; right answers cost 0.
    assert fwd("bce_logits", 1000.0, 0.0) == 1000.0
    assert fwd("bce_logits", -1000.0, 1.0) == 1000.0
    assert fwd("bce_logits", 1000.0, 1.0) == 0.0
    assert fwd("bce_logits", np.array([1000.0, -1000.0]), np.array([0.0, 0.0])) == 500.0
    spec = get_op("bce_logits")
    out = spec.forward(1000.0, 0.0)
    assert spec.vjps[0](1.0, out, 1000.0, 0.0) == 1.0
    assert spec.vjps[0](1.0, out, -1000.0, 0.0) == 0.0


def test_softmax_rows_sum_to_one_with_big_inputs():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    out = fwd("softmax", x)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-15)
    e = np.exp([-2.0, -1.0, 0.0])
    np.testing.assert_allclose(out[0], e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(fwd("softmax", x, axis=0).sum(axis=0), [1.0, 1.0, 1.0])
    assert fwd("softmax", 5.0) == 1.0
    assert grad("softmax", 5.0) == 0.0


def test_softmax_ce_with_big_logits_is_finite():
    z = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    t = np.array([[1.0, 0.0], [1.0, 0.0]])
    # Row 1 is right (loss 0), row 2 wrong by 1000: mean over rows 500.
    assert fwd("softmax_ce", z, t) == pytest.approx(500.0)


def test_kinks_follow_pytorch_conventions():
    assert grad("relu", 0.0) == 0.0
    np.testing.assert_array_equal(grad("relu", np.array([0.0, 2.0, -2.0])), [0.0, 1.0, 0.0])
    assert grad("abs", 0.0) == 0.0
    np.testing.assert_array_equal(grad("abs", np.array([0.0, 2.0, -2.0])), [0.0, 1.0, -1.0])
    assert grad("leaky_relu", 0.0, alpha=0.2) == 0.2
    assert grad("leaky_relu", 0.0) == 0.01  # the default alpha
    np.testing.assert_array_equal(
        grad("leaky_relu", np.array([0.0, 3.0]), alpha=0.2), [0.2, 1.0]
    )
    assert fwd("leaky_relu", -2.0, alpha=0.2) == pytest.approx(-0.4)
    assert fwd("relu", -0.0) == 0.0


def test_heaviside_value_at_zero_and_zero_derivative():
    assert fwd("heaviside", 0.0) == 1.0  # default at_zero
    assert fwd("heaviside", 0.0, at_zero=0.5) == 0.5
    assert fwd("heaviside", -3.0) == 0.0
    assert fwd("heaviside", 3.0) == 1.0
    np.testing.assert_array_equal(
        fwd("heaviside", np.array([-1.0, 0.0, 1.0]), at_zero=0.25), [0.0, 0.25, 1.0]
    )
    for x in (0.0, -3.0, 3.0):
        assert grad("heaviside", x, g=2.5) == 0.0
    np.testing.assert_array_equal(grad("heaviside", np.array([0.0, 1.0]), g=np.ones(2)), [0, 0])
    assert get_op("step") is get_op("heaviside")


def test_scalar_edge_values_are_ieee_not_exceptions():
    assert fwd("log", 0.0) == -math.inf
    assert math.isnan(fwd("log", -1.0))
    assert math.isnan(fwd("sqrt", -1.0))
    assert fwd("exp", 1000.0) == math.inf
    assert fwd("div", 1.0, 0.0) == math.inf
    assert fwd("div", -1.0, 0.0) == -math.inf
    assert math.isnan(fwd("div", 0.0, 0.0))
    assert math.isnan(fwd("pow", -8.0, 1.0 / 3.0))
    assert fwd("pow", 0.0, -1.0) == math.inf
    assert fwd("pow", -2.0, 3.0) == -8.0


def test_pow_exponent_gradient_at_zero_base_is_zero():
    # d(a^b)/db = a^b ln a -> 0 as a -> 0 for b > 0 (the PyTorch convention).
    spec = get_op("pow")
    assert spec.vjps[1](1.0, 0.0, 0.0, 2.0) == 0.0
    np.testing.assert_array_equal(
        spec.vjps[1](np.ones(2), np.array([0.0, 4.0]), np.array([0.0, 2.0]), np.array([2.0, 2.0])),
        [0.0, 4.0 * math.log(2.0)],
    )


def test_losses_average_over_the_broadcast_shape():
    # pred (3,1) against target (1,4) compares 12 pairs; the loss is the mean over all 12.
    p = np.array([[0.2], [0.5], [0.7]])
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    diff = p - y
    assert fwd("mse", p, y) == pytest.approx(float(np.sum(diff**2) / 12))
    spec = get_op("mse")
    out = spec.forward(p, y)
    np.testing.assert_allclose(spec.vjps[0](1.0, out, p, y), np.sum(2 * diff / 12, axis=1,
                                                                    keepdims=True))


def test_matmul_refuses_scalars_with_a_clear_message():
    with pytest.raises(ValueError, match="matmul needs arrays"):
        fwd("matmul", 2.0, np.ones(2))


def test_reshape_refuses_an_impossible_shape():
    with pytest.raises(ValueError):
        fwd("reshape", np.ones(6), shape=(4, -1))


def test_sum_axis_out_of_range_names_the_axis_and_shape():
    with pytest.raises(ValueError, match=r"axis 2 is out of range for shape \(2, 3\)"):
        fwd("sum", np.ones((2, 3)), axis=2)


# ---- the registry contract --------------------------------------------------------------------


@pytest.mark.parametrize("spec", all_ops(), ids=lambda s: s.name)
def test_every_op_is_fully_declared(spec):
    assert spec.category in CATEGORIES
    assert spec.label.strip(), "no label"
    assert spec.doc.strip(), "no doc"
    assert spec.formula.strip(), "no formula text"
    assert len(spec.derivatives) == spec.arity
    assert all(d.strip() for d in spec.derivatives), "an empty derivative text"
    assert len(spec.inputs) == len(set(spec.inputs)), "duplicate port names"
    if spec.is_source:
        assert spec.arity == 0
    else:
        assert callable(spec.forward)
        assert len(spec.vjps) == spec.arity and all(callable(r) for r in spec.vjps)
        assert len(spec.jvps) == spec.arity and all(callable(r) for r in spec.jvps)
        assert callable(spec.vjp_graph)
    for alias in spec.aliases:
        assert get_op(alias) is spec
    for p in spec.params:
        assert p.coerce(p.default) == p.default, f"default of {p.name} is not canonical"
    assert spec.tooltip().startswith(f"{spec.name}: ")


def test_all_ops_lists_every_category_in_order():
    cats = [s.category for s in all_ops()]
    assert cats == sorted(cats, key=CATEGORIES.index)
    assert {s.name for s in all_ops() if s.is_source} == {"input", "constant", "parameter"}
    assert get_op("linear") is get_op("identity")


def _throwaway(**overrides: Any) -> OpSpec:
    fields = dict(
        name="test_throwaway", category="Arithmetic", label="t", doc="test op",
        inputs=("a", "b"), forward=lambda a, b: a + b,
        vjps=(lambda g, out, a, b: g, lambda g, out, a, b: g),
        jvps=(lambda t, out, a, b: t, lambda t, out, a, b: t),
        tangent_formulas=("tangent", "tangent"),
        vjp_graph=lambda b, g, out, inputs, params, needs: (g, g),
        numpy_code="{a} + {b}", numpy_grads=("{g}", "{g}"), torch_code="{a} + {b}",
        formula="a + b", derivatives=("1", "1"),
    )
    fields.update(overrides)
    return OpSpec(**fields)


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"vjps": (lambda g, out, a, b: g,)}, "1 gradient rules for 2 inputs"),
        ({"vjps": ()}, "0 gradient rules for 2 inputs"),
        ({"jvps": (lambda t, out, a, b: t,)}, "1 tangent rules for 2 inputs"),
        ({"tangent_formulas": ("tangent",)}, "1 tangent formulas for 2 inputs"),
        ({"vjp_graph": None}, "no gradient-graph rule"),
        ({"numpy_code": ""}, "no NumPy code template"),
        ({"numpy_grads": ("{g}",)}, "1 NumPy gradient templates for 2 inputs"),
        ({"torch_code": ""}, "no PyTorch code template"),
        ({"numpy_code": "{a} + {c}"}, r"numpy_code: unknown placeholder \{c\}"),
        ({"numpy_grads": ("{g}", "{@a,b}")}, "is for torch_code only"),
        ({"numpy_helpers": ("x = 1",)}, "must be function definitions"),
        ({"forward": None}, "no forward function"),
        ({"derivatives": ("1",)}, "1 derivative formulas for 2 inputs"),
        ({"category": "Misc"}, "category 'Misc'"),
        ({"name": "add"}, "name already registered"),
        ({"name": "linear"}, "name already registered"),
    ],
)
def test_incomplete_declarations_fail_at_register_time(overrides, reason):
    spec = _throwaway(**overrides)
    with pytest.raises(OpError, match=reason):
        register(spec)
    if spec.name == "test_throwaway":
        with pytest.raises(OpError, match="unknown op"):
            get_op("test_throwaway")


def test_register_and_unregister_a_complete_op():
    spec = register(_throwaway(aliases=("test_alias",)))
    try:
        assert get_op("test_throwaway") is spec
        assert get_op("test_alias") is spec
    finally:
        unregister("test_throwaway")
    with pytest.raises(OpError):
        get_op("test_alias")


@pytest.mark.parametrize(
    "param, value, expected",
    [
        (Param("a", "float", 0.0), 2, 2.0),
        (Param("a", "axis", None), None, None),
        (Param("a", "axis", None), -1, -1),
        (Param("a", "shape", (-1,)), [2, -1], (2, -1)),
    ],
)
def test_param_coerce_accepts(param, value, expected):
    assert param.coerce(value) == expected


@pytest.mark.parametrize(
    "param, value",
    [
        (Param("a", "float", 0.0), "x"),
        (Param("a", "float", 0.0), True),
        (Param("a", "axis", None), 1.5),
        (Param("a", "axis", None), 99),
        (Param("a", "shape", (-1,)), [-1, -1]),
        (Param("a", "shape", (-1,)), [2, -3]),
        (Param("a", "shape", (-1,)), 3),
    ],
)
def test_param_coerce_refuses(param, value):
    with pytest.raises(OpError, match="parameter 'a'"):
        param.coerce(value)


def test_unknown_parameter_is_refused():
    with pytest.raises(OpError, match="op 'relu' has no parameter 'alpha'"):
        get_op("relu").check_params({"alpha": 0.1})


# ---- regressions (each failed before its fix) -------------------------------------------------


def test_matmul_of_a_vector_with_a_batch_of_matrices_has_gradients():
    # a (3,) @ b (2,3,4) -> (2,4). d sum(out)/d b[k,i,j] = a[i]; d/d a[i] = sum_k,j b[k,i,j].
    a = np.array([1.0, 2.0, 3.0])
    b = np.arange(24.0).reshape(2, 3, 4)
    spec = get_op("matmul")
    out = spec.forward(a, b)
    g = np.ones((2, 4))
    np.testing.assert_array_equal(spec.vjps[1](g, out, a, b), np.broadcast_to(a[:, None], b.shape))
    np.testing.assert_array_equal(spec.vjps[0](g, out, a, b), b.sum(axis=(0, 2)))


def test_reductions_to_one_number_are_python_floats():
    assert type(fwd("matmul", np.array([1.0, 2.0]), np.array([3.0, 4.0]))) is float
    assert fwd("matmul", np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 11.0
    assert type(fwd("sum", np.array([1.0, 2.0]), axis=0)) is float
    assert type(fwd("mean", np.array([1.0, 2.0]), axis=-1)) is float
    assert fwd("mean", np.array([1.0, 2.0]), axis=-1) == 1.5


def test_gradient_for_a_larger_label_array_has_the_labels_shape():
    # bce(p, y) with one p and three labels: d/dy_j = (ln(1 - p) - ln(p)) / 3 for each j.
    spec = get_op("bce")
    y = np.array([0.0, 1.0, 1.0])
    out = spec.forward(0.25, y)
    dy = spec.vjps[1](1.0, out, 0.25, y)
    np.testing.assert_allclose(dy, np.full(3, (math.log(0.75) - math.log(0.25)) / 3))
    # bce_logits(z (3,1), y (1,4)): d/dy_j = -sum_i z_i / 12, one value per label.
    z = np.array([[1.0], [2.0], [3.0]])
    y = np.zeros((1, 4))
    dy = get_op("bce_logits").vjps[1](1.0, 0.0, z, y)
    np.testing.assert_allclose(dy, np.full((1, 4), -6.0 / 12))


def test_bce_of_a_perfect_prediction_is_plus_zero():
    # It was -0.0, which JSON and some displays show as "-0".
    assert math.copysign(1.0, fwd("bce", 0.0, 0.0)) == 1.0
    assert math.copysign(1.0, fwd("bce", np.array([1.0, 0.0]), np.array([1.0, 0.0]))) == 1.0


@pytest.mark.parametrize(
    "gshape, like, expected",
    [
        ((2, 3), (3,), lambda g: g.sum(axis=0)),
        ((2, 3), (2, 1), lambda g: g.sum(axis=1, keepdims=True)),
        ((2, 3), (1, 1), lambda g: g.sum(axis=(0, 1), keepdims=True)),
        ((4, 2, 3), (2, 1), lambda g: g.sum(axis=(0, 2))[:, None]),
        ((3, 1), (1, 4), lambda g: np.broadcast_to(g, (3, 4)).sum(axis=0, keepdims=True)),
        ((3,), (2, 3), lambda g: np.broadcast_to(g, (2, 3))),
        ((2, 3), (), lambda g: float(g.sum())),
        ((), (2, 2), lambda g: np.full((2, 2), g)),
    ],
)
def test_unbroadcast_sums_or_spreads_to_the_input_shape(gshape, like, expected):
    from graphgui.core.ops._helpers import unbroadcast

    rng = np.random.default_rng(0)
    grad = float(rng.normal()) if gshape == () else rng.normal(size=gshape)
    target = 1.0 if like == () else np.zeros(like)
    before = copy_of(grad)
    result = unbroadcast(grad, target)
    np.testing.assert_allclose(result, expected(grad), rtol=1e-14)
    assert np.shape(result) == like
    if like:
        assert result.flags.writeable  # a fresh array, never a read-only broadcast view
    np.testing.assert_array_equal(grad, before)
