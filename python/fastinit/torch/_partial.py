"""A whole-model call that fails part-way says which tensors it wrote and which it did not."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from ._report import quoted_names

__all__ = ["PartialInitError", "reporting_partial"]


class PartialInitError(RuntimeError):
    """A whole-model call (``reset_parameters``, ``init_module``, ``materialize``, ``fast_init``) failed
    after writing some tensors: the model is half-initialized.

    The original exception is ``__cause__``. A call that fails before writing
    anything raises that exception itself, unchanged.

    Attributes
    ----------
    written : list of str
        The parameters and buffers the call had finished writing (qualified names, in order).
    not_written : list of str
        The others: they hold their previous values (``materialize``: the
        uninitialized memory of ``to_empty``), or part of the new ones for the
        tensor being written when the error occurred.
    """

    def __init__(self, what: str, written: list[str], not_written: list[str], cause: BaseException) -> None:
        self.written = written
        self.not_written = not_written
        super().__init__(
            f"{what} failed part-way ({type(cause).__name__}: {cause}); the model is half-initialized: "
            f"{len(written)} tensor(s) written ({quoted_names(written)}), {len(not_written)} not written "
            f"({quoted_names(not_written)})"
        )


@contextlib.contextmanager
def reporting_partial(what: str, written: Callable[[], Iterable[str]],
                      names: Callable[[], Iterable[str]]) -> Iterator[None]:
    """Turn an exception of the body into a :class:`PartialInitError` once something was written.

    ``written()`` and ``names()`` give, when the error is caught, the names
    written so far and the names of every tensor the call covers.
    """
    try:
        yield
    except Exception as exc:
        done = list(dict.fromkeys(written()))
        if not done:
            raise
        finished = set(done)
        rest = [n for n in dict.fromkeys(names()) if n not in finished]
        raise PartialInitError(what, done, rest, exc) from exc
