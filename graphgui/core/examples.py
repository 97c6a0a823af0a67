"""The bundled example graphs: the worked examples and exercises of the teaching notebooks.

Each example is written once below as an expression program (see docs/expression-language.md)
with a title, a short description and its chosen output. ``scripts/build_examples.py`` turns
every recipe into a graph file under the top-level ``resources/examples/`` (parsed, laid out,
saved with :mod:`graphgui.core.fileformat`); the app and the CLI load those files through
:mod:`graphgui.core.resources` (package data ``graphgui.resources``), so they work from a wheel
and from an editable install alike. A test rebuilds every file and compares it with the
committed one, so recipe and file never drift.

Inputs (data) are written ``x = -2``; weights and biases ``w = param(0.5)``; fixed numbers such as
targets ``t = const(0.8)`` (number literals inside an expression, like the 1/2 of a squared
error, are constants too). The numbers each example must produce, and the mistakes found in the
notebooks, are in docs/examples.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np

from .graph import Graph
from .messages import did_you_mean, shown
from .resources import EXAMPLES as RESOURCE_DIR
from .resources import examples_dir


class ExampleError(ValueError):
    """An unknown example name, or a bundled file that is missing."""


@dataclass(frozen=True)
class ExampleInfo:
    """What a menu or ``graphgui examples`` shows: the file stem, title and description."""

    name: str
    title: str
    description: str


@dataclass(frozen=True)
class ExampleRecipe:
    """How an example file is built: an expression program, its chosen output and the
    function instances it opens with (``groups``: see :func:`group_named`)."""

    name: str
    title: str
    description: str
    source: str
    output: str
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def info(self) -> ExampleInfo:
        return ExampleInfo(self.name, self.title, self.description)


# In teaching order: one scalar chain rule, one neuron, the three exercises, an activation with
# fan-out, then a whole network in scalars and finally in matrices.
RECIPES: tuple[ExampleRecipe, ...] = (
    ExampleRecipe(
        name="chain_rule",
        title="Chain rule: (x + y) * z",
        description=(
            "Notebook 000, Example 1, at x = -2, y = 5, z = -4. Forward: q = x + y = 3, "
            "f = q * z = -12. Backward: the mul node sends z to q and q to z "
            "(df/dz = q = 3); the add node copies its upstream gradient to both inputs, "
            "so df/dx = df/dy = z = -4."
        ),
        source="""\
x = -2
y = 5
z = -4
q = x + y
f = q * z
""",
        output="f",
    ),
    ExampleRecipe(
        name="neuron",
        title="Sigmoid neuron: f = sigmoid(w0*x0 + w1*x1 + w2)",
        description=(
            "Notebook 000, Example 2: weights w = [2, -3, -3] (parameters, w2 is the bias), "
            "inputs x = [-1, -2]. z = 1 and f = sigmoid(1) = 0.7311. The sigmoid's local "
            "derivative f(1 - f) = 0.1966 flows back through the add nodes unchanged; each "
            "mul node multiplies it by the other factor, so df/dw0 = 0.1966 * x0 = -0.1966."
        ),
        source="""\
w0 = param(2)
x0 = -1
w1 = param(-3)
x1 = -2
w2 = param(-3)
z = w0 * x0 + w1 * x1 + w2
f = sigmoid(z)
""",
        output="f",
    ),
    ExampleRecipe(
        name="exercise_div",
        title="Exercise: (x + y) / z",
        description=(
            "Notebook 000, proposed Exercise 1, at x = 3, y = 2, z = 1. Work out f and "
            "df/dx, df/dy, df/dz by hand, then evaluate and step through the backward pass "
            "to check. Then set z closer and closer to 0: what happens to the gradients?"
        ),
        source="""\
x = 3
y = 2
z = 1
f = (x + y) / z
""",
        output="f",
    ),
    ExampleRecipe(
        name="exercise_exp_sin",
        title="Exercise: x * exp(y) + sin(z)",
        description=(
            "Notebook 000, proposed Exercise 2, at x = 1.5, y = -1, z = pi/2. Work out f and "
            "the three gradients by hand, then check them here. Which input moves f the most? "
            "(At z = pi/2 the gradient of sin is cos(pi/2), zero up to rounding.)"
        ),
        source="""\
x = 1.5
y = -1
z = 1.5707963267948966
f = x * exp(y) + sin(z)
""",
        output="f",
    ),
    ExampleRecipe(
        name="exercise_log",
        title="Exercise: log(x**2 + y**2 + 1)",
        description=(
            "Notebook 000, proposed Exercise 3, at x = 2, y = 1 (log is the natural "
            "logarithm). Work out f, df/dx and df/dy by hand, then check them here. How do "
            "the gradients behave when x and y grow large or approach zero?"
        ),
        source="""\
x = 2
y = 1
f = log(x**2 + y**2 + 1)
""",
        output="f",
    ),
    ExampleRecipe(
        name="x_tanh_x",
        title="Custom activation: f(x) = x * tanh(x)",
        description=(
            "Notebook 001, exercise 4 (it gives no point; x = 1 is our choice). x feeds the "
            "mul node twice, directly and through tanh, so its gradient is the sum of two "
            "paths: f'(x) = tanh(x) + x * (1 - tanh(x)**2) = 0.7616 + 0.4200 = 1.1816."
        ),
        source="""\
x = 1
f = x * tanh(x)
""",
        output="f",
    ),
    ExampleRecipe(
        name="network_2_2_2",
        title="Backpropagation step by step: a 2-2-2 network",
        description=(
            "Notebook 002, the backpropagation section, with its inputs, weights, biases and "
            "names: Z1 = w1*X1 + w2*X2 + b1 and Z2 = w3*X1 + w4*X2 + b2 with linear "
            "activation (A1 = Z1, A2 = Z2); Z3 = w5*A1 + w6*A2 + b3 and "
            "Z4 = w7*A1 + w8*A2 + b4 with sigmoid outputs A3, A4; "
            "E_total = 1/2 (y1 - A3)**2 + 1/2 (y2 - A4)**2 with targets y1 = 0.01, y2 = 0.99. "
            "E_total = 0.16358. A1 and A2 each feed both outputs, so their gradients add up. "
            "Note: the hidden layer is linear, so dA1/dZ1 = 1 (the notebook's code uses "
            "A1(1 - A1) there, which is wrong)."
        ),
        source="""\
X1 = 0.85
X2 = 0.5
w1 = param(0.75)
w2 = param(0.55)
w3 = param(0.05)
w4 = param(0.05)
w5 = param(0.05)
w6 = param(0.015)
w7 = param(0.85)
w8 = param(0.95)
b1 = param(0.25)
b2 = param(0.15)
b3 = param(0.15)
b4 = param(0.25)
y1 = const(0.01)
y2 = const(0.99)
Z1 = w1 * X1 + w2 * X2 + b1
Z2 = w3 * X1 + w4 * X2 + b2
A1 = linear(Z1)
A2 = linear(Z2)
Z3 = w5 * A1 + w6 * A2 + b3
A3 = sigmoid(Z3)
Z4 = w7 * A1 + w8 * A2 + b4
A4 = sigmoid(Z4)
E_1 = 0.5 * (y1 - A3)**2
E_2 = 0.5 * (y2 - A4)**2
E_total = E_1 + E_2
""",
        output="E_total",
        groups=(
            ("layer1", ("w1", "w2", "w3", "w4", "b1", "b2", "Z1", "Z2", "A1", "A2")),
            ("layer2", ("w5", "w6", "w7", "w8", "b3", "b4", "Z3", "Z4", "A3", "A4")),
            ("loss", ("y1", "y2", "E_1", "E_2", "E_total")),
        ),
    ),
    ExampleRecipe(
        name="matrix_network",
        title="Matrix exercise: 2-2-1 sigmoid network with MSE",
        description=(
            "Notebook 001, final exercise 1: x = [1, 2], W1 = [[0.5, 0.3], [0.2, 0.8]], "
            "b1 = [0.1, 0.4], W2 = [[0.9, 0.7]], b2 = [0.2], sigmoid in both layers, "
            "J = mse(a2, y) = mean((a2 - y)**2) with target y = 0.8. Compute the forward pass, "
            "the loss and dJ/dW1, dJ/db1, dJ/dW2, dJ/db2, then compare with the graph."
        ),
        source="""\
x = [1, 2]
W1 = param([[0.5, 0.3], [0.2, 0.8]])
b1 = param([0.1, 0.4])
W2 = param([[0.9, 0.7]])
b2 = param([0.2])
y = const(0.8)
z1 = W1 @ x + b1
a1 = sigmoid(z1)
z2 = W2 @ a1 + b2
a2 = sigmoid(z2)
J = mse(a2, y)
""",
        output="J",
        groups=(("layer1", ("W1", "b1", "z1", "a1")), ("layer2", ("W2", "b2", "z2", "a2")),
                ("loss", ("y", "J"))),
    ),
)

_BY_NAME = {recipe.name: recipe for recipe in RECIPES}


def list_examples() -> list[ExampleInfo]:
    """Every bundled example, in teaching order."""
    return [recipe.info for recipe in RECIPES]


def example_names() -> list[str]:
    return [recipe.name for recipe in RECIPES]


def get_recipe(name: str) -> ExampleRecipe:
    """The recipe of example ``name``; raises :class:`ExampleError` naming the known ones."""
    return _lookup(_BY_NAME, name, "bundled example")


def _lookup(table: dict[str, Any], name: str, what: str) -> Any:
    recipe = table.get(name) if isinstance(name, str) else None
    if recipe is None:
        hint = did_you_mean(name, table) or f" (known: {', '.join(table)})"
        raise ExampleError(f"no {what} named {shown(name)}{hint}")
    return recipe


def example_path(name: str) -> Traversable:
    """Where example ``name``'s file is (a ``pathlib.Path`` for wheel and editable installs).
    Training examples are in the ``training`` subfolder."""
    if _is_training(name):
        return examples_dir().joinpath(TRAINING_DIR, f"{name}.json")
    _known_name(name)
    return examples_dir().joinpath(f"{name}.json")


def load_example(name: str) -> Graph:
    """A new Graph read from the bundled file of example ``name`` (either kind)."""
    return load_example_document(name)[0]


def build_example(name: str) -> Graph:
    """Example ``name`` built from its recipe: parsed, laid out, title, description, output."""
    from .expr import parse

    recipe = get_recipe(name)
    graph = parse(recipe.source, output=recipe.output, title=recipe.title)
    graph.title = recipe.title
    graph.description = recipe.description
    for function, names in recipe.groups:
        group_named(graph, function, names)
    if recipe.groups:  # laid out as it opens: each closed layer one place
        from .layout import apply_layout, layered_layout

        apply_layout(graph, layered_layout(graph))
    # Whole tenths keep the files short and stable against last-digit float noise.
    for node in graph.nodes:
        graph.move(node.id, (round(node.pos[0], 1), round(node.pos[1], 1)))
    return graph


def group_named(graph: Graph, function: str, names: tuple[str, ...]) -> None:
    """Make the nodes ``names`` one collapsed instance of a new function ``function``,
    together with the unnamed nodes that feed only them (the products and sums inside an
    expression, its number literals): ``Z1 = w1 * X1 + w2 * X2 + b1`` listed as w1, w2, b1,
    Z1 brings its two products and the partial sum along; X1 and X2, not listed, become
    the function's inputs."""
    from .functions.grouping import apply_plan, plan_group

    members = {graph.lookup(name).id for name in names}
    for nid in reversed(graph.topological_order()):  # consumers before what they consume
        users = graph.consumers(nid)
        if (graph.node(nid).name is None and users
                and all(edge.dst in members for edge in users)):
            members.add(nid)
    apply_plan(graph, plan_group(graph, members, function))


def example_text(name: str) -> str:
    """The exact text of example ``name``'s file, as the build script writes it."""
    from .fileformat import dumps

    if _is_training(name):
        return dumps(*build_training_example(name))
    return dumps(build_example(name))


# ---- training examples -----------------------------------------------------------------------
#
# Networks to train, each saved with its training settings (the file's ``settings`` object:
# ``{"training": TrainSettings, "initializer": {...}}``, see docs/training.md). They live in
# ``examples/training/`` so the catalogue of worked examples above (and its tests) stays as it
# is; :func:`load_example` and :func:`load_example_document` read both kinds.

TRAINING_DIR = "training"
# The notebook's network: weights normal * 0.01, biases 0 (the "Reset parameters" default).
NOTEBOOK_INIT: dict[str, Any] = {"weights": {"kind": "normal", "scale": 0.01},
                                 "biases": "zeros", "seed": 0}
MOONS: dict[str, Any] = {"kind": "moons", "n": 200, "noise": 0.2, "seed": 42,
                         "test_size": 0.3, "split_seed": 42}


@dataclass(frozen=True)
class TrainingRecipe:
    """A trainable example: ``build()`` makes the graph (X and Y may hold placeholders: the
    build fills them with the training split), ``training`` the TrainSettings dict."""

    name: str
    title: str
    description: str
    build: Callable[[], Graph]
    training: dict[str, Any]
    initializer: dict[str, Any] = field(default_factory=lambda: dict(NOTEBOOK_INIT))

    @property
    def info(self) -> ExampleInfo:
        return ExampleInfo(self.name, self.title, self.description)


def _mlp(sizes: list[int], hidden: str, output: str | None, loss: str,
         weights: dict[str, Any] | None = None, seed: int = 0) -> Callable[[], Graph]:
    def build() -> Graph:
        from .train import mlp_graph

        return mlp_graph(sizes, hidden=hidden, output=output, loss=loss, weight_init=weights,
                         seed=seed)

    return build


def _x_squared() -> Graph:
    from .expr import parse

    return parse("x = param(5)\nf = x**2\n", output="f")


def _deep_pair() -> Graph:
    """Two 5-layer networks on the same X and Y, trained together: L = L_s + L_r. The sum
    keeps them independent (each loss only reaches its own parameters), so one run shows
    both gradient profiles side by side."""
    from .initializers import make_rng
    from .train import add_layers

    sizes = [2, 8, 8, 8, 8, 1]
    rng = make_rng(0)
    g = Graph()
    X = g.add_node("input", name="X", value=np.zeros((2, 1)))
    Y = g.add_node("input", name="Y", value=np.zeros((1, 1)))
    losses = []
    for tag, act, init in (("s", "sigmoid", {"kind": "xavier"}), ("r", "relu", {"kind": "he"})):
        a = add_layers(g, X.id, sizes, act, "sigmoid", init, rng, suffix=tag, functions=True)
        loss = g.add_node("bce", name=f"L_{tag}")
        g.connect(a, loss.id, 0)
        g.connect(Y.id, loss.id, 1)
        losses.append(loss.id)
    total = g.add_node("add", name="L")
    g.connect(losses[0], total.id, 0)
    g.connect(losses[1], total.id, 1)
    g.set_output(total.id)
    return g


def _training(**kw: Any) -> dict[str, Any]:
    from .train import TrainSettings

    settings = TrainSettings(**kw)
    settings.validate()
    return settings.to_dict()


TRAINING_RECIPES: tuple[TrainingRecipe, ...] = (
    TrainingRecipe(
        name="moons_network",
        title="Two moons: the notebook's 2-4-1 sigmoid network",
        description=(
            "Notebook 001's SimpleNeuralNetwork on make_moons(200, noise 0.2, random_state 42) "
            "split 70/30 (random_state 42): Z1 = W1 @ X + b1, A1 = sigmoid(Z1), "
            "Z2 = W2 @ A1 + b2, A2 = sigmoid(Z2), binary cross-entropy, plain gradient "
            "descent with lr 0.1 for 10,000 epochs, weights normal * 0.01 (seed 0), biases 0. "
            "Training ends near loss 0.33 and 83% test accuracy, the notebook's result."
        ),
        build=_mlp([2, 4, 1], "sigmoid", "sigmoid", "bce"),
        training=_training(dataset=MOONS, optimizer="sgd", lr=0.1, epochs=10_000,
                           eval_every=10),
    ),
    TrainingRecipe(
        name="moons_tanh",
        title="Two moons with a tanh hidden layer",
        description=(
            "The moons network with tanh in the hidden layer (sigmoid output, BCE, lr 0.1, "
            "10,000 epochs, same data and initial weights). tanh is centred on 0 and its "
            "slope at 0 is 1 instead of 1/4: the loss falls much further (about 0.07 instead "
            "of 0.33) and the boundary bends around the moons (about 95% test accuracy)."
        ),
        build=_mlp([2, 4, 1], "tanh", "sigmoid", "bce"),
        training=_training(dataset=MOONS, optimizer="sgd", lr=0.1, epochs=10_000,
                           eval_every=10),
    ),
    TrainingRecipe(
        name="moons_l2",
        title="Two moons with an L2 penalty",
        description=(
            "The moons network trained with weight decay on W1 and W2 (not the biases): "
            "l2 = 0.01, i.e. the notebook's exercise lambda / m with lambda = 1.4 and m = 140. "
            "Each update adds l2 * W to the gradient; compare the final weights and the "
            "smoother boundary with the plain network."
        ),
        build=_mlp([2, 4, 1], "sigmoid", "sigmoid", "bce"),
        training=_training(dataset=MOONS, optimizer="sgd", lr=0.1, epochs=10_000, l2=0.01,
                           eval_every=10),
    ),
    TrainingRecipe(
        name="moons_sgd",
        title="Two moons with stochastic gradient descent",
        description=(
            "The moons network with batch size 1: every epoch visits the 140 training points "
            "one at a time in a shuffled order (seed 0), so one epoch makes 140 small updates "
            "instead of one. 200 epochs at lr 0.1 get further than 10,000 full-batch epochs, "
            "with a noisier loss curve."
        ),
        build=_mlp([2, 4, 1], "sigmoid", "sigmoid", "bce"),
        training=_training(dataset=MOONS, optimizer="sgd", lr=0.1, epochs=200, batch_size=1),
    ),
    TrainingRecipe(
        name="sin_regression",
        title="Regression: fit y = sin(x)",
        description=(
            "Notebook 001, exercise 4: 100 points y = sin(x) on [-pi, pi] (80 train, 20 test), "
            "a 1-16-1 network with a tanh hidden layer and a linear output (no activation), "
            "mean squared error, Adam with lr 0.01 for 2,000 epochs, Xavier weights. The fit "
            "plot shows the data, sin(x) and the network's prediction."
        ),
        build=_mlp([1, 16, 1], "tanh", None, "mse", weights={"kind": "xavier"}),
        training=_training(dataset={"kind": "sin", "n": 100, "test_size": 0.2, "seed": 0},
                           optimizer="adam", lr=0.01, epochs=2000, eval_every=10),
        initializer={"weights": {"kind": "xavier"}, "biases": "zeros", "seed": 0},
    ),
    TrainingRecipe(
        name="ising_phases",
        title="Ising model: ordered or disordered phase",
        description=(
            "Notebook 001's toy Ising classifier: 4x4 spin grids (16 inputs, +1/-1), mostly "
            "aligned (ordered, label 0) or random (disordered, label 1), 800 for training and "
            "200 for test; 16-8-1 sigmoid network, BCE, lr 0.05, 5,000 epochs as in the "
            "notebook. The mean spin tells the phases apart: about 98% test accuracy."
        ),
        build=_mlp([16, 8, 1], "sigmoid", "sigmoid", "bce"),
        training=_training(dataset={"kind": "ising", "seed": 0}, optimizer="sgd", lr=0.05,
                           epochs=5000, eval_every=10),
    ),
    TrainingRecipe(
        name="gradient_descent_x2",
        title="Gradient descent on f(x) = x**2",
        description=(
            "No data: the trainer minimises the graph's output itself, one gradient step per "
            "epoch. From x = 5 with alpha 0.1 each step is x <- x - 0.1 * 2x = 0.8 x, so after "
            "k steps x = 5 * 0.8**k and f = 25 * 0.64**k (after 30 steps x = 0.0062). Try "
            "alpha 1.0 (it oscillates) and 1.1 (it diverges)."
        ),
        build=_x_squared,
        training=_training(dataset=None, optimizer="sgd", lr=0.1, epochs=30),
        initializer={"weights": {"kind": "constant", "value": 5.0}, "biases": "zeros",
                     "seed": 0},
    ),
    TrainingRecipe(
        name="vanishing_gradients",
        title="Vanishing gradients: 5 sigmoid layers vs 5 ReLU layers",
        description=(
            "Notebook 001, exercise 2, trained: two 2-8-8-8-8-1 networks on the moons, one "
            "with sigmoid hidden layers (Xavier weights), one with ReLU (He weights), both with "
            "a sigmoid output and BCE; L = L_s + L_r trains them side by side, lr 0.5, 150 "
            "epochs. Each sigmoid layer multiplies the gradient by at most 1/4: W1s starts "
            "with a gradient over 100 times smaller than W5s (Gradient Norms), and in the "
            "Health dock the sigmoid layers' gradients shrink towards the input while the "
            "ReLU layers' stay level. The ReLU net learns the moons (L_r 0.65 to 0.12); the "
            "sigmoid net stays on its plateau (L_s = 0.693, update-to-data ratios under "
            "2e-4) until about epoch 1,000."
        ),
        build=_deep_pair,
        training=_training(dataset=MOONS, optimizer="sgd", lr=0.5, epochs=150,
                           predict="A5r"),
        initializer={"weights": {"kind": "xavier"}, "biases": "zeros", "seed": 0},
    ),
)

_TRAINING_BY_NAME = {recipe.name: recipe for recipe in TRAINING_RECIPES}


def list_training_examples() -> list[ExampleInfo]:
    """The bundled training examples (networks with data and settings), in teaching order."""
    return [recipe.info for recipe in TRAINING_RECIPES]


def training_example_names() -> list[str]:
    return [recipe.name for recipe in TRAINING_RECIPES]


def get_training_recipe(name: str) -> TrainingRecipe:
    return _lookup(_TRAINING_BY_NAME, name, "training example")


TRAINING_COLUMN_GAP = 250.0

def build_training_example(name: str) -> tuple[Graph, dict[str, Any]]:
    """Training example ``name`` from its recipe: the graph (X and Y hold the training split,
    so the canvas shows the shapes; laid out) and the file's settings object."""
    from .datasets import make_dataset
    from .layout import before_readers, layered_layout

    recipe = get_training_recipe(name)
    graph = recipe.build()
    graph.title = recipe.title
    graph.description = recipe.description
    spec = recipe.training.get("dataset")
    if spec is not None:
        data = make_dataset(spec)
        inputs = recipe.training.get("inputs") or {"X": "X", "Y": "Y"}
        graph.set_value(graph.find(inputs["X"]).id, data.X_train)
        graph.set_value(graph.find(inputs["Y"]).id, data.Y_train)
    # Room between columns for a compact label ("[1x140] |0.0008077|") beside the nodes.
    positions = layered_layout(graph, x_gap=TRAINING_COLUMN_GAP)
    labels = graph.find((recipe.training.get("inputs") or {}).get("Y", "Y"))
    if labels is not None:  # the labels beside the losses, not across the whole network
        positions.update(before_readers(graph, labels.id, positions, TRAINING_COLUMN_GAP))
    for nid, pos in positions.items():
        graph.move(nid, (round(pos[0], 1), round(pos[1], 1)))
    settings = {"training": dict(recipe.training), "initializer": dict(recipe.initializer)}
    return graph, settings


def _is_training(name: str) -> bool:
    return isinstance(name, str) and name in _TRAINING_BY_NAME


def _known_name(name: str) -> None:
    if not _is_training(name):
        _lookup({**_BY_NAME, **_TRAINING_BY_NAME}, name, "bundled example")


def load_example_document(name: str) -> tuple[Graph, dict[str, Any] | None]:
    """(Graph, settings) read from the bundled file of example ``name``; the settings are
    None for the worked examples, which carry none."""
    from .fileformat import read_document

    _known_name(name)
    path = example_path(name)
    folder = f"{RESOURCE_DIR}/{TRAINING_DIR}" if _is_training(name) else RESOURCE_DIR
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExampleError(
            f"example {name!r}: the bundled file {folder}/{name}.json is missing "
            "(run scripts/build_examples.py)"
        ) from None
    document = read_document(text, source=f"example {name}")
    return document.graph, document.settings
