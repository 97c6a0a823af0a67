"""The op registry, with every built-in op registered on import."""

from . import activations, arithmetic, functions, losses, sources, tensor  # noqa: F401  (register)
from .registry import (
    CATEGORIES,
    PLACEHOLDER,
    CodeTemplate,
    OpError,
    OpSpec,
    Param,
    all_ops,
    exact,
    get_op,
    has_op,
    op_names,
    register,
    unregister,
)
from .sources import SOURCE_OPS

__all__ = [
    "CATEGORIES", "PLACEHOLDER", "SOURCE_OPS", "CodeTemplate", "OpError", "OpSpec", "Param",
    "all_ops", "exact", "get_op", "has_op", "op_names", "register", "unregister",
]
