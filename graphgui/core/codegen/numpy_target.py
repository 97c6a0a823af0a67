"""The NumPy target: a module in the notebooks' style.

``forward(...)`` computes every node under its label, ``backward(values)`` writes the chain
rule out node by node (``d_q`` is df/dq; a node feeding several others adds up what each
sends back, ``d_x = d_x + ...``; a part that was broadcast is summed back to its input's
shape, ``np.sum(d_Z1, axis=1, keepdims=True)``), ``main()`` prints the output, the values
and the gradients as ``graphgui eval --json`` does, and with training settings ``train()``
runs the training loop (see training.py).
"""

from __future__ import annotations

import json
import re

from ..engine import Program
from . import literals
from .analysis import Analysis, CodegenError, render
from .training import TrainingPlan, numpy_training

_WORD = re.compile(r"\b[A-Za-z_]\w*\b")
# Ops whose scalar results differ between Python floats and NumPy floats (1 / 0 raises,
# (-8) ** 0.5 is complex): with one in the graph, scalar values are NumPy floats.
_FLOAT_SENSITIVE = frozenset({"div", "pow"})


def numpy_module(analysis: Analysis, title: str = "", training: TrainingPlan | None = None,
                 note: str = "") -> str:
    """The whole module's text (``training``: the loop's plan; ``note``: a comment saying
    why there is none although the graph has training settings)."""
    out_name = analysis.idents[analysis.output]
    parts = [_docstring(out_name, training is not None)]
    parts.append("import json\nimport sys\n\nimport numpy as np\n")
    if title:
        parts.append(f"# Graph: {literals.comment(title)}")
    helpers = helper_sources(analysis)
    if helpers:
        parts.append("\n\n".join(helpers))
    parts.append(forward_function(analysis))
    parts.append(backward_function(analysis, analysis.output, "backward"))
    if training is not None:
        loss = training.loss_id
        if loss != analysis.output:
            parts.append(backward_function(analysis, loss, "loss_backward"))
    loaded = training.loaded_ids if training is not None else []
    parts.append(sources_text(analysis, loaded))
    parts.append(TO_JSON)
    parts.append(main_function(analysis, loaded))
    if training is not None:
        parts.append(numpy_training(analysis, training))
    elif note:
        parts.append(note)
    parts.append(_entry(training is not None))
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _docstring(out: str, training: bool) -> str:
    run = ["    python this_file.py           prints the output, the values and the gradients",
           "                                  as JSON, as graphgui eval --json does"]
    if training:
        run.append("    python this_file.py --train   trains the parameters with the graph's "
                   "settings")
    return "\n".join([
        '"""A graphgui graph as NumPy code: the forward and the backward pass written out.',
        "",
        "forward() computes every node of the graph, in evaluation order. backward() applies",
        f"the chain rule node by node, from the output {out} back to the inputs: d_<name> is",
        f"d{out}/d<name>, the upstream gradient times the node's local derivative, summed",
        "where a value feeds several nodes. Run it:",
        "",
        *run,
        '"""',
    ])


def scalar_format(analysis: Analysis) -> str:
    """How a scalar source is written: ``-2.0``, or ``np.float64(-2.0)`` when the graph
    divides or raises to a power (then 1 / 0 is inf and (-8) ** 0.5 nan, as in the editor)."""
    sensitive = any(analysis.node(n).op in _FLOAT_SENSITIVE for n in analysis.order)
    return "np.float64({})" if sensitive else "{}"


def loaded_line(analysis: Analysis, loaded: list[str], indent: str = "    ") -> list[str]:
    """``X, Y = load_data()[:2]``: the data nodes' stored values, the training split."""
    if not loaded:
        return []
    names = ", ".join(analysis.idents[i] for i in loaded)
    return [f"{indent}{names} = load_data()[:2]  # their stored values: the training split"]


def sources_text(analysis: Analysis, loaded: list[str] | None = None) -> str:
    """The sources at their stored values, as module variables (``loaded``: the data nodes
    load_data() makes, left out)."""
    scalar = scalar_format(analysis)
    lines = ["# The graph's inputs and parameters (forward()'s arguments) and its constants,",
             "# at their stored values"]
    if scalar != "{}":
        lines.append("# (NumPy floats: 1 / 0 gives inf and (-8) ** 0.5 nan, as in the editor)")
    if loaded:
        names = " and ".join(analysis.idents[i] for i in loaded)
        lines.append(f"# ({names}: the training data, which main() gets from load_data())")
    for nid in analysis.order:
        node = analysis.node(nid)
        if not node.is_source or nid in analysis.inline or nid in (loaded or ()):
            continue
        ident = analysis.idents[nid]
        text = literals.value_text(node.value, "np.array", scalar=scalar,
                                   column=len(ident) + 3 + len(node.op) + 4)
        lines.append(f"{ident} = {text}  # {node.op}")
    return "\n".join(lines) + "\n"


def helper_sources(analysis: Analysis) -> list[str]:
    """The helper functions the templates of the graph's ops call, once each."""
    found: list[str] = []
    for nid in analysis.order:
        for source in analysis.node(nid).spec.numpy_helpers:
            if source not in found:
                found.append(source)
    return found


def arguments(analysis: Analysis) -> list[str]:
    """forward()'s arguments: the inputs and parameters, in evaluation order."""
    return [n for n in analysis.order if analysis.node(n).op in ("input", "parameter")]


def operand(analysis: Analysis, node_id: str) -> str:
    if node_id in analysis.inline:
        return literals.operand(analysis.node(node_id).value)
    return analysis.idents[node_id]


def forward_line(analysis: Analysis, node_id: str) -> str:
    srcs = analysis.inputs(node_id)
    text = analysis.template(node_id, "numpy_code")
    operands = [operand(analysis, s) for s in srcs]
    body = render(text, analysis, node_id, operands,
                  {"n": lambda: _n_text(analysis, srcs, operands)})
    return f"{analysis.idents[node_id]} = {body}"


def _n_text(analysis: Analysis, srcs: list[str], operands: list[str]) -> str:
    """{n}: how many elements the inputs hold broadcast together."""
    largest = analysis.largest_input(srcs)
    if largest is not None:
        return f"np.size({operands[largest]})"
    return f"np.broadcast({', '.join(operands)}).size"


def forward_function(analysis: Analysis) -> str:
    args = [analysis.idents[n] for n in arguments(analysis)]
    lines = [_wrap_def("forward", args),
             '    """The forward pass: every node of the graph in evaluation order, returned by',
             '    name (backward() reads the values it needs from them)."""']
    for nid in analysis.order:
        if not analysis.node(nid).is_source:
            lines.append("    " + forward_line(analysis, nid))
    names = [analysis.idents[n] for n in analysis.order if n not in analysis.inline]
    lines.append(_dict_return(names))
    return "\n".join(lines) + "\n"


def backward_function(analysis: Analysis, root: str, name: str) -> str:
    """``name(values)``: the gradients of ``root`` by the chain rule, node by node."""
    visit, grads = _plan(analysis, root)
    idents = analysis.idents
    r = idents[root]
    seed = "1.0" if analysis.shapes[0][root] == () else f"np.ones_like({r})"
    body = [f"    d_{r} = {seed}  # d{r}/d{r}"]
    assigned = {root}
    for nid in visit:
        srcs = analysis.inputs(nid)
        spec = analysis.node(nid).spec
        operands = [operand(analysis, s) for s in srcs]
        lines = []
        for port, src in enumerate(srcs):
            if not analysis.needs[src]:
                continue
            text = analysis.template(nid, "numpy_grads", port)
            extra = {"g": f"d_{idents[nid]}", "out": idents[nid],
                     "n": lambda s=srcs, o=operands: _n_text(analysis, s, o)}
            part = render(text, analysis, nid, operands, extra)
            if isinstance(spec.numpy_grads[port], str):
                plan = analysis.sum_back(nid, port, text)
                if plan is not None:
                    part = plan.text(part, operands[port])
            target = f"d_{idents[src]}"
            lines.append(f"    {target} = {target} + {part}" if src in assigned
                         else f"    {target} = {part}")
            assigned.add(src)
        if lines:
            body.append(f"    # {forward_line(analysis, nid)}")
            body.extend(lines)
    if assigned != grads:  # the engine's own plan; a mismatch is a bug here
        raise CodegenError("internal error: the backward pass does not match the engine's")
    used = _words_used(body, set(idents.values()))
    names = [idents[n] for n in analysis.order if idents[n] in used]
    head = [f"def {name}(values):",
            f'    """The backward pass from {r}: d_<name> is d{r}/d<name>, from {r} back to the',
            '    inputs, each node sending its upstream gradient times its local derivative',
            '    to its inputs (summed where a value feeds several nodes)."""']
    head.extend(_unpack(names))
    returned = [idents[n] for n in analysis.order if n in assigned]
    tail = _dict_return([f"d_{n}" for n in returned], keys=returned)
    return "\n".join(head + body + [tail]) + "\n"


def _plan(analysis: Analysis, root: str) -> tuple[list[str], set[str]]:
    """(nodes visited, nodes whose gradient is computed) of the backward pass from root."""
    if root == analysis.output:
        return analysis.visit, analysis.grads
    program = Program(analysis.graph, output=root)
    visit = [n for n in program.backward_order() if not analysis.node(n).is_source]
    evaluation = program.evaluate()
    return visit, set(evaluation.grads)


def _words_used(lines: list[str], words: set[str]) -> set[str]:
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return {w for w in _WORD.findall(code) if w in words}


def _unpack(names: list[str]) -> list[str]:
    """``q, z = values["q"], values["z"]`` lines, a few names each."""
    lines: list[str] = []
    chunk: list[str] = []
    for name in names:
        if chunk and len(_unpack_line(chunk + [name])) > literals.LINE:
            lines.append(_unpack_line(chunk))
            chunk = []
        chunk.append(name)
    if chunk:
        lines.append(_unpack_line(chunk))
    return lines


def _unpack_line(names: list[str]) -> str:
    gets = ", ".join(f"values[{json.dumps(n)}]" for n in names)
    return f"    {', '.join(names)} = {gets}"


def _dict_return(values: list[str], keys: list[str] | None = None) -> str:
    return literals.dict_text("    return ", values, values if keys is None else keys)


def _wrap_def(name: str, args: list[str]) -> str:
    one = f"def {name}({', '.join(args)}):"
    if len(one) <= literals.LINE:
        return one
    lines, line = [f"def {name}("], "   "
    for arg in args:
        if len(line) + len(arg) + 2 > literals.LINE and line.strip():
            lines.append(line)
            line = "   "
        line += f" {arg},"
    lines.append(line)
    lines.append("):")
    return "\n".join(lines)


TO_JSON = '''def to_json(value):
    """A value as JSON data, as graphgui eval --json writes it: a number or nested lists,
    nan and the infinities as the strings "nan", "inf" and "-inf"."""
    if np.ndim(value) > 0:
        return [to_json(v) for v in value]
    value = float(value)
    return value if np.isfinite(value) else str(value)
'''


def json_grads(analysis: Analysis, value_of: str, grad_of: str, zeros: str) -> list[str]:
    """The lines of the "grads" object: ``"x": to_json(...)``, by each named node's name,
    with eval's conventions (zeros where the output does not depend on the node, null
    where only constants feed it)."""
    lines = []
    out = analysis.idents[analysis.output]
    for nid in analysis.named():
        key = json.dumps(analysis.node(nid).name)
        ident = json.dumps(analysis.idents[nid])
        kind = analysis.grad_kind(nid)
        if kind == "grad":
            lines.append(f"            {key}: to_json({grad_of.format(ident)}),")
        elif kind == "zeros":
            lines.append(f"            {key}: to_json({zeros.format(value_of.format(ident))}),"
                         f"  # {out} does not depend on it")
        else:
            lines.append(f"            {key}: None,  # no gradient: only constants feed it")
    return lines


def json_head(analysis: Analysis, value_of: str, output: str) -> list[str]:
    """The lines of eval's "output", "value" and "values" entries: the output's label, its
    value, and every named node's value by its name."""
    lines = [f'        "output": {json.dumps(analysis.labels[analysis.output])},',
             f'        "value": to_json({output}),',
             '        "values": {']
    for nid in analysis.named():
        key = json.dumps(analysis.node(nid).name)
        ident = json.dumps(analysis.idents[nid])
        lines.append(f"            {key}: to_json({value_of.format(ident)}),")
    return lines + ["        },"]


def main_function(analysis: Analysis, loaded: list[str] | None = None) -> str:
    args = ", ".join(analysis.idents[n] for n in arguments(analysis))
    out = json.dumps(analysis.idents[analysis.output])
    lines = [
        "def main():",
        '    """Evaluate the graph at its stored values; print the output, the values and',
        '    the gradients of the named nodes as JSON, as graphgui eval --json does."""',
        *loaded_line(analysis, loaded or []),
        f"    values = forward({args})",
        "    grads = backward(values)",
        "    print(json.dumps({",
        *json_head(analysis, "values[{}]", f"values[{out}]"),
        '        "grads": {',
        *json_grads(analysis, "values[{}]", "grads[{}]", "np.zeros_like({})"),
        "        },",
        "    }))",
    ]
    return "\n".join(lines) + "\n"


def check_arguments(training: bool) -> list[str]:
    """The entry point's first lines: anything but no arguments (or ``--train`` when there
    is a training loop) is one line on stderr and exit status 2, as a command line says."""
    allowed, usage = ('([], ["--train"])', " [--train]") if training else ("([],)", "")
    return ["    if sys.argv[1:] not in " + allowed + ":",
            "    " * 2 + 'print(f"{sys.argv[0]}: error: unrecognized arguments: '
            "{' '.join(sys.argv[1:])}\"",
            "    " * 2 + f'      f" (usage: python {{sys.argv[0]}}{usage})", file=sys.stderr)',
            "        sys.exit(2)"]


def _entry(training: bool) -> str:
    lines = ['if __name__ == "__main__":', *check_arguments(training),
             '    with np.errstate(all="ignore"):  # nan and inf are values, as in the editor']
    if training:
        lines += ['        if sys.argv[1:] == ["--train"]:', "            train()",
                  "        else:", "            main()"]
    else:
        lines.append("        main()")
    return "\n".join(lines) + "\n"
