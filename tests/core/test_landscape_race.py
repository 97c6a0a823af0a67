"""The race on the surface drawn (core/landscape, ``race="plane"``, the default): each
optimizer moves the plane's coordinates with its own rule and the chain rule's gradient,
so every point's loss is the surface's. Also 1-D landscapes (one parameter), the auto span,
the colour bar's ticks and the editor's wording of refusals.

Expected numbers are written out by hand (the quadratics' gradients, SGD and Adam) or come
from a fresh graph evaluated directly and from central finite differences, never from the
landscape module.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_landscape import loss_with, run  # the same helpers: one definition

from graphgui.core.examples import load_example_document
from graphgui.core.expr import parse
from graphgui.core.landscape import (
    LandscapeError,
    LandscapeRequest,
    Scale,
    auto_span,
    compute_landscape,
    nice_span,
    nice_ticks,
    prepare,
)

# x and y on the plane, z fixed: the plane's gradient is (2x + z, 18y), z never moves.
COUPLED = "x = param(-1.5); y = param(1.2); z = param(0.8); f = x**2 + 9 * y**2 + x * z + z**2"
# A loss quadratic in a weight matrix: L(W) = ||W x - t||^2, x = (1, 2), t = (0.5, -1).
QUADRATIC = ("W = param([[1.0, -2.0], [0.5, 3.0]]); x = const([[1.0], [2.0]]); "
             "t = const([[0.5], [-1.0]]); L = sum((W @ x - t)**2)")
X = np.array([[1.0], [2.0]])
T = np.array([[0.5], [-1.0]])


def adam_by_hand(grad, start, lr, steps, b1=0.9, b2=0.999, eps=1e-8):
    """Adam on a vector (PyTorch's formulas); each row (w, loss) before step k."""
    w = np.array(start, dtype=float)
    m = v = np.zeros_like(w)
    rows = [w.copy()]
    for t in range(1, steps + 1):
        g = grad(w)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        rows.append(w.copy())
    return np.array(rows)


# ---- the race in the plane, by hand -------------------------------------------------------------


def test_sgd_and_adam_on_two_parameters_move_those_two_only():
    graph = parse(COUPLED)
    request = LandscapeRequest(params=("x", "y"), grid=3, steps=15, optimizers=("sgd", "adam"))
    land = compute_landscape(graph, None, request)
    assert request.race == "plane"  # the default
    lr, z = 0.1, 0.8  # the default learning rate; z keeps its value throughout

    def f(x, y):
        return x**2 + 9 * y**2 + x * z + z**2

    def grad(w):
        return np.array([2 * w[0] + z, 18 * w[1]])

    x, y = -1.5, 1.2
    sgd = []
    for _ in range(16):
        sgd.append((x, y, f(x, y)))
        gx, gy = grad((x, y))
        x, y = x - lr * gx, y - lr * gy
    assert land.trajectories["sgd"].points == pytest.approx(np.array(sgd), rel=1e-12)
    adam = adam_by_hand(grad, (-1.5, 1.2), lr, 15)
    expected = np.column_stack([adam, [f(a, b) for a, b in adam]])
    assert land.trajectories["adam"].points == pytest.approx(expected, rel=1e-10)


def test_sgd_and_adam_along_random_directions_of_a_quadratic_by_hand():
    graph = parse(QUADRATIC)
    request = LandscapeRequest(grid=3, steps=12, seed=4, optimizers=("sgd", "adam"))
    land = compute_landscape(graph, None, request)
    W0 = graph.find("W").value
    pid = graph.find("W").id
    d1, d2 = (d[pid] for d in land.plane.directions)
    # L(a, b) = ||r||^2, r = (W0 + a d1 + b d2) x - t: dL/da = 2 <r, d1 x>, dL/db = 2 <r, d2 x>.

    def residual(w):
        return (W0 + w[0] * d1 + w[1] * d2) @ X - T

    def grad(w):
        r = residual(w)
        return np.array([2 * np.sum(r * (d1 @ X)), 2 * np.sum(r * (d2 @ X))])

    lr = 0.1
    w = np.zeros(2)
    sgd = []
    for _ in range(13):
        sgd.append((*w, float(np.sum(residual(w) ** 2))))
        w = w - lr * grad(w)
    assert land.trajectories["sgd"].points == pytest.approx(np.array(sgd), rel=1e-9, abs=1e-12)
    adam = adam_by_hand(grad, (0.0, 0.0), lr, 12)
    expected = np.column_stack([adam, [np.sum(residual(w) ** 2) for w in adam]])
    assert land.trajectories["adam"].points == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_momentum_and_rmsprop_take_the_files_options_for_its_own_optimizer():
    # The file's optimizer is momentum with mu 0.5: the race's momentum takes mu 0.5 too.
    graph = parse("x = param(2.0); f = x**2")
    training = {"optimizer": "momentum", "optimizer_options": {"momentum": 0.5}, "lr": 0.1}
    land = compute_landscape(graph, training, LandscapeRequest(
        params=("x",), grid=3, steps=6, optimizers=("momentum", "rmsprop")))
    x, v, xs = 2.0, 0.0, []
    for _ in range(7):
        xs.append(x)
        v = 0.5 * v + 2 * x
        x = x - 0.1 * v
    assert land.trajectories["momentum"].points[:, 0] == pytest.approx(xs, rel=1e-12)
    x, s, xs = 2.0, 0.0, []  # RMSprop with its defaults (rho 0.99, eps 1e-8)
    for _ in range(7):
        xs.append(x)
        s = 0.99 * s + 0.01 * (2 * x) ** 2
        x = x - 0.1 * 2 * x / (math.sqrt(s) + 1e-8)
    assert land.trajectories["rmsprop"].points[:, 0] == pytest.approx(xs, rel=1e-12)


# ---- every point lies on the surface ----------------------------------------------------------


@pytest.fixture(scope="module")
def moons():
    return load_example_document("moons_network")


def test_each_points_loss_is_the_loss_at_theta0_plus_a_d1_plus_b_d2(moons):
    graph, settings = moons
    land = compute_landscape(graph, settings["training"], LandscapeRequest(
        grid=3, steps=25, seed=2, optimizers=("sgd", "adam")))
    d1, d2 = land.plane.directions
    names = {graph.find(n).id: n for n in ("W1", "W2")}
    for trajectory in land.trajectories.values():
        assert trajectory.points[0, 2] == land.origin_loss  # bit for bit: the same pass
        for a, b, loss in trajectory.points[[1, 7, 25]]:
            values = {names[pid]: graph.node(pid).value + a * d1[pid] + b * d2[pid]
                      for pid in names}
            # The file's X and Y hold the training split the settings' data set makes.
            assert loss == pytest.approx(loss_with(graph, values), rel=1e-12)
    # The race in the plane goes down the surface drawn: its loss falls.
    assert land.trajectories["adam"].points[-1, 2] < land.origin_loss


def test_plane_gradient_matches_central_finite_differences(moons):
    graph, settings = moons
    loss, plane = prepare(graph, settings["training"], LandscapeRequest(seed=5, steps=0))
    h = 1e-5
    for a, b in [(0.0, 0.0), (0.4, -0.3), (-1.2, 0.9)]:
        _, grads = loss.value_and_gradients(plane.point(a, b))
        g = plane.project(grads)
        ga = (loss(plane.point(a + h, b)) - loss(plane.point(a - h, b))) / (2 * h)
        gb = (loss(plane.point(a, b + h)) - loss(plane.point(a, b - h))) / (2 * h)
        assert g == pytest.approx([ga, gb], rel=1e-5, abs=1e-10)
    # Two elements: exactly their own gradients.
    loss, plane = prepare(graph, settings["training"],
                          LandscapeRequest(params=("W1[1,0]", "b2[0,0]"), steps=0))
    for a, b in [plane.centre, (plane.centre[0] + 0.5, plane.centre[1] - 1.0)]:
        _, grads = loss.value_and_gradients(plane.point(a, b))
        g = plane.project(grads)
        ga = (loss(plane.point(a + h, b)) - loss(plane.point(a - h, b))) / (2 * h)
        gb = (loss(plane.point(a, b + h)) - loss(plane.point(a, b - h))) / (2 * h)
        assert g == pytest.approx([ga, gb], rel=1e-5, abs=1e-10)


def test_race_all_projects_a_full_trajectory_off_the_surface(moons):
    # The old race, kept as race="all": every parameter moves, so the loss carried by a
    # point is not the surface's loss where it is drawn.
    graph, settings = moons
    request = LandscapeRequest(grid=3, steps=40, seed=0, optimizers=("sgd",), race="all")
    land = compute_landscape(graph, settings["training"], request)
    a, b, loss = land.trajectories["sgd"].points[-1]
    d1, d2 = land.plane.directions
    on_plane = loss_with(graph, {graph.node(pid).name: graph.node(pid).value + a * d1[pid]
                                   + b * d2[pid] for pid in d1})
    assert abs(loss - on_plane) > 1e-6


# ---- one parameter: a curve ---------------------------------------------------------------------


def test_one_parameter_draws_a_curve_and_races_along_it():
    graph, settings = load_example_document("gradient_descent_x2")
    land = compute_landscape(graph, settings["training"], LandscapeRequest(
        params=("x",), span=2.0, grid=9, steps=10, optimizers=("sgd",)))
    assert land.dims == 1 and land.plane.labels == ("x",)
    xs = np.linspace(3.0, 7.0, 9)
    assert land.axes[0] == pytest.approx(xs)
    assert land.loss == pytest.approx(xs**2, rel=1e-12)
    assert land.origin_loss == 25.0
    # x <- x - 0.1 * 2x = 0.8 x (the example's own description).
    expected = [(5 * 0.8**k, 25 * 0.64**k) for k in range(11)]
    assert land.trajectories["sgd"].points == pytest.approx(np.array(expected), rel=1e-12)


def test_cli_json_of_one_parameter(capsys):
    code, out, err = run(capsys, "landscape", "--example", "gradient_descent_x2", "--params",
                         "x", "--grid", "5", "--span", "1", "--steps", "2", "--optimizers",
                         "sgd,adam", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data)[:3] == ["axes", "loss", "trajectories"]
    assert data["axes"] == [[4.0, 4.5, 5.0, 5.5, 6.0]]
    assert data["loss"] == [16.0, 20.25, 25.0, 30.25, 36.0]
    expected = [[5.0, 25.0], [4.0, 16.0], [3.2, 10.24]]
    assert np.array(data["trajectories"]["sgd"]) == pytest.approx(np.array(expected))
    assert all(len(p) == 2 for p in data["trajectories"]["adam"])


def test_cli_png_of_one_parameter_and_a_file_after_the_names(capsys, tmp_path):
    from graphgui.core.fileformat import save

    graph, settings = load_example_document("gradient_descent_x2")
    path = tmp_path / "x2.json"
    save(graph, path, settings=settings)
    out_file = tmp_path / "curve.png"
    code, out, err = run(capsys, "landscape", "--params", "x", str(path), "--span", "auto",
                         "--steps", "30", "--optimizers", "sgd", "-o", str(out_file))
    assert code == 0, err
    # SGD from 5 towards 0: 5 * 1.15 = 5.75, rounded up to 6.
    assert out == (f"wrote {out_file} (41 points around f = 25; 1 trajectory of 30 steps; "
                   "span 6 (auto))\n")
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, err = run(capsys, "landscape", "--params", "x", "y", str(path), "--json")
    assert code == 2 and "no node named 'y'" in err


def test_race_all_on_a_line_is_the_same_race():
    graph = parse("x = param(5); f = x**2")
    plane = compute_landscape(graph, None, LandscapeRequest(params=("x",), grid=3, steps=5))
    full = compute_landscape(graph, None, LandscapeRequest(params=("x",), grid=3, steps=5,
                                                           race="all"))
    for name in plane.trajectories:
        assert plane.trajectories[name].points == pytest.approx(full.trajectories[name].points,
                                                                rel=1e-12)


# ---- the auto span ----------------------------------------------------------------------------


def test_auto_span_covers_the_races():
    graph = parse("x = param(-1.5); y = param(1.2); f = x**2 + 9 * y**2")
    land = compute_landscape(graph, {"lr": 0.03}, LandscapeRequest(
        params=("x", "y"), grid=5, steps=60, auto_span=True))
    reach = max(np.max(np.abs(t.points[:, :2] - (-1.5, 1.2)))
                for t in land.trajectories.values())
    assert reach * 1.15 <= land.span < reach * 1.15 * 1.25  # the margin, rounded up
    assert land.span in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
    xs, ys = land.axes
    for t in land.trajectories.values():
        assert np.all((xs[0] <= t.points[:, 0]) & (t.points[:, 0] <= xs[-1]))
        assert np.all((ys[0] <= t.points[:, 1]) & (t.points[:, 1] <= ys[-1]))


def test_auto_span_follows_a_run_away_until_it_climbs():
    # lr 1.1 on x**2 from 5: x <- -1.2 x: 5, -6 (36), 7.2 (51.84), -8.64 ... The start's loss
    # is 25, the race never gets below it: a rise of 12.5 allowed, so 5, -6 and 7.2 count.
    graph = parse("x = param(5); f = x**2")
    land = compute_landscape(graph, {"lr": 1.1}, LandscapeRequest(
        params=("x",), grid=5, steps=30, optimizers=("sgd",), auto_span=True))
    assert land.span == nice_span(1.15 * 11.0) == 15.0
    assert auto_span([], (0.0, 0.0), 0.7) == 0.7  # no race: the span given


def test_nice_span_rounds_up():
    assert [nice_span(v) for v in (0.93, 1.0, 1.01, 2.6, 7.0, 0.0123, 340)] == [
        1.0, 1.0, 1.2, 3.0, 8.0, 0.015, 400.0]


# ---- the colour bar's ticks ---------------------------------------------------------------------


def _is_nice(value: float) -> bool:
    """At most 5 significant digits."""
    return len(f"{abs(value):.12e}".split("e")[0].replace(".", "").rstrip("0")) <= 5


@pytest.mark.parametrize("low, high", [(0.988, 11.0), (0.0, 25.0), (0.69285, 0.69335),
                                       (2.0, 1500.0), (-3.0, 4.0), (1e-6, 2e-6)])
def test_ticks_are_round_numbers_and_never_zero_on_a_log_scale(low, high):
    for scale in (Scale(), Scale(True, low - 1e-3 * (high - low)),
                  *([Scale(True, 0.0)] if low > 0 and high / low > 30 else [])):
        ticks = scale.ticks(low, high)
        assert len(ticks) >= 3, (scale, ticks)
        assert all(low <= t <= high for t in ticks)
        assert ticks == sorted(set(ticks))
        assert all(_is_nice(t) for t in ticks), ticks
        if scale.log:
            assert 0.0 not in ticks
    assert nice_ticks(0.988, 11.0) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert nice_ticks(-3.0, 4.0) == [-2.0, 0.0, 2.0, 4.0]
    # Log above the minimum: 0.99, 1.1, 2 and 10 would be one a decade; 1.2 ... 10 here.
    assert Scale(True, 0.978).ticks(0.988, 11.0) == [1.2, 1.4, 2.0, 3.0, 6.0, 10.0]


# ---- the editor's words -------------------------------------------------------------------------


@pytest.mark.parametrize("source, request_", [
    ("x = param(2); f = x**2", LandscapeRequest()),
    ("W = param([[0.0, 0.0]]); x = const([[1.0], [1.0]]); f = sum(W @ x)", LandscapeRequest()),
    ("x = param(2); f = x**2", LandscapeRequest(params=("x", "x"))),
    ("x = param(2); f = x**2", LandscapeRequest(params=("q",))),
    ("x = param(2); f = x**2", LandscapeRequest(params=("x", "y", "z"))),
    ("x = param(2); f = x**2", LandscapeRequest(params=("x",), grid=4)),
])
def test_refusals_have_words_for_the_editor_without_flags(source, request_):
    with pytest.raises(LandscapeError) as caught:
        compute_landscape(parse(source), None, request_)
    assert str(caught.value).startswith("--") or "--params" in str(caught.value)
    assert "--" not in caught.value.gui, caught.value.gui
