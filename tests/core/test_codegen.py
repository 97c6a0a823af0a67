"""Code export (graphgui.core.codegen, ``graphgui code``): the NumPy module and the
expression program. A generated NumPy module run as a program prints what ``graphgui eval
FILE --json`` prints (to 1e-10), for every bundled example, every op on several shapes and
random graphs; its training loop trains as the Trainer does; the expression program parses
back into the same graph. The PyTorch module: test_codegen_torch.py."""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import io
import json
import subprocess
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from codegen_cases import (
    assert_same,
    eval_json,
    op_cases,
    random_graph,
    run_main,
    training_cases,
)

from graphgui.cli import main as cli
from graphgui.core.codegen import CodegenError, export_code, program_names
from graphgui.core.codegen.data import load_data_function
from graphgui.core.datasets import make_dataset
from graphgui.core.examples import example_names, load_example_document, training_example_names
from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.labels import node_labels
from graphgui.core.ops import all_ops
from graphgui.core.train import Trainer

EXAMPLES = example_names() + training_example_names()
OP_CASES = op_cases()


def example(name: str) -> tuple[Graph, dict | None]:
    return load_example_document(name)


def cli_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(list(args)) == 0
    return json.loads(out.getvalue())


# ---- NumPy: the module evaluates as graphgui eval does ----------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_in_numpy_prints_what_eval_prints(name):
    graph, settings = example(name)
    code = export_code(graph, settings, "numpy")
    assert_same(run_main(code), cli_json("eval", "--example", name, "--json"), name)


@pytest.mark.parametrize("name", ["chain_rule", "network_2_2_2", "moons_network"])
def test_the_module_run_as_a_program_prints_the_same_json(name, tmp_path):
    graph, settings = example(name)
    path = tmp_path / f"{name}.py"
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["code", "--example", name, "--to", "numpy", "-o", str(path)]) == 0
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warnings either (nan and inf are values)
    assert_same(json.loads(done.stdout), cli_json("eval", "--example", name, "--json"), name)


@pytest.mark.parametrize("case", OP_CASES, ids=[c[0] for c in OP_CASES])
def test_every_op_backward_written_out_gives_the_engine_gradients(case):
    name, graph = case
    assert_same(run_main(export_code(graph, None, "numpy")), eval_json(graph), name)


def test_every_registered_op_has_cases_here():
    from codegen_cases import CASES

    ops = {s.name for s in all_ops() if not s.is_source}
    assert ops <= set(CASES), f"ops without code-export cases: {sorted(ops - set(CASES))}"


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_in_numpy(seed):
    graph = random_graph(seed)
    assert_same(run_main(export_code(graph, None, "numpy")), eval_json(graph), f"seed {seed}")


def test_the_chain_rule_reads_as_the_notebook_writes_it():
    graph, _ = example("chain_rule")
    code = export_code(graph, None, "numpy")
    for line in ("def forward(x, y, z):", "    q = x + y", "    f = q * z",
                 "    d_f = 1.0  # df/df", "    # f = q * z", "    d_q = d_f * z",
                 "    d_z = d_f * q", "    d_x = d_q", "    d_y = d_q"):
        assert line in code.splitlines(), line
    # a fan-out sums its parts, written out
    fan = export_code(parse("x = 3; s = x * x; h = s + x"), None, "numpy")
    assert "    d_x = d_h" in fan and fan.count("    d_x = d_x + d_s * x") == 2


def test_broadcast_sums_are_written_out():
    graph, settings = example("moons_network")
    code = export_code(graph, settings, "numpy")
    assert "    d_b1 = np.sum(d_Z1, axis=1, keepdims=True)" in code
    assert "    d_W1 = d_WA1 @ X.T" in code
    assert "    d_A1 = W2.T @ d_WA2" in code
    lead = export_code(parse("a = [[1, 2], [3, 4]]; b = [5, 6]; f = sum(a * b)"), None, "numpy")
    assert "d_b = np.sum(d_mul * a, axis=0)" in lead
    scalar = export_code(parse("a = [1, 2]; s = 3; f = sum(a * s)"), None, "numpy")
    assert "d_s = np.sum(d_mul * a)" in scalar


def test_names_are_sanitised_identifiers_never_typed_text():
    g = parse("np = 2; forward = 3; d_x = np * forward; values = d_x + 1")
    g.title = 'evil """\nimport os; os.system("x")\n'
    code = export_code(g, None, "numpy")
    imported = [a.name for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Import)
                for a in n.names]
    assert imported == ["json", "sys", "numpy"]  # the title is a comment: no code
    assert '# Graph: evil """ import os; os.system("x")' in code.splitlines()
    assert "np_1 = 2.0" in code and "forward_1 = 3.0" in code and "n_d_x = " in code
    assert_same(run_main(code), eval_json(g))


def test_python_floats_that_would_raise_are_numpy_floats():
    g = parse("x = 0; y = -8; f = 1 / x + y ** 0.5")
    code = export_code(g, None, "numpy")
    assert "x = np.float64(0.0)" in code
    got = run_main(code)
    assert got["value"] == "nan"
    assert_same(got, eval_json(g))


def test_output_only_constants_feed_and_a_dead_input():
    g = parse("c = const(2); k = 5; f = c * 3")
    got = run_main(export_code(g, None, "numpy"))
    assert_same(got, eval_json(g))
    assert got["grads"] == {"c": None, "k": 0.0, "f": 1.0}


def test_errors_are_one_line_codegen_errors():
    g = Graph()
    a = g.add_node("add", name="s")
    g.set_output(a.id)
    with pytest.raises(CodegenError, match="s: inputs 'a' and 'b' are not connected"):
        export_code(g, None, "numpy")
    with pytest.raises(CodegenError, match="the graph is empty"):
        export_code(Graph(), None, "torch")
    with pytest.raises(CodegenError, match="unknown target 'java'"):
        export_code(parse("f = x"), None, "java")
    big = parse("X = 0; f = sum(X * 2)")
    big.set_value(big.find("X").id, np.zeros((1000, 501)))
    with pytest.raises(CodegenError, match="501,001 numbers; exported code holds at most"):
        export_code(big, None, "numpy")
    batched = parse("a = [[[1.0, 2.0]]]; b = [[1.0], [2.0]]; f = sum(a @ b)")
    with pytest.raises(CodegenError, match="matmul of shapes"):
        export_code(batched, None, "numpy")


# ---- the training loop ---------------------------------------------------------------------


def _trained(code: str, epochs: int) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)  # noqa: S102
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        return namespace["train"](epochs=epochs)


def _trainer_parameters(graph: Graph, training: dict, epochs: int) -> dict[str, Any]:
    trainer = Trainer.from_settings(graph, {**training, "epochs": epochs})
    trainer.run()
    labels = node_labels(graph)
    return {labels[pid]: value for pid, value in trainer.parameters().items()}


def _variants():
    for name in ("moons_network", "moons_sgd", "sin_regression", "gradient_descent_x2"):
        graph, settings = example(name)
        yield name, graph, settings, 2
    graph, settings = example("moons_network")
    for optimizer, options in (("momentum", {"momentum": 0.8}), ("rmsprop", {}),
                               ("adam", {"beta1": 0.8})):
        changed = copy.deepcopy(settings)
        changed["training"].update(optimizer=optimizer, optimizer_options=options,
                                   batch_size=32, l2=0.01, lr=0.05)
        yield f"moons {optimizer}, batches of 32, l2", graph, changed, 3
    yield from training_cases()


@pytest.mark.parametrize("variant", list(_variants()), ids=lambda v: v[0])
def test_the_training_loop_trains_as_the_trainer_does(variant):
    name, graph, settings, epochs = variant
    got = _trained(export_code(graph, settings, "numpy"), epochs)
    want = _trainer_parameters(graph, settings["training"], epochs)
    assert set(want) <= set(got)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-12, err_msg=key)


def test_a_loss_that_is_not_the_output_gets_its_own_backward():
    graph, settings = example("moons_network")
    graph.set_output(graph.find("A2").id)
    changed = copy.deepcopy(settings)
    changed["training"]["loss"] = "L"
    code = export_code(graph, changed, "numpy")
    assert "def loss_backward(values):" in code and "grads = loss_backward(values)" in code
    want = _trainer_parameters(graph, changed["training"], 2)
    got = _trained(code, 2)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-12, err_msg=key)


def test_training_prints_the_loss_and_the_accuracy(tmp_path):
    graph, settings = example("moons_network")
    changed = copy.deepcopy(settings)
    changed["training"]["epochs"] = 20
    code = export_code(graph, changed, "numpy")
    path = tmp_path / "moons.py"
    path.write_text(code)
    done = subprocess.run([sys.executable, str(path), "--train"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("epoch 2: loss 0.69") and lines[9].startswith("epoch 20: ")
    assert lines[-2].startswith("training loss ") and "accuracy" in lines[-2]
    assert lines[-1].startswith("test loss ")


def test_unusable_training_settings_leave_the_loop_out_with_a_note():
    graph, settings = example("moons_network")
    broken = copy.deepcopy(settings)
    broken["training"]["loss"] = "no_such_node"
    code = export_code(graph, broken, "numpy")
    assert "def train(" not in code and "no training loop is written" in code
    ast.parse(code)


@pytest.mark.parametrize("spec", [
    {"kind": "moons", "n": 60, "noise": 0.1, "seed": 3},
    {"kind": "circles", "n": 50, "factor": 0.3, "standardize": True},
    {"kind": "blobs", "n": 60, "centers": 3, "sample_axis": 0},
    {"kind": "blobs", "n": 40, "one_hot": True, "test_size": 0.0},
    {"kind": "xor", "n": 50, "noise": 0.2, "seed": 7},
    {"kind": "sin", "n": 30, "noise": 0.1, "seed": 2},
    {"kind": "ising", "n": 40, "L": 3, "seed": 5},
], ids=lambda s: s["kind"] + "-" + "-".join(f"{k}" for k in s if k != "kind"))
def test_load_data_makes_the_data_set_element_for_element(spec):
    dataset = make_dataset(spec)
    namespace: dict[str, Any] = {"np": np}
    exec(load_data_function(dataset), namespace)  # noqa: S102
    arrays = namespace["load_data"]()
    want = (dataset.X_train, dataset.Y_train, dataset.X_test, dataset.Y_test)
    for got, expected in zip(arrays, want, strict=True):
        assert got.shape == expected.shape and np.array_equal(got, expected)


def test_a_csv_data_set_is_written_out(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20)))
    dataset = make_dataset({"kind": "csv", "path": str(path)})
    text = load_data_function(dataset)
    assert str(path) not in text and "data.csv" not in text  # no typed text in the code
    namespace: dict[str, Any] = {"np": np}
    exec(text, namespace)  # noqa: S102
    for got, expected in zip(namespace["load_data"](), (dataset.X_train, dataset.Y_train,
                                                        dataset.X_test, dataset.Y_test),
                             strict=True):
        assert np.array_equal(got, expected)


# ---- the expression program ----------------------------------------------------------------


def canonical(graph: Graph, names: dict[str, str]) -> tuple[Counter, str, Counter]:
    """The graph up to node ids and order: each node by its op, name, value, parameters and
    (recursively) its inputs by port; the output; every wire by its two ends."""
    key: dict[str, str] = {}
    for nid in graph.topological_order():
        node = graph.node(nid)
        value = None if node.value is None else (np.shape(node.value),
                                                 np.asarray(node.value, float).tobytes())
        params = sorted((k, tuple(v) if isinstance(v, list | tuple) else v)
                        for k, v in node.params.items())
        text = repr((node.op, names.get(nid), value, params,
                     tuple(key[s] for s in graph.input_ids(nid))))
        key[nid] = hashlib.sha256(text.encode()).hexdigest()  # nested reprs would grow
    wires = Counter((key[e.src], key[e.dst], e.port) for e in graph.edges)
    return Counter(key.values()), key[graph.output], wires


def assert_round_trip(graph: Graph) -> str:
    text = export_code(graph, None, "expr")
    again = parse(text)
    mine = canonical(graph, program_names(graph))
    theirs = canonical(again, {n.id: n.name for n in again.nodes if n.name})
    assert mine == theirs, text
    assert {n.name for n in graph.nodes if n.name} <= {n.name for n in again.nodes}
    return text


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_round_trips_through_its_program(name):
    assert_round_trip(example(name)[0])


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_round_trip(seed):
    assert_round_trip(random_graph(seed, n_ops=20))


@pytest.mark.parametrize("case", OP_CASES[::3], ids=[c[0] for c in OP_CASES[::3]])
def test_ops_with_parameters_round_trip(case):
    assert_round_trip(case[1])


def test_the_program_writes_what_a_person_would():
    text = assert_round_trip(parse("x = -2; y = 5; z = -4; q = x + y; f = q * z"))
    assert text == "x = -2.0\ny = 5.0\nz = -4.0\nq = x + y\nf = q * z\nf\n"
    tricky = ("x = 2; a = x - (x - 1); b = (x ** 2) ** 3; c = x ** 2 ** 3; d = -(x ** 2)\n"
              "g = (-x) ** 2; h = neg(2) * x; k = (-2) ** x; m = x - -3; n = -(-x)\n"
              "p = leaky_relu(x, alpha=0.3) + sum([1, 2]) * param(0.5) + mean(x, axis=None)\n"
              "f = a + b + c + d + g + h + k + m + n + p")
    text = assert_round_trip(parse(tricky))
    assert "a = x - (x - 1.0)" in text and "b = (x ** 2.0) ** 3.0" in text
    assert "c = x ** 2.0 ** 3.0" in text and "h = neg(2.0) * x" in text
    assert "k = (-2.0) ** x" in text and "m = x - -3.0" in text


def test_unnamed_nodes_the_program_must_name_get_their_labels():
    g = Graph()
    x = g.add_node("input", value=2.0)  # unnamed input
    s = g.add_node("sin")
    g.connect(x.id, s.id, 0)
    m = g.add_node("mul")  # sin used twice: named
    g.connect(s.id, m.id, 0)
    g.connect(s.id, m.id, 1)
    g.set_output(m.id)  # unnamed output
    names = program_names(g)
    assert names == {x.id: "input", s.id: "sin", m.id: "mul"}
    assert assert_round_trip(g) == "input = 2.0\nsin = sin(input)\nmul = sin * sin\nmul\n"


def test_deep_chains_are_split_by_names():
    source = "x = 0.1\nf = " + "sin(" * 80 + "x" + ")" * 80
    assert_round_trip(parse(source))


def test_values_the_language_cannot_write_are_refused():
    g = parse("x = 1; f = x * 2")
    g.set_value(g.find("x").id, float("nan"))
    with pytest.raises(CodegenError, match="cannot write the value nan"):
        export_code(g, None, "expr")


# ---- the command ---------------------------------------------------------------------------


def test_code_command_writes_stdout_or_a_file(tmp_path, capsys):
    assert cli(["code", "--expr", "f = (x + y) * z", "--to", "expr"]) == 0
    assert capsys.readouterr().out == "x = 0.0\ny = 0.0\nz = 0.0\nf = (x + y) * z\nf\n"
    out = tmp_path / "chain.py"
    assert cli(["code", "--example", "chain_rule", "--to", "numpy", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (numpy code, ")
    assert out.read_text() == export_code(*example("chain_rule"), "numpy")


def test_code_command_refuses_what_it_cannot_do(tmp_path, capsys):
    import os

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    assert cli(["code", "--example", "chain_rule", "--to", "numpy", "-o", str(fifo)]) == 2
    assert "cannot write: is a named pipe (FIFO), not a regular file" in capsys.readouterr().err
    assert cli(["code", "--example", "chain_rule", "--to", "java"]) == 2
    assert "unknown choice 'java'" in capsys.readouterr().err
    assert cli(["code", "--example", "chain_rule"]) == 2
    assert "--to" in capsys.readouterr().err
    assert cli(["code", "--expr", "f = x @ y", "--to", "numpy"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphgui code: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("target", ["numpy", "torch"])
def test_an_unknown_argument_is_one_line_and_exit_status_2(target, tmp_path):
    if target == "torch":
        pytest.importorskip("torch")
    for name, bad in (("chain_rule", ["--train"]), ("moons_network", ["--bogus"])):
        graph, settings = example(name)
        code = export_code(graph, settings, target)
        trains = "\ndef train(" in code
        assert ("--train" in code.split('"""')[1]) == trains == (name == "moons_network")
        path = tmp_path / f"{name}_{target}.py"
        path.write_text(code)
        done = subprocess.run([sys.executable, str(path), *bad], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2 and done.stdout == "", (name, done.stdout)
        usage = " [--train]" if trains else ""
        assert done.stderr == (f"{path}: error: unrecognized arguments: {bad[0]} "
                               f"(usage: python {path}{usage})\n")


@pytest.mark.parametrize("target", ["numpy", "torch"])
@pytest.mark.parametrize("name", ["ising_phases", "moons_network", "sin_regression"])
def test_a_generated_data_set_is_not_written_out_load_data_makes_it(name, target):
    graph, settings = example(name)
    code = export_code(graph, settings, target)
    lines = code.splitlines()
    assert "X = np.array(" not in code and "Y = np.array(" not in code
    assert "    X, Y = load_data()[:2]  # their stored values: the training split" in lines
    if name == "ising_phases":
        assert len(lines) < 400, len(lines)  # the weights only, not 900 lines of samples
    if target == "numpy":  # the printed JSON is still eval's (torch: test_codegen_torch.py)
        assert_same(run_main(code), cli_json("eval", "--example", name, "--json"), name)


def test_data_nodes_holding_other_values_keep_them_written_out():
    graph, settings = example("moons_network")
    x = graph.find("X")
    graph.set_value(x.id, x.value[:, :10] * 2.0)
    graph.set_value(graph.find("Y").id, graph.find("Y").value[:, :10])
    code = export_code(graph, settings, "numpy")
    assert "X = np.array(" in code and "load_data()[:2]" not in code
    assert_same(run_main(code), eval_json(graph))
