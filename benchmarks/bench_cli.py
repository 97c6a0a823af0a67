"""Wall time of a headless command, start to finish, as a user types it.

    python benchmarks/bench_cli.py

Runs ``python -m graphgui eval --expr ...`` (and, for scale, bare ``python -c pass`` and
``python -c "import numpy"``) as fresh processes, taking turns, and reports medians.
Target: eval under 0.3 s. The ``graphgui`` console script costs the same as ``python -m``
unless a version manager's shim (pyenv) wraps it, which adds its own ~0.1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from _common import write_results

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    "graphgui eval --expr": [
        sys.executable, "-m", "graphgui", "eval", "--expr", "q = x + y; f = q * z",
        "--set", "x=-2", "--set", "y=5", "--set", "z=-4",
    ],
    "graphgui step --expr": [
        sys.executable, "-m", "graphgui", "step", "--expr", "q = x + y; f = q * z",
    ],
}


def main() -> int:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(11):
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            samples[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(ts) for name, ts in samples.items()}
    for name, seconds in medians.items():
        print(f"{name:<28} {seconds * 1000:6.0f} ms")
    ok = medians["graphgui eval --expr"] < 0.3
    print(f"eval target < 300 ms: {'ok' if ok else 'MISSED'}")
    write_results("cli", {"median_ms": {k: v * 1000 for k, v in medians.items()}, "target_ms": 300})
    return 0


if __name__ == "__main__":
    sys.exit(main())
