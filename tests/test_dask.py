"""fastinit.dask: lazy chunked arrays equal, bit for bit, the in-memory initializers for every chunking."""
import ast
import inspect
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from initializer_checks import DTYPES, bits  # noqa: E402

import fastinit as fi  # noqa: E402
import fastinit.dask as fd  # noqa: E402
import fastinit.initializers  # noqa: E402

# name -> (positional args, keyword args) exercising each initializer's parameters.
CASES = {
    "zeros": ((), {}),
    "ones": ((), {}),
    "constant": ((-1.25,), {}),
    "uniform": ((-3.0, 0.5), {}),
    "normal": ((0.3, 2.0), {}),
    "truncated_normal": ((0.0, 1.0, -0.3, 0.4), {}),
    "xavier_uniform": ((1.3,), {}),
    "xavier_normal": ((), {"layout": "keras"}),
    "glorot_uniform": ((), {}),
    "glorot_normal": ((), {}),
    "he_uniform": ((0.1, "fan_out"), {}),
    "he_normal": ((), {}),
    "kaiming_uniform": ((5 ** 0.5,), {}),
    "kaiming_normal": ((), {"mode": "fan_out", "nonlinearity": "relu"}),
    "lecun_uniform": ((), {}),
    "lecun_normal": ((), {"layout": "keras"}),
    "variance_scaling": ((2.0, "fan_avg", "truncated_normal"), {}),
}
RANDOM = set(CASES) - {"zeros", "ones", "constant"}
# (shape, chunkings): even, uneven, single-element chunks, one chunk, explicit uneven block sizes.
CHUNKINGS = [
    ((9, 14), ["auto", 4, (2, 14), (9, 1), ((4, 5), (1, 7, 6)), ((1, 1, 7), (14,))]),
    ((5, 6, 7), [2, (5, 1, 3), ((2, 3), (6,), (3, 1, 3))]),
]


def test_every_elementwise_initializer_is_wrapped_and_nothing_else():
    in_memory = {n for n in fi.__all__ if hasattr(fi, n + "_") and not n.endswith("_")} - {"manual_seed"}
    assert set(CASES) == set(fd.__all__) == in_memory - set(fd.NOT_CHUNKABLE)
    assert set(fd.NOT_CHUNKABLE) == {"orthogonal", "delta_orthogonal", "sparse", "eye", "dirac"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_any_chunking_gives_the_in_memory_array(name):
    args, kwargs = CASES[name]
    seed = {"seed": 11} if name in RANDOM else {}
    for shape, chunkings in CHUNKINGS:
        expected = getattr(fi, name)(shape, *args, **kwargs, **seed)
        for chunks in chunkings:
            lazy = getattr(fd, name)(shape, *args, chunks=chunks, **kwargs, **seed)
            assert isinstance(lazy, da.Array) and lazy.shape == shape and lazy.dtype == expected.dtype
            got = lazy.compute()
            np.testing.assert_array_equal(bits(got), bits(expected), err_msg=f"{name} {shape} {chunks}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes(dtype):
    expected = fi.truncated_normal((30, 20), std=0.5, dtype=dtype, seed=2)
    lazy = fd.truncated_normal((30, 20), std=0.5, dtype=dtype, seed=2, chunks=(7, 9))
    assert lazy.dtype == expected.dtype
    np.testing.assert_array_equal(bits(lazy.compute()), bits(expected))


def test_a_slice_computes_only_its_chunks(monkeypatch):
    lazy = fd.he_normal((1000, 50), chunks=(100, 50), seed=3)
    filled = []
    original = fastinit.initializers.he_normal

    def counting(shape, *args, **kwargs):
        filled.append((shape, kwargs["offset"]))
        return original(shape, *args, **kwargs)

    monkeypatch.setattr(fastinit.initializers, "he_normal", counting)
    part = lazy[250:260].compute()
    assert filled == [((100, 50), (200, 0))]
    np.testing.assert_array_equal(part, fi.he_normal((1000, 50), seed=3)[250:260])


def test_chunks_large_enough_for_the_thread_pool_computed_concurrently():
    # 120K-element chunks use fastinit's thread pool, from several Dask threads at once.
    lazy = fd.normal((1200, 300), chunks=(400, 300), seed=4)
    got = lazy.compute(scheduler="threads", num_workers=3)
    np.testing.assert_array_equal(got, fi.normal((1200, 300), seed=4))


def test_fans_come_from_the_full_shape():
    lazy = fd.xavier_uniform((4000, 10), chunks=(10, 10), seed=5)
    bound = np.sqrt(6 / 4010)
    block = lazy[:10].compute()
    assert np.abs(block).max() <= bound and np.abs(block).max() > 0.5 * bound


def test_generator_advances_once_when_the_graph_is_built():
    g = fi.Generator(6)
    lazy = fd.normal((8, 8), seed=g, chunks=3)
    assert g.calls == 1  # resolved at construction, before any compute
    later = fd.normal((8, 8), seed=g, chunks=5)
    assert g.calls == 2
    ref = fi.Generator(6)
    np.testing.assert_array_equal(lazy.compute(), fi.normal((8, 8), seed=ref))
    np.testing.assert_array_equal(later.compute(), fi.normal((8, 8), seed=ref))
    np.testing.assert_array_equal(lazy.compute(), lazy.compute())  # computing again: same values
    assert g.calls == 2


def test_default_generator():
    fi.manual_seed(7)
    lazy = fd.uniform((5, 5), seed=None, chunks=2)
    fi.manual_seed(7)
    np.testing.assert_array_equal(lazy.compute(), fi.uniform((5, 5)))


def test_same_arguments_same_graph_keys():
    assert fd.normal((6, 6), seed=1, chunks=2).name == fd.normal((6, 6), seed=1, chunks=2).name
    assert fd.normal((6, 6), seed=1, chunks=2).name != fd.normal((6, 6), seed=2, chunks=2).name


def test_bad_arguments_fail_when_the_graph_is_built():
    with pytest.raises(ValueError, match="std must be >= 0"):
        fd.normal((4, 4), 0.0, -1.0, seed=1)
    with pytest.raises(ValueError, match="mode"):
        fd.he_uniform((4, 4), mode="fan_sideways", seed=1)
    with pytest.raises(ValueError, match="at least 2 dimensions|fan"):
        fd.xavier_uniform((5,), seed=1)
    with pytest.raises(TypeError, match="full_shape"):
        fd.uniform((4, 4), full_shape=(8, 4), seed=1)
    with pytest.raises(TypeError, match="seed"):
        fd.zeros((4, 4), seed=1)
    with pytest.raises(TypeError, match="seed must be an int"):
        fd.normal((4, 4), seed=1.5)
    with pytest.raises(TypeError, match="dtype"):
        fd.normal((4, 4), dtype=np.int32, seed=1)
    with pytest.raises(ValueError, match="shape"):
        fd.normal((4, -1), seed=1)
    with pytest.raises(AttributeError, match="QR factorization"):
        fd.orthogonal  # noqa: B018


def test_a_bad_argument_does_not_advance_the_generator():
    g = fi.Generator(8)
    with pytest.raises(ValueError):
        fd.normal((4, 4), 0.0, -1.0, seed=g)
    assert g.calls == 0


def test_empty_arrays():
    lazy = fd.normal((0, 5), seed=1)
    assert lazy.shape == (0, 5) and lazy.compute().shape == (0, 5)
    with pytest.warns(UserWarning, match="zero-element"):
        fd.he_uniform((0, 5), seed=1)
    # An empty chunk of a non-empty array is not a zero-element initialization.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fd.he_uniform((3, 5), seed=1, chunks=((0, 3), (5,))).compute()
    np.testing.assert_array_equal(got, fi.he_uniform((3, 5), seed=1))


def test_import_fastinit_does_not_import_dask():
    code = "import sys, fastinit; sys.exit('dask' in sys.modules or 'fastinit.dask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _declared_signatures():
    """``name -> [(parameter, kind, annotation, default)]`` of the defs in fastinit/dask.py's TYPE_CHECKING block."""
    tree = ast.parse(pathlib.Path(fd.__file__).read_text())
    blocks = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    assert len(blocks) == 1
    declared = {}
    for node in blocks[0].body:
        if not isinstance(node, ast.FunctionDef):
            continue
        args = node.args
        assert not args.posonlyargs and args.vararg is None and args.kwarg is None
        assert ast.unparse(node.returns) == "da.Array"
        positional_defaults = [None] * (len(args.args) - len(args.defaults)) + args.defaults
        params = [(a, inspect.Parameter.POSITIONAL_OR_KEYWORD, d) for a, d in zip(args.args, positional_defaults)]
        params += [(a, inspect.Parameter.KEYWORD_ONLY, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
        declared[node.name] = [
            (a.arg, kind, ast.unparse(a.annotation), inspect.Parameter.empty if d is None else ast.literal_eval(d))
            for a, kind, d in params
        ]
    return declared


def test_type_checkers_see_the_runtime_signatures():
    """The declarations mypy reads (the functions are made at import) match what the functions accept."""
    declared = _declared_signatures()
    assert sorted(declared) == sorted(fd.CHUNKABLE)
    for name in fd.CHUNKABLE:
        parameters = inspect.signature(getattr(fd, name)).parameters.values()
        runtime = [(p.name, p.kind, p.annotation, p.default) for p in parameters]
        assert declared[name] == runtime, name
