"""Optimizers: the first steps against updates worked out by hand (numbers written out)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgui.core.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    Momentum,
    OptimizerError,
    RMSprop,
    make_optimizer,
)


def run(opt, w0, grads, pid="w"):
    """Values of a single parameter after each gradient in ``grads``."""
    w = w0
    out = []
    for g in grads:
        w = opt.step({pid: w}, {pid: g})[pid]
        out.append(w)
    return out


def test_sgd_first_steps_by_hand():
    # w1 = 1 - 0.1 * 0.5 = 0.95; w2 = 0.95 - 0.1 * (-1) = 1.05; w3 = 1.05 - 0.1 * 2 = 0.85
    assert run(SGD(lr=0.1), 1.0, [0.5, -1.0, 2.0]) == pytest.approx([0.95, 1.05, 0.85])


def test_momentum_first_steps_by_hand():
    # PyTorch convention: v = mu * v + g; w -= lr * v (mu 0.9, lr 0.1, w0 1).
    # v1 = 1,                 w1 = 1 - 0.1 * 1      = 0.9
    # v2 = 0.9 * 1 + 1 = 1.9, w2 = 0.9 - 0.1 * 1.9  = 0.71
    # v3 = 0.9 * 1.9 - 2 = -0.29, w3 = 0.71 + 0.029 = 0.739
    opt = Momentum(lr=0.1, momentum=0.9)
    assert run(opt, 1.0, [1.0, 1.0, -2.0]) == pytest.approx([0.9, 0.71, 0.739], abs=1e-12)


def test_rmsprop_first_steps_by_hand():
    # s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) + eps); rho 0.9, lr 0.01, eps 1e-8.
    # s1 = 0.1 * 4 = 0.4;              w1 = 1 - 0.01 * 2 / sqrt(0.4)        = 0.968377223
    # s2 = 0.9 * 0.4 + 0.1 * 1 = 0.46; w2 = w1 + 0.01 / sqrt(0.46)          = 0.983121419
    # s3 = 0.9 * 0.46 + 0.1 * 0.25 = 0.439; w3 = w2 - 0.01 * 0.5 / sqrt(0.439) = 0.97557506
    opt = RMSprop(lr=0.01, rho=0.9, eps=1e-8)
    w = run(opt, 1.0, [2.0, -1.0, 0.5])
    assert w[0] == pytest.approx(1 - 0.02 / math.sqrt(0.4), abs=1e-9)
    assert w[0] == pytest.approx(0.968377223, abs=1e-9)
    assert w[1] == pytest.approx(0.983121419, abs=1e-9)
    assert w[2] == pytest.approx(w[1] - 0.005 / math.sqrt(0.439), abs=1e-9)
    assert w[2] == pytest.approx(0.97557506, abs=1e-8)


def test_adam_first_steps_by_hand():
    # lr 0.1, b1 0.9, b2 0.999, eps 1e-8, w0 1, gradients 0.5 then -0.2.
    # t=1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25 -> step 0.1 * 0.5 / (0.5 + eps)
    # t=2: m = 0.045 - 0.02 = 0.025, v = 0.00024975 + 0.00004 = 0.00028975
    #      m_hat = 0.025 / 0.19 = 0.1315789, v_hat = 0.00028975 / 0.001999 = 0.1449475
    #      step = 0.1 * 0.1315789 / 0.3807197 = 0.0345606 -> w2 = 0.8654394
    opt = Adam(lr=0.1)
    w1, w2 = run(opt, 1.0, [0.5, -0.2])
    assert w1 == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), abs=1e-15)
    assert w1 == pytest.approx(0.9, abs=1e-8)
    m_hat = 0.025 / 0.19
    v_hat = 0.00028975 / (1 - 0.999**2)
    assert w2 == pytest.approx(w1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), abs=1e-12)
    assert w2 == pytest.approx(0.8654394, abs=1e-6)


def test_adam_first_step_is_lr_times_sign_for_any_gradient_scale():
    # Bias correction makes the first step lr * g / |g| (up to eps), elementwise.
    g = np.array([[1e-3, -50.0], [2.0, -0.25]])
    w0 = np.zeros((2, 2))
    w1 = Adam(lr=0.01).step({"W": w0}, {"W": g})["W"]
    np.testing.assert_allclose(w1, -0.01 * np.sign(g), rtol=1e-5)


def test_state_is_per_parameter():
    # Two parameters with different gradients: each follows its own hand-computed path.
    opt = Momentum(lr=1.0, momentum=0.5)
    p = {"a": 0.0, "b": 0.0}
    p = opt.step(p, {"a": 1.0, "b": -2.0})  # v_a = 1, v_b = -2
    p = opt.step(p, {"a": 1.0, "b": None})  # v_a = 1.5; b has no gradient: unchanged
    assert p == {"a": pytest.approx(-2.5), "b": pytest.approx(2.0)}


def test_l2_adds_l2_times_w_to_the_gradient():
    # g' = g + l2 * w: w1 = 2 - 0.1 * (0.5 + 0.1 * 2) = 1.93; b is not penalized.
    opt = SGD(lr=0.1, l2=0.1, l2_ids={"W"})
    new = opt.step({"W": 2.0, "b": 2.0}, {"W": 0.5, "b": 0.5})
    assert new["W"] == pytest.approx(1.93)
    assert new["b"] == pytest.approx(1.95)
    # Adam with L2 sees the penalized gradient too: the first step is -lr * sign(g + l2 w).
    adam = Adam(lr=0.1, l2=10.0)
    assert adam.step({"w": 1.0}, {"w": -0.5})["w"] == pytest.approx(0.9)


def test_l2_matches_the_notebooks_lambda_over_m():
    # The notebook: dW += (lambda / m) * W. With lambda = 0.7 and m = 140, l2 = 0.005.
    W = np.array([[0.3, -1.2]])
    dW = np.array([[0.1, 0.2]])
    lam, m, lr = 0.7, 140, 0.1
    expected = W - lr * (dW + lam / m * W)
    got = SGD(lr=lr, l2=lam / m).step({"W": W}, {"W": dW})["W"]
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_never_modifies_its_arguments(name):
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = np.broadcast_to(np.array([0.5, -0.5]), (2, 2))  # read-only, as the engine may give
    w_before = w.copy()
    opt = make_optimizer(name, lr=0.1, l2=0.01)
    for _ in range(3):
        new = opt.step({"W": w}, {"W": g})["W"]
        assert new is not w
        np.testing.assert_array_equal(w, w_before)
    assert not np.shares_memory(new, w)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_minimizes_a_quadratic(name):
    # f(w) = sum((w - c)^2), gradient 2 (w - c): every rule gets close to c.
    c = np.array([1.0, -2.0, 0.5])
    w = np.zeros(3)
    opt = make_optimizer(name, lr=0.05)
    for _ in range(500):
        w = opt.step({"w": w}, {"w": 2 * (w - c)})["w"]
    np.testing.assert_allclose(w, c, atol=0.05)


def test_reset_forgets_state():
    opt = Adam(lr=0.1)
    run(opt, 1.0, [0.5, 0.5])
    opt.reset()
    assert run(opt, 1.0, [0.5]) == pytest.approx([1 - 0.1 * 0.5 / (0.5 + 1e-8)], abs=1e-15)


def test_to_dict_names_the_settings():
    assert Momentum(lr=0.5, momentum=0.8).to_dict() == {
        "optimizer": "momentum", "lr": 0.5, "l2": 0.0, "momentum": 0.8,
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_optimizer("newton"), "unknown optimizer 'newton'"),
        (lambda: SGD(lr=0), "lr must be > 0"),
        (lambda: SGD(lr=float("nan")), "lr must be a finite number"),
        (lambda: SGD(lr=0.1, l2=-1), "l2 must be >= 0"),
        (lambda: Adam(beta1=1.0), "adam: beta1 must be in [0, 1)"),
        (lambda: RMSprop(eps=0.0), "rmsprop: eps must be > 0"),
        (lambda: Momentum(nesterov=1), "momentum: unknown option 'nesterov'"),
        (lambda: SGD(momentum=0.9), "sgd: unknown option 'momentum' (allowed: none)"),
        (lambda: Adam(beta2="x"), "adam: beta2 must be a finite number"),
    ],
)
def test_bad_settings_give_one_line_errors(call, message):
    with pytest.raises(OptimizerError) as info:
        call()
    assert message in str(info.value)
    assert "\n" not in str(info.value)
