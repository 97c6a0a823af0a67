"""Code export to PyTorch (graphgui.core.codegen): the nn.Module, run as a program, prints
what ``graphgui eval FILE --json`` prints (autograd for the gradients), and its training
loop with torch.optim trains as the Trainer does.

torch is optional (not installed in CI). What it printed is recorded
(tests/core/data/codegen_torch.json, by scripts/record_codegen_torch.py): without torch the
tests check that today's code is the recorded code and that the recorded output is eval's;
with torch they run the code itself.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from codegen_cases import (
    assert_same,
    eval_json,
    op_cases,
    random_graph,
    run_main,
    summary,
    training_cases,
)
from torch_reference import TORCH_MISSING

from graphgui.core.codegen import export_code
from graphgui.core.codegen.names import MODULE_ATTRIBUTES
from graphgui.core.examples import example_names, load_example_document, training_example_names
from graphgui.core.labels import node_labels
from graphgui.core.train import Trainer

RECORDED = json.loads((Path(__file__).parent / "data" / "codegen_torch.json").read_text())
EXAMPLES = example_names() + training_example_names()
OP_CASES = op_cases()


def cases() -> list[tuple[str, Any, Any]]:
    found = [(f"example {n}", *load_example_document(n)) for n in EXAMPLES]
    return found + [(f"op {name}", graph, None) for name, graph in OP_CASES]


CASES = cases()


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


# ---- without torch: the recorded run ---------------------------------------------------------


def test_the_recording_covers_every_example_and_op_case():
    assert set(RECORDED["cases"]) == {name for name, _, _ in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_todays_torch_code_is_the_recorded_code_and_printed_what_eval_prints(case):
    name, graph, settings = case
    code = export_code(graph, settings, "torch")
    compile(code, name, "exec")  # valid Python, whether or not torch is here
    recorded = RECORDED["cases"][name]
    assert digest(code) == recorded["sha256"], (
        f"{name}: the exported torch code changed since it was recorded: run "
        "python scripts/record_codegen_torch.py (needs torch)")
    assert_same(recorded["printed"], summary(eval_json(graph)), name)


def test_the_torch_code_imports_torch_only_inside_the_generated_file():
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from graphgui.core.codegen import export_code; "
         "from graphgui.core.examples import load_example_document as d; "
         "export_code(*d('moons_network'), 'torch'); print('torch' in sys.modules)"],
        capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


# ---- with torch: the code itself -----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_torch_module_prints_what_eval_prints(case):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    name, graph, settings = case
    assert_same(run_main(export_code(graph, settings, "torch")), eval_json(graph), name)


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_in_torch(seed):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    graph = random_graph(seed)
    assert_same(run_main(export_code(graph, None, "torch")), eval_json(graph), f"seed {seed}")


def test_moons_as_a_program(tmp_path):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    graph, settings = load_example_document("moons_network")
    path = tmp_path / "moons_torch.py"
    path.write_text(export_code(graph, settings, "torch"))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert_same(json.loads(done.stdout), eval_json(graph))


def test_module_attributes_cover_nn_module():
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    public = {n for n in dir(torch.nn.Module) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES | {"T_destination"}, sorted(public - MODULE_ATTRIBUTES)


def _variants():
    for name in ("moons_network", "moons_sgd", "sin_regression", "gradient_descent_x2",
                 "moons_l2"):
        graph, settings = load_example_document(name)
        yield name, graph, settings, 2
    graph, settings = load_example_document("moons_network")
    for optimizer, options in (("momentum", {"momentum": 0.8}), ("rmsprop", {"rho": 0.9}),
                               ("adam", {"beta1": 0.8, "eps": 1e-6})):
        changed = copy.deepcopy(settings)
        changed["training"].update(optimizer=optimizer, optimizer_options=options,
                                   batch_size=32, l2=0.01, lr=0.05)
        yield f"moons {optimizer}, batches of 32, l2", graph, changed, 3
    yield from training_cases()


@pytest.mark.parametrize("variant", list(_variants()), ids=lambda v: v[0])
def test_torch_optim_trains_as_the_trainer_does(variant):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    name, graph, settings, epochs = variant
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(export_code(graph, settings, "torch"), name, "exec"), namespace)  # noqa: S102
    with contextlib.redirect_stdout(io.StringIO()):
        model = namespace["train"](epochs=epochs)
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": epochs})
    trainer.run()
    labels = node_labels(graph)
    for pid, value in trainer.parameters().items():
        got = getattr(model, labels[pid]).detach().numpy()
        np.testing.assert_allclose(got, value, rtol=1e-9, atol=1e-12, err_msg=labels[pid])
