"""Shared docstring pieces (fastinit/_docs.py): no public docstring keeps a ``<<MARKER>>``, nested pieces are
expanded, and the Xavier parameter list names ``truncated`` exactly where it is an argument.

(The examples in README.md and docs/ run in test_docs_examples.py.)"""
import inspect
import re

import pytest

import fastinit
from fastinit import _docs

MARKER = re.compile(r"<<[A-Z_]+>>")
XAVIER_LINE = "Scale factor ``>= 0``, e.g. from :func:`calculate_gain`."  # in the XAVIER_PARAMETERS piece only


def _public_callables():
    return [(name, obj) for name in fastinit.__all__ if callable(obj := getattr(fastinit, name)) and obj.__doc__]


@pytest.mark.parametrize("name, obj", _public_callables(), ids=[name for name, _ in _public_callables()])
def test_no_public_docstring_keeps_a_marker(name, obj):
    assert not MARKER.findall(obj.__doc__), name


def test_the_xavier_parameters_name_truncated_exactly_where_it_is_an_argument():
    xavier = [(name, obj) for name, obj in _public_callables() if XAVIER_LINE in obj.__doc__]
    assert len(xavier) >= 4  # xavier_uniform(_), xavier_normal(_), glorot_*: the piece is in use
    for name, obj in xavier:
        takes = "truncated" in inspect.signature(obj).parameters
        assert ("truncated : bool" in obj.__doc__) == takes, name
    assert any("truncated" in inspect.signature(obj).parameters for _, obj in xavier)


def test_shared_doc_expands_pieces_inside_pieces():
    def with_truncated(tensor, gain=1.0, *, truncated=False, seed=None):
        """Fill.

        <<XAVIER_PARAMETERS>>
        """

    def without_truncated(tensor, gain=1.0, *, seed=None):
        """Fill.

        <<XAVIER_PARAMETERS>>
        """

    a, b = _docs.shared_doc(with_truncated), _docs.shared_doc(without_truncated)
    assert a is with_truncated and b is without_truncated  # decorated in place
    for fn in (a, b):
        assert not MARKER.findall(fn.__doc__)
        assert _docs._PIECES["SEED"] in fn.__doc__ and XAVIER_LINE in fn.__doc__  # a piece of a piece
    assert _docs._PIECES["TRUNCATED"] in a.__doc__ and "truncated : bool" not in b.__doc__
