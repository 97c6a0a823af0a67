"""Regenerate the bundled example graph files from their recipes in graphgui/core/examples.py.

    python scripts/build_examples.py           # rewrite resources/examples/**/*.json
    python scripts/build_examples.py --check   # exit 1 if a committed file differs

tests/core/test_examples.py runs the same comparison, so a recipe edited without rebuilding
fails the test suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphgui.core.examples import (
    RESOURCE_DIR,
    TRAINING_DIR,
    build_example,
    build_training_example,
    example_names,
    example_text,
    training_example_names,
)
from graphgui.core.fileformat import save

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "resources" / RESOURCE_DIR
TRAINING_EXAMPLES_DIR = EXAMPLES_DIR / TRAINING_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)

    names = example_names()
    training = training_example_names()
    stale = sorted(p.name for p in EXAMPLES_DIR.glob("*.json") if p.stem not in names)
    stale += sorted(f"{TRAINING_DIR}/{p.name}" for p in TRAINING_EXAMPLES_DIR.glob("*.json")
                    if p.stem not in training)
    differing = []
    for name in names + training:
        is_training = name in training
        path = (TRAINING_EXAMPLES_DIR if is_training else EXAMPLES_DIR) / f"{name}.json"
        text = example_text(name)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        differing.append(path.name)
        if not args.check:
            path.parent.mkdir(exist_ok=True)
            if is_training:
                graph, settings = build_training_example(name)
                save(graph, path, settings=settings)
            else:
                save(build_example(name), path)
            if path.read_text(encoding="utf-8") != text:
                print(f"error: {path.name}: save() wrote other text than dumps()", file=sys.stderr)
                return 1
            print(f"wrote {path.name}")
    for name in stale:
        print(f"warning: {name} has no recipe in graphgui/core/examples.py", file=sys.stderr)
    if args.check:
        for name in differing:
            print(f"{name} differs from its recipe", file=sys.stderr)
        return 1 if differing or stale else 0
    if not differing:
        print(f"all {len(names) + len(training)} example files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
