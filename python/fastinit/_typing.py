"""Type aliases for the public API's annotations (``py.typed``; mypy --strict)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, SupportsIndex, TypeVar, Union

import numpy as np
import numpy.typing as npt

from ._generator import Generator

#: ``seed=``: an int in [0, 2**64), a :class:`fastinit.Generator`, or None
#: (the default generator).
Seed = Optional[Union[int, np.integer[Any], Generator]]
#: A shape: one int or a sequence of ints.
ShapeLike = Union[SupportsIndex, Sequence[SupportsIndex]]
#: ``full_shape=`` / ``offset=`` of a sharded fill (None: the whole tensor).
OptionalShape = Optional[ShapeLike]
#: ``dtype=`` of the out-of-place functions (None: float32).
DTypeLike = Optional[npt.DTypeLike]
#: A tensor filled in place (a NumPy array or a CPU torch.Tensor); the
#: in-place functions return the same object, so the type is kept.
TensorT = TypeVar("TensorT")
#: The arrays the out-of-place functions return.
Array = npt.NDArray[Any]
