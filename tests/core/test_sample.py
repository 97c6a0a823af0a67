"""One sample's graph: its values by hand, its gradients summing to the batch gradient."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.engine import Program
from graphgui.core.examples import load_example
from graphgui.core.train.sample import (
    SampleError,
    batch_size,
    nearest_sample,
    sample_evaluation,
    sample_graph,
)


def values_of(graph, ev, name):
    return ev.values[graph.find(name).id]


def test_one_sample_forward_is_the_network_on_that_column_alone():
    graph = load_example("moons_network")
    X = np.asarray(graph.find("X").value)
    W1, b1 = graph.find("W1").value, graph.find("b1").value
    W2, b2 = graph.find("W2").value, graph.find("b2").value
    i = 17
    x = X[:, i:i + 1]
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))  # by hand, the notebook's forward pass
    s = sample_evaluation(graph, i)
    out = s.evaluation.values[s.evaluation.output]
    y = graph.find("Y").value[0, i]
    expected = -(y * np.log(a2[0, 0]) + (1 - y) * np.log(1 - a2[0, 0]))
    assert float(out) == pytest.approx(expected, rel=1e-10)
    assert np.allclose(values_of(s.graph, s.evaluation, "A1"), a1, rtol=1e-12)


def test_the_batch_gradient_is_the_mean_of_the_samples_gradients():
    graph = load_example("moons_network")
    n = batch_size(graph)
    batch = Program(graph).evaluate()
    total: dict[str, np.ndarray] = {}
    for i in range(n):
        ev = sample_evaluation(graph, i).evaluation
        for name in ("W1", "b1", "W2", "b2"):
            nid = graph.find(name).id
            total[name] = total.get(name, 0) + ev.grads[nid] / n  # each sample's slice
    for name, summed in total.items():
        np.testing.assert_allclose(summed, batch.grads[graph.find(name).id], rtol=1e-10,
                                   atol=1e-15)


def test_the_copy_leaves_the_graph_alone_and_keeps_its_ids():
    graph = load_example("moons_network")
    before = np.asarray(graph.find("X").value).copy()
    copy = sample_graph(graph, 3)
    assert [n.id for n in copy] == [n.id for n in graph]
    assert np.shape(copy.find("X").value) == (2, 1)
    np.testing.assert_array_equal(graph.find("X").value, before)
    assert copy.groups == graph.groups  # dense1, dense2 closed as in the graph


def test_a_click_finds_the_nearest_sample():
    graph = load_example("moons_network")
    X = np.asarray(graph.find("X").value)
    k = 42
    assert nearest_sample(graph, (X[0, k] + 1e-9, X[1, k])) == k


@pytest.mark.parametrize("index, message", [
    (140, "there is no sample 140: the batch has samples 0 to 139"),
    (-1, "there is no sample -1"),
])
def test_a_sample_out_of_range_is_refused(index, message):
    with pytest.raises(SampleError, match=message):
        sample_graph(load_example("moons_network"), index)


def test_a_graph_without_a_batch_is_refused():
    with pytest.raises(SampleError, match="no input 'X' holding the features"):
        sample_graph(load_example("chain_rule"), 0)


def test_every_command_takes_sample_k(capsys):
    from graphgui.cli import main

    assert main(["eval", "--example", "moons_network", "--sample", "17", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    ev = sample_evaluation(load_example("moons_network"), 17).evaluation
    assert data["value"] == pytest.approx(float(ev.values[ev.output]), rel=1e-12)
    assert np.shape(data["values"]["X"]) == (2, 1)
    assert main(["eval", "--example", "chain_rule", "--sample", "0"]) == 2
    assert "no input 'X' holding the features" in capsys.readouterr().err


def test_a_sample_at_other_parameters_is_the_network_with_them_by_hand():
    """A timeline's epoch: the sample's values, gradients and stepped graph hold its
    parameters; the graph keeps its own."""
    graph = load_example("moons_network")
    rng = np.random.default_rng(3)
    ids = {name: graph.find(name).id for name in ("W1", "b1", "W2", "b2")}
    other = {ids[name]: rng.normal(size=np.shape(graph.find(name).value))
             for name in ids}
    own_w1 = graph.find("W1").value.copy()
    i = 17
    s = sample_evaluation(graph, i, parameters=other, epoch=62)
    W1, b1, W2, b2 = (other[ids[name]] for name in ("W1", "b1", "W2", "b2"))
    x = np.asarray(graph.find("X").value)[:, i:i + 1]
    y = graph.find("Y").value[0, i]
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
    loss = -(y * np.log(a2[0, 0]) + (1 - y) * np.log(1 - a2[0, 0]))
    assert float(s.evaluation.values[s.evaluation.output]) == pytest.approx(loss, rel=1e-10)
    # dL/dW2 of the BCE of a sigmoid output: (a2 - y) a1^T, by hand.
    np.testing.assert_allclose(s.evaluation.grads[ids["W2"]], (a2 - y) @ a1.T, rtol=1e-9)
    np.testing.assert_array_equal(s.graph.node(ids["W1"]).value, W1)
    assert s.epoch == 62 and s.parameters is not None
    np.testing.assert_array_equal(graph.find("W1").value, own_w1)
    assert sample_evaluation(graph, i).epoch is None  # the graph's own: no epoch
    with pytest.raises(SampleError, match="no node 'nope'"):
        sample_graph(graph, i, parameters={"nope": 1.0})
