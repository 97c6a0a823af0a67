"""The notebook API, ``import graphgui as gg`` (graphgui/api.py, docs/python-api.md).

Expected numbers are worked out by hand here: f = (x + y) * z at x = -2, y = 5, z = -4 is
-12 with df/dx = df/dy = z = -4 and df/dz = x + y = 3; the neuron's from its closed form.
Core tests never load Qt into their own process, so whatever draws (``_repr_svg_``) or
runs the documentation's doctests (it draws too) runs in a subprocess.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import graphgui as gg
from graphgui.core.engine import EvaluationError
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
CHAIN = "f = (x + y) * z"


def run_python(code: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        env=env, cwd=cwd, timeout=timeout,
    )


def without_display() -> dict[str, str]:
    """The environment with no platform and no display: the API must choose offscreen."""
    env = dict(os.environ)
    for key in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(key, None)
    return env


# ---- import ---------------------------------------------------------------------------------


def test_import_graphgui_loads_neither_numpy_nor_qt(tmp_path):
    out = run_python("""
        import sys, graphgui as gg
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'PySide6')
                     or m.startswith('graphgui.')))
        g = gg.parse('f = (x + y) * z')
        g.evaluate(x=1); g.check(); g.steps(); repr(g); g.save('f.json'); gg.load('f.json')
        print([m for m in sys.modules if m.startswith(('PySide6', 'shiboken', 'graphgui.gui'))])
    """, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.splitlines()[:2]
    assert first == "[]"  # the API is imported on first use
    assert second == "[]"  # and it loads no Qt until something is drawn


def test_lazy_names_and_dir():
    assert gg.parse is gg.api.parse and gg.GraphHandle is gg.api.GraphHandle
    assert {"parse", "load", "example", "edit", "GraphHandle"} <= set(dir(gg))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gg.nope  # noqa: B018


# ---- evaluate -------------------------------------------------------------------------------


def test_chain_rule_by_hand():
    g = gg.parse(CHAIN)
    r = g.evaluate(x=-2, y=5, z=-4)
    assert r.output == "f" and r.value == -12
    assert r.values == {"x": -2, "y": 5, "z": -4, "add": 3, "f": -12}
    assert r.grads == {"x": -4, "y": -4, "z": 3, "add": -4, "f": 1}
    assert g.evaluate({"x": -2, "y": 5}, z=-4).grads == r.grads  # a mapping, or both


def test_result_repr_is_the_eval_table():
    text = repr(gg.parse(CHAIN).evaluate(x=-2, y=5, z=-4))
    assert text.splitlines()[0] == "f = -12"
    rows = [line.split() for line in text.splitlines()[1:]]
    assert rows[0] == ["name", "op", "value", "df/d(name)"]
    assert ["x", "input", "-2", "-4"] in rows and ["z", "input", "-4", "3"] in rows


def test_neuron_example_by_hand():
    r = gg.example("neuron").evaluate()
    w, x = (2.0, -3.0, -3.0), (-1.0, -2.0)
    z = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1 / (1 + math.exp(-z))
    local = f * (1 - f)
    assert r.value == pytest.approx(f, rel=1e-12) and r.value == pytest.approx(0.731059, 1e-6)
    expected = {"w0": local * x[0], "w1": local * x[1], "w2": local,
                "x0": local * w[0], "x1": local * w[1], "z": local}
    for name, grad in expected.items():
        assert r.grads[name] == pytest.approx(grad, rel=1e-12), name
    assert r.grads["w0"] == pytest.approx(-0.196612, rel=1e-5)  # docs/examples.md


def test_values_as_lists_and_arrays_give_elementwise_gradients():
    g = gg.parse("f = x * x")
    r = g.evaluate(x=[1, 2, 3])
    np.testing.assert_array_equal(r.value, [1, 4, 9])
    np.testing.assert_array_equal(r.grads["x"], [2, 4, 6])  # d sum(f) / dx = 2x
    r = g.evaluate(x=np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(r.grads["x"], [[2, -2]])
    r.grads["x"][0, 0] = 99  # results belong to the caller
    assert g.evaluate(x=np.array([[1.0, -1.0]])).grads["x"][0, 0] == 2


def test_evaluate_leaves_the_stored_graph_alone_and_set_stores():
    g = gg.parse("x = 1; f = x * 3")
    assert g.evaluate(x=5).value == 15
    assert g.graph.find("x").value == 1 and g.evaluate().value == 3
    assert g.set(x=5) is g
    assert g.graph.find("x").value == 5 and g.evaluate().value == 15


def test_set_checks_every_value_before_storing_any():
    g = gg.parse("x = 1; y = 2; f = x * y")
    with pytest.raises(ValueError, match="y: not a rectangular"):
        g.set(x=7, y=[[1, 2], [3]])
    assert g.graph.find("x").value == 1


def test_gradient_of_a_node_off_the_output_path_is_zero_and_of_a_constant_none():
    g = gg.parse("c = const(3); u = [1, 2]; v = u * 2; f = x * c", output="f")
    r = g.evaluate(x=2)
    assert r.value == 6 and r.grads["x"] == 3
    np.testing.assert_array_equal(r.grads["u"], [0, 0])  # the output does not depend on u
    np.testing.assert_array_equal(r.grads["v"], [0, 0])
    assert r.grads["c"] is None  # constants get no gradient (as without requires_grad)


@pytest.mark.parametrize(("values", "message"), [
    ({"w": 1}, "no source named 'w': the sources are x, y, z"),
    ({"xx": 1}, "no source named 'xx' (did you mean 'x'?): the sources are x, y, z"),
    ({"a": 1, "b": 2}, "no sources named 'a', 'b': the sources are x, y, z"),
    ({"f": 1}, "f is computed by mul: only inputs, parameters and constants can be set"),
    ({"add": 1}, "add is computed by add: only inputs"),
    ({"x": "two"}, "x: expected a number or a list of numbers, got str"),
    ({"x": [[1, 2], [3]]}, "x: not a rectangular array of numbers"),
    ({"x": True}, "x: expected a number, got a boolean"),
    ({"w": 1, "f": 2}, "no source named 'w': the sources are x, y, z; f is computed by mul"),
])
def test_bad_names_and_values_are_one_line_value_errors(values, message):
    g = gg.parse(CHAIN)
    for method in (g.evaluate, g.check, g.steps, g.set):
        with pytest.raises(ValueError) as info:
            method(**values)
        assert message in str(info.value) and "\n" not in str(info.value)


def test_a_node_that_cannot_be_computed_is_named():
    graph = Graph()
    graph.add_node("input", name="a")
    graph.add_node("mul")
    g = gg.GraphHandle(graph)
    with pytest.raises(EvaluationError, match=r"^mul: inputs 'a' and 'b' are not connected$"):
        g.evaluate()
    assert repr(g) == "<GraphHandle: 2 nodes, error: mul: inputs 'a' and 'b' are not connected>"
    with pytest.raises(ValueError, match="the graph is empty"):
        gg.GraphHandle(Graph()).evaluate()
    with pytest.raises(TypeError, match="expected a graphgui.core.graph.Graph"):
        gg.GraphHandle("f = x")  # type: ignore[arg-type]


def test_a_nonfinite_value_warns_and_is_named():
    with pytest.warns(RuntimeWarning, match=r"non-finite value: f \(log of 0\) gave -inf"):
        r = gg.parse("f = log(x)").evaluate(x=0)
    assert r.value == -math.inf and r.nonfinite == "f (log of 0) gave -inf"
    assert "warning: non-finite value" in repr(r)


def test_output_and_sources():
    g = gg.parse("q = x + y; f = q * z")
    assert g.output == "f" and g.sources == ["x", "y", "z"]
    g.output = "q"
    r = g.evaluate(x=1, y=2, z=10)
    assert r.output == "q" and r.value == 3 and r.grads == {"x": 1, "y": 1, "z": 0, "q": 1,
                                                            "f": 0}
    with pytest.raises(ValueError, match="output: the graph has no node named 'qq'"):
        g.output = "qq"


def test_handle_repr():
    assert repr(gg.parse(CHAIN).set(x=-2, y=5, z=-4)) == "<GraphHandle: 5 nodes, f = -12>"
    assert repr(gg.example("neuron")) == (
        "<GraphHandle 'Sigmoid neuron: f = sigmoid(w0*x0 + w1*x1 + w2)': 10 nodes, f = 0.7311>"
    )
    assert repr(gg.GraphHandle(Graph())) == "<GraphHandle: 0 nodes>"


# ---- check and steps ------------------------------------------------------------------------


def test_check_passes_and_reads_like_the_cli():
    checks = gg.parse(CHAIN).check(x=-2, y=5, z=-4)
    assert checks.passed and checks.failed == [] and len(checks) == 3
    assert [c.name for c in checks] == ["x", "y", "z"]
    assert checks[2].autodiff == 3 and checks[2].numeric == pytest.approx(3, rel=1e-8)
    assert repr(checks).endswith("3 of 3 gradients of f match central differences (h = 1e-06)")
    assert repr(checks[0]).startswith("CheckRecord(x: autodiff -4, numeric -4, rel error ")


def test_check_fails_with_a_step_too_large():
    # (f(x + h) - f(x - h)) / 2h for x**3 at x = 1, h = 1: (8 - 0) / 2 = 4, but f'(1) = 3.
    checks = gg.parse("f = x**3").check(x=1, step=1.0)
    assert not checks.passed and checks.failed == ["x"]
    assert checks[0].numeric == pytest.approx(4) and checks[0].autodiff == 3
    assert "FAIL" in repr(checks) and repr(checks).endswith("; failed: x")


def test_steps_are_the_chain_rule_in_numbers():
    steps = gg.parse(CHAIN).steps(x=-2, y=5, z=-4)
    assert steps.forward == ["add = x + y = (-2) + 5 = 3", "f = add * z = 3 * (-4) = -12"]
    first = steps.backward[0]
    assert first.node == "f" and first.heading == "f = add * z: upstream df/df = 1"
    assert first.terms[1] == "df/dz = df/df * df/dz = 1 * 3 = 3   [df/dz = add]"
    assert steps.backward[1].terms == (
        "df/dx = df/dadd * dadd/dx = (-4) * 1 = -4", "df/dy = df/dadd * dadd/dy = (-4) * 1 = -4",
    )
    assert [s.node for s in steps.backward[2:]] == ["z", "y", "x"]
    assert repr(first) == "BackwardStep(1, 'f = add * z: upstream df/df = 1', 2 terms)"
    assert repr(steps).startswith("Forward pass\n    1. add = x + y")
    assert "\nBackward pass\n    1. f = add * z: upstream df/df = 1\n" in repr(steps)
    assert gg.parse("f = x / 3").steps(x=1, precision=2).forward == ["f = x / 3 = 1 / 3 = 0.33"]
    with pytest.raises(ValueError, match="precision is 1 to 17"):
        gg.parse(CHAIN).steps(precision=0)


# ---- files ----------------------------------------------------------------------------------


def test_save_and_load_keep_the_graph_and_its_settings(tmp_path):
    g = gg.example("moons_network")
    path = tmp_path / "moons.json"
    assert g.save(path) is None
    back = gg.load(path)
    assert back.settings == g.settings and back.settings["training"]
    assert back.title == g.title and back.evaluate().value == pytest.approx(g.evaluate().value)
    gg.parse(CHAIN).set(x=-2, y=5, z=-4).save(str(path))
    assert gg.load(path).evaluate().grads["z"] == 3


def test_save_refuses_what_is_not_a_regular_file(tmp_path):
    g = gg.parse(CHAIN)
    with pytest.raises(FileFormatError, match="cannot save: is a folder, not a regular file"):
        g.save(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.json"
        os.mkfifo(fifo)
        with pytest.raises(FileFormatError, match="is a named pipe"):
            g.save(fifo)  # refused at once; writing would block until a reader came


def test_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "f.json"
    path.write_text("old", encoding="utf-8")
    g = gg.parse(CHAIN)
    g.settings = {"bad": float("nan")}  # not JSON
    with pytest.raises(FileFormatError, match="cannot save"):
        g.save(path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temporary file left


def test_load_and_example_errors():
    with pytest.raises(ValueError, match="did you mean 'neuron'"):
        gg.example("nueron")
    with pytest.raises(FileFormatError, match="cannot read"):
        gg.load(ROOT / "no-such-file.json")
    assert gg.examples()[:2] == ["chain_rule", "neuron"] and "moons_network" in gg.examples()
    assert gg.example("neuron").graph is not gg.example("neuron").graph  # a new copy each time


# ---- code -----------------------------------------------------------------------------------


def test_code_is_the_graph_as_a_program(tmp_path):
    g = gg.parse(CHAIN).set(x=-2, y=5, z=-4)
    again = gg.parse(g.code("expr")).evaluate()  # the expression program builds it again
    assert again.value == -12 and again.grads == g.evaluate().grads
    source = tmp_path / "f.py"
    source.write_text(g.code("numpy"), encoding="utf-8")
    run = subprocess.run([sys.executable, str(source)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"output": "f", "value": -12,
                                      "values": {"x": -2, "y": 5, "z": -4, "f": -12},
                                      "grads": {"x": -4, "y": -4, "z": 3, "f": 1}}
    assert "nn.Module" in g.code("torch") and g.code() == g.code("numpy")
    with pytest.raises(ValueError, match="unknown target 'jax'"):
        g.code("jax")


# ---- the editor -----------------------------------------------------------------------------


class FakePopen:
    calls: list[tuple[list[str], dict]] = []

    def __init__(self, args: list[str], **kwargs) -> None:
        FakePopen.calls.append((args, kwargs))


@pytest.fixture
def fake_editor(monkeypatch):
    from graphgui.gui import display_check

    FakePopen.calls = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(display_check, "display_problem", lambda environ=None: None)
    return FakePopen.calls


def test_edit_saves_a_copy_and_starts_the_editor_detached(fake_editor):
    g = gg.parse(CHAIN).set(x=-2, y=5, z=-4)
    path = gg.edit(g)
    try:
        ((args, kwargs),) = fake_editor
        assert args == [sys.executable, "-m", "graphgui", path]
        assert kwargs["stdin"] == kwargs["stdout"] == kwargs["stderr"] == subprocess.DEVNULL
        if sys.platform != "win32":
            assert kwargs["start_new_session"] is True
        assert path.endswith(".json") and gg.load(path).evaluate().value == -12
        gg.edit(g.graph)  # a core Graph too
        assert len(fake_editor) == 2
        os.remove(fake_editor[1][0][-1])
    finally:
        os.remove(path)


def test_edit_without_a_display_says_why(fake_editor, monkeypatch):
    from graphgui.gui import display_check

    monkeypatch.setattr(display_check, "display_problem", lambda environ=None: "no display")
    with pytest.raises(RuntimeError, match="^cannot open the editor: no display$"):
        gg.edit(gg.parse(CHAIN))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    with pytest.raises(RuntimeError, match="QT_QPA_PLATFORM is 'offscreen'"):
        gg.edit(gg.parse(CHAIN))
    assert fake_editor == []


# ---- pictures (Qt, in a subprocess) ----------------------------------------------------------


def test_repr_svg_draws_values_and_gradients_offscreen():
    out = run_python("""
        import json, os, re, graphgui as gg
        g = gg.parse('f = (x + y) * z').set(x=-2, y=5, z=-4)
        svg = g._repr_svg_()
        from PySide6.QtGui import QGuiApplication
        print(json.dumps({
            "start": svg[:200], "texts": re.findall(r'>([^<>]+)</text>', svg),
            "platform": QGuiApplication.platformName(),
            "environ": os.environ.get("QT_QPA_PLATFORM"),
            "again": g._repr_svg_() == svg,
            "plain": re.findall(r'>([^<>]+)</text>', g.svg(show_grads=False)),
        }))
    """, env=without_display())
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.splitlines()[-1])
    assert found["start"].startswith("<?xml") and "<svg" in found["start"]
    texts = found["texts"]
    assert {"x", "y", "z", "f", "-2", "5", "-4", "3", "-12"} <= set(texts)
    assert found["platform"] == "offscreen" and found["environ"] is None  # not written
    assert found["again"]
    plain = found["plain"]  # values only: the gradients are the labels left out
    assert "-12" in plain
    assert texts.count("-4") - plain.count("-4") == 3  # df/dadd, df/dx, df/dy on their wires
    assert texts.count("3") - plain.count("3") == 1  # df/dz


def test_repr_svg_falls_back_to_none_when_qt_cannot_start():
    no_qt = run_python("""
        import sys; sys.modules['PySide6'] = None
        import graphgui as gg
        g = gg.parse('f = x')
        print(g._repr_svg_())
        try:
            g.svg()
        except RuntimeError as exc:
            print(exc)
    """)
    assert no_qt.returncode == 0, no_qt.stderr
    assert no_qt.stdout.splitlines()[0] == "None"
    assert no_qt.stdout.splitlines()[1].startswith("cannot draw the graph: PySide6 cannot be")
    env = {**without_display(), "QT_QPA_PLATFORM": "xcb"}  # Qt itself would abort here
    no_display = run_python("import graphgui as gg; print(gg.parse('f = x')._repr_svg_())",
                            env=env)
    assert no_display.returncode == 0, no_display.stderr
    assert no_display.stdout.strip() == "None"


# ---- the documentation ----------------------------------------------------------------------


def test_python_api_doc_examples_run(tmp_path):
    """Every snippet of docs/python-api.md is a doctest with its real output (run in a
    scratch folder, in a process of its own since it draws a picture)."""
    doc = ROOT / "docs" / "python-api.md"
    out = run_python(f"""
        import doctest, sys
        failed, tried = doctest.testfile({str(doc)!r}, module_relative=False,
                                         optionflags=doctest.ELLIPSIS)
        print(tried, failed)
        sys.exit(1 if failed else 0)
    """, env=without_display(), cwd=tmp_path, timeout=110)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    tried = int(out.stdout.split()[-2])
    assert tried >= 30


def test_a_name_in_the_wrong_case_gets_a_suggestion():
    import graphgui as gg

    with pytest.raises(ValueError, match=r"no source named 'X' \(did you mean 'x'\?\)"):
        gg.parse("f = (x + y) * z").evaluate(X=1)
