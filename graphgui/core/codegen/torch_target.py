"""The PyTorch target: an ``nn.Module`` whose forward() computes every node, differentiated
by autograd; the training loop uses the matching torch.optim optimizer.

Parameters are ``nn.Parameter`` at their stored values, constants buffers (a number inside
an expression stays a number where an operator meets a tensor), inputs forward()'s
arguments. Everything is float64, as graphgui computes. torch is imported by the generated
file only.
"""

from __future__ import annotations

import json
import re

from . import literals
from .analysis import Analysis, render
from .literals import dict_text
from .numpy_target import (
    TO_JSON,
    _wrap_def,
    check_arguments,
    json_grads,
    json_head,
    loaded_line,
)
from .training import (
    TrainingPlan,
    _accuracy,
    _batching,
    _names,
    _optimizer_words,
    _options,
    _q,
    docstring,
    is_batched,
)

_OPERATOR = re.compile(r"\{\w+\} (?:\*\*|[-+*/]) \{\w+\}")
_OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}


def torch_module(analysis: Analysis, title: str = "", training: TrainingPlan | None = None,
                 note: str = "") -> str:
    model = model_class(analysis)
    uses_f = re.search(r"\bF\.", model) is not None
    parts = [_docstring(analysis, training is not None)]
    parts.append("import json\nimport sys\n"
                 + "\nimport numpy as np\nimport torch\n"
                 + ("import torch.nn.functional as F\n" if uses_f else "")
                 + "from torch import nn\n\n"
                 + "torch.set_default_dtype(torch.float64)  # graphgui computes in float64\n")
    if title:
        parts.append(f"# Graph: {literals.comment(title)}")
    parts.append(model)
    parts.append(_inputs_text(analysis, training.loaded_ids if training is not None else []))
    parts.append(GRAD_OF)
    parts.append(TO_JSON.replace("    if np.ndim(value) > 0:",
                                 "    if isinstance(value, torch.Tensor):\n"
                                 "        value = value.detach().numpy()\n"
                                 "    if np.ndim(value) > 0:"))
    parts.append(_main(analysis))
    if training is not None:
        if training.data_text:
            parts.append(training.data_text)
        if training.classification:
            parts.append(_accuracy(analysis, training))
        parts.append(_train(analysis, training))
    elif note:
        parts.append(note)
    parts.append(_entry(training is not None))
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _docstring(analysis: Analysis, training: bool) -> str:
    out = analysis.idents[analysis.output]
    run = ["    python this_file.py           prints the output, the values and the gradients",
           "                                  as JSON, as graphgui eval --json does"]
    if training:
        run.append("    python this_file.py --train   trains the parameters with torch.optim")
    return "\n".join([
        '"""A graphgui graph as a PyTorch module: Model.forward() computes every node;',
        f"autograd gives the gradients of the output {out}. Run it:",
        "",
        *run,
        '"""',
    ])


def _inputs(analysis: Analysis) -> list[str]:
    return [n for n in analysis.order if analysis.node(n).op == "input"]


def _inputs_text(analysis: Analysis, loaded: list[str]) -> str:
    lines = ["# The graph's inputs (Model.forward()'s arguments), at their stored values"]
    if loaded:
        names = " and ".join(analysis.idents[i] for i in loaded)
        lines.append(f"# ({names}: the training data, which stored_inputs() gets from "
                     "load_data())")
    for nid in _inputs(analysis):
        if nid in loaded:
            continue
        ident = analysis.idents[nid]
        lines.append(f"{ident} = " + literals.value_text(analysis.node(nid).value, "np.array",
                                                          column=len(ident) + 3))
    if len(lines) == 1:
        lines.append("# (none: the graph has parameters and constants only)")
    names = [analysis.idents[n] for n in _inputs(analysis)]
    lines += ["", "", "def stored_inputs():",
              '    """The inputs\' stored values, by name."""',
              *loaded_line(analysis, loaded),
              dict_text("    return ", names, names)]
    return "\n".join(lines) + "\n"


def operand(analysis: Analysis, consumer: str, port: int) -> str:
    """How input ``port`` of ``consumer`` is written in its torch template."""
    src = analysis.inputs(consumer)[port]
    node = analysis.node(src)
    ident = analysis.idents[src]
    if src in analysis.inline:
        text = analysis.template(consumer, "torch_code")
        others = [s for k, s in enumerate(analysis.inputs(consumer)) if k != port]
        if _OPERATOR.fullmatch(text) and not all(o in analysis.inline for o in others):
            return literals.operand(node.value)  # a number where an operator meets a tensor
        return f"torch.tensor({literals.number(node.value)})"
    if node.op in ("parameter", "constant"):
        return f"self.{ident}"
    return ident


def _macro(analysis: Analysis, srcs: list[str]):  # type: ignore[no-untyped-def]
    def macro(words: list[str]) -> str:
        if analysis.same_shapes(srcs):
            return ", ".join(words)
        return f"*torch.broadcast_tensors({', '.join(words)})"
    return macro


def forward_line(analysis: Analysis, node_id: str) -> str:
    srcs = analysis.inputs(node_id)
    operands = [operand(analysis, node_id, k) for k in range(len(srcs))]
    text = analysis.template(node_id, "torch_code")
    body = render(text, analysis, node_id, operands,
                  {"n": lambda: f"{operands[0]}.numel()"}, _macro(analysis, srcs))
    return f"{analysis.idents[node_id]} = {body}"


def model_class(analysis: Analysis) -> str:
    idents = analysis.idents
    init = ["    def __init__(self):", "        super().__init__()"]
    for nid in analysis.order:
        node = analysis.node(nid)
        if node.op not in ("parameter", "constant") or nid in analysis.inline:
            continue
        ident = idents[nid]
        if node.op == "parameter":
            head = f"        self.{ident} = nn.Parameter("
            value = literals.value_text(node.value, "torch.tensor", indent=8,
                                        column=len(head), scalar="torch.tensor({})")
            init.append(f"{head}{value})")
        else:
            head = f'        self.register_buffer("{ident}", '
            value = literals.value_text(node.value, "torch.tensor", indent=8,
                                        column=len(head), scalar="torch.tensor({})")
            init.append(f"{head}{value})  # a constant")
    init.append("        self.values = {}  # every node's value after forward(), by name")
    args = ["self"] + [idents[n] for n in _inputs(analysis)]
    out = idents[analysis.output]
    forward = ["    " + _wrap_def("forward", args).replace("\n", "\n    "),
               f'        """Every node of the graph in evaluation order; returns the output '
               f"{out}",
               '        (self.values keeps all of them)."""']
    for nid in analysis.order:
        if not analysis.node(nid).is_source:
            forward.append("        " + forward_line(analysis, nid))
    names = [n for n in analysis.order if n not in analysis.inline]
    values = [idents[n] if analysis.node(n).op not in ("parameter", "constant")
              else f"self.{idents[n]}" for n in names]
    forward.append(dict_text("        self.values = ", values, [idents[n] for n in names]))
    forward.append(f"        return {out}")
    head = ["class Model(nn.Module):",
            '    """The graph as a module: its parameters are nn.Parameters (at their stored',
            '    values), its inputs forward()\'s arguments."""', ""]
    return "\n".join(head + init + [""] + forward) + "\n"


GRAD_OF = '''def grad_of(value):
    """A tensor's gradient after backward(); zeros where none reached it."""
    return value.grad if value.grad is not None else torch.zeros_like(value)
'''


def _main(analysis: Analysis) -> str:
    out = analysis.idents[analysis.output]
    grads = json_grads(analysis, "values[{}]", "grad_of(values[{}])", "torch.zeros_like({})")
    if analysis.node(analysis.output).name:  # the output's own gradient: the seed, ones
        key = json.dumps(analysis.node(analysis.output).name)
        grads = [f"            {key}: to_json(torch.ones_like(output)),  # d{out}/d{out}"
                 if line.lstrip().startswith(f"{key}:") else line for line in grads]
    lines = [
        "def main():",
        '    """Evaluate the graph at its stored values, autograd for the gradients; print the',
        '    output, the values and the gradients of the named nodes as JSON."""',
        "    model = Model()",
        "    inputs = {name: torch.tensor(value, requires_grad=True)",
        "              for name, value in stored_inputs().items()}",
        "    output = model(**inputs)",
        "    values = model.values",
        "    for tensor in values.values():",
        "        if tensor.requires_grad and not tensor.is_leaf:",
        "            tensor.retain_grad()  # keep the gradients of the nodes in between",
        "    if output.requires_grad:",
        "        output.backward(torch.ones_like(output))  # an array output: of its sum",
        "    print(json.dumps({",
        *json_head(analysis, "values[{}]", "output"),
        '        "grads": {',
        *grads,
        "        },",
        "    }))",
    ]
    return "\n".join(lines) + "\n"


def _optimizer(analysis: Analysis, plan: TrainingPlan) -> list[str]:
    s = plan.settings
    opts = {k: literals.number(v) for k, v in _options(plan).items()}
    extra = {"sgd": "", "momentum": f", momentum={opts.get('momentum')}",
             "rmsprop": f", alpha={opts.get('rho')}, eps={opts.get('eps')}",
             "adam": f", betas=({opts.get('beta1')}, {opts.get('beta2')}), "
                     f"eps={opts.get('eps')}"}[s.optimizer]
    name = f"torch.optim.{_OPTIMIZERS[s.optimizer]}"
    params = [n for n in analysis.order if analysis.node(n).op == "parameter"]

    def listed(ids: list[str]) -> str:
        return "[" + ", ".join(f"model.{analysis.idents[i]}" for i in ids) + "]"

    if plan.penalized:
        rest = [i for i in plan.trained if i not in plan.penalized]
        groups = [f'    {{"params": {listed(plan.penalized)}, "weight_decay": '
                  f"{literals.number(s.l2)}}},  # L2 on the weights"]
        if rest:
            groups.append(f'    {{"params": {listed(rest)}}},')
        return [f"optimizer = {name}([", *groups, f"], lr=lr{extra})"]
    chosen = "model.parameters()" if plan.trained == params else listed(plan.trained)
    return [f"optimizer = {name}({chosen}, lr=lr{extra})"]


def _call(analysis: Analysis, plan: TrainingPlan, x: str, y: str, others: bool) -> str:
    args = []
    if plan.x_id is not None and plan.y_id is not None:
        args += [f"{analysis.idents[plan.x_id]}={x}", f"{analysis.idents[plan.y_id]}={y}"]
    if others:
        args.append("**fixed")
    return f"model({', '.join(args)})"


def _train(analysis: Analysis, plan: TrainingPlan) -> str:
    s, ds = plan.settings, plan.dataset
    loss = analysis.idents[plan.loss_id]
    fed = {plan.x_id, plan.y_id}
    others = [n for n in _inputs(analysis) if n not in fed]
    head = [f"def train(epochs={s.epochs}, lr={literals.number(s.lr)}):",
            *docstring(f"Train {_names(analysis, plan.trained)} as graphgui train does: "
                       f"{_optimizer_words(s)} (torch.optim.{_OPTIMIZERS[s.optimizer]}) "
                       f"minimising {loss}, {_batching(plan)}. Returns the trained model.")]
    body = []
    if ds is not None:
        body.append("X_train, Y_train, X_test, Y_test = (torch.tensor(a) for a in load_data())")
    body.append("model = Model()")
    if others:
        skip = ", ".join(_q(analysis.idents[n]) for n in fed if n is not None)
        body += ["fixed = {name: torch.tensor(value) for name, value in stored_inputs().items()"
                 + (f"\n         if name not in ({skip})}}" if skip else "}")]
    body += _optimizer(analysis, plan)
    take = ""
    if is_batched(plan):
        assert ds is not None
        take = "[:, index]" if ds.sample_axis == 1 else "[index]"
        body += [f"rng = np.random.default_rng({s.seed!r})  # the order of the samples",
                 f"m_train = X_train.shape[{ds.sample_axis}]"]
    value = "" if plan.loss_id == analysis.output else f"\nloss = model.values[{_q(loss)}]"
    call = _call(analysis, plan, f"X_train{take}", f"Y_train{take}", bool(others))
    step = ["optimizer.zero_grad()", f"loss = {call}" if not value else call + value,
            "if not torch.isfinite(loss):",
            '    print(f"epoch {epoch}: the loss is not finite; try a smaller learning rate")',
            "    return model", "loss.backward()", "optimizer.step()"]
    step = [part for line in step for part in line.split("\n")]
    body += ["log_every = max(1, epochs // 10)", "for epoch in range(1, epochs + 1):"]
    if take:
        body += ["    order = torch.from_numpy(rng.permutation(m_train))", "    total = 0.0",
                 f"    for begin in range(0, m_train, {s.batch_size}):",
                 f"        index = order[begin:begin + {s.batch_size}]",
                 *("        " + line for line in step),
                 "        total += loss.item() * len(index)",
                 "    loss = total / m_train  # the mean over the epoch's samples"]
    else:
        body += ["    " + line for line in step]
        body.append("    loss = loss.item()  # the epoch's loss, as a number")
    body += ["    if epoch % log_every == 0 or epoch == epochs:",
             '        print(f"epoch {epoch}: loss {loss:.6f}")']
    if ds is not None:
        splits = '("training", X_train, Y_train)' + (
            ', ("test", X_test, Y_test)' if ds.n_test else ",")
        loss_q = _q(loss)
        body += ["with torch.no_grad():  # the final loss on each split",
                 f"    for what, data, targets in ({splits}):",
                 f"        {_call(analysis, plan, 'data', 'targets', bool(others))}"]
        if plan.classification:
            p = _q(analysis.idents[plan.predict_id])  # type: ignore[index]
            body += [f"        loss, p = float(model.values[{loss_q}]), "
                     f"model.values[{p}].numpy()",
                     '        print(f"{what} loss {loss:.6f}, accuracy '
                     '{accuracy(p, targets.numpy()):.1%}")']
        else:
            body += [f"        loss = float(model.values[{loss_q}])",
                     '        print(f"{what} loss {loss:.6f}")']
    body.append("return model")
    return "\n".join(head + ["    " + line for line in body]) + "\n"


def _entry(training: bool) -> str:
    lines = ['if __name__ == "__main__":', *check_arguments(training)]
    if training:
        lines += ['    if sys.argv[1:] == ["--train"]:', "        train()", "    else:",
                  "        main()"]
    else:
        lines.append("    main()")
    return "\n".join(lines) + "\n"
