"""Training speed: graphgui's Trainer against the notebook's hand-written NumPy loop.

    python benchmarks/bench_train.py            # both cases, 3 interleaved rounds
    python benchmarks/bench_train.py --quick    # fewer epochs, one round
    python benchmarks/bench_train.py --json

Case "moons": the notebook's network exactly (2-4-1, sigmoid hidden and output, binary
cross-entropy, lr 0.1, 10,000 epochs, weights randn * 0.01, biases 0, make_moons(200, noise
0.2, random_state=42), train_test_split(test_size=0.3, random_state=42)). Both sides start
from the same weights (np.random.seed(seed) before the notebook's constructor; the same
RandomState for graphgui's initializer), so their losses agree to rounding.
Case "wide": hidden 256 on 20,000 samples (14,000 training), fewer epochs.

The graphgui side runs with eval_every=0 (test metrics only after the last epoch): the same
work as the notebook's loop, which computes the training loss every epoch, plus the train
accuracy and gradient norms the Trainer reports on its last epoch. Every side's time
includes its test accuracy after the last epoch (the Trainer's run computes it; before
2026-12-01 night the notebook's and tuned sides computed theirs outside the timer, which
at hidden 256 left graphgui ~70 ms of fresh-memory page faults for the test set to pay
alone). A second figure with
eval_every=1 (the GUI's default: test loss and accuracy after every epoch) is printed for
information.

A third side, "tuned", is the same training written for speed by hand (issue 13's
yardstick): ``np.dot`` then ``+= b`` (matmul and bias add in one buffer), the sigmoid in
place, ``dZ2 = A2 - Y`` (sigmoid and BCE fused), sigmoid' from the stored activation in
place, updates in place; the loss every epoch, as the notebook. It starts from the
notebook's weights, so its final loss agrees with the other two to rounding (checked).
Rounds are interleaved (notebook, tuned, graphgui, ...) and the figures are the medians
over rounds; ratios come from the same run. ``--dtype float32`` trains graphgui in float32.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time

import numpy as np
from _notebook import SimpleNeuralNetwork
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from graphgui.core.datasets import make_dataset
from graphgui.core.train import Trainer, mlp_graph

# ---- the two sides ---------------------------------------------------------------------------


def run_notebook(n: int, hidden: int, epochs: int, seed: int) -> dict:
    X, y = make_moons(n_samples=n, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    X_train_t = X_train.T
    y_train_t = y_train.reshape(1, -1)
    np.random.seed(seed)
    net = SimpleNeuralNetwork(input_size=2, hidden_size=hidden, output_size=1)
    gc.collect()
    start = time.perf_counter()
    losses = net.train(X_train_t, y_train_t, epochs=epochs, learning_rate=0.1)
    predictions = (net.forward_pass(X_test.T) > 0.5).astype(int)
    accuracy = float(np.mean(predictions == y_test.reshape(1, -1)))
    seconds = time.perf_counter() - start  # with the test accuracy, as the Trainer's run
    return {"seconds": seconds, "final_loss": float(losses[-1]), "test_accuracy": accuracy}


def tuned_train(X, Y, W1, b1, W2, b2, lr: float, epochs: int,
                times: list[float] | None = None, hidden: str = "sigmoid") -> list[float]:
    """The notebook's training loop written for speed (see the module docstring);
    ``times`` gets each epoch's seconds. ``hidden`` "tanh" or "relu": that hidden layer
    (in place as well; its derivative from the stored activation)."""
    if hidden != "sigmoid":
        return _tuned_other(X, Y, W1, b1, W2, b2, lr, epochs, times, hidden)
    m = Y.shape[1]
    Yc = 1.0 - Y
    losses = []
    clock = time.perf_counter
    for _ in range(epochs):
        if times is not None:
            times.append(clock())
        A1 = np.dot(W1, X)
        A1 += b1
        np.negative(A1, out=A1)
        np.exp(A1, out=A1)
        A1 += 1.0
        np.reciprocal(A1, out=A1)
        A2 = np.dot(W2, A1)
        A2 += b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)
        A2 += 1.0
        np.reciprocal(A2, out=A2)
        losses.append(-float((Y * np.log(A2) + Yc * np.log(1.0 - A2)).sum()) / m)
        dZ2 = A2 - Y
        dZ2 *= 1.0 / m
        dW2 = np.dot(dZ2, A1.T)
        db2 = dZ2.sum(axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2)
        dZ1 *= A1
        A1 -= 1.0
        dZ1 *= A1  # times (A1 - 1): the sign is turned in the update of W1 and b1
        dW1 = np.dot(dZ1, X.T)
        db1 = dZ1.sum(axis=1, keepdims=True)
        dW1 *= lr
        W1 += dW1
        db1 *= lr
        b1 += db1
        dW2 *= lr
        W2 -= dW2
        db2 *= lr
        b2 -= db2
    if times is not None:
        times.append(clock())
        times[:] = [b - a for a, b in zip(times, times[1:], strict=False)]
    return losses


def _tuned_other(X, Y, W1, b1, W2, b2, lr, epochs, times, hidden: str) -> list[float]:
    """tuned_train with a tanh or ReLU hidden layer (sigmoid output, BCE)."""
    m = Y.shape[1]
    Yc = 1.0 - Y
    losses = []
    clock = time.perf_counter
    for _ in range(epochs):
        if times is not None:
            times.append(clock())
        A1 = np.dot(W1, X)
        A1 += b1
        if hidden == "tanh":
            np.tanh(A1, out=A1)
        else:
            np.maximum(A1, 0.0, out=A1)
        A2 = np.dot(W2, A1)
        A2 += b2
        np.negative(A2, out=A2)
        np.exp(A2, out=A2)
        A2 += 1.0
        np.reciprocal(A2, out=A2)
        losses.append(-float((Y * np.log(A2) + Yc * np.log(1.0 - A2)).sum()) / m)
        dZ2 = A2 - Y
        dZ2 *= 1.0 / m
        dW2 = np.dot(dZ2, A1.T)
        db2 = dZ2.sum(axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2)
        if hidden == "tanh":  # times 1 - A1^2, in A1's memory
            A1 *= A1
            np.subtract(1.0, A1, out=A1)
            dZ1 *= A1
        else:
            dZ1 *= A1 > 0.0
        dW1 = np.dot(dZ1, X.T)
        db1 = dZ1.sum(axis=1, keepdims=True)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            g *= lr
            w -= g
    if times is not None:
        times.append(clock())
        times[:] = [b - a for a, b in zip(times, times[1:], strict=False)]
    return losses


def run_tuned(n: int, hidden: int, epochs: int, seed: int, activation: str = "sigmoid") -> dict:
    X, y = make_moons(n_samples=n, noise=0.2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
    X_t = np.ascontiguousarray(X_train.T)
    Y_t = y_train.reshape(1, -1).astype(float)
    np.random.seed(seed)
    net = SimpleNeuralNetwork(input_size=2, hidden_size=hidden, output_size=1)
    W1, b1, W2, b2 = net.W1, net.b1, net.W2, net.b2
    gc.collect()
    times: list[float] = []
    start = time.perf_counter()
    losses = tuned_train(X_t, Y_t, W1, b1, W2, b2, 0.1, epochs, times, activation)
    net.W1, net.b1, net.W2, net.b2 = W1, b1, W2, b2
    if activation == "sigmoid":
        predictions = (net.forward_pass(X_test.T) > 0.5).astype(int)
    else:
        Z1 = W1 @ X_test.T + b1
        A1 = np.tanh(Z1) if activation == "tanh" else np.maximum(Z1, 0.0)
        predictions = (W2 @ A1 + b2 > 0.0).astype(int)  # sigmoid(z) > 0.5
    accuracy = float(np.mean(predictions == y_test.reshape(1, -1)))
    seconds = time.perf_counter() - start  # with the test accuracy, as the Trainer's run
    return {"seconds": seconds, "final_loss": losses[-1], "test_accuracy": accuracy,
            "median_epoch": statistics.median(times)}


def run_graphgui(n: int, hidden: int, epochs: int, seed: int, eval_every: int = 0,
                 dtype: str = "float64", activation: str = "sigmoid") -> dict:
    dataset = make_dataset({"kind": "moons", "n": n, "noise": 0.2, "seed": 42,
                            "test_size": 0.3, "split_seed": 42})
    graph = mlp_graph([2, hidden, 1], hidden=activation, output="sigmoid", loss="bce",
                      seed=seed)
    extra = {} if dtype == "float64" else {"dtype": dtype}
    trainer = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.1, epochs=epochs,
                      eval_every=eval_every, **extra)
    gc.collect()
    start = time.perf_counter()
    results = trainer.run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "final_loss": results[-1].train_loss,
            "test_accuracy": results[-1].test_accuracy,
            "median_epoch": statistics.median(r.seconds for r in results)}


def _interleaved(sides: list, rounds: int) -> tuple[dict, dict, float]:
    """Every side's runs (rounds taking turns, so a busy moment on the machine hits all
    sides alike), each side's median run by seconds, and the load average over them."""
    runs: dict[str, list[dict]] = {side: [] for side, _ in sides}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for side, fn in sides:
            runs[side].append(fn())
    median = {side: sorted(rs, key=lambda r: r["seconds"])[len(rs) // 2]
              for side, rs in runs.items()}
    return runs, median, (load + os.getloadavg()[0]) / 2


def compare(name: str, n: int, hidden: int, epochs: int, rounds: int, seed: int,
            target: float, dtype: str = "float64", eval_every_1: bool = True) -> dict:
    sides = [
        ("notebook", lambda: run_notebook(n, hidden, epochs, seed)),
        ("tuned", lambda: run_tuned(n, hidden, epochs, seed)),
        ("graphgui", lambda: run_graphgui(n, hidden, epochs, seed, 0)),
    ]
    if dtype != "float64":
        sides.append(("graphgui_" + dtype,
                      lambda: run_graphgui(n, hidden, epochs, seed, 0, dtype)))
    if eval_every_1:
        sides.append(("graphgui_eval_every_1", lambda: run_graphgui(n, hidden, epochs, seed, 1)))
    runs, median, load = _interleaved(sides, rounds)
    loss = median["notebook"]["final_loss"]
    for side in ("tuned", "graphgui"):
        assert abs(median[side]["final_loss"] - loss) < 1e-9, (side, median[side], loss)
    seconds = {side: r["seconds"] for side, r in median.items()}
    row = {"case": name, "samples": n, "hidden": hidden, "epochs": epochs, "rounds": rounds,
           "target": target, "load_average": load,
           "ratio": seconds["graphgui"] / seconds["notebook"],
           "ratio_vs_tuned": seconds["graphgui"] / seconds["tuned"],
           "tuned_vs_notebook": seconds["tuned"] / seconds["notebook"],
           **{f"{side}_{key}": value for side, result in median.items()
              for key, value in result.items()}}
    if eval_every_1:
        row["ratio_eval_every_1"] = seconds["graphgui_eval_every_1"] / seconds["notebook"]
    # Steady state: the median epoch of each run, medians over rounds (the whole runs above
    # include graphgui's test metrics after the last epoch and every side's first epoch,
    # whose new arrays cost page faults)
    epoch = {side: statistics.median(r["median_epoch"] for r in rs)
             for side, rs in runs.items() if "median_epoch" in rs[0]}
    row["median_epoch_ms"] = {side: 1e3 * e for side, e in epoch.items()}
    row["epoch_ratio_vs_tuned"] = epoch["graphgui"] / epoch["tuned"]
    if dtype != "float64":
        row[f"{dtype}_vs_float64"] = seconds["graphgui_" + dtype] / seconds["graphgui"]
        row[f"{dtype}_vs_float64_epoch"] = epoch["graphgui_" + dtype] / epoch["graphgui"]
    return row


def compare_activation(n: int, hidden: int, epochs: int, rounds: int, seed: int,
                       activation: str) -> dict:
    """A tanh or ReLU hidden layer: graphgui against tuned NumPy only (the notebook's
    network is sigmoid's). Whole runs and median epochs, interleaved rounds."""
    sides = [("tuned", lambda: run_tuned(n, hidden, epochs, seed, activation)),
             ("graphgui", lambda: run_graphgui(n, hidden, epochs, seed, 0,
                                               activation=activation))]
    runs, median, load = _interleaved(sides, rounds)
    assert abs(median["graphgui"]["final_loss"] - median["tuned"]["final_loss"]) < 1e-9, median
    epoch = {side: statistics.median(r["median_epoch"] for r in rs) for side, rs in runs.items()}
    return {"case": f"hidden {activation} {hidden}, {n} samples", "activation": activation,
            "samples": n, "hidden": hidden, "epochs": epochs, "rounds": rounds,
            "load_average": load,
            "ratio_vs_tuned": median["graphgui"]["seconds"] / median["tuned"]["seconds"],
            "epoch_ratio_vs_tuned": epoch["graphgui"] / epoch["tuned"],
            "median_epoch_ms": {side: 1e3 * e for side, e in epoch.items()},
            **{f"{side}_{key}": value for side, result in median.items()
               for key, value in result.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="also train graphgui in this dtype (float32: the ratio to float64)")
    parser.add_argument("--no-eval-every-1", action="store_true",
                        help="skip the eval_every=1 side (faster)")
    parser.add_argument("--case", choices=("moons", "wide", "both"), default="both")
    parser.add_argument("--hidden-activation", choices=("tanh", "relu"),
                        help="instead: that hidden layer against tuned NumPy (no notebook side)")
    args = parser.parse_args(argv)
    if args.hidden_activation:
        return _activation_main(args)
    rounds = 1 if args.quick else args.rounds
    cases = [
        ("moons 2-4-1", 200, 4, 2000 if args.quick else 10_000, 1.0),
        ("hidden 256, 20k samples", 20_000, 256, 5 if args.quick else 40, 1.0),
    ]
    if args.case != "both":
        cases = cases[:1] if args.case == "moons" else cases[1:]
    rows = [compare(name, n, h, e, rounds, args.seed, target, args.dtype,
                    not args.no_eval_every_1) for name, n, h, e, target in cases]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    for r in rows:
        ok = "ok" if r["ratio_vs_tuned"] <= r["target"] else "MISSED"
        print(f"{r['case']}: {r['epochs']} epochs, median of {r['rounds']} interleaved rounds, "
              f"load average {r['load_average']:.1f}")
        for side in ("notebook", "tuned", "graphgui", "graphgui_float32"):
            if f"{side}_seconds" in r:
                print(f"  {side:16s} {r[side + '_seconds']:8.3f} s   final loss "
                      f"{r[side + '_final_loss']:.6f}   test accuracy "
                      f"{r[side + '_test_accuracy']:.1%}")
        print(f"  graphgui / tuned {r['ratio_vs_tuned']:.2f}x (target <= {r['target']}x: {ok}); "
              f"/ notebook {r['ratio']:.2f}x; tuned / notebook {r['tuned_vs_notebook']:.2f}x")
        e = r["median_epoch_ms"]
        print(f"  median epoch: tuned {e['tuned']:.3f} ms, graphgui {e['graphgui']:.3f} ms: "
              f"{r['epoch_ratio_vs_tuned']:.2f}x"
              + (f"; float32 / float64 {r['float32_vs_float64_epoch']:.2f}x"
                 if "float32_vs_float64_epoch" in r else ""))
        if "ratio_eval_every_1" in r:
            print(f"  with test metrics every epoch {r['ratio_eval_every_1']:.2f}x of notebook")
        if "float32_vs_float64" in r:
            print(f"  float32 / float64 {r['float32_vs_float64']:.2f}x (target <= 0.6x)")
    return 0


def _activation_main(args: argparse.Namespace) -> int:
    rounds = 1 if args.quick else args.rounds
    cases = [(200, 4, 2000 if args.quick else 10_000), (20_000, 256, 5 if args.quick else 40)]
    if args.case != "both":
        cases = cases[:1] if args.case == "moons" else cases[1:]
    rows = [compare_activation(n, h, e, rounds, args.seed, args.hidden_activation)
            for n, h, e in cases]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    for r in rows:
        e = r["median_epoch_ms"]
        print(f"{r['case']}: {r['epochs']} epochs, median of {r['rounds']} interleaved rounds, "
              f"load average {r['load_average']:.1f}")
        print(f"  tuned {r['tuned_seconds']:.3f} s, graphgui {r['graphgui_seconds']:.3f} s: "
              f"{r['ratio_vs_tuned']:.2f}x; median epoch {e['tuned']:.3f} / "
              f"{e['graphgui']:.3f} ms: {r['epoch_ratio_vs_tuned']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
