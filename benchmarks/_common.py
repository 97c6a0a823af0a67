"""Shared helpers for the benchmarks: timing, machine notes and result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def median_times(
    fns: dict[str, Callable[[], object]], number: int, repeat: int
) -> dict[str, float]:
    """Median seconds per call of each function, over ``repeat`` rounds of ``number`` calls.

    The functions take turns within each round, so a slow spell of a loaded machine hits
    all of them alike and ratios stay meaningful.
    """
    for fn in fns.values():
        fn()  # warm up caches and lazy imports
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            samples[name].append(timeit.timeit(fn, number=number) / number)
    return {name: statistics.median(ts) for name, ts in samples.items()}


def auto_number(fn: Callable[[], object], target: float = 0.2) -> int:
    """How many calls take about ``target`` seconds (at least 1)."""
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t >= target / 10 or n >= 1_000_000:
            return max(1, int(n * target / max(t, 1e-9)))
        n *= 10


def machine() -> dict[str, object]:
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "unknown")
    except Exception:  # noqa: BLE001  (older NumPy has no dict mode)
        pass
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }


def write_results(name: str, data: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n")
    return path


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (readable in a terminal too)."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, sep, *body])


class StallMeter:
    """A 5 ms timer on the GUI thread; the longest gap between ticks is the worst stall, and
    ``cpu[k]`` the GUI thread's own CPU time in gap k (the rest of a gap waited for a core or
    the GIL). Qt is imported when one is made: the other benchmarks need none."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.cpu: list[float] = []  # the GUI thread's CPU time in each gap
        self._last = self._last_cpu = 0.0

    def start(self) -> None:
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu.append(cpu - self._last_cpu)
        self._last, self._last_cpu = now, cpu

    def stop(self) -> None:
        self.timer.stop()
