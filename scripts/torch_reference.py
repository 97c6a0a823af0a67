"""Record PyTorch's derivatives of the bundled examples and of random programs, so the test
suite compares graphgui against torch even where torch is not installed (CI).

For every case it stores the graph (as a graph file) and, computed by torch alone (the graph
run op by op with torch's functions, tests/core/torch_reference.py):

- ``jvp``: for every input and parameter, ``torch.func.jvp`` of the output along a random
  direction of its shape (the direction is stored too);
- ``grad``: the output's gradient with respect to it (torch.autograd);
- ``hessian``: for every pair of sources, d/d(other) of sum(d output/d(source)), by double
  backward.

    python scripts/torch_reference.py   # writes tests/core/data/torch_reference.json

Run it again after changing an example; the file records the torch version used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))

from torch_reference import as_tensor, random_program, torch_function  # noqa: E402

from graphgui.core import fileformat  # noqa: E402
from graphgui.core.examples import example_names, load_example  # noqa: E402

OUT = ROOT / "tests" / "core" / "data" / "torch_reference.json"


def cases() -> list[tuple[str, object]]:
    found = [(f"example {name}", load_example(name)) for name in example_names()]
    for kind, start, count, shape in (("scalar", 300, 6, None), ("tensor", 400, 4, (2, 3))):
        seed = start
        while sum(name.startswith(f"random {kind}") for name, _ in found) < count:
            graph = random_program(seed, n_ops=25, shape=shape)
            if _depends_on_a_source(graph):  # else there is nothing to differentiate
                found.append((f"random {kind} {seed}", graph))
            seed += 1
    return found


def _depends_on_a_source(graph) -> bool:
    above = graph.ancestors(graph.output)
    return any(graph.node(nid).op == "input" for nid in above)


def reference(graph, rng: np.random.Generator) -> dict[str, object]:
    sources = [n for n in graph.nodes if n.op in ("input", "parameter")]
    run = torch_function(graph)
    leaves = {n.id: as_tensor(n.value).requires_grad_(True) for n in sources}
    out = run(leaves)
    grads = torch.autograd.grad(out, list(leaves.values()), create_graph=True, allow_unused=True)
    record: dict[str, object] = {"jvp": {}, "grad": {}, "hessian": {}}
    for node, grad in zip(sources, grads, strict=True):
        shape = np.shape(node.value)
        direction = rng.normal(size=shape)
        x0 = as_tensor(node.value)
        _, tangent = torch.func.jvp(lambda x, nid=node.id: run({nid: x}), (x0,),
                                    (as_tensor(direction),))
        record["jvp"][node.id] = {"direction": direction.tolist(), "tangent": float(tangent)}
        zeros = np.zeros(shape)
        record["grad"][node.id] = zeros.tolist() if grad is None else grad.detach().numpy().tolist()
        row = {}
        for other in sources:
            second = None
            if grad is not None and grad.requires_grad:
                (second,) = torch.autograd.grad(grad.sum(), leaves[other.id], retain_graph=True,
                                                allow_unused=True)
            value = np.zeros(np.shape(other.value)) if second is None else second.numpy()
            row[other.id] = value.tolist()
        record["hessian"][node.id] = row
    return record


def main() -> int:
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(2026)
    data = {"torch": torch.__version__, "cases": []}
    for name, graph in cases():
        data["cases"].append({"name": name, "graph": json.loads(fileformat.dumps(graph)),
                              **reference(graph, rng)})
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data['cases'])} cases (torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
