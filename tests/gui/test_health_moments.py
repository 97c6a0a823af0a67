"""The Health dock's caption names the moment of training the graph's parameters are of
(panels/health/moments.py): counted from the parameters the document opened with, and,
when runs followed one another, with the last run's own epochs beside it (what the
Trainer, the timeline and the Boundary dock count)."""

from __future__ import annotations

import numpy as np

from graphgui.core.expr import parse
from graphgui.gui.panels.health.moments import Moments


def test_runs_one_after_another_count_from_the_opened_parameters_and_name_the_last():
    graph = parse("w = param([1.0, 2.0]); f = sum(w ** 2)")
    wid = graph.find("w").id
    moments = Moments()
    moments.opened(graph)
    assert moments.label(graph) == "before any run"
    for epochs, value in ((150, [0.5, 1.0]), (150, [0.25, 0.5])):
        moments.run_started(graph)
        graph.set_value(wid, np.array(value))
        moments.run_ended({wid: graph.find("w").value}, epochs)
    assert moments.label(graph) == "after epoch 300 (150 in the last run)"
    graph.set_value(wid, np.array([0.5, 1.0]))  # Undo of the second run
    assert moments.label(graph) == "after epoch 150"
    graph.set_value(wid, np.array([9.0, 9.0]))  # edited by hand
    assert moments.label(graph) == "edited parameters"
