"""A run's timeline: snapshots within a budget, dense early, restored exactly."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.engine import Program
from graphgui.core.examples import load_example_document
from graphgui.core.train import Trainer
from graphgui.core.train.timeline import DENSE_HEAD, Timeline


def test_everything_is_kept_while_the_budget_allows():
    t = Timeline(budget=10_000)
    for e in range(1, 51):
        t.add(e, {"w": np.full(10, float(e))}, loss=1.0 / e)  # 80 bytes each
    assert t.epochs == list(range(1, 51)) and t.nbytes == 50 * 80
    assert t.at(17).parameters["w"][0] == 17.0


def test_past_the_budget_the_head_stays_dense_and_the_rest_thins():
    t = Timeline(budget=300 * 80)
    for e in range(1, 2001):
        t.add(e, {"w": np.full(10, float(e))}, loss=float(e))
    epochs = t.epochs
    assert t.nbytes <= 300 * 80 and epochs[-1] == 2000
    assert epochs[:DENSE_HEAD] == list(range(1, DENSE_HEAD + 1))  # the first, one by one
    gaps = np.diff(epochs[DENSE_HEAD:-1])  # after the head, before the newest
    assert len(set(gaps.tolist())) == 1 and gaps[0] > 1  # evenly spread, sparser
    assert len(t) > 200  # the budget is used, not wasted
    assert len(t.losses) == 2000  # the loss curve is kept whole


def test_a_snapshot_is_a_copy_and_the_nearest_epoch_is_found():
    t = Timeline()
    w = np.zeros(3)
    t.add(1, {"w": w})
    w += 5  # the run goes on
    t.add(10, {"w": w})
    assert t.at(1).parameters["w"].tolist() == [0, 0, 0]
    assert t.at(4).epoch == 1 and t.at(8).epoch == 10
    with pytest.raises(ValueError, match="is not after"):
        t.add(10, {"w": w})


def test_restoring_a_snapshot_gives_exactly_that_epochs_loss():
    graph, settings = load_example_document("moons_network")
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": 30})
    t = Timeline()
    for _ in range(30):
        result = trainer.run_epoch()
        t.add(result.epoch, trainer.parameters(), loss=result.train_loss)
    snap = t.at(12)
    restored = graph.subgraph(n.id for n in graph)
    for nid, value in snap.parameters.items():
        restored.set_value(nid, value)
    # The loss of the restored parameters on the training data, by an independent run.
    check = Trainer.from_settings(restored, {**settings["training"], "epochs": 1})
    loss, _ = check.evaluate("train")
    trainer12 = Trainer.from_settings(graph, {**settings["training"], "epochs": 12})
    for _ in range(12):
        trainer12.run_epoch()
    again, _ = trainer12.evaluate("train")
    assert loss == again  # bit for bit: the same parameters
    assert Program(restored).evaluate().ok


def test_a_run_copies_only_due_epochs_and_keeps_its_end():
    t = Timeline(budget=150 * 80)
    copied = 0
    for e in range(1, 1001):
        if t.due():
            copied += 1
            t.add(e, {"w": np.full(10, float(e))}, loss=float(e))
        else:
            t.skip(e, loss=float(e))
    t.finish(1000, {"w": np.full(10, 1000.0)})
    assert t.epochs[-1] == 1000 and t.at(1000).parameters["w"][0] == 1000.0
    assert copied < 400 and len(t.losses) == 1000 and t.nbytes <= 150 * 80 + 80
    gaps = np.diff(t.epochs[DENSE_HEAD:-1])
    assert len(set(gaps.tolist())) == 1


def test_a_long_run_keeps_at_most_max_moments():
    t = Timeline(max_moments=300)
    for e in range(1, 5001):
        if t.due():
            t.add(e, {"w": float(e)})
        else:
            t.skip(e)
    assert len(t.snapshots) <= 300 and t.epochs[:DENSE_HEAD] == list(range(1, DENSE_HEAD + 1))


def _run(t: Timeline, epochs: int, size: int = 10) -> int:
    copied = 0
    for e in range(1, epochs + 1):
        if t.due():
            copied += 1
            t.add(e, {"w": np.full(size, float(e))}, loss=float(e))
        else:
            t.skip(e, loss=float(e))
    return copied


@pytest.mark.parametrize("epochs, budget", [(10_000, 8_000_000), (3_000, 150 * 80),
                                            (1_000, 8_000_000), (50_000, 8_000_000)])
def test_a_planned_run_keeps_the_same_moments_from_fewer_copies(epochs, budget) -> None:
    plain, planned = Timeline(budget=budget), Timeline(budget=budget)
    for t in (plain, planned):
        t.add(0, {"w": np.zeros(10)})
    planned.plan(epochs)
    copies_plain, copies_planned = _run(plain, epochs), _run(planned, epochs)
    assert planned.epochs == plain.epochs and planned.stride == plain.stride
    assert [s.parameters["w"][0] for s in planned.all()] == [float(e) for e in plain.epochs]
    assert copies_planned <= copies_plain
    if epochs >= 3_000:  # the thinning had work to do: most copies are saved
        assert copies_planned < 0.5 * copies_plain


def test_a_planned_run_stopped_early_or_run_longer_stays_evenly_spread() -> None:
    t = Timeline()
    t.add(0, {"w": np.zeros(10)})
    t.plan(10_000)
    _run(t, 2_000)  # stopped at a fifth
    gaps = set(np.diff(t.epochs[DENSE_HEAD + 1:-1]).tolist())
    assert len(gaps) == 1 and len(t.snapshots) > DENSE_HEAD + 100
    longer = Timeline(max_moments=300)
    longer.add(0, {"w": np.zeros(10)})
    longer.plan(1_000)
    _run(longer, 5_000)  # five times the plan: the thinning takes over
    assert len(longer.snapshots) <= 300
    assert len(set(np.diff(longer.epochs[DENSE_HEAD + 1:-1]).tolist())) == 1
