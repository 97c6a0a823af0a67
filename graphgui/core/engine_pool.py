"""Where the generated passes' buffers live: memory shared by a program's codes.

With buffers (``FusedPath.reuse``) a pass's arrays are valid until the next pass, of any set
of shapes. So the codes of one program can share their buffers' memory: the k-th buffer a
code asks for is a view of the pool's k-th chunk, grown when a code needs more. A second
set of shapes (the test set's evaluation after training on the training set) then writes
into memory already mapped and touched, instead of fresh pages: on this machine memory
given back to the system costs ~1 ms a MB to touch again, ~70 ms for the hidden-256
network's test pass. The first pass's own arrays (an interpreter pass) become chunks too.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class BufferPool:
    """Chunks of bytes by request number; a buffer is a view of the start of one."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []

    def take(self, index: int, shape: tuple[int, ...], dtype: Any,
             own: np.ndarray | None = None) -> np.ndarray:
        """The ``index``-th buffer of a code: ``own`` (an array of the first pass, which
        becomes the chunk if it is larger) or a view of the chunk, grown to fit."""
        dtype = np.dtype(dtype)
        need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        chunks = self._chunks
        while len(chunks) <= index:
            chunks.append(np.empty(0, dtype=np.uint8))
        if own is not None:
            if own.nbytes > chunks[index].nbytes:
                chunks[index] = own.reshape(-1).view(np.uint8)
            return own
        if chunks[index].nbytes < need:  # a larger one: earlier codes keep the old chunk
            chunks[index] = np.empty(need, dtype=np.uint8)
        return chunks[index][:need].view(dtype).reshape(shape)


def adoptable(program: Any, vals: list[Any]) -> dict[int, np.ndarray]:
    """The arrays of an interpreter pass that may become buffers: computed values that own
    their memory, contiguous and writeable, held by no other slot (identity returns its
    input) and no source."""
    count: dict[int, int] = {}
    for v in vals:
        count[id(v)] = count.get(id(v), 0) + 1
    out = {}
    for i, *_ in program._plan:
        v = vals[i]
        if (v.__class__ is np.ndarray and v.base is None and v.flags.c_contiguous
                and v.flags.writeable and count[id(v)] == 1):
            out[i] = v
    return out
