"""The Trainer's fused SGD step (core/train/fused_step.py) trains the same numbers as its
general step, to the bit, on every SGD training example, random programs, mini-batches and
float32; it steps aside for other optimizers, L2, a non-finite loss (the general step names
the node and rolls back) and a parameter set from outside; shared gradients are never
scaled in place twice."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_fused import random_program

from graphgui.core.examples import build_training_example
from graphgui.core.expr import parse
from graphgui.core.train import Trainer, TrainingError


def pair(graph, settings: dict) -> tuple[Trainer, Trainer]:
    """The same training twice: the fused step, and the general one (the reference)."""
    fused = Trainer.from_settings(graph, settings)
    general = Trainer.from_settings(graph, settings)
    general._fused_step = None
    return fused, general


def assert_same_run(fused: Trainer, general: Trainer) -> None:
    a, b = fused.run(), general.run()
    assert [r.train_loss for r in a] == [r.train_loss for r in b]
    assert [r.train_accuracy for r in a] == [r.train_accuracy for r in b]
    assert [r.grad_norms for r in a] == [r.grad_norms for r in b]
    for pid, value in general.parameters().items():
        np.testing.assert_array_equal(fused.parameters()[pid], value)


@pytest.mark.parametrize("name", ["moons_network", "moons_tanh", "sin_regression",
                                  "ising_phases", "vanishing_gradients"])
def test_sgd_examples_train_the_same_numbers_to_the_bit(name: str) -> None:
    graph, settings = build_training_example(name)
    training = {**settings["training"], "epochs": 60, "optimizer": "sgd", "l2": 0.0,
                "eval_every": 7}
    fused, general = pair(graph, training)
    assert fused._fused_step is not None
    assert_same_run(fused, general)
    assert fused._fused_step.steps > 0  # it ran (the general step compiles the code first)


def test_mini_batches_and_float32_train_the_same_numbers() -> None:
    graph, settings = build_training_example("moons_network")
    for changes in ({"batch_size": 16}, {"dtype": "float32"}):
        training = {**settings["training"], "epochs": 30, **changes}
        fused, general = pair(graph, training)
        assert_same_run(fused, general)
        assert fused._fused_step.steps > 0


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_train_the_same_numbers(seed: int) -> None:
    graph, params = random_program(np.random.default_rng(seed))
    settings = {"epochs": 25, "lr": 0.05, "dataset": None}
    fused, general = pair(graph, settings)
    try:
        expected = general.run()
    except TrainingError as exc:  # a random stack may diverge: then both stop alike
        with pytest.raises(TrainingError) as raised:
            fused.run()
        assert str(raised.value) == str(exc)
        return
    got = fused.run()
    assert [r.train_loss for r in got] == [r.train_loss for r in expected]
    for pid, value in general.parameters().items():
        np.testing.assert_array_equal(fused.parameters()[pid], value)


def test_a_gradient_two_parameters_share_is_not_scaled_twice() -> None:
    # f = sum((a + b - t)^2): a and b get the one gradient array of the add.
    graph = parse("a = param([1.0, 2.0]); b = param([0.5, -1.0]); t = [0.0, 0.0];"
                  " f = sum((a + b - t) ** 2)")
    fused, general = pair(graph, {"epochs": 5, "lr": 0.1})
    assert_same_run(fused, general)
    # By hand: s = a + b; each step a, b -= 0.1 * 2 s, so s -= 0.4 s.
    s = np.array([1.5, 1.0]) * 0.6 ** 5
    np.testing.assert_allclose(fused.parameters()[graph.find("a").id]
                               + fused.parameters()[graph.find("b").id], s)


def test_other_optimizers_and_l2_take_the_general_step() -> None:
    graph, settings = build_training_example("moons_network")
    for changes in ({"optimizer": "adam"}, {"optimizer": "momentum"}, {"l2": 0.01}):
        trainer = Trainer.from_settings(graph, {**settings["training"], **changes})
        assert trainer._fused_step is None


def test_a_non_finite_loss_is_named_and_rolled_back_as_by_the_general_step() -> None:
    # w <- w - 1.5 * 2w = -2w: sum(w^2) overflows after ~510 steps.
    graph = parse("w = param([5.0, 1.0]); f = sum(w ** 2)")
    fused, general = pair(graph, {"lr": 1.5, "epochs": 5000})
    assert fused._fused_step is not None
    with pytest.raises(TrainingError) as expected:
        general.run()
    with pytest.raises(TrainingError) as got:
        fused.run()
    assert str(got.value) == str(expected.value) and got.value.node_id == expected.value.node_id
    assert fused._fused_step.steps > 500 and got.value.epoch == expected.value.epoch
    for pid, value in general.parameters().items():  # the last finite parameters
        np.testing.assert_array_equal(fused.parameters()[pid], value)


def test_a_parameter_set_between_runs_is_used_and_its_new_shape_recompiled() -> None:
    graph = parse("w = param([1.0, 2.0]); f = sum(w ** 2)")
    fused, general = pair(graph, {"epochs": 3, "lr": 0.25})
    assert_same_run(fused, general)
    wid = graph.find("w").id
    for trainer in (fused, general):
        trainer.set_parameters({wid: np.array([3.0, -1.0, 2.0])})  # another shape
        trainer.epochs = 6
    assert_same_run(fused, general)
    np.testing.assert_allclose(fused.parameters()[wid], np.array([3.0, -1.0, 2.0]) * 0.5 ** 3)


def test_sgd_on_an_mlp_updates_every_parameter_in_two_flat_arrays() -> None:
    graph, settings = build_training_example("moons_network")
    fused, general = pair(graph, {**settings["training"], "epochs": 20})
    assert_same_run(fused, general)
    flat = fused._fused_step._flat
    assert flat is not None and fused._fused_step._stepping.copies == []  # all written in place
    held = [fused.program.initial[k] for _, k in fused._param_slots]
    assert {id(v.base) for v in held} == {id(flat.flats[flat.current])}
    previous = [fused._previous[k] for _, k in fused._param_slots]  # the rollback's: the other
    assert {id(v.base) for v in previous} == {id(flat.flats[1 - flat.current])}


def test_a_parameter_set_in_the_program_directly_is_read_where_it_is() -> None:
    # Program.set_source bypasses the Trainer (the flat arrays do not hold the new value).
    graph, settings = build_training_example("moons_network")
    fused, general = pair(graph, {**settings["training"], "epochs": 10})
    assert_same_run(fused, general)
    pid, slot = fused._param_slots[0]
    value = np.full_like(fused.program.initial[slot], 0.25)
    for trainer in (fused, general):
        trainer.program.set_source(pid, value)
        trainer.epochs = 20
    assert_same_run(fused, general)
    assert not np.array_equal(fused.parameters()[pid], value)  # trained from the new value


def test_after_one_parameter_is_set_from_outside_the_rollback_keeps_the_others() -> None:
    # The others are still views of the flat array last written: the next update must not
    # write into it (the rollback's copy holds those views), nor log zero update ratios.
    from graphgui.core.train import mlp_graph

    graph = mlp_graph([2, 4, 1], hidden="tanh", output=None, loss="mse", seed=0)
    runs = []
    for fused in (True, False):
        trainer = Trainer(graph, dataset={"kind": "moons", "n": 40, "noise": 0.2, "seed": 0},
                          lr=0.5, epochs=1)
        if not fused:
            trainer._fused_step = None
        trainer.run()
        last = trainer.param_ids[-1]
        trainer.set_parameters({last: trainer.parameters()[last]})  # the same value
        log = trainer.record_update_ratios()
        trainer.epochs = 2
        trainer.run()
        ratios = {name: r.tolist() for name, r in log.snapshot().ratios.items()}
        trainer.optimizer.lr = 1e300  # the next update overflows: the loss is not finite
        trainer.epochs = 4
        with pytest.raises(TrainingError):
            trainer.run()
        runs.append((trainer.parameters(), ratios))
    (fused_params, fused_ratios), (general_params, general_ratios) = runs
    assert fused_ratios == general_ratios and all(r[-1] > 0 for r in fused_ratios.values())
    for pid, value in general_params.items():  # the last finite parameters, every one
        np.testing.assert_array_equal(fused_params[pid], value)
    assert all(np.abs(v).max() < 10 for v in fused_params.values())
