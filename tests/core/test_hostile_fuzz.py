"""A mutation fuzzer over the bundled examples (issue 9), with a fixed seed.

Each bundled example file is mutated at random (keys deleted or duplicated, types changed, huge
numbers, deep nesting, long strings, NaN/Infinity tokens, wrong shapes, other ops and
parameters, broken edges, hostile training settings) and run through the CLI's own ``main``
in this process: ``eval``, ``check`` and ``step`` on every case, ``train`` for one epoch on
the cases that still hold training settings. Every run must end within a time bound with
exit status 0, 2 (one line on stderr, no traceback), or 1 only where docs/cli.md gives it
(a non-finite value in eval, a gradient check that fails, a loss that became non-finite).
An exception escaping ``main`` is a failure too. The summary line (tried / clean) is printed.
"""

from __future__ import annotations

import json
import os
import random
import resource
import time
import warnings
from typing import Any

import pytest

from graphgui.cli import main
from graphgui.core.examples import example_names, example_path, training_example_names

# Fixed, so the suite is reproducible; set GRAPHGUI_FUZZ_SEED and GRAPHGUI_FUZZ_CASES to
# explore further (a problem is reported with the example, case number and mutations).
SEED = int(os.environ.get("GRAPHGUI_FUZZ_SEED", "20260901"))
CASES_PER_EXAMPLE = int(os.environ.get("GRAPHGUI_FUZZ_CASES", "28"))  # 448 files, 1,600 runs
MAX_SECONDS_PER_RUN = 5.0
MAX_RSS_GROWTH_KB = 1_500_000  # peak resident memory may grow by at most 1.5 GB in all

WEIRD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, 1e308, -1e308, 5e-324, 10**299, -(10**299), "", "x",
    "nan", "inf", "-inf", "é" * 50, [], {}, [[1, 2], [3]], [[]], {"a": 1}, [None], [True],
]
OPS = ["add", "mul", "matmul", "sum", "mean", "softmax", "reshape", "transpose", "mse", "bce",
       "softmax_ce", "sigmoid", "log", "pow", "sigmod", "input", "parameter", "constant", ""]


def _paths(data: Any, path: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) into ``data`` (long numeric lists: a few items only)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*path, key))
    elif isinstance(data, list):
        items = list(enumerate(data))
        if len(items) > 4 and all(not isinstance(v, (dict, list)) for _, v in items):
            items = items[:2]
        for i, value in items:
            found += _paths(value, (*path, i))
    return found


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _array(rng: random.Random, shape: tuple[int, ...]) -> Any:
    if not shape:
        return rng.uniform(-3, 3)
    return [_array(rng, shape[1:]) for _ in range(shape[0])]


def mutate(rng: random.Random, data: Any) -> tuple[Any, str | None, str]:
    """(data, text, what): a mutated copy of the document, or raw text where JSON data cannot
    say it (duplicate keys, NaN tokens, nesting deeper than the parser)."""
    paths = _paths(data)
    # Most mutations keep the file loadable, so that the engine, the gradient check, the
    # stepper and the trainer see hostile values and shapes, not only the loader.
    kind = rng.choice([
        "delete", "type", "huge", "deep", "long", "token", "duplicate", "output", "edge",
        "shape", "shape", "shape", "value", "value", "value", "op", "op", "param", "param",
        "settings", "settings", "swap",
    ])
    path = rng.choice(paths[1:]) if len(paths) > 1 else ()
    nodes = data.get("nodes") if isinstance(data, dict) else None
    node = rng.choice(nodes) if isinstance(nodes, list) and nodes else None
    node = node if isinstance(node, dict) else None
    if kind in ("shape", "value") and isinstance(nodes, list):  # a source: it holds a value
        sources = [n for n in nodes if isinstance(n, dict) and "value" in n]
        node = rng.choice(sources) if sources else None
    if kind == "delete" and path:
        parent = _get(data, path[:-1])
        del parent[path[-1]]
    elif kind == "type":
        data = _set(data, path, rng.choice(WEIRD_VALUES))
    elif kind == "huge":
        data = _set(data, path, rng.choice([1e308, -1e308, 10**299, 2**63, 1e-320]))
    elif kind == "deep":
        depth = rng.choice([50, 99, 101, 500, 3000])
        if depth > 100:  # beyond the data's own limit: only text can say it
            text = json.dumps(data)
            cut = rng.randrange(len(text))
            while text[cut] not in ",:[":
                cut = (cut + 1) % len(text)
            text = text[: cut + 1] + "[" * depth + "1" + "]" * depth + text[cut + 1:]
            return data, text, f"deep text {depth}"
        data = _set(data, path, _nested(depth))
    elif kind == "long":
        data = _set(data, path, rng.choice(["x" * 100_000, "\n" * 1000, "\ud7ff" * 5000]))
    elif kind == "token":
        text = json.dumps(data)
        digits = [i for i, c in enumerate(text) if c.isdigit() and text[i - 1] in ":[, "]
        if digits:
            i = rng.choice(digits)
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] in ".eE-+"):
                j += 1
            token = rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "9" * 400, "-0"])
            return data, text[:i] + token + text[j:], f"token {token[:10]}"
        return data, text, "token none"
    elif kind == "shape" and node is not None:
        shape = rng.choice([(), (3,), (2, 2), (1, 5), (5, 1), (2, 3, 4), (0,), (1, 20_000),
                            (20_000, 1), (40, 40), (2, 0)])
        node["value"] = _array(rng, shape)
        return data, None, f"shape {shape}"
    elif kind == "value" and node is not None:
        old = node.get("value")
        weird = rng.choice([1e308, -1e308, 0, -0.0, 1e-320, "nan", "inf", "-inf", 1e154])
        if isinstance(old, list):  # the same shape, one element changed
            flat = old
            while isinstance(flat, list) and flat and isinstance(flat[0], list):
                flat = rng.choice(flat)
            if isinstance(flat, list) and flat:
                flat[rng.randrange(len(flat))] = weird
        else:
            node["value"] = weird
    elif kind == "op" and node is not None:
        node["op"] = rng.choice(OPS)
        if rng.random() < 0.7:
            node["params"] = {}
        if node["op"] in ("input", "parameter", "constant") and "value" not in node:
            node["value"] = _array(rng, rng.choice([(), (2,), (2, 2)]))
        elif node["op"] not in ("input", "parameter", "constant") and rng.random() < 0.7:
            node.pop("value", None)
    elif kind == "param" and node is not None:
        node["params"] = rng.choice([
            {"axis": 5}, {"axis": -9}, {"axis": None}, {"axis": 0}, {"axis": 1.5},
            {"shape": [-1, -1]}, {"shape": [3, -1]}, {"shape": [10**6, 10**6]}, {"lam": 1e308},
            {"alpha": "x"}, {"nope": 1}, [],
        ])
    elif kind == "edge" and isinstance(data, dict) and isinstance(data.get("edges"), list):
        edges = data["edges"]
        if edges:
            edge = rng.choice(edges)
            if isinstance(edge, dict):
                edge[rng.choice(["from", "to", "port"])] = rng.choice(
                    ["n1", "n2", "zz", "a", "b", "x", 0, None, edge.get("to")])
    elif kind == "duplicate":
        text = json.dumps(data)
        i = text.find('{"id"', rng.randrange(len(text)))
        if i >= 0:
            return data, text[: i + 1] + '"id": "dup", ' + text[i + 1:], "duplicate key"
    elif kind == "output" and isinstance(data, dict):
        data["output"] = rng.choice(["n1", "nowhere", None, 5, "n2"])
    elif kind == "settings" and isinstance(data, dict):
        settings = data.setdefault("settings", {})
        training = settings.setdefault("training", {}) if isinstance(settings, dict) else None
        if isinstance(training, dict):
            key = rng.choice(["epochs", "lr", "optimizer", "batch_size", "seed", "inputs",
                              "dataset", "loss", "predict", "l2", "eval_every", "nosie",
                              "threshold", "optimizer_options", "l2_params"])
            training[key] = rng.choice(WEIRD_VALUES + [
                1e15, {"kind": "moons", "nosie": 0.1}, {"kind": "ising", "n": 10**6, "L": 64},
                {"kind": "csv", "path": "/dev/null", "label": 0}, {"kind": "xor", "n": 2},
                {"X": "Y", "Y": "X"}, "adam", 10**6, 2**32,
            ])
        return data, None, "settings"
    elif kind == "swap" and isinstance(nodes, list) and len(nodes) > 1:
        a, b = rng.sample(range(len(nodes)), 2)
        if isinstance(nodes[a], dict) and isinstance(nodes[b], dict):
            nodes[a]["value"], nodes[b]["value"] = nodes[b].get("value"), nodes[a].get("value")
    return data, None, f"{kind} {'/'.join(map(str, path))[:60]}"


def _documented_failure(command: str, out: str, err: str) -> bool:
    """Exit status 1 where docs/cli.md gives it."""
    if command == "eval":
        return err.startswith("graphgui eval: warning: non-finite value") and err.count("\n") == 1
    if command == "check":
        return "FAIL" in out and err == ""
    if command == "train":
        return err.startswith("graphgui train: error: ") and err.count("\n") == 1
    return False


@pytest.mark.timeout(180)
def test_mutated_examples_never_escape(capsys, tmp_path):
    rng = random.Random(SEED)
    names = example_names() + training_example_names()
    tried = clean = runs = 0
    problems: list[str] = []
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    for name in names:
        original = json.loads(example_path(name).read_text(encoding="utf-8"))
        for case in range(CASES_PER_EXAMPLE):
            data = json.loads(json.dumps(original))
            text = None
            whats = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                data, text, what = mutate(rng, data)
                whats.append(what)
                if text is not None:
                    break
            path = tmp_path / f"{name}-{case}.json"
            path.write_text(text if text is not None else json.dumps(data), encoding="utf-8")
            commands = [["eval"], ["check"], ["step"]]
            if '"training"' in path.read_text(encoding="utf-8")[-20_000:]:
                commands.append(["train", "--epochs", "1", "--full-batch"])
            tried += 1
            ok = True
            for command in commands:
                runs += 1
                start = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:  # on stderr, many lines
                    warnings.simplefilter("always")
                    try:
                        code = main([command[0], str(path), *command[1:]])
                    except BaseException as exc:  # noqa: BLE001  (an escape is what we seek)
                        code = f"raised {type(exc).__name__}: {str(exc)[:120]}"
                seconds = time.perf_counter() - start
                captured = capsys.readouterr()
                out, err = captured.out, captured.err
                bad = None
                if isinstance(code, str):
                    bad = code
                elif seconds > MAX_SECONDS_PER_RUN:
                    bad = f"took {seconds:.1f} s"
                elif "Traceback" in err or "Traceback" in out:
                    bad = "traceback"
                elif caught:
                    bad = f"warning: {str(caught[0].message)[:120]}"
                elif code == 2 and (err.count("\n") != 1 or not err.startswith("graphgui")):
                    bad = f"not one line: {err[:200]!r}"
                elif code == 1 and not _documented_failure(command[0], out, err):
                    bad = f"exit 1: {err[:200]!r}"
                elif code not in (0, 1, 2):
                    bad = f"exit {code}"
                if bad:
                    ok = False
                    problems.append(f"{name} case {case} ({'; '.join(whats)}) {command[0]}: {bad}")
            clean += ok
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nmutation fuzzer: {tried} files tried, {clean} clean, {runs} runs of main, "
              f"{seconds:.1f} s, peak memory grew {growth / 1024:.0f} MB")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    assert clean == tried == len(names) * CASES_PER_EXAMPLE
    assert growth < MAX_RSS_GROWTH_KB
