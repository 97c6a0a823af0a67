"""Training in a process of its own (core/train/session.py, process.py, core/spawned.py): the
run there trains exactly what the same Trainer trains here, pause, step, speed and stop
steer it through shared memory, the timeline and update ratios come back whole, a process
that dies ends its run with one line, and a large message never blocks its sender."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

from graphgui.core.examples import load_example_document
from graphgui.core.spawned import send_soon
from graphgui.core.train import Trainer, TrainingError
from graphgui.core.train import process as processes
from graphgui.core.train.session import Batch, Controls, Flag, SessionEnd, SessionSpec

SECONDS = 60.0


@pytest.fixture(scope="module")
def moons():
    return load_example_document("moons_network")


@pytest.fixture(scope="module")
def process():
    process = processes.TrainingProcess()
    yield process
    process.close()


def spec_for(graph, settings, **changes) -> tuple[Trainer, SessionSpec]:
    training = {**settings["training"], **changes}
    trainer = Trainer.from_settings(graph, training)
    probe = np.array([[0.0, 1.0, -1.0], [0.0, 0.5, 0.25]])  # features x samples
    return trainer, SessionSpec(graph, trainer.settings, trainer.dataset, probe,
                                record_ratios=True)


def run_to_end(process, until=None) -> tuple[list[Batch], SessionEnd | str]:
    batches: list[Batch] = []
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        for kind, payload in process.messages(wait=0.05):
            if kind == "end":
                return batches, payload
            batches.append(payload)
        if until is not None and until(batches):
            return batches, None
    raise AssertionError("the run did not end")


def test_the_run_in_the_process_trains_what_the_trainer_trains_here(process, moons):
    graph, settings = moons
    trainer, spec = spec_for(graph, settings, epochs=300)
    process.start(spec)
    batches, end = run_to_end(process)
    here = Trainer.from_settings(graph, trainer.settings)
    ratios = here.record_update_ratios()
    results = here.run()
    assert isinstance(end, SessionEnd) and end.error is None and not end.stopped
    assert end.epoch == 300 and process.pid not in (None, os.getpid())
    if os.path.exists(f"/proc/{process.pid}/comm"):  # Linux: top and ps name it
        with open(f"/proc/{process.pid}/comm") as comm:
            assert comm.read().strip() == "graphgui-train"
    for pid, value in here.parameters().items():
        np.testing.assert_array_equal(end.parameters[pid], value)
    got = [r for b in batches for r in b.results]
    assert [r.epoch for r in got] == list(range(1, 301))
    assert [r.train_loss for r in got] == [r.train_loss for r in results]
    # The update ratios the editor's log is fed: the same rows as a log kept here.
    rows = [row for b in batches for row in b.ratios]
    snapshot = ratios.snapshot()
    assert [epoch for epoch, _ in rows] == list(snapshot.epochs)
    # The timeline: its last moment is the end, restorable exactly.
    last = end.timeline.all()[-1]
    assert last.epoch == 300
    for pid, value in here.parameters().items():
        np.testing.assert_array_equal(last.parameters[pid], value)
    # The probe's last prediction is the final model's.
    epoch, prediction = next(b.probe for b in reversed(batches) if b.probe is not None)
    assert epoch == 300
    np.testing.assert_allclose(prediction, here.predict(spec.probe))
    assert end.final is not None and end.final[0] == pytest.approx(here.evaluate("train")[0])


def test_pause_step_and_stop_steer_the_run(process, moons):
    graph, settings = moons
    _, spec = spec_for(graph, settings, epochs=1_000_000)
    process.start(spec, paused=True)
    controls = process.controls
    deadline = time.monotonic() + SECONDS
    while not controls.waiting.is_set() and time.monotonic() < deadline:
        process.messages(wait=0.02)
    assert controls.waiting.is_set() and controls.epoch.value == 0  # paused before epoch 1
    controls.target.value = 5  # Step 5 epochs
    controls.pause.clear()
    batches, _ = run_to_end(process, until=lambda b: controls.waiting.is_set()
                            and any(r.epoch == 5 for x in b for r in x.results))
    assert controls.epoch.value == 5 and controls.pause.is_set()
    assert batches[-1].values is not None and batches[-1].values[0] == 5  # shown paused
    controls.pause.clear()  # Resume
    run_to_end(process, until=lambda b: controls.epoch.value > 50)
    controls.stop.set()
    _, end = run_to_end(process)
    assert end.stopped and 50 < end.epoch < 1_000_000


def test_a_speed_paces_the_epochs(process, moons):
    graph, settings = moons
    _, spec = spec_for(graph, settings, epochs=6)
    started = time.monotonic()
    process.start(spec, epochs_per_second=50.0)
    batches, end = run_to_end(process)
    assert end.epoch == 6
    # Epoch k is due (k - 1) / 50 s after the first: the sixth at least 0.1 s later.
    assert time.monotonic() - started >= 0.1
    assert [r.epoch for b in batches for r in b.results] == [1, 2, 3, 4, 5, 6]


def test_a_loss_that_overflows_ends_with_the_node_and_epoch(process):
    from graphgui.core.examples import load_example

    graph = load_example("gradient_descent_x2")
    trainer = Trainer.from_settings(graph, {"lr": 1.5, "epochs": 5000})
    process.start(SessionSpec(graph, trainer.settings, None))
    _, end = run_to_end(process)
    assert isinstance(end.error, TrainingError)
    assert end.error.node_id == graph.find("f").id and end.error.epoch == 511
    assert all(np.isfinite(v) for v in end.parameters.values())  # the last finite ones


def test_a_process_that_dies_ends_its_run_with_one_line(moons):
    graph, settings = moons
    _, spec = spec_for(graph, settings, epochs=1_000_000)
    process = processes.TrainingProcess()
    try:
        process.start(spec)
        run_to_end(process, until=lambda b: process.controls.epoch.value > 0)
        os.kill(process.pid, signal.SIGKILL)
        _, end = run_to_end(process)
        assert isinstance(end, str) and "\n" not in end
        assert end == "the training process ended unexpectedly (killed by SIGKILL)"
        assert not process.running
    finally:
        process.close()


def test_an_idle_process_is_kept_for_the_next_run_and_a_busy_one_is_not(moons):
    first = processes.take()
    processes.give_back(first)
    assert processes.take() is first  # kept
    graph, settings = moons
    _, spec = spec_for(graph, settings, epochs=1_000_000)
    first.start(spec)
    processes.give_back(first)  # still running: closed, not kept
    assert not first.alive and not first.running
    second = processes.take()
    assert second is not first and second.alive
    processes.give_back(second)
    processes.close_idle()
    assert not second.alive


def test_training_errors_keep_where_they_happened_when_pickled():
    error = pickle.loads(pickle.dumps(TrainingError("epoch 3: nan", node_id="n4", epoch=3)))
    assert (str(error), error.node_id, error.epoch) == ("epoch 3: nan", "n4", 3)


def test_a_flag_is_an_event_on_shared_memory():
    context = multiprocessing.get_context("spawn")
    flag = Flag(context.RawValue("b", 0))
    assert not flag.is_set() and flag.wait(0.01) is False
    flag.set()
    assert flag.is_set() and flag.wait(0.01) is True
    flag.clear()
    assert not flag.is_set()
    controls = Controls.make(context)
    controls.reset(paused=True, epochs_per_second=None)
    assert controls.pause.is_set() and controls.speed.value == 0 and controls.target.value == -1


def test_a_message_larger_than_the_pipe_does_not_block_its_sender():
    reader, writer = multiprocessing.Pipe()
    big = np.arange(1_000_000, dtype=float)  # 8 MB: far over the pipe's buffer
    sent = threading.Event()
    caller = threading.Thread(target=lambda: (send_soon(writer, ("big", big)), sent.set()))
    caller.start()
    caller.join(SECONDS)  # a sender that waited for the reader would still be waiting
    assert sent.is_set()
    kind, value = reader.recv()  # read only now
    assert kind == "big"
    np.testing.assert_array_equal(value, big)


def test_the_last_message_waits_for_the_one_still_being_written():
    from graphgui.core.spawned import requests, send_last

    reader, writer = multiprocessing.Pipe()
    big = np.arange(2_000_000, dtype=float)  # 16 MB: written while nobody reads
    sender = send_soon(writer, ("big", big))
    assert send_last(writer, sender, None, 0.05) is False  # it would interleave: not sent
    kind, value = reader.recv()  # the big message arrives whole
    assert kind == "big"
    np.testing.assert_array_equal(value, big)
    assert send_last(writer, sender, None, SECONDS) is True
    assert list(requests(reader)) == []  # the stop, and nothing else


def test_a_worker_reading_bytes_that_are_no_message_stops_quietly():
    from graphgui.core.spawned import requests

    reader, writer = multiprocessing.Pipe()
    writer.send_bytes(b"\x00not a pickle")
    assert list(requests(reader)) == []


def test_the_reported_training_time_leaves_the_pauses_out(moons, monkeypatch):
    """A run paused for 100 s (a clock moved while it waits) reports its training time, not
    the wall time: "Trained 30 epochs ... (0.1 s)", not "(100.1 s)"."""
    import multiprocessing as mp

    from graphgui.core.train import session as sessions

    graph, settings = moons
    _, spec = spec_for(graph, settings, epochs=30)
    controls = Controls.make(mp.get_context("spawn"))
    controls.pause.set()  # Start paused
    clock = [0.0]
    real = time.perf_counter
    monkeypatch.setattr(sessions.time, "perf_counter", lambda: real() + clock[0])
    session = sessions.TrainingSession(spec, controls, send=lambda message: None)

    def resume_after_a_long_pause() -> None:
        controls.waiting.wait(SECONDS)
        clock[0] += 100.0  # 100 s go by while it is paused
        controls.resume()

    helper = threading.Thread(target=resume_after_a_long_pause)
    helper.start()
    end = session.run()
    helper.join(SECONDS)
    assert end.epoch == 30 and end.error is None
    assert session.waiting.seconds >= 100.0
    assert 0.0 < end.seconds < 50.0


def test_a_session_plans_its_timeline_for_the_run_ahead(moons):
    """The timeline starts at the stride its thinning would reach (tests/core/test_timeline.py
    shows the moments kept are the same), planned at most PLAN_HORIZON epochs ahead."""
    import multiprocessing as mp

    from graphgui.core.train import session as sessions

    graph, settings = moons
    strides = []
    for epochs in (50, 10_000, 1_000_000):
        _, spec = spec_for(graph, settings, epochs=epochs)
        session = sessions.TrainingSession(spec, Controls.make(mp.get_context("spawn")),
                                           send=lambda message: None)
        strides.append(session.timeline.stride)
    # 10,000 epochs: 100 dense, then 9,900 in at most 899 moments: every 16th epoch.
    assert strides == [1, 16, 16]
