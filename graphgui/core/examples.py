"""The bundled example graphs: the worked examples and exercises of the teaching notebooks.

Each example is written once below as an expression program (see docs/expression-language.md)
with a title, a short description and its chosen output. ``scripts/build_examples.py`` turns
every recipe into a graph file under ``graphgui/resources/examples/`` (parsed, laid out, saved
with :mod:`graphgui.core.fileformat`); the app and the CLI load those files through
:mod:`importlib.resources`, so they work from a wheel and from an editable install alike. A test
rebuilds every file and compares it with the committed one, so recipe and file never drift.

Inputs (data) are written ``x = -2``; weights and biases ``w = param(0.5)``; fixed numbers such as
targets ``t = const(0.8)`` (number literals inside an expression, like the 1/2 of a squared
error, are constants too). The numbers each example must produce, and the mistakes found in the
notebooks, are in docs/examples.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from .graph import Graph

RESOURCE_PACKAGE = "graphgui.resources"
RESOURCE_DIR = "examples"


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
    """How an example file is built: an expression program and its chosen output."""

    name: str
    title: str
    description: str
    source: str
    output: str

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
        title="Exercise: log(x^2 + y^2 + 1)",
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
            "paths: f'(x) = tanh(x) + x * (1 - tanh(x)^2) = 0.7616 + 0.4200 = 1.1816."
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
            "E_total = 1/2 (y1 - A3)^2 + 1/2 (y2 - A4)^2 with targets y1 = 0.01, y2 = 0.99. "
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
    ),
    ExampleRecipe(
        name="matrix_network",
        title="Matrix exercise: 2-2-1 sigmoid network with MSE",
        description=(
            "Notebook 001, final exercise 1: x = [1, 2], W1 = [[0.5, 0.3], [0.2, 0.8]], "
            "b1 = [0.1, 0.4], W2 = [[0.9, 0.7]], b2 = [0.2], sigmoid in both layers, "
            "J = mse(a2, y) = mean((a2 - y)^2) with target y = 0.8. Compute the forward pass, "
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
    recipe = _BY_NAME.get(name) if isinstance(name, str) else None
    if recipe is None:
        known = ", ".join(example_names())
        raise ExampleError(f"no bundled example named {name!r} (known: {known})")
    return recipe


def example_path(name: str) -> Traversable:
    """Where example ``name``'s file is (a ``pathlib.Path`` for wheel and editable installs)."""
    get_recipe(name)
    return resources.files(RESOURCE_PACKAGE).joinpath(RESOURCE_DIR, f"{name}.json")


def load_example(name: str) -> Graph:
    """A new Graph read from the bundled file of example ``name``."""
    from .fileformat import loads

    path = example_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExampleError(
            f"example {name!r}: the bundled file {RESOURCE_DIR}/{name}.json is missing "
            "(run scripts/build_examples.py)"
        ) from None
    return loads(text, source=f"example {name}")


def build_example(name: str) -> Graph:
    """Example ``name`` built from its recipe: parsed, laid out, title, description, output."""
    from .expr import parse

    recipe = get_recipe(name)
    graph = parse(recipe.source, output=recipe.output, title=recipe.title)
    graph.title = recipe.title
    graph.description = recipe.description
    # Whole tenths keep the files short and stable against last-digit float noise.
    for node in graph.nodes:
        graph.move(node.id, (round(node.pos[0], 1), round(node.pos[1], 1)))
    return graph


def example_text(name: str) -> str:
    """The exact text of example ``name``'s file, as the build script writes it."""
    from .fileformat import dumps

    return dumps(build_example(name))
