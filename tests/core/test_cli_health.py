"""``graphgui health``: the figures of an expression whose answer is known, JSON keys, the
ratios after --train-epochs, one-line refusals."""

from __future__ import annotations

import json
import math

import pytest

from graphgui.cli import main
from graphgui.cli_health import sparkline

# Two samples: relu(x - 3) is 0 for both (one dead unit), tanh(3 x) is tanh(6) and tanh(-0.3)
# (one of two saturated).
EXPR = "x = [[2, -0.1]]; y = relu(x - 3); z = tanh(3 * x); f = sum(y + z)"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_gives_each_activations_shares_and_histograms(capsys):
    code, out, err = run(capsys, "health", "--expr", EXPR, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "update_ratios" not in data
    by_name = {a["name"]: a for a in data["activations"]}
    y, z = by_name["y"], by_name["z"]
    assert (y["op"], y["units"], y["samples"], y["dead"], y["dead_units"]) == (
        "relu", 1, 2, 1.0, 1)
    assert y["saturated"] is None and z["dead"] is None
    assert z["saturated"] == 0.5
    assert z["mean"] == pytest.approx((math.tanh(6) + math.tanh(-0.3)) / 2, abs=1e-15)
    # df/dz = 1 for both samples: two counts in the bin of log10 1 = 0, no zeros.
    grad = z["grad_log10_magnitudes"]
    k = grad["edges"].index(0.0)
    assert grad["counts"][k] == 2 and sum(grad["counts"]) == 2 and "zeros" not in grad
    assert len(z["values"]["counts"]) == 40 and z["values"]["edges"][0] == -1.0


def test_text_names_the_thresholds_and_every_layer(capsys):
    code, out, _ = run(capsys, "health", "--expr", EXPR)
    assert code == 0
    assert "2 activations over 2 samples; saturated: |tanh| > 0.97" in out
    lines: dict[str, str] = {}
    for line in out.splitlines():  # the first table's rows
        if line[:2] in ("y ", "z "):
            lines.setdefault(line[0], line)
    assert "100% (1 of 1)" in lines["y"] and "50.0%" in lines["z"]
    assert "the output" not in out  # no activation here feeds a loss


def test_the_output_layer_is_named_and_its_saturation_expected(capsys):
    # sigmoid(10 x) for x = 1, -1, 0.01: 1 - 4.5e-5, 4.5e-5 (saturated) and 0.525 (not);
    # the sigmoid feeds the BCE loss directly: the network's output.
    expr = "x = [[1, -1, 0.01]]; y = [[1, 0, 1]]; p = sigmoid(10 * x); L = bce(p, y)"
    code, out, err = run(capsys, "health", "--expr", expr)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("p "))
    assert "66.7%" in row
    assert "p: the output (feeds the loss), where saturation is expected" in out
    code, out, _ = run(capsys, "health", "--expr", expr, "--json")
    (p,) = json.loads(out)["activations"]
    assert p["at_output"] is True and p["saturated"] == pytest.approx(2 / 3)


def test_train_epochs_reports_every_parameters_ratio(capsys):
    code, out, err = run(capsys, "health", "--example", "moons_network", "--train-epochs",
                         "60", "--json")
    assert code == 0, err
    ratios = json.loads(out)["update_ratios"]
    assert ratios["epochs"] == list(range(1, 61))  # the first 50 dense, then the stride 1
    assert set(ratios["parameters"]) == {"W1", "b1", "W2", "b2"}
    assert all(len(v) == 60 and all(r > 0 for r in v) for v in ratios["parameters"].values())
    code, out, _ = run(capsys, "health", "--example", "moons_network", "--train-epochs", "60")
    assert "update-to-data ratio std(update) / std(W) at epoch 60" in out


def test_refusals_are_one_line(capsys):
    code, out, err = run(capsys, "health", "--expr", "x = 2; f = x * x")
    assert code == 2 and "no activation node" in err and len(err.splitlines()) == 1
    code, out, err = run(capsys, "health", "--expr", "x = 2; f = tanh(x)", "--train-epochs", "3")
    assert code == 2 and "needs the graph's training settings with a data set" in err
    code, out, err = run(capsys, "health", "--example", "moons_network", "--train-epochs", "-1")
    assert code == 2 and "--train-epochs" in err


def test_sparkline_scales_to_the_tallest_bin():
    assert sparkline([0, 1, 2, 4], width=4) == " ▂▄█"
    assert sparkline([1, 1, 0, 0, 3, 1], width=3) == "▄ █"
    assert sparkline([0, 0]) == "  "
