"""Python identifiers for the nodes: their labels, changed only where a label would clash.

A node is called in the code what every text calls it (its label: ``q``, ``add2``), except
where that word is taken by the code itself (``np``, ``forward``, a helper function such as
``log_softmax``, a builtin the code calls) or starts with ``d_``, the prefix of the
gradients (``d_q`` is dq). Such a node gets ``<label>_1`` (or ``n_<label>``), unique among
all labels.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping
from itertools import chain, count

from ..ops import all_ops

# What the generated modules define or call (functions, modules, locals of main and the
# training loop that read node variables).
CODE_NAMES = frozenset({
    "np", "json", "sys", "torch", "nn", "F", "forward", "backward", "loss_backward", "main",
    "train", "load_data", "to_json", "accuracy", "stored_parameters", "stored_inputs",
    "grad_of", "Model", "model", "values", "grads", "output", "inputs", "self", "super",
    # builtins the generated code calls
    "float", "int", "print", "range", "len", "dict", "max", "min", "isinstance", "str",
    "list", "tuple", "zip", "sorted", "enumerate", "None", "True", "False",
})
# nn.Module's own attributes: a parameter or buffer called so would replace one
# (tests/core/test_codegen_torch.py compares this list with dir(nn.Module)).
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
    "named_modules", "named_parameters", "parameters", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad",
})
_DEF = re.compile(r"def ([A-Za-z_]\w*)\(")


def helper_names() -> frozenset[str]:
    """The functions every registered op's NumPy helpers define."""
    return frozenset(m.group(1) for spec in all_ops() for source in spec.numpy_helpers
                     for m in _DEF.finditer(source))


def reserved(torch: bool = False) -> frozenset[str]:
    """The words no node may be called in the code of one target."""
    words = CODE_NAMES | helper_names()
    return words | MODULE_ATTRIBUTES if torch else words


def identifiers(labels: Mapping[str, str], order: Iterable[str],
                taken_words: frozenset[str], no_underscore: bool = False) -> dict[str, str]:
    """node id -> identifier, for the nodes in ``order`` (labels: node_labels of the graph).

    ``no_underscore``: a leading ``_`` is not allowed either (nn.Module's private
    attributes start so).
    """
    labels_used = set(labels.values())
    taken: set[str] = set()
    result: dict[str, str] = {}
    for node_id in order:
        label = labels[node_id]
        ident = label
        if _clashes(ident, taken_words, no_underscore) or ident in taken:
            prefixed = label.startswith("d_") or (no_underscore and label.startswith("_"))
            base = f"n_{label}" if prefixed else label
            candidates = chain([base] if prefixed else [],
                               (f"{base}_{k}" for k in count(1)))
            ident = next(c for c in candidates
                         if not (_clashes(c, taken_words, no_underscore) or c in taken
                                 or c in labels_used))
        taken.add(ident)
        result[node_id] = ident
    return result


def _clashes(ident: str, taken_words: frozenset[str], no_underscore: bool) -> bool:
    return (
        ident in taken_words or ident.startswith("d_") or keyword.iskeyword(ident)
        or not ident.isidentifier() or not ident.isascii()
        or (no_underscore and ident.startswith("_"))
    )
