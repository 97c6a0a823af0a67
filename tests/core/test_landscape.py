"""Loss landscapes (core/landscape): the grid against direct evaluation, the origin against
``graphgui eval``, filter normalisation by hand, trajectories against hand-written optimizer
steps, the CLI's JSON shape and its one-line refusals. The race in the plane, 1-D landscapes,
the auto span and the colour bar's ticks: test_landscape_race.py."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest

from graphgui.cli import main
from graphgui.core.engine import evaluate
from graphgui.core.examples import load_example_document
from graphgui.core.expr import parse
from graphgui.core.landscape import (
    LandscapeCancelled,
    LandscapeError,
    LandscapeRequest,
    compute_landscape,
    contour_segments,
    filter_normalized,
    prepare,
)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples"
BOWL = "x = param(-1.5); y = param(1.2); f = x**2 + 9 * y**2"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def loss_with(graph, values: dict[str, object]) -> float:
    """The graph's output with parameters set (by name): a fresh graph, evaluated directly."""
    copy = graph.subgraph(n.id for n in graph)
    for name, value in values.items():
        copy.set_value(copy.find(name).id, value)
    result = evaluate(copy)
    return float(result.values[copy.output])


@pytest.fixture(scope="module")
def moons():
    return load_example_document("moons_network")


# ---- the grid ---------------------------------------------------------------------------------


def test_grid_of_two_elements_equals_direct_evaluation_at_sampled_points(moons):
    graph, settings = moons
    request = LandscapeRequest(params=("W1[0,1]", "W2[0,2]"), span=2.0, grid=9, steps=0)
    land = compute_landscape(graph, settings["training"], request)
    W1, W2 = graph.find("W1").value, graph.find("W2").value
    # The axes are the two elements' values, +- 2 around the current ones.
    assert land.axes[0][0] == pytest.approx(W1[0, 1] - 2) and land.axes[0][4] == W1[0, 1]
    assert land.axes[1][-1] == pytest.approx(W2[0, 2] + 2) and land.axes[1][4] == W2[0, 2]
    for j, i in [(0, 0), (2, 7), (4, 4), (8, 3), (8, 8)]:
        w1, w2 = W1.copy(), W2.copy()
        w1[0, 1], w2[0, 2] = land.axes[0][i], land.axes[1][j]
        # The file's X and Y hold the training split the settings' data set makes.
        assert land.loss[j, i] == pytest.approx(loss_with(graph, {"W1": w1, "W2": w2}),
                                                rel=1e-12)


def test_grid_of_random_directions_equals_direct_evaluation(moons):
    graph, settings = moons
    request = LandscapeRequest(span=1.0, grid=5, seed=3, steps=0)
    land = compute_landscape(graph, settings["training"], request)
    d1, d2 = land.plane.directions
    ids = {graph.find(name).id: name for name in ("W1", "b1", "W2", "b2")}
    assert set(d1) == set(d2) == {graph.find("W1").id, graph.find("W2").id}  # biases held
    for j, i in [(0, 4), (1, 1), (3, 0), (4, 4)]:
        a, b = land.axes[0][i], land.axes[1][j]
        values = {ids[pid]: graph.node(pid).value + a * d1[pid] + b * d2[pid] for pid in d1}
        assert land.loss[j, i] == pytest.approx(loss_with(graph, values), rel=1e-12)


def test_loss_at_the_origin_is_what_eval_prints(capsys):
    for source in (["--example", "moons_network"], ["--expr", BOWL]):
        code, out, err = run(capsys, "eval", *source, "--json")
        assert code == 0, err
        value = json.loads(out)["value"]
        plane = ["--directions", "random"] if source[0] == "--example" else ["--params", "x", "y"]
        code, out, err = run(capsys, "landscape", *source, *plane, "--grid", "7", "--steps",
                             "3", "--json")
        assert code == 0, err
        assert json.loads(out)["loss"][3][3] == value  # bit for bit


def test_one_samples_landscape_is_centred_on_that_samples_loss(capsys):
    source = ["--example", "moons_network", "--sample", "3"]
    code, out, err = run(capsys, "eval", *source, "--json")
    assert code == 0, err
    value = json.loads(out)["value"]
    code, out, err = run(capsys, "landscape", *source, "--params", "W1[0,0]", "b2[0,0]",
                         "--grid", "3", "--steps", "1", "--optimizers", "sgd", "--json")
    assert code == 0, err
    assert json.loads(out)["loss"][1][1] == value


def test_expression_graph_uses_its_own_values_and_default_settings():
    land = compute_landscape(parse(BOWL), None,
                             LandscapeRequest(params=("x", "y"), span=1.5, grid=7, steps=0))
    xs, ys = land.axes
    assert list(xs) == pytest.approx([-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0])
    expected = xs[None, :] ** 2 + 9 * ys[:, None] ** 2  # loss[j, i] at (x_i, y_j)
    assert land.loss == pytest.approx(expected, rel=1e-12)


# ---- filter normalisation ---------------------------------------------------------------------


def test_filter_normalisation_by_hand():
    # W of shape (out, in) = (2, 3): each row of the direction gets its row's norm.
    W = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0]])  # row norms 5 and 2
    d = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])  # row norms 1 and sqrt(3)
    s = 2 / math.sqrt(3)
    assert filter_normalized(d, W) == pytest.approx(np.array([[5, 0, 0], [s, s, s]]))
    # A column (out, 1): each row is one number, so it takes its own magnitude and keeps the
    # direction's sign.
    assert filter_normalized(np.array([[-2.0], [0.5]]), np.array([[3.0], [-4.0]])) == (
        pytest.approx(np.array([[-3.0], [4.0]])))
    # A vector or a scalar is one filter.
    assert filter_normalized(np.array([3.0, 4.0]), np.array([0.0, 10.0])) == pytest.approx(
        np.array([6.0, 8.0]))
    assert filter_normalized(-0.5, 3.0) == pytest.approx(-3.0)
    # A zero row of W gives a zero row.
    assert filter_normalized(np.ones((2, 2)), np.array([[0.0, 0.0], [1.0, 0.0]])) == (
        pytest.approx(np.array([[0.0, 0.0], [1 / math.sqrt(2)] * 2])))


def test_random_directions_are_seeded_draws_normalised_row_by_row(moons):
    graph, settings = moons
    loss, plane = prepare(graph, settings["training"], LandscapeRequest(seed=7, steps=0))
    # Drawn as documented: one standard normal per element, parameter after parameter in
    # evaluation order (W1, b1, W2, b2), the first direction whole, then the second.
    rng = np.random.default_rng(7)
    names = ["W1", "b1", "W2", "b2"]
    draws = [{n: rng.standard_normal(graph.find(n).value.shape) for n in names}
             for _ in range(2)]
    for k in range(2):
        for name in ("W1", "W2"):
            W = graph.find(name).value
            got = plane.directions[k][graph.find(name).id]
            expected = draws[k][name] * (np.linalg.norm(W, axis=1) /
                                         np.linalg.norm(draws[k][name], axis=1))[:, None]
            assert got == pytest.approx(expected, rel=1e-12)
            assert np.linalg.norm(got, axis=1) == pytest.approx(np.linalg.norm(W, axis=1))
        for name in ("b1", "b2"):
            assert graph.find(name).id not in plane.directions[k]


def test_random_plane_maps_its_points_back_to_their_coordinates(moons):
    graph, settings = moons
    _, plane = prepare(graph, settings["training"], LandscapeRequest(seed=1, steps=0))
    full = dict(plane.origin)
    full.update(plane.point(0.3, -0.7))
    assert plane.coordinates(full) == pytest.approx((0.3, -0.7))


# ---- trajectories -----------------------------------------------------------------------------


def test_sgd_and_adam_trajectories_match_steps_written_by_hand():
    request = LandscapeRequest(params=("x", "y"), grid=3, steps=20, optimizers=("sgd", "adam"))
    land = compute_landscape(parse(BOWL), None, request)
    lr = 0.1  # the default settings of a graph without training settings
    x, y = -1.5, 1.2
    sgd = []
    for _ in range(21):
        sgd.append((x, y, x**2 + 9 * y**2))
        x, y = x - lr * 2 * x, y - lr * 18 * y
    assert land.trajectories["sgd"].points == pytest.approx(np.array(sgd), rel=1e-12)
    b1, b2, eps = 0.9, 0.999, 1e-8
    w = np.array([-1.5, 1.2])
    m = v = np.zeros(2)
    adam = []
    for t in range(1, 22):
        adam.append((w[0], w[1], w[0] ** 2 + 9 * w[1] ** 2))
        g = np.array([2 * w[0], 18 * w[1]])
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    assert land.trajectories["adam"].points == pytest.approx(np.array(adam), rel=1e-10)


def test_race_all_trains_every_parameter_and_each_loss_is_that_of_its_parameters(moons):
    graph, settings = moons
    steps = 6
    request = LandscapeRequest(params=("W1[1,0]", "b2[0,0]"), grid=3, steps=steps,
                               optimizers=("sgd",), race="all")
    land = compute_landscape(graph, settings["training"], request)
    points = land.trajectories["sgd"].points
    assert points.shape == (steps + 1, 3)
    assert tuple(points[0, :2]) == land.plane.centre
    assert points[0, 2] == land.origin_loss
    # SGD by hand with the engine's gradients (lr 0.1 from the file), every parameter moving.
    lr = settings["training"]["lr"]
    copy = graph.subgraph(n.id for n in graph)
    names = ["W1", "b1", "W2", "b2"]
    for k in range(steps + 1):
        result = evaluate(copy)
        W1, b2 = copy.find("W1").value, copy.find("b2").value
        assert points[k, 0] == pytest.approx(W1[1, 0], rel=1e-12)
        assert points[k, 1] == pytest.approx(b2[0, 0], rel=1e-12, abs=1e-15)
        assert points[k, 2] == pytest.approx(float(result.values[copy.output]), rel=1e-12)
        for name in names:
            node = copy.find(name)
            copy.set_value(node.id, node.value - lr * result.grads[node.id])


@pytest.mark.parametrize("race", ["plane", "all"])
def test_a_diverging_optimizer_stops_with_a_note(race):
    graph = parse("x = param(3.0); y = param(1.0); f = x**4 + y**2")
    land = compute_landscape(graph, {"lr": 1.0}, LandscapeRequest(
        params=("x", "y"), grid=3, steps=50, optimizers=("sgd", "adam"), race=race))
    # x <- x - 4 x**3: 3, -105, 4.6e6, -4.0e20, 2.5e62 (x**4 = 3.9e249), -6.3e187 (x**4 inf)
    sgd = land.trajectories["sgd"]
    assert sgd.note == "the loss is not finite after 5 steps: the trajectory ends there"
    assert sgd.diverged == 5
    assert np.all(np.isfinite(sgd.points)) and len(sgd.points) == 5
    assert sgd.points[:3, 0] == pytest.approx([3.0, -105.0, -105.0 + 4 * 105.0**3])
    assert land.trajectories["adam"].note == "" and len(land.trajectories["adam"].points) == 51
    assert land.trajectories["adam"].diverged is None
    with pytest.raises(LandscapeError, match="named twice"):
        compute_landscape(graph, None, LandscapeRequest(params=("x", "x"), grid=3))


def test_progress_reaches_the_total_and_a_stop_cancels():
    calls: list[tuple[int, int]] = []
    request = LandscapeRequest(params=("x", "y"), grid=5, steps=4, optimizers=("sgd", "adam"))
    compute_landscape(parse(BOWL), None, request, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (request.work, request.work) == (25 + 8, 33)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    line = LandscapeRequest(params=("x",), grid=5, steps=4, optimizers=("sgd", "adam"))
    assert line.work == 5 + 8
    stop = threading.Event()
    stop.set()
    with pytest.raises(LandscapeCancelled):
        compute_landscape(parse(BOWL), None, request, stop=stop)


# ---- contours ---------------------------------------------------------------------------------


def test_contour_segments_lie_on_the_level_curve():
    xs = ys = np.linspace(-2, 2, 41)
    z = xs[None, :] ** 2 + ys[:, None] ** 2
    segments = contour_segments(xs, ys, z, 1.0)
    radii = np.hypot(segments[..., 0], segments[..., 1])
    assert len(segments) > 40
    assert radii == pytest.approx(np.ones_like(radii), abs=0.01)
    # A saddle z = x * y at level 0: the two axes (each end on x = 0 or y = 0).
    saddle = contour_segments(xs, ys, xs[None, :] * ys[:, None], 0.5)
    assert np.all(np.abs(saddle[..., 0] * saddle[..., 1] - 0.5) < 0.05)


# ---- the command line -------------------------------------------------------------------------


def test_cli_json_has_exactly_the_documented_shape(capsys):
    code, out, err = run(capsys, "landscape", "--example", "moons_network", "--directions",
                         "random", "--span", "0.5", "--grid", "5", "--seed", "2",
                         "--optimizers", "sgd,adam", "--steps", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data)[:3] == ["axes", "loss", "trajectories"]  # the shape, first
    # Then what was drawn: the plane, its span, the race and the file's learning rate.
    stored = json.loads(EXAMPLES_DIR.joinpath("training", "moons_network.json").read_text())
    assert data["plane"] == {"kind": "random", "labels": ["direction 1", "direction 2"]}
    assert data["span"] == 0.5 and data["race"] == "plane" and data["notes"] == {}
    assert data["learning_rate"] == stored["settings"]["training"]["lr"]
    assert len(data["axes"]) == 2 and all(len(a) == 5 for a in data["axes"])
    assert data["axes"][0] == pytest.approx([-0.5, -0.25, 0.0, 0.25, 0.5])
    assert len(data["loss"]) == 5 and all(len(row) == 5 for row in data["loss"])
    assert list(data["trajectories"]) == ["sgd", "adam"]
    for points in data["trajectories"].values():
        assert len(points) == 4 and all(len(p) == 3 for p in points)
        assert points[0] == [0.0, 0.0, data["loss"][2][2]]


def test_cli_writes_a_png(capsys, tmp_path):
    out_file = tmp_path / "land.png"
    code, out, err = run(capsys, "landscape", "--expr", BOWL, "--params", "x", "y", "--grid",
                         "11", "--steps", "5", "-o", str(out_file))
    assert code == 0, err
    assert out.startswith(f"wrote {out_file} (11x11 grid around f = 15.21;")
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["--example", "moons_network", "--params", "W9", "b1"],
     "--params: the graph has no node named 'W9' (parameters: W1, b1, W2, b2)"),
    (["--example", "moons_network", "--params", "W1", "b1[0,0]"],
     "--params: W1 has shape (4, 2), not a scalar: name one element, e.g. W1[0,0]"),
    (["--example", "moons_network", "--params", "W1[4,0]", "b1[0,0]"],
     "--params: W1 has shape (4, 2): it has no element [4, 0]"),
    (["--example", "moons_network", "--params", "X[0,0]", "b1[0,0]"],
     "--params: X is an input; the plane is over parameters (param(...) in an expression)"),
    (["--expr", "f = x**2", "--directions", "random"],
     "no parameter node feeds the loss f (the landscape is over parameters: write param(...) "
     "in an expression)"),
    (["--expr", "w = param([1.0, 2.0]); f = w * 2", "--directions", "random"],
     "the loss f must be a single number; it has shape (2,)"),
    (["--expr", "x = param(2); f = x**2", "--directions", "random"],
     "random directions move the weights (parameters that a matmul or mul consumes) and hold "
     "the biases; this loss has no weight: use --params A B"),
    (["--expr", BOWL, "--params", "x", "y", "x"],
     "--params takes one or two parameters, got 3"),
    (["--expr", BOWL, "--params", "x", "x"],
     "--params: x is named twice; give two different parameters"),
    (["--expr", BOWL, "--params", "x", "y", "--race", "some"],
     "argument --race: unknown choice 'some'; choose from plane, all (see 'graphgui landscape "
     "--help')"),
    (["--expr", BOWL, "--params", "x", "y", "--span", "big"],
     "argument --span: expected auto or a finite number > 0 and <= 1e+06, got 'big' "
     "(see 'graphgui landscape --help')"),
    (["--expr", BOWL, "--params", "x", "y", "--grid", "301"],
     "argument --grid: expected a whole number from 3 to 201, got '301' "
     "(see 'graphgui landscape --help')"),
    (["--expr", BOWL, "--params", "x", "y", "--grid", "40"],
     "--grid: expected an odd whole number from 3 to 201 (the current parameters are the "
     "centre point), got 40"),
    (["--expr", BOWL, "--params", "x", "y", "--steps", "10001"],
     "argument --steps: expected a whole number from 0 to 10,000, got '10001' "
     "(see 'graphgui landscape --help')"),
    (["--expr", BOWL, "--params", "x", "y", "--optimizers", "sgd,adma"],
     "--optimizers: unknown optimizer 'adma' (did you mean 'adam'?) (one of sgd, momentum, "
     "rmsprop, adam)"),
    (["--expr", BOWL, "--params", "x", "y", "--seed", "3"],
     "--seed is for --directions random (it seeds the two directions)"),
    (["--expr", BOWL],
     "one of the arguments --params --directions is required (see 'graphgui landscape --help')"),
])
def test_cli_refuses_bad_input_in_one_line(capsys, argv, message):
    code, out, err = run(capsys, "landscape", *argv, "--json")
    assert code == 2
    assert out == ""
    assert err == f"graphgui landscape: error: {message}\n"


def test_cli_refuses_an_output_that_is_not_png_and_needs_an_output(capsys, tmp_path):
    code, _, err = run(capsys, "landscape", "--expr", BOWL, "--params", "x", "y", "-o",
                       str(tmp_path / "a.svg"))
    assert code == 2 and err.endswith("the file name must end in .png\n")
    code, _, err = run(capsys, "landscape", "--expr", BOWL, "--params", "x", "y")
    assert code == 2 and "one of the arguments -o --json is required" in err


def test_cli_exits_1_when_the_loss_at_the_current_parameters_is_not_finite(capsys):
    code, out, err = run(capsys, "landscape", "--expr", "x = param(0); y = param(1); "
                         "f = log(x) + y", "--params", "x", "y", "--grid", "3", "--steps",
                         "2", "--optimizers", "sgd", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["loss"][1][1] is None  # -inf is null in JSON
    assert "the loss at the current parameters is -inf" in err
