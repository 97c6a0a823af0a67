"""The exported training loop: what ``graphgui train`` does, written out.

The plan comes from a real :class:`~graphgui.core.train.Trainer` made from the file's
settings (so an export trains exactly what the editor would: the same loss, parameters,
L2 weights, data set and prediction). The loop is the trainer's: an epoch is one pass
over the training set, in mini-batches of ``batch_size`` drawn in the order of
``np.random.default_rng(seed).permutation`` (the last batch may be smaller), or the whole
set at once; the optimizer is written out (NumPy) or torch.optim's matching one (PyTorch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets import Dataset
from ..train import Trainer, TrainingError, TrainSettings
from . import literals
from .analysis import Analysis
from .data import TooLarge, load_data_function
from .literals import docstring

NOT_TRAINABLE = ("# The graph's training settings cannot be used as they are (graphgui train "
                 "FILE\n# says why), so no training loop is written.")


@dataclass
class TrainingPlan:
    settings: TrainSettings
    loss_id: str
    trained: list[str]  # parameter ids, in evaluation order
    penalized: list[str]  # the parameters with an L2 penalty
    x_id: str | None
    y_id: str | None
    predict_id: str | None
    threshold: float
    dataset: Dataset | None
    data_text: str  # load_data()'s source ("" without a data set)
    # the data nodes' stored values are the training split load_data() makes (not a CSV
    # data set): main() takes them from load_data() instead of writing them out
    from_load_data: bool = False

    @property
    def loaded_ids(self) -> list[str]:
        """The data nodes (X, Y) whose stored values main() gets from load_data()."""
        if not self.from_load_data:
            return []
        return [i for i in (self.x_id, self.y_id) if i is not None]

    @property
    def classification(self) -> bool:
        ds = self.dataset
        return ds is not None and ds.is_classification and self.predict_id is not None


def plan_training(analysis: Analysis, settings: Mapping[str, Any] | None
                  ) -> tuple[TrainingPlan | None, str]:
    """(the plan, "") for a graph with training settings; (None, a comment saying why no
    loop is written) when they cannot be used; (None, "") without any."""
    training = (settings or {}).get("training") if isinstance(settings, Mapping) else None
    if not training:
        return None, ""
    try:
        trainer = Trainer.from_settings(analysis.graph, training)
        dataset = trainer.dataset
        data_text = load_data_function(dataset) if dataset is not None else ""
        if dataset is not None:
            analysis.add_shapes({trainer.feed_ids["X"]: dataset.X_train,
                                 trainer.feed_ids["Y"]: dataset.Y_train})
    except TooLarge:
        return None, ("# The training data (a CSV file) is too large to write into the code, "
                      "so no\n# training loop is written.")
    except (TrainingError, ValueError):
        return None, NOT_TRAINABLE
    return TrainingPlan(
        settings=trainer.settings, loss_id=trainer.loss_id, trained=list(trainer.param_ids),
        penalized=list(trainer.l2_ids) if trainer.settings.l2 else [],
        x_id=trainer.feed_ids.get("X"), y_id=trainer.feed_ids.get("Y"),
        predict_id=trainer.predict_id, threshold=trainer.threshold, dataset=dataset,
        data_text=data_text, from_load_data=_loadable(analysis, trainer, dataset),
    ), ""


def _loadable(analysis: Analysis, trainer: Trainer, dataset: Dataset | None) -> bool:
    """Whether the data nodes hold, exactly, the training split load_data() makes."""
    if dataset is None or dataset.meta["spec"]["kind"] == "csv":
        return False
    x, y = trainer.feed_ids.get("X"), trainer.feed_ids.get("Y")
    if x is None or y is None:
        return False
    pairs = ((analysis.node(x).value, dataset.X_train), (analysis.node(y).value, dataset.Y_train))
    return all(isinstance(v, np.ndarray) and v.shape == a.shape and np.array_equal(v, a)
               for v, a in pairs)


def _names(analysis: Analysis, ids: list[str]) -> str:
    return ", ".join(analysis.idents[i] for i in ids)


def _tuple(analysis: Analysis, ids: list[str]) -> str:
    items = [f'"{analysis.idents[i]}"' for i in ids]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _batching(plan: TrainingPlan) -> str:
    s, ds = plan.settings, plan.dataset
    if ds is None:
        return "no data: each epoch is one step on the graph's output"
    if s.batch_size is None or s.batch_size >= ds.n_train:
        return "the whole training set each epoch (full batch)"
    what = "one sample at a time (stochastic)" if s.batch_size == 1 else \
        f"mini-batches of {s.batch_size}"
    return (f"{what}, in a shuffled order each epoch (np.random.default_rng({s.seed!r}), "
            "as the editor's trainer)")


def _optimizer_words(s: TrainSettings) -> str:
    words = {"sgd": "plain gradient descent (sgd)", "momentum": "gradient descent with "
             "momentum", "rmsprop": "RMSprop", "adam": "Adam"}[s.optimizer]
    return words + (f" with an L2 penalty {literals.number(s.l2)}" if s.l2 else "")


def _options(plan: TrainingPlan) -> dict[str, float]:
    from ..optimizers import make_optimizer

    s = plan.settings
    return dict(make_optimizer(s.optimizer, s.lr, **s.optimizer_options).options)


# ---- NumPy ---------------------------------------------------------------------------------


def numpy_training(analysis: Analysis, plan: TrainingPlan) -> str:
    parts = []
    if plan.data_text:
        parts.append(plan.data_text)
    parts.append(_stored(analysis, "stored_parameters", "The parameters' stored values, "
                         "where training starts.", _parameters(analysis)))
    others = _other_inputs(analysis, plan)
    if others:
        parts.append(_stored(analysis, "stored_inputs", "The inputs the data does not feed, "
                             "at their stored values.", others))
    if plan.classification:
        parts.append(_accuracy(analysis, plan))
    parts.append(_numpy_train(analysis, plan, bool(others)))
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _parameters(analysis: Analysis) -> list[str]:
    return [n for n in analysis.order if analysis.node(n).op == "parameter"]


def _other_inputs(analysis: Analysis, plan: TrainingPlan) -> list[str]:
    fed = {plan.x_id, plan.y_id}
    return [n for n in analysis.order if analysis.node(n).op == "input" and n not in fed]


def _stored(analysis: Analysis, name: str, doc: str, ids: list[str]) -> str:
    names = [analysis.idents[i] for i in ids]
    return (f'def {name}():\n    """{doc}"""\n'
            + literals.dict_text("    return ", names, names) + "\n")


def _accuracy(analysis: Analysis, plan: TrainingPlan) -> str:
    ds = plan.dataset
    assert ds is not None
    label = analysis.idents[plan.predict_id]  # type: ignore[index]
    if ds.n_outputs == 1:
        t = literals.number(plan.threshold)
        return ("def accuracy(prediction, Y):\n"
                f'    """The fraction of samples whose predicted class ({label} > {t}) is '
                'Y\'s."""\n'
                f"    return np.mean((prediction > {t}) == (Y > 0.5))\n")
    axis = 1 - ds.sample_axis
    return ("def accuracy(prediction, Y):\n"
            f'    """The fraction of samples whose most likely class (the largest {label}) '
            'is Y\'s."""\n'
            f"    return np.mean(np.argmax(prediction, axis={axis}) == "
            f"np.argmax(Y, axis={axis}))\n")


def _feed(analysis: Analysis, plan: TrainingPlan, x: str, y: str, others: bool,
          params: str) -> str:
    args = []
    if plan.x_id is not None:
        args += [f"{analysis.idents[plan.x_id]}={x}", f"{analysis.idents[plan.y_id]}={y}"]  # type: ignore[index]
    if others:
        args.append("**stored_inputs()")
    args.append(params)
    return ", ".join(args)


def _q(ident: str) -> str:
    return f'"{ident}"'


def _numpy_update(analysis: Analysis, plan: TrainingPlan) -> list[str]:
    """The optimizer step for every trained parameter, written out."""
    s = plan.settings
    lines = ["t += 1"] if s.optimizer == "adam" else []
    lines += [f"for name in {_tuple(analysis, plan.trained)}:", "    g = grads[name]"]
    if plan.penalized:
        lines += ["    if name in penalized:",
                  "        g = g + l2 * params[name]  # the gradient of (l2 / 2) * ||w||^2"]
    return lines + {
        "sgd": ["    params[name] = params[name] - lr * g"],
        "momentum": ["    velocity[name] = momentum * velocity[name] + g",
                     "    params[name] = params[name] - lr * velocity[name]"],
        "rmsprop": ["    square_avg[name] = rho * square_avg[name] + (1 - rho) * (g * g)",
                    "    params[name] = params[name] - lr * g / (np.sqrt(square_avg[name]) "
                    "+ eps)"],
        "adam": ["    m[name] = beta1 * m[name] + (1 - beta1) * g",
                 "    v[name] = beta2 * v[name] + (1 - beta2) * (g * g)",
                 "    m_hat = m[name] / (1 - beta1 ** t)  # bias-corrected averages",
                 "    v_hat = v[name] / (1 - beta2 ** t)",
                 "    params[name] = params[name] - lr * m_hat / (np.sqrt(v_hat) + eps)"],
    }[s.optimizer]


def _numpy_state(plan: TrainingPlan) -> list[str]:
    s = plan.settings
    opts = {k: literals.number(v) for k, v in _options(plan).items()}
    state = []
    if plan.penalized:
        state.append(f"l2 = {literals.number(s.l2)}  # the L2 penalty's strength")
    if s.optimizer == "momentum":
        state += [f"momentum = {opts['momentum']}",
                  "velocity = {name: 0.0 for name in params}"]
    elif s.optimizer == "rmsprop":
        state += [f"rho, eps = {opts['rho']}, {opts['eps']}",
                  "square_avg = {name: 0.0 for name in params}  # running mean of g^2"]
    elif s.optimizer == "adam":
        state += [f"beta1, beta2, eps = {opts['beta1']}, {opts['beta2']}, {opts['eps']}",
                  "m = {name: 0.0 for name in params}  # running mean of g",
                  "v = {name: 0.0 for name in params}  # running mean of g^2",
                  "t = 0  # steps taken"]
    return state


def is_batched(plan: TrainingPlan) -> bool:
    s, ds = plan.settings, plan.dataset
    return ds is not None and s.batch_size is not None and s.batch_size < ds.n_train


def _numpy_train(analysis: Analysis, plan: TrainingPlan, others: bool) -> str:
    s, ds = plan.settings, plan.dataset
    loss = analysis.idents[plan.loss_id]
    backward = "backward" if plan.loss_id == analysis.output else "loss_backward"
    head = [f"def train(epochs={s.epochs}, lr={literals.number(s.lr)}):",
            *docstring(f"Train {_names(analysis, plan.trained)} as graphgui train does: "
                       f"{_optimizer_words(s)} minimising {loss}, {_batching(plan)}. "
                       "Returns the trained parameters.")]
    body = ["X_train, Y_train, X_test, Y_test = load_data()"] if ds is not None else []
    body.append("params = stored_parameters()")
    if plan.penalized:
        names = ", ".join(_q(analysis.idents[i]) for i in plan.penalized)
        body.append(f"penalized = {{{names}}}  # L2 on the weights, not the biases")
    body += _numpy_state(plan)
    step = [f"grads = {backward}(values)", *_numpy_update(analysis, plan)]
    check = ["if not np.isfinite(loss):",
             '    print(f"epoch {epoch}: the loss is not finite; try a smaller learning rate")',
             "    return params"]
    if is_batched(plan):
        assert ds is not None
        take = "[:, index]" if ds.sample_axis == 1 else "[index]"
        feed = _feed(analysis, plan, "X_train" + take, "Y_train" + take, others, "**params")
        body += [f"rng = np.random.default_rng({s.seed!r})  # the order of the samples",
                 f"m_train = X_train.shape[{ds.sample_axis}]",
                 "log_every = max(1, epochs // 10)",
                 "for epoch in range(1, epochs + 1):",
                 "    order = rng.permutation(m_train)",
                 "    total = 0.0",
                 f"    for begin in range(0, m_train, {s.batch_size}):",
                 f"        index = order[begin:begin + {s.batch_size}]",
                 *("        " + line for line in [
                     f"values = forward({feed})", f"loss = values[{_q(loss)}]", *check,
                     *step, "total += loss * len(index)"]),
                 "    loss = total / m_train  # the mean over the epoch's samples"]
    else:
        x, y = ("X_train", "Y_train") if ds is not None else ("", "")
        body += ["log_every = max(1, epochs // 10)",
                 "for epoch in range(1, epochs + 1):",
                 *("    " + line for line in [
                     f"values = forward({_feed(analysis, plan, x, y, others, '**params')})",
                     f"loss = values[{_q(loss)}]", *check, *step])]
    body += ["    if epoch % log_every == 0 or epoch == epochs:",
             '        print(f"epoch {epoch}: loss {loss:.6f}")']
    body += _numpy_report(analysis, plan, others)
    body.append("return params")
    return "\n".join(head + ["    " + line for line in body]) + "\n"


def _numpy_report(analysis: Analysis, plan: TrainingPlan, others: bool) -> list[str]:
    ds = plan.dataset
    if ds is None:
        return []
    loss = analysis.idents[plan.loss_id]
    splits = '("training", X_train, Y_train)' + (
        ', ("test", X_test, Y_test)' if ds.n_test else ",")
    feed = _feed(analysis, plan, "data", "targets", others, "**params")
    lines = ["# the final loss on each split",
             f"for what, data, targets in ({splits}):",
             f"    values = forward({feed})"]
    if plan.classification:
        p = _q(analysis.idents[plan.predict_id])  # type: ignore[index]
        lines += [f"    loss, p = values[{_q(loss)}], values[{p}]",
                  '    print(f"{what} loss {loss:.6f}, accuracy {accuracy(p, targets):.1%}")']
    else:
        lines.append(f"    print(f\"{{what}} loss {{values['{loss}']:.6f}}\")")
    return lines
