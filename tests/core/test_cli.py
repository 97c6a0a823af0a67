"""The headless command line: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from graphgui.cli import main
from graphgui.core.ops import OpSpec, register, unregister

CHAIN = "q = x + y; f = q * z"
CHAIN_VALUES = ["--set", "x=-2", "--set", "y=5", "--set", "z=-4"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_eval_json_gives_value_and_gradients_of_every_named_node(capsys):
    code, out, err = run(capsys, "eval", "--expr", CHAIN, *CHAIN_VALUES, "--json")
    assert code == 0, err
    data = json.loads(out)
    # By hand: q = 3, f = -12; df/dx = df/dy = z = -4, df/dz = q = 3, df/dq = z = -4.
    assert data["output"] == "f"
    assert data["value"] == -12
    assert data["values"] == {"x": -2, "y": 5, "z": -4, "q": 3, "f": -12}
    assert data["grads"] == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}


def test_eval_table_is_readable(capsys):
    code, out, _ = run(capsys, "eval", "--expr", CHAIN, *CHAIN_VALUES)
    assert code == 0
    assert "f = -12" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["x"] == ["x", "input", "-2", "-4"]
    assert rows["z"] == ["z", "input", "-4", "3"]


def test_set_accepts_json_matrices(capsys):
    code, out, err = run(
        capsys,
        "eval",
        "--expr",
        "y = sum(W @ v)",
        "--set",
        "W=[[0.5,0.3],[0.2,0.8]]",
        "--set",
        "v=[1,2]",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    # W @ v = [0.5 + 0.6, 0.2 + 1.6] = [1.1, 1.8]; dy/dW[i, j] = v[j]; dy/dv[j] = sum_i W[i, j].
    assert data["value"] == pytest.approx(2.9)
    assert data["grads"]["W"] == [[1.0, 2.0], [1.0, 2.0]]
    assert data["grads"]["v"] == pytest.approx([0.7, 1.1])


def test_output_can_be_chosen(capsys):
    code, out, _ = run(capsys, "eval", "--expr", CHAIN, *CHAIN_VALUES, "--output", "q", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["output"] == "q" and data["value"] == 3
    assert data["grads"]["x"] == 1
    # z and f do not reach q: their gradient is 0 (PyTorch: None, zeros when materialized)
    assert data["grads"]["z"] == 0 and data["grads"]["f"] == 0


def test_non_finite_value_names_the_node_and_exits_1(capsys):
    code, out, err = run(capsys, "eval", "--expr", "a = log(x); b = a * 2", "--set", "x=0")
    assert code == 1
    assert err.count("\n") == 1
    assert "non-finite" in err and "a (log" in err and "-inf" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["eval"], "exactly one of FILE, --expr"),
        (["eval", "--expr", "f = x", "--example", "x"], "exactly one of"),
        (["eval", "--expr", CHAIN, "--set", "w=1"], "no node named 'w'"),
        (["eval", "--expr", CHAIN, "--set", "q=1"], "only sources can be set"),
        (["eval", "--expr", CHAIN, "--set", "x=[1,"], "is not JSON"),
        (["eval", "--expr", CHAIN, "--set", "x=NaN"], "NaN is not a number JSON allows"),
        (["eval", "--expr", CHAIN, "--set", "x"], "expected NAME=JSON"),
        (["eval", "--expr", CHAIN, "--set", 'x="a"'], "x: expected a number"),
        (["eval", "--expr", CHAIN, "--output", "nope"], "no node named 'nope'"),
        (["eval", "--expr", "f = (x + "], "line 1"),
        (["eval", "/nonexistent/graph.json"], "graph.json"),
        (
            ["eval", "--expr", "f = a + b", "--set", "a=[1,2]", "--set", "b=[1,2,3]"],
            "shape mismatch",
        ),
        (["eval", "--bogus"], "unrecognized arguments"),
        (["convert", "--expr", "f = x"], "required: -o"),
        (["export", "--expr", "f = x", "-o", "out.gif"], "must end in .png or .svg"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("graphgui")
    assert fragment in err
    assert "Traceback" not in err


def test_check_passes_on_correct_rules(capsys):
    code, out, _ = run(
        capsys,
        "check",
        "--expr",
        "f = sigmoid(w * x + b)",
        "--set",
        "w=0.7",
        "--set",
        "x=-1.3",
        "--set",
        "b=0.2",
    )
    assert code == 0
    assert "3 of 3 gradients match" in out


def test_check_fails_on_a_wrong_rule(capsys):
    # d/dx x^3 is 3x^2; this rule says 2x^2 on purpose.
    register(
        OpSpec(
            name="cube_wrong",
            category="Math",
            label="x3",
            doc="test only",
            inputs=("x",),
            forward=lambda x: x**3,
            vjps=(lambda g, out, x: g * 2 * x**2,),
            jvps=(lambda t, out, x: t * 2 * x**2,),
            elementwise=True,
            vjp_graph=lambda b, g, out, inputs, params, needs: (g,),  # never built here
            numpy_code="{x} ** 3", numpy_grads=("{g} * 2 * {x} ** 2",),
            torch_code="{x} ** 3",
            formula="x^3",
            derivatives=("2 x^2",),
        )
    )
    try:
        code, out, _ = run(
            capsys, "check", "--expr", "f = cube_wrong(x)", "--set", "x=1.5", "--json"
        )
    finally:
        unregister("cube_wrong")
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False
    (check,) = data["checks"]
    assert check["autodiff"] == pytest.approx(2 * 1.5**2)
    assert check["numeric"] == pytest.approx(3 * 1.5**2, rel=1e-6)


def test_step_prints_each_chain_rule_term(capsys):
    code, out, _ = run(capsys, "step", "--expr", CHAIN, *CHAIN_VALUES)
    assert code == 0
    assert "q = x + y = (-2) + 5 = 3" in out
    assert "f = q * z = 3 * (-4) = -12" in out
    assert "df/dq = df/df * df/dq = 1 * (-4) = -4" in out
    assert "df/dz = df/df * df/dz = 1 * 3 = 3" in out
    assert "df/dx = df/dq * dq/dx = (-4) * 1 = -4" in out


def test_step_shows_the_sum_at_a_node_used_twice(capsys):
    # h = x * x + x at x = 3: dh/dx = 2x + 1 = 7. h passes 1 to x first, then s = x * x
    # passes x = 3 through each of its two inputs.
    code, out, _ = run(capsys, "step", "--expr", "s = x * x; h = s + x", "--set", "x=3")
    assert code == 0
    assert "(contribution 1 of 3; running sum 1)" in out
    assert "(contribution 3 of 3; running sum 7)" in out
    assert out.splitlines()[-1].strip().endswith(". x: gradient complete, dh/dx = 1 + 3 + 3 = 7")


def test_step_markdown_table(capsys):
    code, out, _ = run(capsys, "step", "--expr", CHAIN, *CHAIN_VALUES, "--markdown")
    assert code == 0
    assert "| step | node | gradient | local derivative | upstream | contribution | total |" in out
    assert re.search(r"\| \d \| q \| df/dx \| dq/dx = 1 \| df/dq = -4 \| -4 \| -4 \|", out)


def test_step_names_unnamed_nodes_by_their_short_label(capsys):
    # x = y = 0: add = 0, f = sigmoid(0) = 0.5, df/dadd = f (1 - f) = 0.25, passed unchanged
    # to x and y by the sum; sources come last, in reverse order.
    code, out, _ = run(capsys, "step", "--expr", "f = sigmoid(x + y)")
    assert code == 0
    assert out.splitlines() == [
        "Forward pass",
        "    1. add = x + y = 0 + 0 = 0",
        "    2. f = 1 / (1 + exp(-add)) = 1 / (1 + exp(-0)) = 0.5",
        "",
        "Backward pass",
        "    1. f = 1 / (1 + exp(-add)): upstream df/df = 1",
        "       df/dadd = df/df * df/dadd = 1 * 0.25 = 0.25   [df/dadd = f * (1 - f)]",
        "    2. add = x + y: upstream df/dadd = 0.25",
        "       df/dx = df/dadd * dadd/dx = 0.25 * 1 = 0.25",
        "       df/dy = df/dadd * dadd/dy = 0.25 * 1 = 0.25",
        "    3. y: gradient complete, df/dy = 0.25",
        "    4. x: gradient complete, df/dx = 0.25",
    ]
    code, out, _ = run(capsys, "step", "--expr", "f = sigmoid(x + y)", "--markdown")
    assert "| 2 | add | df/dx | dadd/dx = 1 | df/dadd = 0.25 | 0.25 | 0.25 |" in out


def test_step_writes_powers_as_typed_and_matrix_products_with_numbers(capsys):
    # f = x**2 at x = 3: 9; df/dx = 2 x = 6.
    code, out, _ = run(capsys, "step", "--expr", "f = x**2", "--set", "x=3")
    assert code == 0
    assert "f = x**2 = 3**2 = 9" in out
    assert "df/dx = df/df * df/dx = 1 * 6 = 6   [df/dx = 2 * x**(2 - 1)]" in out
    assert "^" not in out
    # y = W x = [-1, -1], L = sum(y): g = [1, 1], dL/dW = g x^T, dL/dx = W^T g = [4, 6].
    source = "W = [[1, 2], [3, 4]]; x = [1, -1]; y = W @ x; L = sum(y)"
    code, out, _ = run(capsys, "step", "--expr", source)
    assert code == 0
    assert "dL/dW = g @ x^T = [[1], [1]] @ [[1, -1]] = [[1, -1], [1, -1]]   [g = dL/dy]" in out
    assert "dL/dx = W^T @ g = [[1, 3], [2, 4]] @ [1, 1] = [4, 6]   [g = dL/dy]" in out


def _unnamed_product(tmp_path, connect_b: bool = True) -> str:
    """input * input, nothing named, saved as a file (the expression language names all)."""
    from graphgui.core import fileformat
    from graphgui.core.graph import Graph

    graph = Graph()
    a = graph.add_node("input", value=2.0).id
    b = graph.add_node("input", value=3.0).id
    m = graph.add_node("mul").id
    graph.connect(a, m, 0)
    if connect_b:
        graph.connect(b, m, 1)
    path = tmp_path / "unnamed.json"
    fileformat.save(graph, path)
    return str(path)


def test_eval_check_and_errors_call_unnamed_nodes_by_their_label(tmp_path, capsys):
    path = _unnamed_product(tmp_path)
    # mul = 2 * 3 = 6; d mul/d input1 = 3, d mul/d input2 = 2.
    code, out, _ = run(capsys, "eval", path)
    assert code == 0 and out.splitlines()[0] == "mul = 6"
    code, out, _ = run(capsys, "eval", path, "--json")
    assert json.loads(out)["output"] == "mul"
    code, out, _ = run(capsys, "check", path)
    assert code == 0
    rows = [line.split()[:2] for line in out.splitlines()[2:4]]
    assert rows == [["input1", "3"], ["input2", "2"]]
    code, out, _ = run(capsys, "check", path, "--json")
    assert [c["name"] for c in json.loads(out)["checks"]] == ["input1", "input2"]
    code, _, err = run(capsys, "eval", _unnamed_product(tmp_path, connect_b=False))
    assert code == 2
    assert err == "graphgui eval: error: mul: input 'b' is not connected\n"


def test_convert_writes_a_graph_file_that_evaluates(tmp_path, capsys):
    target = tmp_path / "chain.json"
    code, out, err = run(
        capsys,
        "convert",
        "--expr",
        CHAIN,
        *CHAIN_VALUES,
        "-o",
        str(target),
        "--title",
        "Chain rule",
    )
    assert code == 0, err
    assert target.exists()
    code, out, _ = run(capsys, "eval", str(target), "--json")
    assert code == 0
    assert json.loads(out)["value"] == -12
    data = json.loads(target.read_text())
    assert data["title"] == "Chain rule"
    xs = {n["name"]: n["pos"][0] for n in data["nodes"] if n["name"]}
    assert xs["x"] < xs["q"] < xs["f"]  # laid out left to right


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("graphgui ")


def test_headless_commands_load_no_qt():
    code = (
        "import sys; from graphgui.cli import main; "
        "main(['eval', '--expr', 'f = sin(x) * 2', '--set', 'x=1', '--json']); "
        "main(['step', '--expr', 'f = sin(x) * 2']); "
        "main(['check', '--expr', 'f = sin(x) * 2']); "
        "print([m for m in sys.modules if m.startswith(('PySide6', 'shiboken', 'pyqtgraph'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1]
    assert last == "[]"
    first = json.loads(out.stdout.splitlines()[0])
    assert first["value"] == pytest.approx(2 * math.sin(1))


# ---- train -----------------------------------------------------------------------------------


def _mlp_file(tmp_path, training: dict | None, loss: str = "bce") -> str:
    from graphgui.core import fileformat
    from graphgui.core.train import mlp_graph

    if loss == "bce":
        graph = mlp_graph([2, 4, 1], hidden="sigmoid", output="sigmoid", loss="bce", seed=0)
    else:
        graph = mlp_graph([1, 8, 1], hidden="tanh", output=None, loss="mse", seed=0)
    path = tmp_path / "net.json"
    settings = None if training is None else {"training": training}
    fileformat.save(graph, path, settings=settings)
    return str(path)


def test_train_json_reports_the_keys_of_the_issue(tmp_path, capsys):
    path = _mlp_file(tmp_path, {"dataset": {"kind": "moons"}, "epochs": 300, "lr": 0.5})
    code, out, err = run(capsys, "train", path, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"epochs", "final_loss", "loss_history", "train_accuracy",
                         "test_accuracy", "seconds"}
    assert data["epochs"] == 300 and len(data["loss_history"]) == 300
    # The loss falls from about ln 2 (weights near 0 predict 0.5) and the net learns the moons.
    assert data["loss_history"][0] == pytest.approx(math.log(2), abs=0.01)
    assert data["final_loss"] < 0.45 < data["loss_history"][0]
    assert data["test_accuracy"] > 0.75 and 0 <= data["seconds"] < 60


def test_train_options_override_the_file_and_o_saves_the_trained_graph(tmp_path, capsys):
    from graphgui.core import fileformat

    path = _mlp_file(tmp_path, {"dataset": {"kind": "moons"}, "epochs": 5})
    out_path = tmp_path / "trained.json"
    code, out, err = run(capsys, "train", path, "--epochs", "40", "--optimizer", "adam",
                         "--lr", "0.05", "--batch-size", "16", "-o", str(out_path), "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] == 40
    before = fileformat.load(path)
    document = fileformat.load_document(out_path)
    assert document.settings["training"]["optimizer"] == "adam"
    assert document.settings["training"]["batch_size"] == 16
    w_before = before.find("W1").value
    w_after = document.graph.find("W1").value
    assert w_after.shape == w_before.shape and not np.array_equal(w_after, w_before)


def test_train_without_a_data_set_says_how_to_give_one(tmp_path, capsys):
    code, out, err = run(capsys, "train", _mlp_file(tmp_path, None))
    assert code == 2 and err.count("\n") == 1
    assert "--dataset KIND" in err
    code, out, err = run(capsys, "train", _mlp_file(tmp_path, None), "--dataset", "moons",
                         "--epochs", "3", "--json")
    assert code == 0, err


def test_train_stops_on_a_non_finite_loss_naming_the_node(tmp_path, capsys):
    path = _mlp_file(tmp_path, {"dataset": {"kind": "sin"}, "epochs": 50, "lr": 1e6}, "mse")
    code, out, err = run(capsys, "train", path)
    assert code == 1
    assert err.count("\n") == 1
    assert "L (mse" in err and "inf" in err


def test_train_an_example_uses_its_settings(capsys):
    code, out, err = run(capsys, "train", "--example", "moons_network", "--epochs", "20",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] == 20


def test_examples_lists_worked_and_training_examples(capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0
    assert "chain_rule" in out and "moons_network" in out
