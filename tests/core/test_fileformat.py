"""The graph file format: exact round trips, every refusal with its message, atomic saves.

Expected file contents are written out by hand (or checked with plain ``json``), never taken
from the writer under test.
"""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graphgui.core import fileformat as ff
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph, GraphError
from graphgui.core.ops import Param, all_ops
from graphgui.core.values import values_equal

DOCS = Path(__file__).resolve().parents[2] / "docs" / "file-format.md"

# ---- helpers -----------------------------------------------------------------------------


def assert_same_graph(a: Graph, b: Graph) -> None:
    """Everything a file stores, compared exactly (value types and shapes included)."""
    assert (a.title, a.description) == (b.title, b.description)
    assert a.chosen_output == b.chosen_output
    assert [n.id for n in a.nodes] == [n.id for n in b.nodes]
    for m, n in zip(a.nodes, b.nodes, strict=True):
        assert (m.op, m.name, m.params, m.pos) == (n.op, n.name, n.params, n.pos), m.id
        assert type(m.value) is type(n.value), m.id
        if isinstance(m.value, np.ndarray):
            assert m.value.shape == n.value.shape and n.value.dtype == np.float64
        assert values_equal(m.value, n.value), m.id
        # values_equal treats 0.0 and -0.0 alike; a nan's sign has no meaning (JSON has no -nan)
        if isinstance(m.value, float) and not math.isnan(m.value):
            assert math.copysign(1, m.value) == math.copysign(1, n.value)
    assert sorted(a.edges, key=repr) == sorted(b.edges, key=repr)


def chain_graph() -> Graph:
    """(x + y) * z at x = -2, y = 5, z = -4 (the example in docs/file-format.md)."""
    g = Graph("Chain rule", "f = (x + y) * z")
    x = g.add_node("input", name="x", value=-2, pos=(0, -90))
    y = g.add_node("input", name="y", value=5, pos=(0, 0))
    z = g.add_node("input", name="z", value=-4, pos=(0, 90))
    q = g.add_node("add", name="q", pos=(180, -45))
    f = g.add_node("mul", name="f", pos=(360, 0))
    g.connect(x.id, q.id, "a")
    g.connect(y.id, q.id, "b")
    g.connect(q.id, f.id, "a")
    g.connect(z.id, f.id, "b")
    g.set_output(f.id)
    return g


CHAIN_TEXT = """\
{
  "format": "graphgui",
  "version": 2,
  "title": "Chain rule",
  "description": "f = (x + y) * z",
  "output": "n5",
  "nodes": [
    {"id": "n1", "op": "input", "name": "x", "params": {}, "value": -2.0, "pos": [0.0, -90.0]},
    {"id": "n2", "op": "input", "name": "y", "params": {}, "value": 5.0, "pos": [0.0, 0.0]},
    {"id": "n3", "op": "input", "name": "z", "params": {}, "value": -4.0, "pos": [0.0, 90.0]},
    {"id": "n4", "op": "add", "name": "q", "params": {}, "pos": [180.0, -45.0]},
    {"id": "n5", "op": "mul", "name": "f", "params": {}, "pos": [360.0, 0.0]}
  ],
  "edges": [
    {"from": "n1", "to": "n4", "port": "a"},
    {"from": "n2", "to": "n4", "port": "b"},
    {"from": "n4", "to": "n5", "port": "a"},
    {"from": "n3", "to": "n5", "port": "b"}
  ]
}
"""


# ---- writing and exact round trips -------------------------------------------------------


def test_small_graph_is_written_exactly_as_documented():
    assert ff.dumps(chain_graph()) == CHAIN_TEXT


def test_docs_example_is_the_same_file_and_loads():
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/file-format.md has no ```json example"
    assert blocks[0] == CHAIN_TEXT
    assert_same_graph(ff.loads(blocks[0]), chain_graph())


def rich_graph() -> Graph:
    g = Graph("Ünïcode \"title\"\nwith a newline", "a description\twith a tab")
    x = g.add_node("input", name="x", value=[1.5, -2.0, 0.1], pos=(-12.25, 3e-300))
    w = g.add_node("parameter", name="W", value=[[0.5, 0.3, -0.1], [0.2, 0.8, 1e300]], pos=(1, 2))
    b = g.add_node("parameter", name="b", value=-0.0, pos=(0.1, 0.2))
    c = g.add_node("constant", value=3.0)  # unnamed
    odd = g.add_node(
        "input", name="odd", value=[[math.nan, math.inf], [-math.inf, 5e-324]], pos=(7, 7)
    )
    s = g.add_node("input", name="s", value=math.nan)
    mm = g.add_node("matmul", name="h", pos=(200, 0))
    lr = g.add_node("leaky_relu", name="a", params={"alpha": 0.2})
    sm = g.add_node("sum", params={"axis": 0})
    rs = g.add_node("reshape", name="r", params={"shape": (3, -1)})
    mean = g.add_node("mean")  # axis left at its default (None)
    loose = g.add_node("mul")  # an unconnected input is fine in an editor
    g.connect(w.id, mm.id, "a")
    g.connect(x.id, mm.id, "b")
    g.connect(mm.id, lr.id, "x")
    g.connect(lr.id, sm.id, "x")
    g.connect(odd.id, rs.id, "x")
    g.connect(rs.id, mean.id, "x")
    g.connect(c.id, loose.id, "b")
    g.connect(b.id, loose.id, "a")
    del s
    g.set_output(sm.id)
    return g


SETTINGS = {"optimizer": {"name": "sgd", "lr": 0.1}, "epochs": 200, "seed": None,
            "layers": [2, [3, 4]], "shuffle": True, "note": "é ✓"}


def test_rich_graph_round_trips_exactly():
    g = rich_graph()
    text = ff.dumps(g, SETTINGS)
    doc = ff.read_document(text, "rich.json")
    assert_same_graph(g, doc.graph)
    assert doc.settings == SETTINGS
    assert ff.dumps(doc.graph, doc.settings) == text
    assert ff.dumps(ff.loads(ff.dumps(g))) == ff.dumps(g)


def test_rich_graph_fields_as_plain_json_sees_them():
    data = json.loads(ff.dumps(rich_graph(), SETTINGS))
    assert list(data) == ["format", "version", "title", "description", "output", "nodes",
                          "edges", "settings"]
    assert data["format"] == "graphgui" and data["version"] == 2
    assert data["title"] == "Ünïcode \"title\"\nwith a newline"
    nodes = {n["id"]: n for n in data["nodes"]}
    by_name = {n["name"]: n for n in data["nodes"] if n["name"]}
    assert list(by_name["x"]) == ["id", "op", "name", "params", "value", "pos"]
    assert list(by_name["h"]) == ["id", "op", "name", "params", "pos"]  # no value
    assert by_name["x"]["value"] == [1.5, -2.0, 0.1]
    assert by_name["W"]["value"] == [[0.5, 0.3, -0.1], [0.2, 0.8, 1e300]]
    assert by_name["odd"]["value"] == [["nan", "inf"], ["-inf", 5e-324]]
    assert by_name["s"]["value"] == "nan"
    assert by_name["x"]["pos"] == [-12.25, 3e-300]
    assert by_name["a"]["params"] == {"alpha": 0.2}
    assert by_name["r"]["params"] == {"shape": [3, -1]}
    sum_node = next(n for n in data["nodes"] if n["op"] == "sum")
    assert sum_node["params"] == {"axis": 0}
    assert next(n for n in data["nodes"] if n["op"] == "mean")["params"] == {"axis": None}
    assert data["output"] == sum_node["id"]
    assert nodes[data["output"]]["op"] == "sum"
    wires = {(nodes[e["from"]]["name"], nodes[e["to"]]["name"], e["port"]) for e in data["edges"]}
    assert ("W", "h", "a") in wires and ("x", "h", "b") in wires
    assert data["settings"] == SETTINGS


def test_text_is_two_space_indented_json_with_stable_key_order():
    text = ff.dumps(rich_graph())
    assert text.endswith("}\n")
    assert all(len(line) - len(line.lstrip(" ")) in (0, 2, 4, 6, 8) for line in text.splitlines())
    assert json.loads(text)  # valid strict JSON
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} written"))


def test_no_settings_key_without_settings_and_empty_settings_kept():
    assert "settings" not in json.loads(ff.dumps(chain_graph()))
    assert ff.read_document(ff.dumps(chain_graph())).settings is None
    assert ff.read_document(ff.dumps(chain_graph(), {})).settings == {}


def test_automatic_output_is_written_as_null():
    g = chain_graph()
    g.set_output(None)
    data = json.loads(ff.dumps(g))
    assert data["output"] is None
    assert ff.loads(ff.dumps(g)).chosen_output is None


def test_empty_graph_and_empty_arrays_round_trip():
    g = Graph()
    assert ff.dumps(ff.loads(ff.dumps(g))) == ff.dumps(g)
    g.add_node("input", name="e1", value=np.zeros(0))
    g.add_node("input", name="e2", value=np.zeros((2, 0)))
    text = ff.dumps(g)
    back = ff.loads(text)
    assert back.find("e1").value.shape == (0,)
    assert back.find("e2").value.shape == (2, 0)
    assert ff.dumps(back) == text


def test_hand_written_file_with_defaults_and_alias():
    text = json.dumps({
        "format": "graphgui", "version": 1,
        "nodes": [{"id": "a", "op": "input", "value": 2},
                  {"id": "b", "op": "linear"}],  # alias of identity; name/params/pos omitted
        "edges": [{"from": "a", "to": "b", "port": "x"}],
    })
    g = ff.loads(text)
    assert (g.title, g.description, g.chosen_output) == ("", "", None)
    assert g.node("b").op == "identity" and g.node("b").name is None
    assert g.node("b").pos == (0.0, 0.0) and g.node("a").value == 2.0
    assert isinstance(g.node("a").value, float)
    # A loaded graph is a normal Graph: new ids do not collide with loaded ones.
    assert g.add_node("neg").id not in ("a", "b")


def test_edges_in_any_order_give_the_same_graph():
    text = ff.dumps(rich_graph())
    data = json.loads(text)
    data["edges"].reverse()
    data["edges"].insert(1, data["edges"].pop())
    assert ff.dumps(ff.loads(json.dumps(data))) == text


def test_partial_params_are_completed_with_defaults():
    text = json.dumps({"format": "graphgui", "version": 1,
                       "nodes": [{"id": "s", "op": "softmax"}, {"id": "l", "op": "l2"}]})
    g = ff.loads(text)
    assert g.node("s").params == {"axis": -1}
    assert g.node("l").params == {"lam": 0.01}


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + CHAIN_TEXT.encode())
    assert_same_graph(ff.load(path), chain_graph())


def test_load_document_and_save_with_settings(tmp_path):
    path = tmp_path / "g.json"
    ff.save(rich_graph(), path, settings=SETTINGS)
    doc = ff.load_document(path)
    assert doc.settings == SETTINGS
    assert_same_graph(doc.graph, rich_graph())
    assert path.read_text(encoding="utf-8") == ff.dumps(rich_graph(), SETTINGS)


# ---- refusals ----------------------------------------------------------------------------

BASE: dict[str, Any] = json.loads(CHAIN_TEXT)


def edit(fn) -> str:
    doc = copy.deepcopy(BASE)
    fn(doc)
    return json.dumps(doc, indent=2)


def node(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def setitem(obj: dict[str, Any], key: str, value: Any) -> None:
    obj[key] = value


BAD_FILES = [
    # (id, text, fragment of the message)
    ("not-json", '{"format": "graphgui",\n "version": 1,\n "nodes": [}',
     "not valid JSON: Expecting value (line 3, column 12)"),
    ("nan-literal", CHAIN_TEXT.replace('"value": 5.0', '"value": NaN'),
     "NaN (line 9, column 69)"),
    ("infinity-literal", CHAIN_TEXT.replace('"value": 5.0', '"value": -Infinity'),
     "-Infinity (line 9, column 69)"),
    ("number-overflow", CHAIN_TEXT.replace('"value": 5.0', '"value": 1e999'),
     "the number 1e999 is too large"),
    ("huge-int", CHAIN_TEXT.replace('"value": 5.0', '"value": ' + "9" * 400),
     "more than 300 digits"),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("deep-value", CHAIN_TEXT.replace('"value": 5.0', '"value": ' + "[" * 150 + "]" * 150),
     "nested more than 100 levels deep"),
    ("duplicate-key", CHAIN_TEXT.replace('"title": "Chain rule",', '"title": "a", "title": "b",'),
     'the key "title" appears twice'),
    ("top-not-object", "[1, 2]", "expected a JSON object at the top level, not a list"),
    ("no-format", edit(lambda d: d.pop("format")), 'not a graphgui file (no "format"'),
    ("wrong-format", edit(lambda d: setitem(d, "format", "graphviz")),
     "format: is 'graphviz', expected 'graphgui'"),
    ("no-version", edit(lambda d: d.pop("version")), 'no "version"'),
    ("version-text", edit(lambda d: setitem(d, "version", "1")),
     'version: must be an integer, not the text "1"'),
    ("version-float", edit(lambda d: setitem(d, "version", 1.0)), "version: must be an integer"),
    ("version-bool", edit(lambda d: setitem(d, "version", True)), "version: must be an integer"),
    ("version-newer", edit(lambda d: setitem(d, "version", 3)),
     "was written by a newer graphgui (version 3); this one reads up to 2"),
    ("version-older", edit(lambda d: setitem(d, "version", 0)),
     "version: 0 is older than any version this graphgui reads"),
    ("unknown-top-key", edit(lambda d: setitem(d, "edgse", [])),
     'unknown key "edgse" (did you mean "edges"?)'),
    ("no-nodes", edit(lambda d: d.pop("nodes")), 'no "nodes" list'),
    ("nodes-not-list", edit(lambda d: setitem(d, "nodes", {})), "nodes: must be a list"),
    ("title-number", edit(lambda d: setitem(d, "title", 7)), "title: must be text"),
    ("title-surrogate", CHAIN_TEXT.replace('"Chain rule"', '"bad \\ud800"'),
     "title: text contains an unpaired surrogate"),
    ("node-not-object", edit(lambda d: d["nodes"].insert(1, "n9")),
     'nodes[1]: must be an object, not the text "n9"'),
    ("node-no-id", edit(lambda d: d["nodes"][2].pop("id")), 'nodes[2]: no "id"'),
    ("node-bad-id", edit(lambda d: setitem(d["nodes"][0], "id", "n 1")),
     'nodes[0]: the id "n 1" is not valid'),
    ("node-id-number", edit(lambda d: setitem(d["nodes"][0], "id", 1)),
     'nodes[0]: "id" must be text, not the number 1'),
    ("duplicate-id", edit(lambda d: setitem(d["nodes"][1], "id", "n1")),
     'nodes[1]: the id "n1" is used by another node'),
    ("unknown-op", edit(lambda d: setitem(node(d, "n4"), "op", "sigmod")),
     "node \"n4\": unknown op 'sigmod' (did you mean 'sigmoid'?)"),
    ("op-with-code", edit(lambda d: setitem(node(d, "n4"), "op", "__import__('os').system('x')")),
     'node "n4": unknown op'),
    ("op-multiline", edit(lambda d: setitem(node(d, "n4"), "op", "sig\nmoid")),
     "node \"n4\": unknown op 'sig\\nmoid'"),
    ("no-op", edit(lambda d: node(d, "n4").pop("op")), 'node "n4": no "op"'),
    ("unknown-node-key", edit(lambda d: setitem(node(d, "n1"), "valeu", 1)),
     'node "n1": unknown key "valeu" (did you mean "value"?)'),
    ("unknown-param", edit(lambda d: setitem(node(d, "n4"), "params", {"axis": 0})),
     "node \"n4\": op 'add' has no parameter 'axis'"),
    ("param-wrong-type", edit(lambda d: node(d, "n4").update(op="leaky_relu", params={
        "alpha": "big"})), "node \"n4\": parameter 'alpha' must be a number, got 'big'"),
    ("param-bad-axis", edit(lambda d: node(d, "n4").update(op="sum", params={"axis": 1.5})),
     "parameter 'axis' must be an axis"),
    ("param-bad-shape", edit(lambda d: node(d, "n4").update(op="reshape", params={
        "shape": [-1, -1]})), "parameter 'shape' is not a valid shape"),
    ("params-not-object", edit(lambda d: setitem(node(d, "n4"), "params", [])),
     'node "n4": "params" must be an object, not a list'),
    ("value-on-op", edit(lambda d: setitem(node(d, "n4"), "value", 1.0)),
     'node "n4": only input, constant and parameter nodes have a "value" (this is add)'),
    ("value-missing", edit(lambda d: node(d, "n2").pop("value")),
     'node "n2": an input node needs a "value"'),
    ("value-null", edit(lambda d: setitem(node(d, "n2"), "value", None)),
     'node "n2": an input node needs a "value"'),
    ("value-ragged", edit(lambda d: setitem(node(d, "n2"), "value", [[1, 2], [3]])),
     'node "n2": value: not a rectangular array of numbers'),
    ("value-text", edit(lambda d: setitem(node(d, "n2"), "value", "five")),
     'node "n2": value: "five" is not a number (only "nan", "inf" and "-inf"'),
    ("value-bool", edit(lambda d: setitem(node(d, "n2"), "value", [1, True])),
     'node "n2": value: true is not a number'),
    ("value-null-element", edit(lambda d: setitem(node(d, "n2"), "value", [1, None])),
     'node "n2": value: null is not a number'),
    ("value-object", edit(lambda d: setitem(node(d, "n2"), "value", {"x": 1})),
     'node "n2": value: {"x": 1} is not a number'),
    ("name-invalid", edit(lambda d: setitem(node(d, "n2"), "name", "2y")),
     "node \"n2\": '2y' is not a valid name"),
    ("name-keyword", edit(lambda d: setitem(node(d, "n2"), "name", "lambda")),
     "node \"n2\": 'lambda' is not a valid name"),
    ("name-duplicate", edit(lambda d: setitem(node(d, "n2"), "name", "x")),
     "node \"n2\": the name 'x' is already used by node \"n1\""),
    ("name-number", edit(lambda d: setitem(node(d, "n2"), "name", 3)),
     'node "n2": "name" must be text or null'),
    ("pos-short", edit(lambda d: setitem(node(d, "n2"), "pos", [1])),
     'node "n2": "pos" must be [x, y] with two numbers, not [1]'),
    ("pos-text", edit(lambda d: setitem(node(d, "n2"), "pos", ["a", 1])),
     'node "n2": "pos" must be [x, y]'),
    ("pos-bool", edit(lambda d: setitem(node(d, "n2"), "pos", [True, 1])),
     'node "n2": "pos" must be [x, y]'),
    ("edges-not-list", edit(lambda d: setitem(d, "edges", {})), "edges: must be a list"),
    ("edge-not-object", edit(lambda d: d["edges"].append(["n1", "n4"])),
     "edges[4]: must be an object, not a list"),
    ("edge-missing-key", edit(lambda d: d["edges"][1].pop("port")), 'edges[1]: no "port"'),
    ("edge-unknown-key", edit(lambda d: setitem(d["edges"][1], "prot", "a")),
     'edges[1]: unknown key "prot" (did you mean "port"?)'),
    ("edge-dangling-from", edit(lambda d: setitem(d["edges"][2], "from", "n9")),
     'edges[2]: "from" names no node: "n9"'),
    ("edge-dangling-to", edit(lambda d: setitem(d["edges"][2], "to", "n9")),
     'edges[2]: "to" names no node: "n9"'),
    ("edge-unknown-port", edit(lambda d: setitem(d["edges"][3], "port", "c")),
     "edges[3]: node \"n5\" (mul) has no input 'c' (its inputs are a, b)"),
    ("edge-port-index", edit(lambda d: setitem(d["edges"][3], "port", 1)),
     'edges[3]: "port" must be an input name such as "a", not 1'),
    ("edge-into-source", edit(lambda d: d["edges"][3].update(to="n1", port="x")),
     'edges[3]: node "n1" (input) has no inputs'),
    ("edge-twice", edit(lambda d: d["edges"].append({"from": "n1", "to": "n5", "port": "b"})),
     "edges[4]: input 'b' of node \"n5\" is connected twice (also by edges[3])"),
    ("edge-self-loop", edit(lambda d: d["edges"].append({"from": "n5", "to": "n5", "port": "b"})),
     'is connected to itself'),
    ("edge-cycle", edit(lambda d: d["edges"][0].update({"from": "n5"})),
     "edges: the wires make a cycle: "),
    ("output-missing", edit(lambda d: setitem(d, "output", "n9")),
     'output: no node has the id "n9"'),
    ("output-number", edit(lambda d: setitem(d, "output", 5)),
     "output: must be a node id or null, not the number 5"),
    ("settings-list", edit(lambda d: setitem(d, "settings", [1])),
     "settings: must be a JSON object, not a list"),
    ("settings-null", edit(lambda d: setitem(d, "settings", None)),
     "settings: must be a JSON object, not null"),
    ("settings-too-big", edit(lambda d: setitem(d, "settings", {"x": "y" * 1_000_001})),
     "settings: 1000009 characters is more than 1000000"),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_is_refused_with_a_one_line_message(text, fragment):
    with pytest.raises(FileFormatError) as info:
        ff.loads(text, "bad.json")
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith("bad.json: ")
    assert fragment in message, message
    assert len(message) < 300


def test_bad_file_table_is_big_and_distinct():
    assert len(BAD_FILES) >= 20
    assert len({c[0] for c in BAD_FILES}) == len(BAD_FILES)
    assert len({c[1] for c in BAD_FILES}) == len(BAD_FILES)


def test_base_of_the_table_is_valid():
    assert_same_graph(ff.loads(edit(lambda d: None)), chain_graph())


def test_cycle_message_names_the_nodes_in_wire_order():
    text = json.dumps({
        "format": "graphgui", "version": 1,
        "nodes": [{"id": i, "op": "neg"} for i in ("a", "b", "c", "d")],
        "edges": [{"from": "a", "to": "b", "port": "x"}, {"from": "b", "to": "c", "port": "x"},
                  {"from": "c", "to": "a", "port": "x"}, {"from": "c", "to": "d", "port": "x"}],
    })
    with pytest.raises(FileFormatError) as info:
        ff.loads(text, "cyc.json")
    path = re.findall(r'"(\w)"', str(info.value).split("cycle:")[1])
    assert path[0] == path[-1] and sorted(path[:-1]) == ["a", "b", "c"]
    wires = {("a", "b"), ("b", "c"), ("c", "a")}
    assert all(pair in wires for pair in zip(path, path[1:], strict=False))


def test_error_carries_its_parts():
    with pytest.raises(FileFormatError) as info:
        ff.loads(edit(lambda d: setitem(node(d, "n4"), "op", "sigmod")), "ex.json")
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.source, err.where) == ("ex.json", 'node "n4"')
    assert err.reason.startswith("unknown op 'sigmod'")


def test_file_name_with_a_line_break_still_gives_one_line():
    with pytest.raises(FileFormatError) as info:
        ff.loads("[]", "two\nlines.json")
    assert str(info.value).startswith("two\\nlines.json: expected a JSON object")


def test_long_user_text_is_shortened_in_messages():
    with pytest.raises(FileFormatError) as info:
        ff.loads(edit(lambda d: setitem(node(d, "n4"), "op", "q" * 10_000)), "ex.json")
    assert len(str(info.value)) < 120


def test_not_utf8_file(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(CHAIN_TEXT.replace("Chain rule", "Cha\xeene").encode("latin-1"))
    with pytest.raises(FileFormatError) as info:
        ff.load(path)
    assert str(info.value) == f"{path}: not UTF-8 text (byte 0xee at line 4, offset 57)"


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(FileFormatError, match=r"nope\.json: cannot read: No such file"):
        ff.load(path)


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ff.read, "MAX_FILE_BYTES", 100)  # the limit lives where it is read
    path = tmp_path / "big.json"
    path.write_text(CHAIN_TEXT)
    with pytest.raises(FileFormatError, match=r"big\.json: larger than the limit of 100 bytes"):
        ff.load(path)
    with pytest.raises(FileFormatError, match="larger than the limit of 100 characters"):
        ff.loads(CHAIN_TEXT)


def test_loads_refuses_non_text():
    with pytest.raises(FileFormatError, match="expected text, got bytes"):
        ff.loads(CHAIN_TEXT.encode())  # type: ignore[arg-type]


# ---- versions and migrations -------------------------------------------------------------


def v0_document() -> dict[str, Any]:
    """A made-up version 0: each node listed its inputs by port; there was no "edges"."""
    return {
        "format": "graphgui", "version": 0, "title": "old",
        "nodes": [
            {"id": "n1", "op": "input", "name": "x", "value": 3.0, "pos": [0, 0]},
            {"id": "n2", "op": "input", "name": "y", "value": 4.0, "pos": [0, 50]},
            {"id": "n3", "op": "mul", "name": "f", "pos": [100, 25],
             "inputs": {"a": "n1", "b": "n2"}},
        ],
    }


def v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    edges = []
    for item in doc["nodes"]:
        for port, src in item.pop("inputs", {}).items():
            edges.append({"from": src, "to": item["id"], "port": port})
    return {**doc, "edges": edges}


def test_migration_from_an_older_version(monkeypatch):
    monkeypatch.setitem(ff.MIGRATIONS, 0, v0_to_v1)
    g = ff.loads(json.dumps(v0_document()), "old.json")
    assert g.title == "old"
    assert g.input_ids("n3") == ["n1", "n2"]
    data = json.loads(ff.dumps(g))
    assert data["version"] == 2
    assert data["edges"] == [{"from": "n1", "to": "n3", "port": "a"},
                             {"from": "n2", "to": "n3", "port": "b"}]


def test_migrations_run_one_version_at_a_time(monkeypatch):
    calls = []

    def vm1_to_v0(doc):  # version -1 called the op "kind"
        calls.append(doc["version"])
        for item in doc["nodes"]:
            item["op"] = item.pop("kind")
        return doc

    def v0(doc):
        calls.append(doc["version"])
        return v0_to_v1(doc)

    monkeypatch.setitem(ff.MIGRATIONS, -1, vm1_to_v0)
    monkeypatch.setitem(ff.MIGRATIONS, 0, v0)
    old = v0_document()
    old["version"] = -1
    for item in old["nodes"]:
        item["kind"] = item.pop("op")
    g = ff.loads(json.dumps(old))
    assert calls == [-1, 0]
    assert [n.op for n in g.nodes] == ["input", "input", "mul"]


def test_migrated_document_is_validated_like_any_other(monkeypatch):
    monkeypatch.setitem(ff.MIGRATIONS, 0, lambda doc: doc)  # forgets to convert "inputs"
    with pytest.raises(FileFormatError, match=r'old\.json: node "n3": unknown key "inputs"'):
        ff.loads(json.dumps(v0_document()), "old.json")


def test_failing_migration_is_reported(monkeypatch):
    def broken(doc):
        return doc["no such key"]

    monkeypatch.setitem(ff.MIGRATIONS, 0, broken)
    with pytest.raises(FileFormatError) as info:
        ff.loads(json.dumps(v0_document()), "old.json")
    assert str(info.value) == "old.json: cannot upgrade from version 0: KeyError: 'no such key'"


def test_real_migration_table_covers_every_older_version_it_claims():
    # Each registered migration must start a chain that reaches the current version.
    for start in ff.MIGRATIONS:
        v = start
        while v < ff.CURRENT_VERSION:
            assert v in ff.MIGRATIONS, f"no migration from version {v}"
            v += 1


# ---- writing refusals and atomic saves ---------------------------------------------------


def test_unwritable_graphs_are_refused_by_dumps():
    # The Graph refuses these edits itself; dumps checks again in case one is set directly.
    g = Graph()
    n = g.add_node("input", name="x", value=1.0)
    with pytest.raises(GraphError, match="position must be finite"):
        g.move(n.id, (math.nan, 0.0))
    n.pos = (math.nan, 0.0)
    with pytest.raises(FileFormatError, match=r'node "n1": position \(nan, 0.0\) is not finite'):
        ff.dumps(g)
    g = Graph()
    g.add_node("input", value=np.zeros((0, 3)))
    with pytest.raises(FileFormatError, match=r"shape \(0, 3\) cannot be written"):
        ff.dumps(g)
    g = Graph()
    with pytest.raises(GraphError, match="must be a finite number"):
        g.add_node("leaky_relu", params={"alpha": math.inf})
    g.add_node("leaky_relu").params["alpha"] = math.inf
    with pytest.raises(FileFormatError, match="parameter 'alpha' is inf"):
        ff.dumps(g)
    g = Graph()
    with pytest.raises(GraphError, match="not a valid node id"):
        g.add_node("input", node_id="has space")
    g.add_node("input", node_id="n1").id = "has space"
    g._nodes = {"has space": g.node("n1")}
    with pytest.raises(FileFormatError, match='the id "has space" is not valid'):
        ff.dumps(g)
    g = Graph()
    g.title = None  # type: ignore[assignment]
    with pytest.raises(FileFormatError, match="title: must be text"):
        ff.dumps(g)


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ([1, 2], "settings: must be a JSON object, not list"),
        ({"a": (1, 2)}, "settings.a: a tuple is not JSON data"),
        ({"a": {1: 2}}, "settings.a: key 1 is not text"),
        ({"lr": math.nan}, "settings.lr: nan is not a number JSON allows"),
        ({"a": [0, {"b": object()}]}, "settings.a[1].b: a object is not JSON data"),
        ({"big": 10**400}, "settings.big: integer with more than 300 digits"),
        ({"s": "\ud800"}, "settings.s: text contains an unpaired surrogate"),
        ({"x y": [math.inf]}, 'settings["x y"][0]: inf is not a number'),
    ],
)
def test_bad_settings_are_refused_by_dumps(bad, fragment):
    with pytest.raises(FileFormatError) as info:
        ff.dumps(chain_graph(), bad)
    assert fragment in str(info.value)
    assert str(info.value).startswith("cannot write the graph: ")


def test_deep_settings_are_refused():
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(120):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(FileFormatError, match="nested more than 100 levels deep"):
        ff.dumps(chain_graph(), deep)


def test_save_writes_the_text_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "g.json"
    ff.save(chain_graph(), path)
    assert path.read_text(encoding="utf-8") == CHAIN_TEXT
    assert os.listdir(tmp_path) == ["g.json"]
    ff.save(rich_graph(), str(path))  # replaces
    assert_same_graph(ff.load(path), rich_graph())
    assert os.listdir(tmp_path) == ["g.json"]


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "keep.json"
    ff.save(chain_graph(), path)
    return path, path.read_bytes()


def bad_graph() -> Graph:
    g = chain_graph()
    g.add_node("input", name="empty", value=np.zeros((0, 3)))
    return g


def test_save_of_an_unwritable_graph_leaves_the_old_file(old_file):
    path, before = old_file
    with pytest.raises(FileFormatError) as info:
        ff.save(bad_graph(), path)
    assert str(info.value).startswith(f"{path}: cannot save: ")
    assert 'node "n6"' in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_save_with_bad_settings_leaves_the_old_file(old_file):
    path, before = old_file
    with pytest.raises(FileFormatError, match=r"keep\.json: cannot save: settings\.lr"):
        ff.save(chain_graph(), path, settings={"lr": math.nan})
    assert path.read_bytes() == before


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_save_failing_on_disk_leaves_the_old_file(old_file, monkeypatch, failing):
    path, before = old_file

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, fd, mode):
                self.f = real_fdopen(fd, mode)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:10])  # a partial write, then the disk is full
                refuse()

        monkeypatch.setattr(os, "fdopen", Full)
    else:
        monkeypatch.setattr(os, failing, refuse)
    with pytest.raises(FileFormatError) as info:
        ff.save(rich_graph(), path)
    assert str(info.value) == f"{path}: cannot save: No space left on device"
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_save_into_a_missing_folder_says_why(tmp_path):
    path = tmp_path / "no" / "such" / "g.json"
    with pytest.raises(FileFormatError, match=r"g\.json: cannot save: No such file or directory"):
        ff.save(chain_graph(), path)


def test_save_onto_a_folder_leaves_it_alone(tmp_path):
    folder = tmp_path / "dir.json"
    folder.mkdir()
    (folder / "inside").write_text("x")
    with pytest.raises(FileFormatError, match=r"dir\.json: cannot save: "):
        ff.save(chain_graph(), folder)
    assert (folder / "inside").read_text() == "x"
    assert sorted(os.listdir(tmp_path)) == ["dir.json"]


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "g.json"
    path.write_text("old")
    os.chmod(path, 0o640)
    ff.save(chain_graph(), path)
    assert (os.stat(path).st_mode & 0o777) == 0o640


def test_save_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    ff.save(chain_graph(), link)
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == CHAIN_TEXT


# ---- random graphs round-trip exactly ----------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
any_float = st.floats(allow_nan=True, allow_infinity=True)
values = any_float | hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    elements=any_float,
)
json_data = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=12,
)


def param_values(p: Param) -> st.SearchStrategy[Any]:
    if p.kind == "float":
        return finite
    if p.kind == "axis":
        return st.none() | st.integers(-3, 3)
    assert p.kind == "shape"
    return st.lists(st.integers(1, 4), max_size=3).flatmap(
        lambda dims: st.sampled_from([dims, [-1, *dims], [*dims, -1]])
    )


OPS = all_ops()


@st.composite
def graphs(draw) -> Graph:
    g = Graph(draw(st.text(max_size=20)), draw(st.text(max_size=40)))
    for i in range(draw(st.integers(0, 8))):
        spec = draw(st.sampled_from(OPS))
        params = {p.name: draw(param_values(p)) for p in spec.params if draw(st.booleans())}
        name = draw(st.sampled_from([None, f"v{i}", f"W_{i}", f"node{i}x"]))
        pos = (draw(finite), draw(finite))
        earlier = [n.id for n in g.nodes]
        new = g.add_node(
            spec.name, name=name, params=params, pos=pos,
            value=draw(values) if spec.is_source else None,
        )
        for port in spec.inputs:
            if earlier and draw(st.booleans()):
                g.connect(draw(st.sampled_from(earlier)), new.id, port)
    if len(g) and draw(st.booleans()):
        g.set_output(draw(st.sampled_from([n.id for n in g.nodes])))
    return g


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.none() | st.dictionaries(st.text(max_size=6), json_data, max_size=4))
def test_random_graphs_round_trip_exactly(g, extra):
    text = ff.dumps(g, extra)
    doc = ff.read_document(text, "random.json")
    assert_same_graph(g, doc.graph)
    assert doc.settings == extra
    assert ff.dumps(doc.graph, doc.settings) == text
    # what plain json sees agrees with the graph (independent of the reader under test)
    data = json.loads(text)
    assert [n["id"] for n in data["nodes"]] == [n.id for n in g.nodes]
    assert len(data["edges"]) == len(g.edges)
    for e in data["edges"]:
        assert g.input_edge(e["to"], g.node(e["to"]).spec.inputs.index(e["port"])).src == e["from"]
