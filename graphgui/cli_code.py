"""``graphgui code``: the graph as NumPy, PyTorch or expression code (graphgui.core.codegen)."""

from __future__ import annotations

import argparse
import sys

from .cli_common import EXIT_OK, CliError, load_document

TARGETS = ("numpy", "torch", "expr")


def cmd_code(args: argparse.Namespace) -> int:
    from .core.codegen import CodegenError, export_code
    from .core.fileformat import write_atomic

    graph, settings = load_document(args)
    try:
        text = export_code(graph, settings, args.to)
    except CodegenError as exc:
        raise CliError(str(exc)) from None
    if args.out is None or args.out == "-":
        sys.stdout.write(text)
        return EXIT_OK
    write_atomic(args.out, text.encode("utf-8"), verb="write")
    print(f"wrote {args.out} ({args.to} code, {text.count(chr(10))} lines)")
    return EXIT_OK
