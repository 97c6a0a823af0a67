"""The Trainer: one compiled Program, epochs of forward, backward and optimizer steps.

The Trainer compiles one :class:`~graphgui.core.engine.Program` (pruned to the loss) and
works on that snapshot only: it never reads or writes the live Graph after construction, so
a GUI can run it in another thread or process and apply :meth:`Trainer.parameters` as one edit.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..datasets import Dataset, DatasetError, make_dataset
from ..engine import EvaluationError, Program
from ..functions.copying import without_functions
from ..graph import Graph, GraphError
from ..health import update_ratios
from ..optimizers import Optimizer, make_optimizer
from ..values import Value, is_finite
from .builders import is_weight
from .fused_step import FusedSGDStep
from .ratios import UpdateRatioLog
from .results import EpochResult
from .settings import TrainingError, TrainSettings

# Ops whose first input is the model's prediction (what accuracy reads).
LOSS_OPS = frozenset({"mse", "bce", "bce_logits", "softmax_ce", "hinge"})
# Losses that take scores rather than probabilities: a positive score means class 1.
SCORE_LOSSES = frozenset({"bce_logits", "hinge"})
PAUSE_POLL_SECONDS = 0.05


class _Stopped(Exception):
    pass


class Trainer:
    """Trains the parameters of ``graph`` that ``loss`` depends on.

    ``dataset`` is a :class:`Dataset`, a dataset spec, or None for a graph without data
    (e.g. gradient descent on f(x) = x^2: each epoch is one step). ``optimizer`` is a name
    (sgd, momentum, rmsprop, adam) or an :class:`Optimizer`. ``batch_size`` None trains on
    the full batch; k on shuffled mini-batches of k (the last one may be smaller); 1 is
    stochastic gradient descent. Every sample is visited once per epoch.
    """

    def __init__(
        self,
        graph: Graph,
        loss: str | None = None,
        inputs: Mapping[str, str] | None = None,
        dataset: Dataset | Mapping[str, Any] | None = None,
        optimizer: str | Optimizer = "sgd",
        lr: float = 0.1,
        epochs: int = 100,
        batch_size: int | None = None,
        l2: float = 0.0,
        seed: int | None = 0,
        predict: str | None = None,
        *,
        optimizer_options: Mapping[str, float] | None = None,
        l2_params: Sequence[str] | None = None,
        eval_every: int = 1,
        threshold: float | None = None,
        dtype: str = "float64",
    ) -> None:
        spec = None
        if isinstance(dataset, Mapping):
            spec = dict(dataset)
            try:
                dataset = make_dataset(spec)
            except DatasetError as exc:
                raise TrainingError(str(exc)) from None
        elif isinstance(dataset, Dataset):
            spec = dataset.meta.get("spec")
        settings = TrainSettings(
            loss=loss, predict=predict, inputs=dict(inputs or {}), dataset=spec,
            optimizer=optimizer.name if isinstance(optimizer, Optimizer) else optimizer,
            optimizer_options=dict(
                optimizer.options if isinstance(optimizer, Optimizer) else optimizer_options or {}
            ),
            lr=optimizer.lr if isinstance(optimizer, Optimizer) else lr, epochs=epochs,
            batch_size=batch_size, l2=l2, l2_params=None if l2_params is None else list(l2_params),
            seed=seed, eval_every=eval_every, threshold=threshold, dtype=dtype,
        )
        settings.validate()
        self.dtype = np.dtype(settings.dtype)
        self.settings = settings
        self.dataset: Dataset | None = dataset
        self.epochs = settings.epochs
        self.epoch = 0
        self.history: list[EpochResult] = []
        self.paused = threading.Event()  # set while run() waits on the pause event
        self._previous: list[Any] | None = None  # the snapshot's sources before the last update
        self._previous_feed: dict[str, Any] = {}
        self.update_ratios: UpdateRatioLog | None = None  # see record_update_ratios
        self._fused_step: FusedSGDStep | None = None  # set by _compile when SGD can use it
        self._compile(graph, optimizer)
        self._rng = np.random.default_rng(settings.seed)
        self._check_first_batch()

    @classmethod
    def from_settings(
        cls, graph: Graph, settings: TrainSettings | Mapping[str, Any],
        dataset: Dataset | None = None,
    ) -> Trainer:
        """A Trainer from saved settings; ``dataset`` overrides the settings' spec."""
        if not isinstance(settings, TrainSettings):
            settings = TrainSettings.from_dict(settings)
        return cls(
            graph, loss=settings.loss, inputs=settings.inputs,
            dataset=dataset if dataset is not None else settings.dataset,
            optimizer=settings.optimizer, lr=settings.lr, epochs=settings.epochs,
            batch_size=settings.batch_size, l2=settings.l2, seed=settings.seed,
            predict=settings.predict, optimizer_options=settings.optimizer_options,
            l2_params=settings.l2_params, eval_every=settings.eval_every,
            threshold=settings.threshold, dtype=settings.dtype,
        )

    # ---- construction --------------------------------------------------------------------

    def _lookup(self, graph: Graph, ref: str, what: str) -> str:
        try:
            return graph.lookup(ref).id
        except GraphError:
            raise TrainingError(f"the {what} node {ref!r} is not in the graph") from None

    def _compile(self, graph: Graph, optimizer: str | Optimizer) -> None:
        graph = without_functions(graph)  # instances only group nodes; the order is the flat one
        s = self.settings
        if s.loss is not None:
            loss_id = self._lookup(graph, s.loss, "loss")
        else:
            loss_id = graph.output
            if loss_id is None:
                raise TrainingError("the graph is empty: there is no loss to train")
        loss_node = graph.node(loss_id)
        ancestors = graph.ancestors(loss_id)
        order = graph.topological_order()
        param_ids = [i for i in order if i in ancestors and graph.node(i).op == "parameter"]
        if not param_ids:
            raise TrainingError(f"no parameter node feeds the loss {loss_node.title}")
        self.loss_id = loss_id
        self.param_ids = param_ids
        self.param_names = {pid: graph.node(pid).title for pid in param_ids}
        self.feed_ids: dict[str, str] = {}
        if self.dataset is not None:
            for role in ("X", "Y"):
                nid = self._lookup(graph, s.inputs[role], role)
                node = graph.node(nid)
                if node.op != "input":
                    raise TrainingError(
                        f"{role} must be an input node; {node.title} is a {node.op}"
                    )
                if nid not in ancestors:
                    raise TrainingError(f"the loss {loss_node.title} does not depend on {role} "
                                        f"({node.title})")
                self.feed_ids[role] = nid
        program = Program(graph, output=loss_id, wrt=param_ids, prune=True)
        if program.errors:
            nid, message = next(iter(program.errors.items()))
            raise TrainingError(f"{graph.node(nid).title}: {message}", nid)
        if self.dtype != np.float64:  # the sources cast once (feeds in _check_first_batch)
            for k, value in enumerate(program.initial):
                if isinstance(value, np.ndarray):
                    program.initial[k] = value.astype(self.dtype)
        if program.fused is not None:  # a step's values are read within the step only
            program.fused.reuse = True
        self.program = program
        self._loss_slot = program.slot[loss_id]
        self._param_slots = [(pid, program.slot[pid]) for pid in param_ids]
        self._x_id = self.feed_ids.get("X")
        self._y_id = self.feed_ids.get("Y")

        # Prediction (for accuracy and predict()).
        predict_id = None
        if s.predict is not None:
            predict_id = self._lookup(graph, s.predict, "prediction")
        else:
            predict_id = _auto_prediction(graph, loss_id)
        self.predict_id = predict_id
        self.predict_title = graph.node(predict_id).title if predict_id is not None else None
        self._predict_slot = program.slot.get(predict_id) if predict_id is not None else None
        if program.fused is not None:  # what a step reads of its values (a failure reruns)
            program.fused.keep = frozenset(
                k for k in (self._loss_slot, self._predict_slot) if k is not None)
        self._predict_program: Program | None = None
        self._predict_source_ids: list[str] = []
        if predict_id is not None:
            pp = Program(graph, output=predict_id, wrt=[], prune=True)
            if not pp.errors:
                self._predict_program = pp
                self._predict_source_ids = [pid for pid in param_ids if pid in pp.slot]
        # Scores (logits given to bce_logits or hinge) split at 0, probabilities at 0.5.
        score = predict_id is not None and any(
            graph.node(e.dst).op in SCORE_LOSSES and e.port == 0
            for e in graph.consumers(predict_id)
        )
        self.threshold = s.threshold if s.threshold is not None else (0.0 if score else 0.5)

        # Optimizer; L2 on the weights unless told which parameters.
        if s.l2_params is not None:
            l2_ids = [self._lookup(graph, ref, "L2") for ref in s.l2_params]
            for ref, pid in zip(s.l2_params, l2_ids, strict=True):
                if pid not in self.param_names:
                    raise TrainingError(f"l2_params: {ref!r} is not a parameter the loss uses")
        else:
            l2_ids = [pid for pid in param_ids if is_weight(graph, pid)]
        self.l2_ids = l2_ids
        if isinstance(optimizer, Optimizer):
            # The Trainer's L2 settings replace the instance's (one place decides).
            self.optimizer = optimizer
            optimizer.l2 = s.l2
            optimizer.l2_ids = frozenset(l2_ids)
        else:
            self.optimizer = make_optimizer(
                s.optimizer, s.lr, s.l2, l2_ids, **s.optimizer_options
            )
        self._fused_step = FusedSGDStep(self) if FusedSGDStep.applies(self) else None

    def _check_first_batch(self) -> None:
        """One forward on the training data: shape errors and a non-scalar loss show now."""
        ds = self.dataset
        if ds is not None:
            if ds.n_train == 0:
                raise TrainingError("the dataset has no training samples")
            cast = self._cast
            # Y read-only and the Trainer's own: the fused bce computes 1 - Y once for it.
            self._X_train, self._Y_train = cast(ds.X_train), _read_only(cast(ds.Y_train))
            self._train_feed = {self._x_id: self._X_train, self._y_id: self._Y_train}
            self._test_feed = (
                {self._x_id: cast(ds.X_test), self._y_id: cast(ds.Y_test)} if ds.n_test else None
            )
            classify = ds.is_classification and self.predict_id is not None
            self._binary = ds.n_outputs == 1
            self._train_labels = ds.labels(ds.Y_train) if classify else None
            self._test_labels = ds.labels(ds.Y_test) if classify else None
        else:
            self._train_feed = {}
            self._test_feed = None
            self._train_labels = self._test_labels = None
        self._current_feed = self._train_feed
        vals = self._forward(self._train_feed, 0)
        loss = vals[self._loss_slot]
        if not isinstance(loss, float):
            raise TrainingError(
                f"the loss {self.program.graph_node(self.loss_id).title} must be a single number; "
                f"it has shape {np.shape(loss)}", self.loss_id
            )
        if ds is not None and self.predict_id is not None:
            # A prediction shaped unlike Y would broadcast against it in the loss: (m,)
            # against (m, 1) is an (m, m) "loss" that trains, silently, the wrong thing.
            p = self._prediction(vals)
            if np.shape(p) != ds.Y_train.shape:
                raise TrainingError(
                    f"the prediction {self.predict_title} has shape {np.shape(p)} but Y has "
                    f"shape {ds.Y_train.shape} ({ds.n_train} samples along axis "
                    f"{ds.sample_axis})",
                    self.predict_id,
                )

    # ---- one step ------------------------------------------------------------------------

    def _forward(self, feed: Mapping[str, Any], epoch: int) -> list[Any]:
        try:
            return self.program.forward(feed)
        except EvaluationError as exc:
            raise TrainingError(f"epoch {epoch}: {exc}" if epoch else str(exc),
                                exc.node_id, epoch) from None

    def _prediction(self, vals: list[Any]) -> Any:
        if self._predict_slot is not None:
            return vals[self._predict_slot]
        if self._predict_program is None:
            return None
        return self._run_predict({k: v for k, v in self._current_feed.items()})

    def _classes(self, p: Any) -> np.ndarray:
        """Predicted class per sample: threshold for one output, argmax for several."""
        ds = self.dataset
        p = np.asarray(p)
        if p.ndim == 2 and p.shape[1 - ds.sample_axis] > 1:
            return np.argmax(p, axis=1 - ds.sample_axis)
        return (p > self.threshold).reshape(-1)

    def _step(self, feed: dict[str, Any], labels: np.ndarray | None, epoch: int,
              norms: list[float] | None) -> tuple[float, int]:
        """Forward, backward and one optimizer step on one batch: (loss, correct count).

        ``labels`` None skips the accuracy, ``norms`` None the gradient norms.
        """
        fused = self._fused_step
        if fused is not None and (done := fused.step(feed, labels, norms)) is not None:
            return done
        self._current_feed = feed
        program = self.program
        try:
            vals = program.forward(feed)
        except EvaluationError as exc:
            raise TrainingError(f"epoch {epoch}: {exc}", exc.node_id, epoch) from None
        loss = vals[self._loss_slot]
        if not math.isfinite(loss):
            self._fail(vals, epoch)
        slots = self._param_slots
        correct = 0 if labels is None else self._correct(self._prediction(vals), labels)
        grads = program.gradients(vals, only_wrt=True)  # parameters only: fused rules
        # Update the snapshot's source slots, as Program.set_source does but without its
        # validating copy: Optimizer.update returns a fresh float64 array (or a float) of the
        # parameter's shape, which nothing else holds. The old values stay valid (nothing is
        # modified in place), so a shallow copy of the list keeps them for a rollback.
        initial = program.initial
        self._previous = initial.copy()
        self._previous_feed = feed
        update = self.optimizer.update
        for pid, slot in slots:
            g = grads[slot]
            if g is not None:
                initial[slot] = update(pid, initial[slot], g)
        if norms is not None:
            self._add_norms(norms, grads)
        return loss, correct

    def _add_norms(self, norms: list[float], grads: list[Any]) -> None:
        for k, (_, slot) in enumerate(self._param_slots):
            g = grads[slot]
            if g is not None:
                norms[k] += abs(g) if g.__class__ is float else math.sqrt(np.vdot(g, g))

    def _correct(self, p: Any, labels: np.ndarray) -> int:
        """How many predictions ``p`` match the class ``labels``."""
        if self._binary and p.__class__ is np.ndarray and p.size == labels.size:
            return int(np.count_nonzero((p > self.threshold).ravel() == labels))
        return int(np.count_nonzero(self._classes(p) == labels))

    def _fail(self, vals: list[Any], epoch: int) -> None:
        """Stop on a non-finite loss, naming the first node that produced a non-finite value.

        The parameters go back to the values before the last update: the last ones whose
        loss was finite.
        """
        program = self.program
        if any(v is None for v in vals):  # values overwritten in place: computed again
            vals = program.fused.all_values(self._current_feed)
        found = program.first_nonfinite(vals)
        loss = vals[self._loss_slot]
        node_id, text = found or (self.loss_id, f"the loss is {loss}")
        broken = node_id in self.param_names
        previous = self._previous
        if previous is not None:
            for pid, slot in self._param_slots:
                self._set_source(pid, previous[slot])
            if broken:
                # The update itself made a parameter non-finite: name the gradient that
                # overflowed with the previous values, if one did.
                evaluation = program.evaluate(self._previous_feed)
                if evaluation.nonfinite is not None:
                    node_id, text = evaluation.nonfinite
                else:
                    text = (f"the {self.optimizer.name} update made {self.param_names[node_id]} "
                            "non-finite; try a smaller learning rate")
        kind = "nan" if loss != loss else ("infinite" if not math.isfinite(loss) else "finite")
        what = f"the loss became {kind}" if kind != "finite" else "a parameter became non-finite"
        raise TrainingError(f"epoch {epoch}: {what}: {text}", node_id, epoch)

    # ---- epochs --------------------------------------------------------------------------

    def run_epoch(self, stop: threading.Event | None = None) -> EpochResult:
        """Train one epoch and return its metrics. Raises TrainingError on a non-finite loss."""
        start = time.perf_counter()
        epoch = self.epoch + 1
        every = self.settings.eval_every  # accuracy, norms and test metrics this epoch?
        due = (every and epoch % every == 0) or epoch >= self.epochs
        norms = [0.0] * len(self._param_slots) if due else None
        labels = self._train_labels if due else None
        batch = self.settings.batch_size
        ds = self.dataset
        if batch is None or ds is None or batch >= ds.n_train:
            loss, correct = self._step(self._train_feed, labels, epoch, norms)
            batches = 1
        else:
            m = ds.n_train
            order = self._rng.permutation(m)
            total = 0.0
            correct = 0
            batches = 0
            x_id, y_id = self._x_id, self._y_id
            for begin in range(0, m, batch):
                if stop is not None and stop.is_set():
                    raise _Stopped
                index = order[begin:begin + batch]
                feed = {x_id: ds.take(self._X_train, index), y_id: ds.take(self._Y_train, index)}
                batch_loss, batch_correct = self._step(
                    feed, None if labels is None else labels[index], epoch, norms
                )
                total += batch_loss * len(index)
                correct += batch_correct
                batches += 1
            loss = total / m
        log = self.update_ratios
        if log is not None and log.due(epoch):
            self._record_ratios(log, epoch)
        train_acc = correct / len(labels) if labels is not None else None
        test_loss = test_acc = None
        grad_norms = {}
        if due:
            grad_norms = {
                self.param_names[pid]: n / batches
                for (pid, _), n in zip(self._param_slots, norms, strict=True)
            }
            if self._test_feed is not None:
                test_loss, test_acc = self._measure(self._test_feed, self._test_labels, epoch)
        self.epoch = epoch
        result = EpochResult(
            epoch, loss, test_loss, train_acc, test_acc, grad_norms, time.perf_counter() - start
        )
        self.history.append(result)
        return result

    def record_update_ratios(self) -> UpdateRatioLog:
        """From now on, record each parameter's update-to-data ratio (std(update) / std(W)
        of the epoch's last update) in a bounded log, :attr:`update_ratios`. It only reads
        the parameters: the trained numbers do not change."""
        self.update_ratios = UpdateRatioLog(
            [self.param_names[pid] for pid in self.param_ids], planned=self.epochs)
        return self.update_ratios

    def _record_ratios(self, log: UpdateRatioLog, epoch: int) -> None:
        previous, current = self._previous, self.program.initial
        if previous is not None:
            slots = [slot for _, slot in self._param_slots]
            log.add(epoch, update_ratios([previous[k] for k in slots],
                                         [current[k] for k in slots]))

    def _measure(
        self, feed: dict[str, Any], labels: np.ndarray | None, epoch: int
    ) -> tuple[float, float | None]:
        self._current_feed = feed
        vals = self._forward(feed, epoch)
        loss = vals[self._loss_slot]
        if not math.isfinite(loss) and not all(
            is_finite(self.program.initial[slot]) for _, slot in self._param_slots
        ):
            self._fail(vals, epoch)  # the last update broke a parameter
        acc = None
        if labels is not None:
            acc = self._correct(self._prediction(vals), labels) / len(labels)
        return float(loss), acc

    def run(
        self,
        callback: Callable[[EpochResult], Any] | None = None,
        stop: threading.Event | None = None,
        pause: threading.Event | None = None,
    ) -> list[EpochResult]:
        """Train until ``epochs``; returns this call's results.

        ``callback(result)`` runs after every epoch (in the calling thread). ``stop`` is
        checked before every epoch and between batches (a partial epoch is not reported,
        its updates are kept). While ``pause`` is set the trainer waits, polling every
        50 ms, with :attr:`paused` set; clearing ``pause`` resumes it and ``stop`` ends it.
        A second ``run`` continues where the first stopped.
        """
        results: list[EpochResult] = []
        # Non-finite values are reported by the loss check, not as NumPy warnings: one error
        # state for the whole run, so the engine's passes need not enter one each.
        with self.program.batch_mode():
            self._run(results, callback, stop, pause)
        return results

    def _run(
        self,
        results: list[EpochResult],
        callback: Callable[[EpochResult], Any] | None,
        stop: threading.Event | None,
        pause: threading.Event | None,
    ) -> None:
        try:
            while self.epoch < self.epochs:
                if pause is not None and pause.is_set():
                    self._wait(pause, stop)
                if stop is not None and stop.is_set():
                    break
                result = self.run_epoch(stop)
                results.append(result)
                if callback is not None:
                    callback(result)
        except _Stopped:
            pass
        self._check_final()

    def _wait(self, pause: threading.Event, stop: threading.Event | None) -> None:
        waiter = stop if stop is not None else threading.Event()
        self.paused.set()
        try:
            while pause.is_set() and not waiter.is_set():
                waiter.wait(PAUSE_POLL_SECONDS)
        finally:
            self.paused.clear()

    def _check_final(self) -> None:
        # The last update has not been through a forward pass yet: check it is finite.
        current = [self.program.initial[slot] for _, slot in self._param_slots]
        if all(is_finite(v) for v in current):
            return
        vals = self._forward(self._train_feed, self.epoch)
        self._fail(vals, self.epoch)

    # ---- results -------------------------------------------------------------------------

    def parameters(self) -> dict[str, Value]:
        """Current parameter values by node id (copies: the caller may keep them), as the
        graph's float64 whatever the training dtype."""
        out = {}
        for pid, slot in self._param_slots:
            value = self.program.initial[slot]
            out[pid] = value.astype(np.float64) if isinstance(value, np.ndarray) else value
        return out

    def _cast(self, value: Any) -> Any:
        """``value`` in the training dtype (arrays; numbers stay Python floats)."""
        if self.dtype == np.float64 or not isinstance(value, np.ndarray):
            return value
        return value.astype(self.dtype)

    def _set_source(self, pid: str, value: Any) -> None:
        if self._fused_step is not None:
            self._fused_step.forget()
        program = self.program
        program.set_source(pid, value)
        slot = program.slot[pid]
        program.initial[slot] = self._cast(program.initial[slot])

    def set_parameters(self, values: Mapping[str, Any]) -> None:
        """Replace parameter values in the snapshot (e.g. after a reset)."""
        for pid, value in values.items():
            if pid not in self.program.slot or pid not in self.param_names:
                raise TrainingError(f"{pid!r} is not a trained parameter")
            self._set_source(pid, value)

    def evaluate(self, split: str = "train") -> tuple[float, float | None]:
        """(loss, accuracy) of the current parameters on the whole train or test set."""
        if split == "train":
            return self._measure(self._train_feed, self._train_labels, self.epoch)
        if split != "test":
            raise TrainingError(f"split must be 'train' or 'test', got {split!r}")
        if self._test_feed is None:
            raise TrainingError("the dataset has no test samples")
        return self._measure(self._test_feed, self._test_labels, self.epoch)

    def predict(self, X: Any) -> Value:
        """The prediction node's value for inputs ``X`` (laid out like the dataset's X)."""
        if self._predict_program is None:
            raise TrainingError("there is no prediction node to evaluate")
        feed = {self._x_id: self._cast(np.asarray(X, dtype=float))} if self._x_id else {}
        return self._run_predict(feed)

    def _run_predict(self, feed: Mapping[str, Any]) -> Value:
        pp = self._predict_program
        for pid in self._predict_source_ids:
            pp.set_source(pid, self.program.initial[self.program.slot[pid]])
        feed = {k: v for k, v in feed.items() if k in pp.slot}
        try:
            vals = pp.forward(feed)
        except EvaluationError as exc:
            raise TrainingError(str(exc), exc.node_id) from None
        return vals[pp.slot[self.predict_id]]


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only copy of ``array`` that owns its memory."""
    out = np.array(array, copy=True)
    out.flags.writeable = False
    return out


def _auto_prediction(graph: Graph, loss_id: str) -> str | None:
    """The loss op's first input (its prediction), found through e.g. ``bce + l2``."""
    node = graph.node(loss_id)
    if node.op in LOSS_OPS:
        return graph.input_ids(loss_id)[0]
    losses = [i for i in graph.ancestors(loss_id) if graph.node(i).op in LOSS_OPS]
    if len(losses) == 1:
        return graph.input_ids(losses[0])[0]
    return None
