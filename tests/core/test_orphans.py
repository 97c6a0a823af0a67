"""A worker process never outlives the editor: killed while a training run waits in its
pause, or while a landscape computes, the editor's process takes its workers with it
(core/spawned.py exit_with_parent). Linux: the wait is on a pidfd, no polling."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")

SECONDS = 30.0
# A worker that watches the editor ends at once; one that does not would run on: in its
# pause forever, or through the rest of a job that takes 15 s or more here.
GONE_SECONDS = 5.0

EDITOR = textwrap.dedent("""
    import sys
    from graphgui.core.examples import load_example_document
    graph, settings = load_example_document("moons_network")
    if sys.argv[1] == "training":
        from graphgui.core.train import Trainer
        from graphgui.core.train.process import TrainingProcess
        from graphgui.core.train.session import SessionSpec
        trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": 10**6})
        process = TrainingProcess()
        process.start(SessionSpec(graph, trainer.settings, trainer.dataset), paused=True)
        while not process.controls.waiting.is_set():  # in its pause: reading no pipe
            process.messages(wait=0.05)
        pid = process.pid
    else:  # a job of 15 s or more
        graph, settings = load_example_document("vanishing_gradients")
        from graphgui.core.landscape import LandscapeRequest
        from graphgui.core.landscape.worker import LandscapeJob, LandscapeWorker
        worker = LandscapeWorker()
        job = worker.submit(LandscapeJob(graph, settings["training"],
                                         LandscapeRequest(grid=201, steps=10_000)))
        while worker.progress(job)[0] == 0:  # computing
            worker.wait_idle(0.05)
        pid = worker.process_id
    print(pid, flush=True)
    sys.stdin.read()  # until killed
""")


def gone_within(pid: int, seconds: float) -> bool:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(int(seconds * 1000)))  # readable once the process exits
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", ["training", "landscape"])
def test_a_worker_ends_with_the_editor_that_was_killed(kind: str) -> None:
    editor = subprocess.Popen([sys.executable, "-c", EDITOR, kind], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = editor.stdout.readline()
        assert line.strip().isdigit(), f"the editor did not start its worker: {line!r}"
        worker = int(line)
        assert not gone_within(worker, 0.0)  # alive while the editor is
        editor.send_signal(signal.SIGKILL)
        editor.wait(SECONDS)
        assert gone_within(worker, GONE_SECONDS), f"the {kind} worker outlived the editor"
    finally:
        editor.kill()
        editor.wait(SECONDS)
