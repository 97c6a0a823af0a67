"""Hostile flags, settings and files on the command line (issue 9, "Errors that escape"):
every one ends in exit status 2 and one line on stderr that names the problem and where,
with the user's value quoted only up to a bounded length, and never a traceback. The hostile
files are made here, in tmp_path."""

from __future__ import annotations

import json
import os
import sys

import pytest

from graphgui.cli import main

MOONS = "moons_network"  # a bundled training example: a file with settings.training


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("graphgui"), err
    assert "Traceback" not in err and len(err) < 420, err
    for word in words:
        assert word in err, err


def write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def graph_file(tmp_path, training=None, name="g.json", **settings):
    """The moons example's file with its settings.training replaced or edited."""
    from graphgui.core.examples import example_path

    data = json.loads(example_path(MOONS).read_text())
    if training is not None:
        data["settings"]["training"] = training
    for key, value in settings.items():
        data["settings"]["training"][key] = value
    return write(tmp_path, name, data)


# ---- graphgui train: flags checked as argparse checks them, before any work --------------


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--optimizer", "lbfgs"], ["argument --optimizer", "'lbfgs'", "sgd, momentum"]),
        (["--optimizer", "adm"], ["did you mean 'adam'?"]),
        (["--epochs", "-1"], ["argument --epochs", "from 0 to 1,000,000", "'-1'"]),
        (["--epochs", "1e15"], ["argument --epochs"]),
        (["--epochs", "9" * 5000], ["argument --epochs", "..."]),
        (["--lr", "nan"], ["argument --lr", "finite number > 0", "'nan'"]),
        (["--lr", "inf"], ["argument --lr"]),
        (["--lr", "0"], ["argument --lr"]),
        (["--lr", "1e999"], ["argument --lr"]),
        (["--batch-size", "0"], ["argument --batch-size", "'0'"]),
        (["--batch-size", "two"], ["argument --batch-size", "'two'"]),
        (["--l2", "-1"], ["argument --l2", ">= 0"]),
        (["--seed", "-3"], ["argument --seed"]),
        (["--seed", "1.5"], ["argument --seed"]),
        (["--dataset", '{"kind": "moons", "nosie": 0.1}'],
         ["--dataset: unknown key 'nosie' in the data set (did you mean 'noise'?)"]),
        (["--dataset", "mons"], ["--dataset: unknown kind 'mons'", "did you mean 'moons'"]),
        (["--dataset", '{"kind": "moons", "n": -5}'], ["--dataset: 'n' must be between"]),
        (["--dataset", "[1, 2]"], ["--dataset"]),
        (["--dataset", '{"kind": "moons", "noise": NaN}'], ["--dataset: NaN"]),
        (["--dataset", "{" * 1000], ["--dataset"]),
        (["--dataset", "x" * 10_000], ["--dataset: unknown kind", "..."]),
    ],
)
def test_train_flags_are_checked_before_any_work(capsys, flags, words):
    code, out, err = run(capsys, "train", "--example", MOONS, *flags)
    one_line_error(code, err, "graphgui train: error:", *words)
    assert out == ""  # nothing trained


@pytest.mark.parametrize(
    ("training", "edits", "words"),
    [
        (5, {}, ["settings.training must be an object, not a number"]),
        ("fast", {}, ["settings.training must be an object"]),
        ([1, 2], {}, ["settings.training must be an object"]),
        (None, {"optimizer": ["adam"]}, ["unknown optimizer ['adam']"]),
        (None, {"optimizer": {"a": 1}}, ["unknown optimizer"]),
        (None, {"epochs": 1e15}, ["'epochs' must be a whole number from 0 to 1,000,000"]),
        (None, {"epochs": 10**200}, ["'epochs'", "an integer of about 201 digits"]),
        (None, {"epochs": "many"}, ["'epochs'"]),
        (None, {"lr": -(10**299)}, ["lr must be > 0", "an integer of about 300 digits"]),
        (None, {"lr": "a" * 5000}, ["lr must be a finite number", "..."]),
        (None, {"seed": -1}, ["'seed'"]),
        (None, {"seed": [1]}, ["'seed'"]),
        (None, {"seed": "s" * 1000}, ["'seed'", "..."]),
        (None, {"inputs": 5}, ["'inputs' must map X and Y"]),
        (None, {"inputs": {"X": 5}}, ["'inputs' must map X and Y"]),
        (None, {"inputs": {"Z" * 500: "X"}}, ["'inputs' has", "..."]),
        (None, {"inputs": {"X": "nowhere"}}, ["the X node 'nowhere' is not in the graph"]),
        (None, {"loss": "nothing"}, ["the loss node 'nothing' is not in the graph"]),
        (None, {"loss": 3}, ["'loss' must be a node name"]),
        (None, {"batch_size": 0}, ["'batch_size'"]),
        (None, {"eval_every": -2}, ["'eval_every'"]),
        (None, {"epoch": 3}, ["unknown key 'epoch' (did you mean 'epochs'?)"]),
        (None, {"dataset": {"kind": "moons", "nosie": 0.1}},
         ["unknown key 'nosie' in the data set (did you mean 'noise'?)"]),
        (None, {"dataset": {"kind": 7}}, ["'kind' must be one of"]),
        (None, {"dataset": 5}, ["dataset spec must be an object"]),
    ],
)
def test_bad_training_settings_in_a_file_exit_2(capsys, tmp_path, training, edits, words):
    path = graph_file(tmp_path, training, **edits)
    epochs = [] if "epochs" in edits else ["--epochs", "1"]  # the flag would override it
    code, out, err = run(capsys, "train", path, *epochs)
    one_line_error(code, err, "graphgui train: error:", *words)


def test_fuzzed_seeds_and_inputs_never_escape(capsys, tmp_path):
    import random

    rng = random.Random(9)
    values = [None, True, -1, 0, 1.5, 2**40, -(10**50), "x", "é" * 300, [], [1, "a"], {},
              {"X": None}, {"X": "X", "Y": ["Y"]}, {"": ""}, 1e308]
    for k in range(40):
        edits = {"seed": rng.choice(values), "inputs": rng.choice(values)}
        path = graph_file(tmp_path, name=f"f{k}.json", **edits)
        code, out, err = run(capsys, "train", path, "--epochs", "1")
        assert code in (0, 2), err
        if code:
            one_line_error(code, err)


def test_csv_problems_and_a_wrong_graph_exit_2(capsys, tmp_path):
    missing = {"kind": "csv", "path": str(tmp_path / "none.csv"), "label": "y"}
    code, _, err = run(capsys, "train", graph_file(tmp_path, dataset=missing), "--epochs", "1")
    one_line_error(code, err, "none.csv: no such file")
    text = write(tmp_path, "bad.csv", "a,b,y\n1,2,0\n3,x,1\n5,6,0\n7,8,1\n")
    spec = {"kind": "csv", "path": text, "label": "y"}
    code, _, err = run(capsys, "train", graph_file(tmp_path, dataset=spec), "--epochs", "1")
    one_line_error(code, err, "bad.csv, line 3, column 'b': 'x' is not a number")
    # 3 features where the network takes 2: a shape mismatch, found before the first epoch
    wide = write(tmp_path, "wide.csv", "a,b,c,y\n" + "".join(
        f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    spec = {"kind": "csv", "path": wide, "label": "y"}
    code, _, err = run(capsys, "train", graph_file(tmp_path, dataset=spec), "--epochs", "1")
    one_line_error(code, err, "shape mismatch in matmul")


def test_a_loss_that_becomes_infinite_still_exits_1(capsys):
    code, _, err = run(capsys, "train", "--example", "sin_regression", "--lr", "1e200",
                       "--epochs", "5")
    assert code == 1 and "became" in err and err.count("\n") == 1


# ---- --set, --precision, --rtol and friends ----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--set", "x=" + "[" * 1000 + "]" * 1000], ["--set x: nested too deeply"]),
        (["--set", "x=" + "[" * 150 + "1" + "]" * 150], ["--set x:", "nested more than 100"]),
        (["--set", "x=" + "7" * 5000], ["--set x: an integer with more than 300 digits"]),
        (["--set", "x=1e999"], ["--set x: the number 1e999 is too large for a float"]),
        (["--set", "x=-1e999"], ["--set x:", "too large for a float"]),
        (["--set", "x=Infinity"], ["--set x: Infinity is not a number JSON allows"]),
        (["--set", "x=[1, 2" + ", 3" * 3000], ["--set x: '[1, 2, 3, 3", "is not JSON"]),
        (["--set", "x" * 5000 + "=1"], ["--set 'xxx", "..."]),
        (["--set", "x\ny=1"], ["--set 'x\\ny'"]),
        (["--set", "nobody=1"], ["--set nobody: the graph has no node named 'nobody'"]),
        (["--precision", "-5"], ["argument --precision", "from 1 to 17", "'-5'"]),
        (["--precision", "1000"], ["argument --precision"]),
        (["--output", "q" * 3000], ["--output: the graph has no node named 'qqq", "..."]),
    ],
)
def test_eval_flags_exit_2_with_one_line(capsys, argv, words):
    code, out, err = run(capsys, "eval", "--expr", "f = x * 2", *argv)
    one_line_error(code, err, "graphgui eval: error:", *words)


@pytest.mark.parametrize(
    "flags",
    [["--rtol", "nan"], ["--atol", "-1"], ["--step", "0"], ["--step", "inf"],
     ["--rtol", "1e999"], ["--atol", "x" * 1000]],
)
def test_check_tolerances_must_be_finite(capsys, flags):
    code, _, err = run(capsys, "check", "--expr", "f = x * 2", *flags)
    one_line_error(code, err, f"argument {flags[0]}")


def test_softmax_axis_out_of_range_is_worded_as_sum_words_it(capsys):
    for op in ("sum", "softmax"):
        code, _, err = run(capsys, "eval", "--expr", f"f = {op}(x, axis=5)", "--set", "x=[1,2]")
        one_line_error(code, err, "f:", op, "axis 5 is out of range for shape (2,)")
        assert "bounds" not in err  # NumPy's own wording


# ---- commands and files ------------------------------------------------------------------


def test_a_mistyped_command_is_not_opened_as_a_file(capsys, tmp_path):
    code, _, err = run(capsys, "frobnicate", str(tmp_path / "g.json"))
    one_line_error(code, err, "graphgui: error: unknown command 'frobnicate'", "eval, check")
    code, _, err = run(capsys, "evl", "--expr", "f = x")
    one_line_error(code, err, "unknown command 'evl' (did you mean 'eval'?)")
    code, _, err = run(capsys, "t" * 5000)
    one_line_error(code, err, "unknown command 'ttt", "...")


def test_graphgui_file_still_opens_the_editor(monkeypatch, tmp_path):
    import graphgui.cli as cli

    opened = []
    monkeypatch.setattr(cli, "_run_gui", lambda argv: opened.append(argv) or 0)
    existing = write(tmp_path, "graph", "{}")  # an existing path, whatever its name
    for argv in ([existing], ["new.json"], ["Lesson.JSON"], [str(tmp_path)], []):
        assert main(argv) == 0
    assert opened == [[existing], ["new.json"], ["Lesson.JSON"], [str(tmp_path)], []]


def _non_regular_paths(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    return [(str(fifo), "is a named pipe (FIFO), not a regular file"),
            (str(folder), "is a folder, not a regular file"),
            ("/dev/zero", "is a character device, not a regular file")]


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes are a POSIX thing")
@pytest.mark.timeout(20)
@pytest.mark.parametrize("command", ["eval", "check", "step", "convert", "train"])
def test_non_regular_files_are_refused_without_reading(capsys, tmp_path, command):
    extra = ["-o", str(tmp_path / "out.json")] if command == "convert" else []
    for path, words in _non_regular_paths(tmp_path):
        code, _, err = run(capsys, command, path, *extra)
        one_line_error(code, err, "cannot read:", words)


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes are a POSIX thing")
@pytest.mark.timeout(20)
def test_a_csv_that_is_a_pipe_and_an_output_that_is_a_pipe_are_refused(capsys, tmp_path):
    pipe = tmp_path / "data.csv"
    os.mkfifo(pipe)
    spec = {"kind": "csv", "path": str(pipe), "label": 0}
    code, _, err = run(capsys, "train", graph_file(tmp_path, dataset=spec), "--epochs", "1")
    one_line_error(code, err, "data.csv: is a named pipe (FIFO), not a regular file")
    code, _, err = run(capsys, "convert", "--expr", "f = x", "-o", str(pipe))
    one_line_error(code, err, "cannot save: is a named pipe (FIFO)")
    assert os.path.exists(pipe) and not os.path.isfile(pipe)  # left as it was
    code, _, err = run(capsys, "train", "--example", MOONS, "--epochs", "1", "-o", str(tmp_path))
    one_line_error(code, err, "cannot save: is a folder")


def test_error_lines_stay_one_bounded_line_whatever_the_message(capsys):
    code, _, err = run(capsys, "eval", "--expr", "f = " + " + ".join(["x"] * 3) + "\n\n" * 3
                       + "g = sigmod(x)")
    one_line_error(code, err, "unknown function 'sigmod'")


@pytest.mark.timeout(60)
def test_check_says_how_many_elements_of_a_large_array_it_checked(capsys, tmp_path):
    import numpy as np

    from graphgui.core import fileformat
    from graphgui.core.expr import parse

    g = parse("f = sum(x * x)")
    g.set_value(g.find("x").id, np.full((500, 1000), 1e-3))
    path = tmp_path / "big.json"
    fileformat.save(g, path)
    code, out, err = run(capsys, "check", str(path))
    assert code == 0, err
    assert "x: " in out and "of its 500,000 elements checked" in out
    code, out, err = run(capsys, "check", str(path), "--json")
    (check,) = json.loads(out)["checks"]
    assert check["elements"] == 500_000 and check["checked"] == len(check["sample"]) <= 1000


def test_a_mistyped_example_is_suggested_and_a_long_one_cut(capsys):
    code, _, err = run(capsys, "eval", "--example", "moons_netwrk")
    one_line_error(code, err, "no bundled example named 'moons_netwrk' (did you mean")
    code, _, err = run(capsys, "eval", "--example", "q" * 3000)
    one_line_error(code, err, "no bundled example named 'qqq", "...", "(known: chain_rule")
