"""The layered layout: left-to-right edges, no overlaps, no needless crossings, determinism."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.layout import apply_layout, layered_layout

X_GAP, Y_GAP = 180.0, 90.0


def chain_rule_graph() -> Graph:
    """f = (x + y) * z built by hand, nodes added in an unhelpful order."""
    g = Graph()
    f = g.add_node("mul", name="f").id
    z = g.add_node("input", name="z").id
    q = g.add_node("add", name="q").id
    y = g.add_node("input", name="y").id
    x = g.add_node("input", name="x").id
    g.connect(x, q, 0)
    g.connect(y, q, 1)
    g.connect(q, f, 0)
    g.connect(z, f, 1)
    return g


def neuron_graph() -> Graph:
    """f = sigmoid(w0*x0 + w1*x1 + w2), inputs added bottom-up and crosswise."""
    g = Graph()
    ids = {n: g.add_node("input", name=n).id for n in ("w2", "x1", "x0", "w1", "w0")}
    m0 = g.add_node("mul").id
    m1 = g.add_node("mul").id
    s = g.add_node("add").id
    t = g.add_node("add").id
    f = g.add_node("sigmoid", name="f").id
    g.connect(ids["w0"], m0, 0)
    g.connect(ids["x0"], m0, 1)
    g.connect(ids["w1"], m1, 0)
    g.connect(ids["x1"], m1, 1)
    g.connect(m0, s, 0)
    g.connect(m1, s, 1)
    g.connect(s, t, 0)
    g.connect(ids["w2"], t, 1)
    g.connect(t, f, 0)
    return g


def paired_inputs_graph() -> Graph:
    """Six inputs added in order, combined outside-in: (i0, i5), (i1, i4), (i2, i3)."""
    g = Graph()
    ins = [g.add_node("input", name=f"i{k}").id for k in range(6)]
    pairs = []
    for a, b in ((0, 5), (1, 4), (2, 3)):
        node = g.add_node("mul").id
        g.connect(ins[a], node, 0)
        g.connect(ins[b], node, 1)
        pairs.append(node)
    s = g.add_node("add").id
    g.connect(pairs[0], s, 0)
    g.connect(pairs[1], s, 1)
    out = g.add_node("sub", name="out").id
    g.connect(s, out, 0)
    g.connect(pairs[2], out, 1)
    return g


def random_dag(n: int, seed: int) -> Graph:
    """Mostly local wiring with some long edges and a few sources along the way."""
    rng = random.Random(seed)
    g = Graph()
    ids: list[str] = []
    for k in range(n):
        if k < 10 or rng.random() < 0.1:
            ids.append(g.add_node(rng.choice(["input", "parameter", "constant"])).id)
            continue
        node = g.add_node(rng.choice(["add", "mul", "sin", "neg", "sub"]))
        for port in range(node.spec.arity):
            reach = 5 if rng.random() < 0.9 else 400
            back = min(len(ids) - 1, int(rng.expovariate(1 / reach)))
            g.connect(ids[len(ids) - 1 - back], node.id, port)
        ids.append(node.id)
    return g


def segments_cross(p1, p2, p3, p4) -> bool:
    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (v > 1e-9) - (v < -1e-9)

    return (
        orient(p1, p2, p3) * orient(p1, p2, p4) < 0
        and orient(p3, p4, p1) * orient(p3, p4, p2) < 0
    )


def crossings(graph: Graph, pos) -> int:
    """Pairs of wires (straight, centre to centre) that cross, wires sharing a node excluded."""
    segs = [(pos[e.src], pos[e.dst], {e.src, e.dst}) for e in graph.edges]
    count = 0
    for i in range(len(segs)):
        for j in range(i):
            if segs[i][2] & segs[j][2]:
                continue
            count += segments_cross(segs[i][0], segs[i][1], segs[j][0], segs[j][1])
    return count


def assert_left_to_right(graph: Graph, pos) -> None:
    for e in graph.edges:
        if e.src in pos and e.dst in pos:
            assert pos[e.src][0] < pos[e.dst][0], e


def assert_no_overlap(pos, x_gap=X_GAP, y_gap=Y_GAP) -> None:
    columns: dict[float, list[float]] = {}
    for x, y in pos.values():
        columns.setdefault(x, []).append(y)
    xs = sorted(columns)
    assert all(b - a >= x_gap - 1e-9 for a, b in zip(xs, xs[1:], strict=False))
    for ys in columns.values():
        ys.sort()
        assert all(b - a >= y_gap - 1e-6 for a, b in zip(ys, ys[1:], strict=False))


@pytest.mark.parametrize("build", [chain_rule_graph, neuron_graph, paired_inputs_graph])
def test_small_graphs_have_no_crossings_and_are_clean(build):
    graph = build()
    pos = layered_layout(graph)
    assert set(pos) == {n.id for n in graph.nodes}
    assert_left_to_right(graph, pos)
    assert_no_overlap(pos)
    assert crossings(graph, pos) == 0


def test_chain_rule_shape():
    graph = chain_rule_graph()
    pos = layered_layout(graph)
    by = {graph.node(k).name: v for k, v in pos.items()}
    # sources on the left, one layer per step, the output on the right
    assert by["x"][0] == by["y"][0] == by["z"][0] == 0.0
    assert by["q"][0] == X_GAP and by["f"][0] == 2 * X_GAP
    # inputs in port order: x (port 0 of q) above y; q (port 0 of f) above z
    assert by["x"][1] < by["y"][1] < by["z"][1]
    assert by["q"][1] < by["z"][1]
    # centred vertically on the origin
    ys = [p[1] for p in pos.values()]
    assert min(ys) + max(ys) == pytest.approx(0.0)


def test_origin_gaps_and_subsets():
    graph = neuron_graph()
    pos = layered_layout(graph, origin=(100.0, -50.0), x_gap=200, y_gap=60)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    assert min(xs) == 100.0 and max(xs) == 100.0 + 4 * 200
    assert (min(ys) + max(ys)) / 2 == pytest.approx(-50.0)
    assert_no_overlap(pos, 200, 60)
    some = [graph.find("w0").id, graph.find("x0").id, graph.find("f").id]
    part = layered_layout(graph, node_ids=some)
    assert set(part) == set(some)  # f is not wired to w0/x0 within the subset
    assert_no_overlap(part)
    assert layered_layout(Graph()) == {}


def test_constants_sit_next_to_their_consumer_and_sinks_on_the_right():
    g = Graph()
    x = g.add_node("input", name="x").id
    a = g.add_node("sin", name="a").id
    b = g.add_node("exp", name="b").id
    one = g.add_node("constant", value=1.0).id
    c = g.add_node("add", name="c").id
    side = g.add_node("neg", name="side").id  # a second sink, one step from x
    g.connect(x, a, 0)
    g.connect(a, b, 0)
    g.connect(b, c, 0)
    g.connect(one, c, 1)
    g.connect(x, side, 0)
    pos = layered_layout(g)
    assert pos[one][0] == pos[c][0] - X_GAP
    assert pos[side][0] == pos[c][0] == 3 * X_GAP
    assert_left_to_right(g, pos)
    assert_no_overlap(pos)


def test_apply_layout_moves_nodes_and_announces_it():
    graph = chain_rule_graph()
    moved = []
    graph.node_changed.subscribe(lambda node, what: moved.append((node.id, what)))
    pos = layered_layout(graph)
    apply_layout(graph, pos)
    assert {n.id: n.pos for n in graph.nodes} == pos
    assert sorted(moved) == sorted((nid, "pos") for nid in pos if pos[nid] != (0.0, 0.0))


def test_deterministic_within_and_across_processes():
    graph = random_dag(300, seed=7)
    first = layered_layout(graph)
    assert layered_layout(graph) == first
    script = (
        f"import json, sys; sys.path.insert(0, {os.path.dirname(__file__)!r});"
        "from test_layout import random_dag;"
        "from graphgui.core.layout import layered_layout;"
        "print(json.dumps(layered_layout(random_dag(300, seed=7))))"
    )
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        assert {k: tuple(v) for k, v in json.loads(out.stdout).items()} == first


@pytest.mark.parametrize("seed", range(5))
def test_random_dags_are_left_to_right_without_overlaps(seed):
    graph = random_dag(200, seed)
    pos = layered_layout(graph)
    assert len(pos) == len(graph)
    assert_left_to_right(graph, pos)
    assert_no_overlap(pos)


def test_trees_have_no_crossings():
    rng = random.Random(3)
    for _ in range(40):
        g = Graph()

        def build(depth: int, g: Graph = g) -> str:
            if depth == 0 or rng.random() < 0.3:
                return g.add_node("input").id
            op = rng.choice(["add", "mul", "sin", "exp"])
            kids = [build(depth - 1) for _ in range(2 if op in ("add", "mul") else 1)]
            node = g.add_node(op).id
            for port, kid in enumerate(kids):
                g.connect(kid, node, port)
            return node

        build(5)
        pos = layered_layout(g)
        assert crossings(g, pos) == 0


def test_five_thousand_nodes():
    graph = random_dag(5000, seed=1)
    pos = layered_layout(graph)
    assert len(pos) == 5000
    assert_left_to_right(graph, pos)
    assert_no_overlap(pos)
    chain = Graph()  # one input feeding every step: 5,000 long edges (no dummies then)
    x = prev = chain.add_node("input").id
    for _ in range(4999):
        node = chain.add_node("mul").id
        chain.connect(prev, node, 0)
        chain.connect(x, node, 1)
        prev = node
    pos = layered_layout(chain)
    assert_left_to_right(chain, pos)
    assert_no_overlap(pos)


def test_a_source_read_only_at_the_end_sits_one_column_before_its_reader_under_the_rest():
    from graphgui.core.layout import before_readers

    g = parse("h = tanh(tanh(tanh(x))); L = mse(h, t)")
    positions = layered_layout(g, x_gap=100.0)
    t, loss = g.find("t").id, g.find("L").id
    assert positions[t][0] < positions[loss][0] - 100.0  # in the first column: far from L
    moved = before_readers(g, t, positions, 100.0)
    assert moved[t][0] == positions[loss][0] - 100.0
    assert moved[t][1] > max(p[1] for nid, p in positions.items() if nid != t)
    positions.update(moved)
    assert before_readers(g, t, positions, 100.0) == {}  # there already
    assert before_readers(g, g.find("L").id, positions, 100.0) == {}  # read by nothing
