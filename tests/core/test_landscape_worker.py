"""The landscape worker process (core/landscape/worker.py): its answers equal the landscape
computed in this process, cancelling (running, queued, discarded) answers or drops at once,
progress reaches the total, a refused request is one line, and a worker that dies answers
its job with one line and is started anew for the next."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

from graphgui.core.examples import load_example_document
from graphgui.core.expr import parse
from graphgui.core.labels import node_labels
from graphgui.core.landscape import LandscapeRequest, compute_landscape
from graphgui.core.landscape.worker import CANCELLED, LandscapeJob, LandscapeWorker

BOWL = "x = param(-1.5); y = param(1.2); f = x**2 + 9 * y**2"
SECONDS = 60.0  # the worker's first job starts a Python process (~0.3 s on a quiet machine)


@pytest.fixture(scope="module")
def worker():
    worker = LandscapeWorker()
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def moons():
    return load_example_document("moons_network")


def bowl_job(**request: object) -> LandscapeJob:
    request = {"params": ("x", "y"), **request}
    return LandscapeJob(parse(BOWL), None, LandscapeRequest(**request))  # type: ignore[arg-type]


def wait_for(worker: LandscapeWorker, job_id: int) -> object:
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        answer = worker.answer(job_id)
        if answer is not None:
            return answer
        worker.wait_idle(0.05)
    raise AssertionError(f"job {job_id} did not answer in {SECONDS} s")


def test_the_answer_equals_the_landscape_computed_here(worker, moons):
    graph, settings = moons
    request = LandscapeRequest(grid=9, steps=5, seed=3)
    job_id = worker.submit(LandscapeJob(graph, settings["training"], request))
    answer = wait_for(worker, job_id)
    here = compute_landscape(graph, settings["training"], request)
    assert not isinstance(answer, str)
    np.testing.assert_array_equal(answer.loss, here.loss)
    for name, trajectory in here.trajectories.items():
        np.testing.assert_array_equal(answer.trajectories[name].points, trajectory.points)
    assert worker.process_id not in (None, os.getpid())
    if os.path.exists(f"/proc/{worker.process_id}/comm"):  # Linux: top and ps name it
        with open(f"/proc/{worker.process_id}/comm") as comm:
            assert comm.read().strip() == "graphgui-landsc"
    assert not worker.busy(job_id) and worker.idle


def test_the_bowl_by_hand(worker):
    answer = wait_for(worker, worker.submit(bowl_job(span=1.5, grid=7, steps=0)))
    xs = -1.5 + 1.5 * np.arange(-3, 4) / 3
    ys = 1.2 + 1.5 * np.arange(-3, 4) / 3
    np.testing.assert_allclose(answer.loss, xs[None, :] ** 2 + 9 * ys[:, None] ** 2)


def test_progress_counts_up_to_the_total_while_it_computes(worker, moons):
    graph, settings = moons
    request = LandscapeRequest(grid=101, steps=200)
    job_id = worker.submit(LandscapeJob(graph, settings["training"], request))
    seen = []
    while worker.busy(job_id) and worker.answer(job_id) is None:
        seen.append(worker.progress(job_id))
        worker.wait_idle(0.02)
    done = [d for d, total in seen]
    assert all(total == request.work for _, total in seen)
    assert done == sorted(done)  # never backwards
    assert any(0 < d < request.work for d in done)  # seen part-way


def test_cancelling_the_running_job_answers_cancelled_and_the_next_job_runs(worker, moons):
    graph, settings = moons
    long = worker.submit(LandscapeJob(graph, settings["training"],
                                      LandscapeRequest(grid=201, steps=10_000)))
    deadline = time.monotonic() + SECONDS
    while worker.progress(long)[0] == 0 and time.monotonic() < deadline:
        worker.wait_idle(0.02)
    assert worker.progress(long)[0] > 0  # it is computing
    queued = worker.submit(bowl_job(grid=3, steps=1))
    worker.cancel(long)
    assert wait_for(worker, long) == CANCELLED  # it stops at the next grid point or step
    answer = wait_for(worker, queued)
    assert not isinstance(answer, str) and answer.loss.shape == (3, 3)


def test_cancelling_a_queued_job_answers_at_once_and_never_reaches_the_worker(worker):
    first = worker.submit(bowl_job(grid=51, steps=100))
    second = worker.submit(bowl_job(grid=3, steps=0))
    worker.cancel(second)
    assert worker.answer(second) == CANCELLED  # no wait: it was still queued
    assert not isinstance(wait_for(worker, first), str)


def test_a_discarded_job_is_forgotten_and_its_answer_dropped(worker):
    job_id = worker.submit(bowl_job(grid=51, steps=100))
    worker.discard(job_id)
    assert not worker.busy(job_id)
    assert worker.wait_idle(SECONDS)
    assert worker.answer(job_id) is None
    assert not isinstance(wait_for(worker, worker.submit(bowl_job(grid=3))), str)


def test_a_refused_request_is_one_line(worker):
    answer = wait_for(worker, worker.submit(bowl_job(grid=4)))
    assert isinstance(answer, str) and "\n" not in answer
    assert "odd number" in answer and "--grid" not in answer  # the editor's words


def test_a_worker_that_dies_answers_with_one_line_and_the_next_job_starts_a_new_one(moons):
    graph, settings = moons
    worker = LandscapeWorker()
    try:
        job_id = worker.submit(LandscapeJob(graph, settings["training"],
                                            LandscapeRequest(grid=201, steps=10_000)))
        deadline = time.monotonic() + SECONDS
        while worker.progress(job_id)[0] == 0 and time.monotonic() < deadline:
            worker.wait_idle(0.02)
        first = worker.process_id
        os.kill(first, signal.SIGKILL)
        answer = wait_for(worker, job_id)
        assert isinstance(answer, str) and "\n" not in answer
        assert answer.startswith("The landscape worker ended unexpectedly (killed by SIGKILL)")
        again = wait_for(worker, worker.submit(bowl_job(grid=3, steps=0)))
        assert not isinstance(again, str)
        assert worker.process_id not in (None, first)
    finally:
        worker.close()
    assert worker.process_id is None


def test_close_answers_every_job_cancelled_and_stops_the_process():
    worker = LandscapeWorker()
    running = worker.submit(bowl_job(grid=201, steps=10_000))
    queued = worker.submit(bowl_job(grid=3))
    process = worker._process
    worker.close()
    assert worker.answer(running) == CANCELLED and worker.answer(queued) == CANCELLED
    assert not process.is_alive()


def test_a_graph_sent_to_the_worker_leaves_its_handlers_and_caches_behind(worker):
    graph = parse(BOWL)
    seen = []
    graph.changed.subscribe(lambda: seen.append(1))  # a window's slot: not picklable
    graph.changed.subscribe(threading.Lock)  # nor is this
    node_labels(graph)  # the label cache, a read-only mapping
    copy = pickle.loads(pickle.dumps(graph))
    copy.set_value(copy.find("x").id, 2.0)
    assert seen == [] and copy.find("x").value == 2.0
    answer = wait_for(worker, worker.submit(LandscapeJob(graph, None, LandscapeRequest(
        params=("x", "y"), grid=3, steps=0))))
    assert not isinstance(answer, str) and answer.origin_loss == pytest.approx(1.5**2 + 9 * 1.44)


def test_a_job_that_cannot_be_sent_is_one_line_and_the_worker_goes_on(worker):
    unpicklable = LandscapeJob(parse(BOWL), {"lock": threading.Lock()},
                               LandscapeRequest(params=("x", "y"), grid=3))
    job_id = worker.submit(unpicklable)
    answer = worker.answer(job_id)
    assert answer.startswith("The graph could not be sent to the landscape worker")
    assert "\n" not in answer
    assert not isinstance(wait_for(worker, worker.submit(bowl_job(grid=3))), str)
