"""Record what the exported PyTorch modules print, so the code-export tests check the torch
target even where torch is not installed (CI).

For every bundled example and every op case of tests/core/codegen_cases.py it exports the
PyTorch module (graphgui.core.codegen), runs its main() under torch and stores the SHA-256
of the code with the JSON it printed (large arrays summarised). Without torch,
tests/core/test_codegen_torch.py checks that the code exported today is the code recorded,
and that the recorded JSON is what ``graphgui eval --json`` prints; with torch it runs the
code again.

    python scripts/record_codegen_torch.py   # writes tests/core/data/codegen_torch.json

Run it again after changing an example or an op's code templates.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))

from codegen_cases import op_cases, run_main, summary  # noqa: E402

from graphgui.core.codegen import export_code  # noqa: E402
from graphgui.core.examples import (  # noqa: E402
    example_names,
    load_example_document,
    training_example_names,
)

OUT = ROOT / "tests" / "core" / "data" / "codegen_torch.json"


def cases() -> list[tuple[str, object, object]]:
    found = []
    for name in example_names() + training_example_names():
        graph, settings = load_example_document(name)
        found.append((f"example {name}", graph, settings))
    found += [(f"op {name}", graph, None) for name, graph in op_cases()]
    return found


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def main() -> None:
    recorded = {}
    for name, graph, settings in cases():
        code = export_code(graph, settings, "torch")  # type: ignore[arg-type]
        recorded[name] = {"sha256": digest(code), "printed": summary(run_main(code))}
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": recorded}) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(recorded)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
