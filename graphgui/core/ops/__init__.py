"""The op registry, with every built-in op registered on import."""

from . import activations, arithmetic, functions, losses, sources, tensor  # noqa: F401  (register)
from .registry import (
    CATEGORIES,
    OpError,
    OpSpec,
    Param,
    all_ops,
    get_op,
    has_op,
    op_names,
    register,
    unregister,
)
from .sources import SOURCE_OPS

__all__ = [
    "CATEGORIES", "SOURCE_OPS", "OpError", "OpSpec", "Param", "all_ops", "get_op", "has_op",
    "op_names", "register", "unregister",
]
