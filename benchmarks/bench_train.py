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
accuracy and gradient norms the Trainer reports every epoch. A second figure with
eval_every=1 (the GUI's default: test loss and accuracy after every epoch) is printed for
information. Times are the best of the interleaved rounds; ratios come from the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
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
    seconds = time.perf_counter() - start
    predictions = (net.forward_pass(X_test.T) > 0.5).astype(int)
    accuracy = float(np.mean(predictions == y_test.reshape(1, -1)))
    return {"seconds": seconds, "final_loss": float(losses[-1]), "test_accuracy": accuracy}


def run_graphgui(n: int, hidden: int, epochs: int, seed: int, eval_every: int = 0) -> dict:
    dataset = make_dataset({"kind": "moons", "n": n, "noise": 0.2, "seed": 42,
                            "test_size": 0.3, "split_seed": 42})
    graph = mlp_graph([2, hidden, 1], hidden="sigmoid", output="sigmoid", loss="bce", seed=seed)
    trainer = Trainer(graph, dataset=dataset, optimizer="sgd", lr=0.1, epochs=epochs,
                      eval_every=eval_every)
    gc.collect()
    start = time.perf_counter()
    results = trainer.run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "final_loss": results[-1].train_loss,
            "test_accuracy": results[-1].test_accuracy}


def compare(name: str, n: int, hidden: int, epochs: int, rounds: int, seed: int,
            target: float) -> dict:
    best: dict[str, dict] = {}
    for _ in range(rounds):
        # Interleaved, so a busy moment on the machine hits both sides alike.
        for side, fn in (
            ("notebook", lambda: run_notebook(n, hidden, epochs, seed)),
            ("graphgui", lambda: run_graphgui(n, hidden, epochs, seed, 0)),
            ("graphgui_eval_every_1", lambda: run_graphgui(n, hidden, epochs, seed, 1)),
        ):
            result = fn()
            if side not in best or result["seconds"] < best[side]["seconds"]:
                best[side] = result
    ratio = best["graphgui"]["seconds"] / best["notebook"]["seconds"]
    ratio_eval = best["graphgui_eval_every_1"]["seconds"] / best["notebook"]["seconds"]
    return {"case": name, "samples": n, "hidden": hidden, "epochs": epochs, "rounds": rounds,
            "target": target, "ratio": ratio, "ratio_eval_every_1": ratio_eval, **{
                f"{side}_{key}": value for side, result in best.items()
                for key, value in result.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    cases = [
        ("moons 2-4-1", 200, 4, 2000 if args.quick else 10_000, 1.0),
        ("hidden 256, 20k samples", 20_000, 256, 5 if args.quick else 40, 1.1),
    ]
    rows = [compare(name, n, h, e, rounds, args.seed, target) for name, n, h, e, target in cases]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    for r in rows:
        ok = "ok" if r["ratio"] <= r["target"] else "MISSED"
        print(f"{r['case']}: {r['epochs']} epochs, best of {r['rounds']}")
        print(f"  notebook loop   {r['notebook_seconds']:8.3f} s   final loss "
              f"{r['notebook_final_loss']:.4f}   test accuracy {r['notebook_test_accuracy']:.1%}")
        print(f"  graphgui        {r['graphgui_seconds']:8.3f} s   final loss "
              f"{r['graphgui_final_loss']:.4f}   test accuracy {r['graphgui_test_accuracy']:.1%}")
        print(f"  ratio {r['ratio']:.2f}x (target <= {r['target']}x: {ok}); with test metrics "
              f"every epoch {r['ratio_eval_every_1']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
