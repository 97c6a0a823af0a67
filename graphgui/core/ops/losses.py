"""Losses (mean over elements, as PyTorch's default) and the L2 penalty."""

from __future__ import annotations

import math

import numpy as np

from . import shapes
from ._helpers import as_float_of, broadcast_count, log_or_nan, unbroadcast
from .activations import sigmoid
from .registry import OpSpec, Param, register

# The exported NumPy code (OpSpec.numpy_code): the logs clamped at LOG_FLOOR as _bce does,
# {n} the number of terms averaged (see registry.PLACEHOLDER).
_CLAMPED_LOG_P = "np.maximum(np.log({p}), -100.0)"
_CLAMPED_LOG_Q = "np.maximum(np.log(1 - {p}), -100.0)"
LOG_SOFTMAX_HELPER = '''def log_softmax(z):
    """log(softmax(z)) over the last axis (the classes), shifted so exp cannot overflow."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
'''
N_ROWS_HELPER = '''def n_rows(z):
    """How many rows (samples) the logits z hold: their last axis holds the classes."""
    return max(1, np.size(z) // max(1, np.shape(z)[-1] if np.ndim(z) else 1))
'''

LOG_FLOOR = -100.0  # PyTorch clamps log(p) in BCE at -100 so log(0) stays finite.


def _clamped_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        value = log_or_nan(x)
    return max(value, LOG_FLOOR) if isinstance(value, float) else np.maximum(value, LOG_FLOOR)


def _clamp_log(value):
    """max(log, -100), in place on a fresh array (nan stays nan: a p outside [0, 1] shows)."""
    if isinstance(value, float):
        return max(value, LOG_FLOOR)
    return np.maximum(value, LOG_FLOOR, out=value)


def _mean(loss) -> float:
    # sum / size is what np.mean computes, without its Python-level overhead (and without its
    # "Mean of empty slice" warning: an empty loss is nan, reported as any non-finite value).
    if loss.__class__ is float:
        return loss
    if loss.__class__ is not np.ndarray:
        loss = np.asarray(loss, dtype=float)
    return float(loss.sum() / loss.size) if loss.size else float("nan")


def _n(pred, target):
    # The forward mean runs over the broadcast shape: (3,1) against (1,4) is 12 terms, not 4.
    # At least 1: the gradient of an empty loss is empty whatever it is divided by.
    return broadcast_count(pred, target) or 1


def _total(x, n):
    """sum(x) / n as a float: a loss's tangent, the mean of tangent times local derivative."""
    return float(np.sum(x)) / n


def _mse(pred, target):
    d = pred - target
    return _mean(d * d)


def _bce(p, y):
    if isinstance(p, float):
        log_p, log_q = _clamp_log(log_or_nan(p)), _clamp_log(log_or_nan(1.0 - p))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.log(p)
            log_q = np.log(1.0 - p)
        np.maximum(log_p, LOG_FLOOR, out=log_p)
        np.maximum(log_q, LOG_FLOOR, out=log_q)
    loss = y * log_p
    loss += (1.0 - y) * log_q
    return 0.0 - _mean(loss)  # 0.0, not -0.0, for a perfect prediction


def _bce_grad_p(g, out, p, y):
    # g * (p - y) / max(p (1 - p), 1e-12) / n, on fresh temporaries.
    d = p - y
    d *= g / _n(p, y)
    denom = 1.0 - p
    denom *= p
    d /= max(denom, 1e-12) if isinstance(denom, float) else np.maximum(denom, 1e-12, out=denom)
    return unbroadcast(d, p)


def _bce_tangent_p(t, out, p, y):
    denom = 1.0 - p
    denom *= p
    floor = max(denom, 1e-12) if isinstance(denom, float) else np.maximum(denom, 1e-12)
    return _total(t * (p - y) / floor, _n(p, y))


def _bce_tangent_y(t, out, p, y):
    return _total(t * (_clamped_log(1.0 - p) - _clamped_log(p)), _n(p, y))


def _bce_grad_y(g, out, p, y):
    return unbroadcast(g * (_clamped_log(1.0 - p) - _clamped_log(p)) / _n(p, y), y)


def _bce_logits(z, y):
    loss = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return _mean(loss)


def _log_softmax(z):
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _rows(z):
    return max(1, int(np.size(z) // max(1, np.shape(z)[-1] if np.ndim(z) else 1)))


def _softmax_ce(z, t):
    return float(-np.sum(t * _log_softmax(z)) / _rows(z))


def _softmax_ce_grad_z(g, out, z, t):
    lsm = _log_softmax(z)
    t_b = np.broadcast_to(t, lsm.shape)
    grad = np.exp(lsm) * np.sum(t_b, axis=-1, keepdims=True) - t_b
    return unbroadcast(g * grad / _rows(z), z)


def _softmax_ce_tangent_z(tz, out, z, t):
    lsm = _log_softmax(z)
    t_b = np.broadcast_to(t, lsm.shape)
    local = np.exp(lsm) * np.sum(t_b, axis=-1, keepdims=True) - t_b
    return _total(tz * local, _rows(z))


def _softmax_ce_tangent_t(tt, out, z, t):
    return _total(-tt * _log_softmax(z), _rows(z))


def _softmax_ce_grad_t(g, out, z, t):
    return unbroadcast(-g * _log_softmax(z) / _rows(z), t)


def _hinge(s, y):
    return _mean(np.maximum(0.0, 1.0 - y * s))


def _hinge_grad_s(g, out, s, y):
    active = (1.0 - y * s) > 0
    return unbroadcast(g * as_float_of(np.where(active, -y, 0.0), s, y) / _n(s, y), s)


def _hinge_tangent_s(t, out, s, y):
    active = (1.0 - y * s) > 0
    return _total(t * np.where(active, -y, 0.0), _n(s, y))


def _hinge_tangent_y(t, out, s, y):
    active = (1.0 - y * s) > 0
    return _total(t * np.where(active, -s, 0.0), _n(s, y))


def _hinge_grad_y(g, out, s, y):
    active = (1.0 - y * s) > 0
    return unbroadcast(g * as_float_of(np.where(active, -s, 0.0), s, y) / _n(s, y), y)


# Gradient graphs (OpSpec.vjp_graph): the rules above as nodes (see autodiff/builder.py).
# n, the number of terms a loss averages, is a constant from the static shapes.
def _scaled(b, g, inputs, count=None):
    """g / n as a node, n from the inputs' broadcast shape (at least 1, as _n)."""
    if count is None:
        count = math.prod(np.broadcast_shapes(*(b.shape(r) for r in inputs))) or 1
    return g if count == 1 else b.op("mul", g, b.const(1.0 / count))


def _mse_graph(b, g, out, inputs, params, needs):  # +-2 (pred - target) / n
    p, t = inputs
    d = b.op("mul", _scaled(b, g, inputs), b.op("sub", p, t))
    two = b.op("mul", d, b.const(2.0))
    return b.grads(inputs, needs, lambda: two, lambda: b.op("neg", two))


def _bce_graph(b, g, out, inputs, params, needs):
    # (p - y) / (p (1 - p)) / n and (ln(1 - p) - ln(p)) / n, without the numeric rules'
    # clamps (p (1 - p) at 1e-12, logs at -100): they differ only where p is 0 or 1.
    p, y = inputs
    gn = _scaled(b, g, inputs)
    q = b.op("sub", b.const(1.0), p)
    return b.grads(
        inputs, needs,
        lambda: b.op("mul", gn, b.op("div", b.op("sub", p, y), b.op("mul", p, q))),
        lambda: b.op("mul", gn, b.op("sub", b.op("log", q), b.op("log", p))),
    )


def _bce_logits_graph(b, g, out, inputs, params, needs):  # (sigmoid(z) - y) / n, -z / n
    z, y = inputs
    gn = _scaled(b, g, inputs)
    return b.grads(
        inputs, needs,
        lambda: b.op("mul", gn, b.op("sub", b.op("sigmoid", z), y)),
        lambda: b.op("mul", gn, b.op("neg", z)),
    )


def _softmax_ce_graph(b, g, out, inputs, params, needs):
    # (softmax(z) sum(t) - t) / rows and -log_softmax(z) / rows, log_softmax written
    # ln(softmax(z)): -inf only where a probability underflows (logits 745 apart).
    z, t = inputs
    shape = b.shape(z)
    if np.broadcast_shapes(shape, b.shape(t)) != shape:
        raise ValueError(f"targets of shape {b.shape(t)} are larger than the logits {shape}")
    gr = _scaled(b, g, inputs, _rows(np.zeros(shape)))
    probs = b.op("softmax", z, axis=-1)

    def logits_part():
        t_full = b.unbroadcast(t, shape)  # the targets spread to the logits' shape
        mass = b.keepdims(b.op("sum", t_full, axis=-1), shape, -1)
        return b.op("mul", gr, b.op("sub", b.op("mul", probs, mass), t_full))

    return b.grads(
        inputs, needs, logits_part,
        lambda: b.op("mul", b.op("neg", gr), b.op("log", probs)),
    )


def _hinge_graph(b, g, out, inputs, params, needs):  # -y / n and -s / n where y s < 1
    s, y = inputs
    gn = _scaled(b, g, inputs)
    margin = b.op("sub", b.const(1.0), b.op("mul", y, s))
    active = b.op("heaviside", margin, at_zero=0.0)  # 1 where 1 - y s > 0, as the rules
    return b.grads(
        inputs, needs,
        lambda: b.op("mul", gn, b.op("mul", active, b.op("neg", y))),
        lambda: b.op("mul", gn, b.op("mul", active, b.op("neg", s))),
    )


register(OpSpec(
    name="mse", category="Losses", label="MSE", doc="mean squared error mean((pred - target)**2)",
    inputs=("pred", "target"), forward=_mse,
    vjps=(
        lambda g, out, p, t: unbroadcast(g * 2.0 * (p - t) / _n(p, t), p),
        lambda g, out, p, t: unbroadcast(g * -2.0 * (p - t) / _n(p, t), t),
    ),
    vjp_graph=_mse_graph,
    jvps=(
        lambda tp, out, p, t: _total(tp * 2.0 * (p - t), _n(p, t)),
        lambda tt, out, p, t: _total(tt * -2.0 * (p - t), _n(p, t)),
    ),
    formula="mean((pred - target)**2)",
    numpy_code="np.mean(({pred} - {target}) ** 2)",
    numpy_grads=("{g} * 2.0 * ({pred} - {target}) / {n}",
                 "{g} * -2.0 * ({pred} - {target}) / {n}"),
    torch_code="torch.mean(({pred} - {target}) ** 2)",
    # Of two floats the mean is of one term: n = 1, and x / 1 is x to the bit
    scalar_code="(_d := {pred} - {target}) * _d",
    scalar_grads=("{g} * 2.0 * ({pred} - {target})", "{g} * -2.0 * ({pred} - {target})"),
    derivatives=("2 * (pred - target) / n", "-2 * (pred - target) / n"),
    tangent_formulas=(
        "mean(2 * (pred - target) * tangent)", "mean(-2 * (pred - target) * tangent)"
    ),
    out_shape=shapes.loss,
))
register(OpSpec(
    name="bce", category="Losses", label="BCE",
    doc="binary cross-entropy of probabilities p and labels y (log clamped at -100)",
    inputs=("p", "y"), forward=_bce, vjps=(_bce_grad_p, _bce_grad_y), vjp_graph=_bce_graph,
    jvps=(_bce_tangent_p, _bce_tangent_y),
    formula="-mean(y * ln(p) + (1 - y) * ln(1 - p))",
    numpy_code=f"-np.mean({{y}} * {_CLAMPED_LOG_P} + (1 - {{y}}) * {_CLAMPED_LOG_Q})",
    numpy_grads=("{g} * ({p} - {y}) / np.maximum({p} * (1 - {p}), 1e-12) / {n}",
                 f"{{g}} * ({_CLAMPED_LOG_Q} - {_CLAMPED_LOG_P}) / {{n}}"),
    torch_code="F.binary_cross_entropy({@p,y})",
    # _bce's float path (log(0) raises here where log_or_nan gives -inf: run interpreted)
    scalar_code=("0.0 - ({y} * max(math.log({p}), -100.0)"
                 " + (1.0 - {y}) * max(math.log(1.0 - {p}), -100.0))"),
    scalar_grads=("({p} - {y}) * {g} / max((1.0 - {p}) * {p}, 1e-12)",
                  "{g} * (max(math.log(1.0 - {p}), -100.0) - max(math.log({p}), -100.0))"),
    derivatives=("(p - y) / (p * (1 - p)) / n", "(ln(1 - p) - ln(p)) / n"),
    tangent_formulas=(
        "mean((p - y) / (p * (1 - p)) * tangent)", "mean((ln(1 - p) - ln(p)) * tangent)"
    ),
    aliases=("binary_cross_entropy",),
    out_shape=shapes.loss,
))
register(OpSpec(
    name="bce_logits", category="Losses", label="BCE(z)",
    doc="binary cross-entropy from logits z: stable for any z",
    inputs=("z", "y"), forward=_bce_logits,
    vjps=(
        lambda g, out, z, y: unbroadcast(g * (sigmoid(z) - y) / _n(z, y), z),
        lambda g, out, z, y: unbroadcast(-g * z / _n(z, y), y),
    ),
    vjp_graph=_bce_logits_graph,
    jvps=(
        lambda t, out, z, y: _total(t * (sigmoid(z) - y), _n(z, y)),
        lambda t, out, z, y: _total(-t * z, _n(z, y)),
    ),
    formula="mean(max(z, 0) - z * y + ln(1 + exp(-|z|)))",
    numpy_code="np.mean(np.maximum({z}, 0.0) - {z} * {y} + np.log1p(np.exp(-np.abs({z}))))",
    numpy_grads=("{g} * (1 / (1 + np.exp(-{z})) - {y}) / {n}", "-{g} * {z} / {n}"),
    torch_code="F.binary_cross_entropy_with_logits({@z,y})",
    derivatives=("(sigmoid(z) - y) / n", "-z / n"),
    tangent_formulas=("mean((sigmoid(z) - y) * tangent)", "mean(-z * tangent)"),
    out_shape=shapes.loss,
))
register(OpSpec(
    name="softmax_ce", category="Losses", label="CE",
    doc="softmax cross-entropy of logits z (last axis = classes) and target probabilities t",
    inputs=("z", "t"), forward=_softmax_ce, vjps=(_softmax_ce_grad_z, _softmax_ce_grad_t),
    vjp_graph=_softmax_ce_graph,
    jvps=(_softmax_ce_tangent_z, _softmax_ce_tangent_t),
    formula="-sum(t * log_softmax(z)) / rows",
    numpy_code="-np.sum({t} * log_softmax({z})) / n_rows({z})",
    numpy_grads=(
        "{g} * (np.exp(log_softmax({z})) * np.sum(np.broadcast_to({t}, np.shape({z})), "
        "axis=-1, keepdims=True) - {t}) / n_rows({z})",
        "-{g} * log_softmax({z}) / n_rows({z})",
    ),
    torch_code="-torch.sum({t} * torch.log_softmax({z}, dim=-1)) / ({z}.numel() // {z}.shape[-1])",
    numpy_helpers=(LOG_SOFTMAX_HELPER, N_ROWS_HELPER),
    derivatives=("(softmax(z) - t) / rows", "-log_softmax(z) / rows"),
    tangent_formulas=(
        "sum((softmax(z) - t) * tangent) / rows", "-sum(log_softmax(z) * tangent) / rows"
    ),
    aliases=("cross_entropy",),
    out_shape=shapes.loss,
))
register(OpSpec(
    name="hinge", category="Losses", label="hinge",
    doc="hinge loss mean(max(0, 1 - y * s)) for labels y in {-1, +1}",
    inputs=("s", "y"), forward=_hinge, vjps=(_hinge_grad_s, _hinge_grad_y),
    vjp_graph=_hinge_graph,
    jvps=(_hinge_tangent_s, _hinge_tangent_y),
    formula="mean(max(0, 1 - y * s))",
    numpy_code="np.mean(np.maximum(0.0, 1.0 - {y} * {s}))",
    numpy_grads=("{g} * np.where(1.0 - {y} * {s} > 0, -{y}, 0.0) / {n}",
                 "{g} * np.where(1.0 - {y} * {s} > 0, -{s}, 0.0) / {n}"),
    torch_code="torch.mean(torch.relu(1.0 - {y} * {s}))",  # slope 0 at the kink, as here
    scalar_code="max(0.0, 1.0 - {y} * {s})",
    scalar_grads=("{g} * (-{y} if 1.0 - {y} * {s} > 0 else 0.0)",
                  "{g} * (-{s} if 1.0 - {y} * {s} > 0 else 0.0)"),
    derivatives=("-y / n where y * s < 1, else 0", "-s / n where y * s < 1, else 0"),
    tangent_formulas=(
        "mean(-y * tangent where y * s < 1)", "mean(-s * tangent where y * s < 1)"
    ),
    out_shape=shapes.loss,
))
register(OpSpec(
    name="l2", category="Losses", label="L2", doc="weight penalty 0.5 * lam * sum(w**2)",
    inputs=("w",), forward=lambda w, lam: 0.5 * lam * float(np.sum(w * w)),
    vjps=(lambda g, out, w, lam: g * lam * w,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (  # g is a number: w's shape
        b.op("mul", g, b.op("mul", b.const(params["lam"]), inputs[0])),
    ),
    jvps=(lambda t, out, w, lam: lam * float(np.sum(w * t)),),
    formula="0.5 * lam * sum(w**2)", derivatives=("lam * w",),
    numpy_code="0.5 * {lam} * np.sum({w} * {w})", numpy_grads=("{g} * {lam} * {w}",),
    torch_code="0.5 * {lam} * torch.sum({w} * {w})",
    scalar_code="0.5 * {lam} * ({w} * {w})", scalar_grads=("{g} * {lam} * {w}",),
    tangent_formulas=("lam * sum(w * tangent)",),
    params=(Param("lam", "float", 0.01, "strength of the penalty"),),
    out_shape=shapes.scalar,
))
