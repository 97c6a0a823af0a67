"""Fused execution of tensor programs (core/engine_fused.py) against the interpreter.

Values must be the interpreter's to the bit; gradients too, except through a fused sigmoid +
bce (``gradients(only_wrt=True)``), where they agree to 1e-12 relative and differ where the
unfused rule clips p (1 - p) at 1e-12. Expected numbers come from NumPy written out here or
from the unfused Program (``Program(..., fused=False)``), never from the fused code itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.engine import Program
from graphgui.core.examples import build_training_example, example_names, load_example
from graphgui.core.functions.copying import without_functions
from graphgui.core.graph import Graph
from graphgui.core.train import Trainer, mlp_graph

RTOL = 1e-12  # fused sigmoid + bce against the unfused rules (rounding only)


def _close(fused, ref, rtol: float = RTOL) -> bool:
    if fused is None or ref is None:
        return fused is None and ref is None
    fused, ref = np.asarray(fused), np.asarray(ref)
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return fused.shape == ref.shape and bool(np.all(np.abs(fused - ref) <= rtol * scale + 1e-300))


def _pair(graph: Graph, **kw) -> tuple[Program, Program]:
    return Program(graph, **kw), Program(graph, fused=False, **kw)


def _compare(fused: Program, plain: Program, feed=None, reuse: bool = False) -> None:
    """Two fused passes (the first compiles) against the interpreter: values exactly,
    all gradients exactly, the wrt targets' gradients within RTOL. ``reuse``: with buffers
    kept across passes (twice, so the second pass writes into the first one's buffers)."""
    if reuse:
        fused.fused.reuse = True
        _compare(fused, plain, feed)
    fused.forward(feed)
    vals = fused.forward(feed)
    ref_vals = plain.forward(feed)
    ref = plain.gradients(ref_vals)
    assert fused.fused is not None and fused.fused.forward_runs >= 1
    for k, nid in enumerate(fused.ids):
        assert np.array_equal(vals[k], ref_vals[k]), nid
        assert type(vals[k]) is type(ref_vals[k]), nid
    grads = fused.gradients(vals)
    for k, nid in enumerate(fused.ids):
        assert (grads[k] is None) == (ref[k] is None), nid
        if ref[k] is not None:
            assert np.array_equal(grads[k], ref[k]), nid
    wrt = fused.gradients(fused.forward(feed), only_wrt=True)
    for k in fused._targets:
        assert _close(wrt[k], ref[k]), fused.ids[k]


# ---- the bundled examples -----------------------------------------------------------------


@pytest.mark.parametrize("name", example_names())
def test_bundled_examples_fused_equal_unfused(name: str) -> None:
    graph = load_example(name)
    fused, plain = _pair(graph)
    if fused.errors or fused.output_id is None:
        pytest.skip("no output to evaluate")
    vals = fused.forward()
    if all(not isinstance(v, np.ndarray) for v in vals):
        assert fused.forward() is not None  # scalar programs: the scalar fast path's
        return
    _compare(fused, plain)


@pytest.mark.parametrize("name", ["moons_network", "moons_tanh", "moons_l2", "sin_regression",
                                  "ising_phases", "vanishing_gradients"])
def test_training_examples_fused_equal_unfused(name: str) -> None:
    graph, settings = build_training_example(name)
    trainer = Trainer.from_settings(graph, settings["training"])
    flat = without_functions(graph)
    kw = dict(output=trainer.loss_id, wrt=trainer.param_ids, prune=True)
    fused, plain = _pair(flat, **kw)
    _compare(fused, plain, trainer._train_feed, reuse=True)
    assert trainer.program.fused.reuse  # the Trainer's program writes into buffers


# ---- random programs ----------------------------------------------------------------------


ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softplus")
LOSSES = ("bce", "mse", "bce_logits", "hinge")


def random_program(rng: np.random.Generator) -> tuple[Graph, list[str]]:
    """A random stack of dense layers (some with a skip add or a squared term), a loss."""
    g = Graph("random")
    m = int(rng.integers(1, 9))
    sizes = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(2, 5)))]
    x = g.add_node("input", name="X", value=rng.normal(size=(sizes[0], m)))
    a, params = x.id, []
    for k in range(1, len(sizes)):
        W = g.add_node("parameter", name=f"W{k}", value=rng.normal(size=(sizes[k], sizes[k - 1])))
        bias_shape = (sizes[k], 1) if rng.random() < 0.8 else (sizes[k], m)
        b = g.add_node("parameter", name=f"b{k}", value=rng.normal(size=bias_shape))
        params += [W.id, b.id]
        mm = g.add_node("matmul")
        g.connect(W.id, mm.id, 0)
        g.connect(a, mm.id, 1)
        z = g.add_node("add")
        g.connect(mm.id, z.id, 0)
        g.connect(b.id, z.id, 1)
        last = k == len(sizes) - 1
        act = g.add_node("sigmoid" if last and rng.random() < 0.6 else str(rng.choice(ACTIVATIONS)))
        g.connect(z.id, act.id, 0)
        a = act.id
        if not last and rng.random() < 0.3:  # fan-out: a * a, or a + mm
            extra = g.add_node(str(rng.choice(["mul", "add"])))
            g.connect(a, extra.id, 0)
            g.connect(a if rng.random() < 0.5 else mm.id, extra.id, 1)
            a = extra.id
    out_op = g.node(a).op
    loss_op = "bce" if out_op == "sigmoid" and rng.random() < 0.8 else str(rng.choice(LOSSES))
    labels = (rng.random((sizes[-1], m)) < 0.5).astype(float)
    if loss_op == "bce" and out_op != "sigmoid":
        loss_op = "mse"
    if loss_op == "hinge":
        labels = labels * 2 - 1
    y = g.add_node("input", name="Y", value=labels)
    loss = g.add_node(loss_op, name="L")
    g.connect(a, loss.id, 0)
    g.connect(y.id, loss.id, 1)
    g.set_output(loss.id)
    return g, params


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_fused_equal_unfused(seed: int) -> None:
    graph, params = random_program(np.random.default_rng(seed))
    fused, plain = _pair(graph, wrt=params, prune=True)
    _compare(fused, plain, reuse=seed % 2 == 1)


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_fused_gradients_match_central_differences(seed: int) -> None:
    graph, params = random_program(np.random.default_rng(100 + seed))
    program = Program(graph, wrt=params, prune=True)
    program.forward()
    grads = program.gradients(program.forward(), only_wrt=True)
    plain = Program(graph, wrt=params, prune=True, fused=False)
    out = plain.slot[plain.output_id]
    h = 1e-6
    for pid in params:
        base = plain.initial[plain.slot[pid]]
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            losses = []
            for step in (h, -h):
                moved = base.copy()
                moved[index] += step
                losses.append(plain.forward({pid: moved})[out])
            numeric[index] = (losses[0] - losses[1]) / (2 * h)
        g = grads[program.slot[pid]]
        assert np.allclose(g, numeric, rtol=1e-5, atol=1e-7), (pid, g, numeric)


# ---- what stays unfused -----------------------------------------------------------------


def _moons(seed: int = 0):
    rng = np.random.default_rng(seed)
    graph = without_functions(mlp_graph([2, 4, 1], seed=seed))
    X = rng.normal(size=(2, 30))
    Y = (rng.random((1, 30)) < 0.5).astype(float)
    names = ["W1", "b1", "W2", "b2"]
    params = [graph.find(n).id for n in names]
    feed = {graph.find("X").id: X, graph.find("Y").id: Y}
    return graph, params, feed, X, Y


def test_sigmoid_bce_fused_is_the_logits_gradient_written_out() -> None:
    graph, params, feed, X, Y = _moons()
    program = Program(graph, wrt=params, prune=True)
    program.forward(feed)
    vals = program.forward(feed)
    grads = program.gradients(vals, only_wrt=True)
    W1, b1, W2, b2 = (program.initial[program.slot[p]] for p in params)
    A1 = 1 / (1 + np.exp(-(W1 @ X + b1)))
    A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    dZ2 = (A2 - Y) / Y.size
    dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
    expected = [dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True), dZ2 @ A1.T,
                dZ2.sum(axis=1, keepdims=True)]
    for pid, e in zip(params, expected, strict=True):
        assert _close(grads[program.slot[pid]], e, 1e-12)
    # Every node's value stays in its slot (the canvas reads A2); A2's own gradient is the
    # one the fused rule skips: None with only_wrt, the bce rule's without it.
    a2 = program.slot[graph.find("A2").id]
    assert np.allclose(vals[a2], A2, rtol=1e-14, atol=0)
    assert grads[a2] is None
    full = program.gradients(program.forward(feed))
    p = A2
    assert _close(full[a2], (p - Y) / (p * (1 - p)) / Y.size, 1e-12)


def test_where_the_unfused_rule_clips_the_fused_gradient_is_p_minus_y() -> None:
    graph, params, feed, X, Y = _moons()
    b2 = graph.find("b2").id
    plain = Program(graph, wrt=params, prune=True, fused=False)
    fused = Program(graph, wrt=params, prune=True)
    for program in (plain, fused):
        program.set_source(b2, np.array([[40.0]]))  # p rounds to 1: p (1 - p) = 0 < 1e-12
    fused.forward(feed)
    got = fused.gradients(fused.forward(feed), only_wrt=True)[fused.slot[b2]]
    ref = plain.gradients(plain.forward(feed))[plain.slot[b2]]
    assert abs(float(ref.sum())) < 1e-9  # the clip: the unfused gradient vanishes
    assert np.isclose(float(got.sum()), float(np.sum(1.0 - Y)) / Y.size, rtol=1e-9)


def test_recorded_steps_and_evaluate_stay_unfused() -> None:
    graph, params, feed, X, Y = _moons()
    program = Program(graph, wrt=params, prune=True)
    program.forward(feed)
    vals = program.forward(feed)
    steps = list(program.backward_steps(vals, record=True))
    titles = [program.graph_node(s.node_id).title for s in steps]
    assert "A2" in titles and "Z2" in titles and "WA2" in titles  # every node's own step
    evaluation = program.evaluate(feed)
    a2 = graph.find("A2").id
    assert evaluation.grads[a2] is not None and evaluation.values[a2] is not None


def test_values_from_elsewhere_and_new_shapes_run_interpreted() -> None:
    graph, params, feed, X, Y = _moons()
    program = Program(graph, wrt=params, prune=True)
    plain = Program(graph, wrt=params, prune=True, fused=False)
    program.forward(feed)
    vals = program.forward(feed)
    runs = program.fused.backward_runs
    copy = list(vals)
    program.gradients(copy)  # not the fused pass's list: the interpreter's
    assert program.fused.backward_runs == runs
    x_id = graph.find("X").id
    wider = {x_id: np.ones((2, 7)), graph.find("Y").id: np.ones((1, 7))}
    got = program.forward(wider)  # a new set of shapes: interpreted once, then generated
    assert np.array_equal(got[program.slot[program.output_id]],
                          plain.forward(wider)[plain.slot[plain.output_id]])
    assert program.forward(wider) is not None and program.fused.forward_runs >= 2


def test_training_fused_matches_the_interpreter() -> None:
    graph, settings = build_training_example("moons_network")
    settings = {**settings["training"], "epochs": 200}
    a = Trainer.from_settings(graph, settings)
    b = Trainer.from_settings(graph, settings)
    b.program.fused = None  # the interpreter, unfused
    a.run()
    b.run()
    assert a.program.fused.backward_runs >= 199
    assert abs(a.history[-1].train_loss - b.history[-1].train_loss) < 1e-12
    for pid, value in a.parameters().items():
        assert _close(value, b.parameters()[pid], 1e-10)


@pytest.mark.parametrize("seed", range(20))
def test_kept_values_only_overwrite_the_others_in_place(seed: int) -> None:
    """reuse + keep (the Trainer's mode): the kept slots' values bit-equal, the others the
    interpreter's or None (overwritten in place by their one consumer), the wrt targets'
    gradients within RTOL, pass after pass."""
    graph, params = random_program(np.random.default_rng(200 + seed))
    fused, plain = _pair(graph, wrt=params, prune=True)
    out = fused.slot[fused.output_id]
    fused.fused.reuse = True
    fused.fused.keep = frozenset({out})
    ref_vals = plain.forward()
    ref = plain.gradients(ref_vals)
    for _ in range(3):
        vals = fused.forward()
        grads = fused.gradients(vals, only_wrt=True)
        for k, nid in enumerate(fused.ids):
            assert vals[k] is None or np.array_equal(vals[k], ref_vals[k]), nid
        assert vals[out] == ref_vals[out]
        for k in fused._targets:
            assert _close(grads[k], ref[k]), fused.ids[k]
    assert fused.fused.backward_runs >= 2


def test_a_failure_after_in_place_passes_is_reported_from_values_computed_again() -> None:
    graph, settings = build_training_example("moons_network")
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": 3})
    trainer.run()
    assert trainer.program.fused.keep  # values overwritten in place during the run
    x_id = trainer._x_id
    X = trainer._train_feed[x_id].copy()
    X[0, 5] = np.nan
    trainer._train_feed[x_id] = X  # the next pass meets a nan in the data
    trainer.epochs = 5
    with pytest.raises(Exception, match="the loss became nan: X .*gave nan") as info:
        trainer.run()
    assert info.value.node_id == x_id


@pytest.mark.parametrize("op", ["sigmoid", "identity", "tanh", "transpose"])
def test_with_buffers_a_sources_gradient_is_never_a_buffer(op: str) -> None:
    """The optimizers may keep a gradient (momentum's velocity starts from it): a source's
    gradient outlives the next pass even where it would be a buffer or a view of one
    (transpose's: a view of the fused rule's buffer, itself a view of a pool chunk)."""
    rng = np.random.default_rng(7)
    g = Graph("p -> op -> sigmoid -> bce")
    p = g.add_node("parameter", name="P", value=rng.normal(size=(3, 5)))
    labels = (rng.random((3, 5)) < 0.5).astype(float)
    y = g.add_node("input", name="Y", value=labels.T if op == "transpose" else labels)
    f = g.add_node(op)
    s = g.add_node("sigmoid")
    loss = g.add_node("bce")
    g.connect(p.id, f.id, 0)
    g.connect(f.id, s.id, 0)
    g.connect(s.id, loss.id, 0)
    g.connect(y.id, loss.id, 1)
    g.set_output(loss.id)
    program = Program(g, wrt=[p.id])
    program.fused.reuse = True
    program.fused.keep = frozenset({program.slot[loss.id]})
    program.forward()
    slot = program.slot[p.id]
    first = program.gradients(program.forward(), only_wrt=True)[slot]
    kept = first.copy()
    program.set_source(p.id, rng.normal(size=(3, 5)))
    second = program.gradients(program.forward(), only_wrt=True)[slot]
    assert program.fused.backward_runs == 2
    np.testing.assert_array_equal(first, kept)
    assert second is not first


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_with_buffers_bce_is_the_rules_loss_to_the_bit_clamps_included(dtype) -> None:
    """The buffered bce (both logs in one array, one clamp) against ``_bce`` itself, with
    p exactly 0 and 1 (clamped at log = -100), fractional labels and float32."""
    g = Graph("z -> sigmoid -> bce")
    z = g.add_node("input", name="Z", value=np.zeros((2, 6)))
    y = g.add_node("input", name="Y", value=np.zeros((2, 6)))
    s = g.add_node("sigmoid")
    loss = g.add_node("bce")
    g.connect(z.id, s.id, 0)
    g.connect(s.id, loss.id, 0)
    g.connect(y.id, loss.id, 1)
    g.set_output(loss.id)
    program = Program(g)
    program.fused.reuse = True
    zs = np.array([[-800.0, -60.0, -1.0, 0.0, 3.0, 40.0], [800.0, 1e-3, -5.0, 8.0, 37.0, -37.0]])
    labels = np.array([[1.0, 0.0, 0.25, 1.0, 0.0, 1.0], [0.0, 1.0, 0.5, 0.9, 1.0, 0.0]])
    feed = {z.id: zs.astype(dtype), y.id: labels.astype(dtype)}
    with program.batch_mode():
        program.forward(feed)  # interpreted; the next passes run the buffered code
        got = [program.forward(feed)[program.slot[loss.id]] for _ in range(2)]
    assert program.fused.forward_runs == 2
    assert "_max(_B" in program.fused._last[2].text_reusing  # the buffered bce ran
    with np.errstate(over="ignore"):  # the sigmoid rule's numbers, written out
        p = 1.0 / (1.0 + np.exp(-feed[z.id]))
    with np.errstate(divide="ignore"):
        log_p, log_q = np.maximum(np.log(p), -100.0), np.maximum(np.log(1.0 - p), -100.0)
    terms = feed[y.id] * log_p
    terms += (1.0 - feed[y.id]) * log_q
    expected = 0.0 - float(terms.sum() / terms.size)
    assert np.min(log_p) == -100.0 and np.min(log_q) == -100.0  # both clamps are exercised
    assert got == [expected, expected]


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_tanh_and_relu_layers_run_in_one_buffer_and_train_the_interpreters_numbers(hidden) -> None:
    """matmul, bias add and the activation in one buffer (the activation in place), its
    gradient written out into a buffer: the training is the interpreter's to the bit (mse:
    no sigmoid + bce rule to round differently)."""
    from graphgui.core.datasets import make_dataset

    dataset = make_dataset({"kind": "moons", "n": 60, "noise": 0.2, "seed": 3})
    graph = mlp_graph([2, 6, 5, 1], hidden=hidden, output="sigmoid", loss="mse", seed=1)
    a = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.5, epochs=40)
    b = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.5, epochs=40)
    b.program.fused = None  # the interpreter, unfused
    assert [r.train_loss for r in a.run()] == [r.train_loss for r in b.run()]
    for pid, value in a.parameters().items():
        np.testing.assert_array_equal(value, b.parameters()[pid])
    text = next(c for c in a.program.fused._codes.values() if c).text_reusing
    call = "_tanh(v" if hidden == "tanh" else "_max(v"
    in_place = [line for line in text.split("def backward")[0].splitlines()
                if call in line and ", out=v" in line]
    assert len(in_place) == 2  # both hidden layers, in their bias add's buffer
    written = "_sub(1.0, _c, out=_c)" if hidden == "tanh" else "_gt(v"  # the gradients
    assert text.split("def backward_step")[1].count(written) == 2


# ---- a second set of shapes, predicted -----------------------------------------------------


def _interpreter_passes(monkeypatch) -> list[int]:
    calls = [0]
    real = Program._run_forward

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Program, "_run_forward", counted)
    return calls


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_the_test_sets_first_pass_is_generated_code_with_the_interpreters_numbers(
        hidden, monkeypatch) -> None:
    """With buffers, a second set of shapes (the test set) runs code written from predicted
    shapes at once, in the pool's memory: no interpreter pass, the same numbers, and the
    training that follows is unchanged."""
    from graphgui.core.datasets import make_dataset

    dataset = make_dataset({"kind": "moons", "n": 90, "noise": 0.2, "seed": 5,
                            "test_size": 0.3, "split_seed": 1})
    graph = mlp_graph([2, 7, 1], hidden=hidden, output="sigmoid", loss="bce", seed=2)
    a = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.5, epochs=30, eval_every=4)
    b = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.5, epochs=30, eval_every=4)
    b.program.fused = None  # the interpreter, unfused (bce's gradient rounds differently,
    # so the test losses are compared on the same parameters below)
    calls = _interpreter_passes(monkeypatch)
    results = a.run()
    assert calls[0] == 0  # the training set's was at construction; the test set's none
    codes = [c for c in a.program.fused._codes.values() if c]
    assert len(codes) == 2  # the training set's and the test set's
    for epoch_result in results[3::4]:
        assert epoch_result.test_loss is not None
    b.set_parameters(a.parameters())
    for split in ("train", "test"):
        assert a.evaluate(split) == b.evaluate(split)  # to the bit
    a.epochs = 40  # and training goes on from the same buffers' memory
    more = a.run()
    assert all(np.isfinite(r.train_loss) for r in more)


def test_a_wrong_prediction_falls_back_to_the_interpreter(monkeypatch) -> None:
    from graphgui.core import engine_fused

    graph, settings = build_training_example("moons_network")
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": 5,
                                            "eval_every": 1})
    reference = Trainer.from_settings(graph, {**settings["training"], "epochs": 5,
                                              "eval_every": 1})
    reference.program.fused.reuse = False  # no prediction: interpreted, then generated

    real = engine_fused.predict_shapes

    def wrong(*args):  # every matrix one column wider than it will be
        shapes, bad = real(*args)
        return [s if s is None or len(s) != 2 else (s[0], s[1] + 1) for s in shapes], bad

    monkeypatch.setattr(engine_fused, "predict_shapes", wrong)
    expected = reference.run()
    calls = _interpreter_passes(monkeypatch)
    got = trainer.run()
    assert calls[0] == 1  # the test set's, after all (the training set's: at construction)
    assert [r.test_loss for r in got] == [r.test_loss for r in expected]
    assert [r.test_accuracy for r in got] == [r.test_accuracy for r in expected]


def test_a_second_set_of_shapes_too_large_is_still_refused_naming_the_node() -> None:
    g = Graph("outer product")
    x = g.add_node("input", name="X", value=np.ones((3, 1)))
    w = g.add_node("parameter", name="W", value=np.ones((1, 3)))
    m = g.add_node("matmul", name="M")
    s = g.add_node("sum", name="S")
    g.connect(x.id, m.id, 0)
    g.connect(w.id, m.id, 1)
    g.connect(m.id, s.id, 0)
    g.set_output(s.id)
    program = Program(g, wrt=[w.id])
    program.fused.reuse = True
    with program.batch_mode():
        program.forward()
        program.forward()
        huge = {x.id: np.ones((5_000, 1))}
        program.set_source(w.id, np.ones((1, 5_000)))  # 25,000,000 elements: over the limit
        from graphgui.core.engine import EvaluationError

        with pytest.raises(EvaluationError) as raised:
            program.forward(huge)
    assert raised.value.node_id == m.id and "M" in str(raised.value)
