"""fastinit._arrays: in-place forms write into the caller's memory (any layout, DLPack, no overlapping
views), out-of-place forms allocate in C++ and refuse byte counts that overflow; dtypes (bfloat16).

The overflow checks were found by UndefinedBehaviorSanitizer (.ci/run's ASan+UBSan step): the C++
allocator multiplied the shape unchecked, a signed overflow in the strides, and a wrapped byte count
asked for a 1-byte buffer.
"""
import os

import numpy as np
import pytest
from initializer_checks import DTYPES, bits, empty
from numpy.lib.stride_tricks import as_strided
from subprocess_checks import run_python

import fastinit
import fastinit as fi

# (in-place, out-of-place, extra args) for every initializer; shapes that suit all but dirac.
FORMS = [
    (fi.zeros_, fi.zeros, ()), (fi.ones_, fi.ones, ()), (fi.constant_, fi.constant, (0.25,)),
    (fi.uniform_, fi.uniform, (-2.0, 3.0)), (fi.normal_, fi.normal, (0.5, 2.0)),
    (fi.truncated_normal_, fi.truncated_normal, (0.0, 1.0, 0.5, 2.5)),
    (fi.xavier_uniform_, fi.xavier_uniform, ()), (fi.xavier_normal_, fi.xavier_normal, ()),
    (fi.he_uniform_, fi.he_uniform, ()), (fi.he_normal_, fi.he_normal, ()),
    (fi.lecun_uniform_, fi.lecun_uniform, ()), (fi.lecun_normal_, fi.lecun_normal, ()),
    (fi.variance_scaling_, fi.variance_scaling, ()), (fi.orthogonal_, fi.orthogonal, (1.5,)),
    (fi.sparse_, fi.sparse, (0.3,)), (fi.eye_, fi.eye, ()), (fi.dirac_, fi.dirac, (1,)),
]
IDS = [f.__name__ for f, _, _ in FORMS]
SEEDLESS = {"zeros", "ones", "constant", "eye", "dirac"}


def _call(fn, target, args, **kwargs):
    """``fn(target, *args)``, with a fixed seed for the random initializers."""
    if fn.__name__.rstrip("_") not in SEEDLESS:
        kwargs["seed"] = 2024
    return fn(target, *args, **kwargs)


def _shape(fn):
    return (6, 4, 3) if fn in (fi.dirac_, fi.dirac) else (12, 10)


@pytest.mark.parametrize("inplace, new, args", FORMS, ids=IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_writes_callers_memory_in_every_layout(inplace, new, args, dtype):
    shape = _shape(inplace)
    c = empty(shape, dtype, "C")
    assert _call(inplace, c, args) is c
    expected = bits(c)

    f = empty(shape, dtype, "F")
    assert _call(inplace, f, args) is f and f.flags.f_contiguous
    np.testing.assert_array_equal(bits(f), expected)

    # A strided view into a larger buffer.
    big = np.zeros((3 * shape[0] + 1,) + shape[1:-1] + (2 * shape[-1] + 3,), dtype=np.dtype(dtype))
    view = big[1::3, ..., 2::2][: shape[0], ..., : shape[-1]]
    assert view.shape == shape and not view.flags.c_contiguous
    assert _call(inplace, view, args) is view
    assert np.shares_memory(view, big)
    np.testing.assert_array_equal(bits(view), expected)

    # Reversed (negative-stride) and transposed views.
    rev = np.empty(shape, dtype=np.dtype(dtype))[::-1]
    _call(inplace, rev, args)
    np.testing.assert_array_equal(bits(rev), expected)
    tr = np.empty(shape[::-1], dtype=np.dtype(dtype)).T
    _call(inplace, tr, args)
    np.testing.assert_array_equal(bits(tr), expected)

    # Out-of-place: the same values in a new C-contiguous array.
    fresh = _call(new, shape, args, dtype=dtype)
    assert fresh.flags.c_contiguous and fresh.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(bits(fresh), expected)


def test_untouched_elements_around_a_strided_view():
    big = np.full((10, 20), 7.0, dtype=np.float32)
    view = big[2:8:2, 1:19:3]
    fi.normal_(view, seed=1)
    mask = np.ones(big.shape, dtype=bool)
    mask[2:8:2, 1:19:3] = False
    assert np.all(big[mask] == 7.0) and np.all(big[~mask] != 7.0)
    for fn, args in [(fi.orthogonal_, ()), (fi.sparse_, (0.5,)), (fi.eye_, ())]:
        big[...] = 7.0
        fn(view, *args)
        assert np.all(big[mask] == 7.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, args", [(fi.normal_, (0.5, 2.0)), (fi.uniform_, (-1.0, 1.0))], ids=["normal", "uniform"])
def test_fills_of_fresh_pages_write_only_the_array_and_the_same_bits(dtype, fn, args):
    """Large dense fills map their pages first (cpp/src/prefault.cpp): fresh anonymous pages, never
    touched before, and a shared file mapping get the bits a resident array gets, and the bytes around
    an array that starts and ends inside a page keep their values."""
    import mmap
    item = np.dtype(dtype).itemsize
    n = (3 << 20) // item + 37  # over the 1 MiB prefault piece, not a whole number of pages
    start = 4096 // item + 3
    expected = fn(empty(n, dtype), *args, seed=11)
    anon = mmap.mmap(-1, (n + 2 * start) * item)  # zero pages the kernel has not mapped yet
    fresh = np.frombuffer(anon, dtype=np.dtype(dtype))
    fn(fresh[start:start + n], *args, seed=11)
    np.testing.assert_array_equal(bits(fresh[start:start + n]), bits(expected))
    assert not bits(fresh[:start]).any() and not bits(fresh[start + n:]).any()
    del fresh
    anon.close()


def test_fill_of_a_shared_file_mapping_leaves_the_rest_of_the_file_as_it_was(tmp_path):
    path = tmp_path / "weights.bin"
    pattern = np.arange(1 << 21, dtype=np.uint32)  # 8 MiB with no zero page
    pattern.tofile(path)
    mapped = np.memmap(path, dtype=np.float32, mode="r+")
    fi.normal_(mapped[1001:(1 << 21) - 999], seed=3)
    mapped.flush()
    del mapped
    after = np.fromfile(path, dtype=np.uint32)
    np.testing.assert_array_equal(after[:1001], pattern[:1001])
    np.testing.assert_array_equal(after[(1 << 21) - 999:], pattern[(1 << 21) - 999:])
    np.testing.assert_array_equal(after[1001:(1 << 21) - 999],
                                  bits(fi.normal(((1 << 21) - 2000,), seed=3)))


def test_out_of_place_arrays_are_allocated_by_the_core():
    for make in [lambda: fi.normal((33, 17), seed=1), lambda: fi.zeros(100, dtype="float16"),
                 lambda: fi.orthogonal((8, 5), seed=1), lambda: fi.dirac((4, 4, 3))]:
        a = make()
        assert a.flags.c_contiguous and a.flags.writeable
        assert not a.flags.owndata and type(a.base).__name__ == "PyCapsule"
        assert a.ctypes.data % 64 == 0


def test_in_place_returns_same_object_and_shares_memory():
    t = np.empty((8, 9), dtype=np.float64)
    for fn in [fi.uniform_, fi.he_normal_, fi.orthogonal_, fi.eye_]:
        out = fn(t)
        assert out is t and np.shares_memory(out, t)


torch = pytest.importorskip("torch")
TORCH_DTYPES = {"float16": torch.float16, "float32": torch.float32, "float64": torch.float64}


@pytest.mark.parametrize("inplace, new, args", FORMS, ids=IDS)
@pytest.mark.parametrize("dtype", sorted(TORCH_DTYPES))
def test_torch_tensors_are_written_in_place_through_dlpack(inplace, new, args, dtype):
    shape = _shape(inplace)
    t = torch.full(shape, 7.0, dtype=TORCH_DTYPES[dtype])
    ptr = t.data_ptr()
    assert _call(inplace, t, args) is t
    assert t.data_ptr() == ptr
    expected = empty(shape, dtype)
    _call(inplace, expected, args)
    np.testing.assert_array_equal(bits(t.numpy()), bits(expected))


def test_torch_non_contiguous_views_and_parameters():
    base = torch.zeros(10, 12)
    view = base.t()[2:8]  # a transposed, offset view
    fi.xavier_uniform_(view, seed=5)
    np.testing.assert_array_equal(view.numpy(), fi.xavier_uniform(tuple(view.shape), seed=5))
    assert torch.count_nonzero(base) == view.numel()
    lin = torch.nn.Linear(30, 20)
    with torch.no_grad():
        w = lin.weight.detach()
        fi.he_uniform_(w, a=5 ** 0.5, seed=6)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), fi.he_uniform((20, 30), a=5 ** 0.5, seed=6))


def test_torch_parameters_are_filled_in_place_like_torch_nn_init():
    lin = torch.nn.Linear(30, 20)
    weight = lin.weight
    assert weight.requires_grad
    out = fi.xavier_uniform_(weight, seed=8)
    assert out is weight and lin.weight is weight and weight.requires_grad
    np.testing.assert_array_equal(weight.detach().numpy(), fi.xavier_uniform((20, 30), seed=8))
    # The parameter still trains: gradients flow to the re-initialized values.
    lin(torch.ones(1, 30)).sum().backward()
    assert weight.grad is not None and weight.grad.shape == (20, 30)


def test_torch_autograd_sees_the_in_place_write_like_torch_nn_init():
    # torch.nn.init's in-place ops bump the version counter, so a graph that saved the old
    # values refuses to backpropagate; a silent write would give gradients of the new values.
    weight = torch.nn.Parameter(torch.ones(3, 4))
    x = torch.ones(3, 4)
    loss = (weight * x).sum()  # saves x for weight's gradient and weight for x's (none needed)
    fi.normal_(x, seed=1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    loss = (weight * weight).sum()
    fi.xavier_uniform_(weight, seed=2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_torch_negated_views_are_refused_and_untouched():
    # The .imag of a conjugate view is a float tensor whose memory holds the negated values.
    c = torch.zeros(3, 4, dtype=torch.complex64)
    imag = c.conj().imag
    assert imag.is_neg()
    with pytest.raises(TypeError, match="negative bit set"):
        fi.ones_(imag)
    assert torch.count_nonzero(c) == 0


def test_torch_read_only_or_unsupported_tensors_are_errors():
    with pytest.raises(TypeError, match="floating, complex dtype"):
        fi.normal_(torch.zeros(3, 3, dtype=torch.int32))
    with pytest.raises(TypeError, match="floating dtype"):
        fi.uniform_(torch.zeros(3, 3, dtype=torch.complex64))


def test_torch_bfloat16_tensors_are_filled_in_place():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    # NumPy's DLPack has no bfloat16: the tensor is shared as int16 and re-labelled.
    whole = torch.zeros(40, 70, dtype=torch.bfloat16)
    view = whole[::2, 5:].t()  # strided and transposed: still the caller's memory
    ptr = whole.data_ptr()
    assert fi.he_normal_(view, seed=7) is view
    assert whole.data_ptr() == ptr
    expected = fi.he_normal(tuple(view.shape), dtype=ml_dtypes.bfloat16, seed=7)
    np.testing.assert_array_equal(view.contiguous().view(torch.int16).numpy(), expected.view(np.int16))
    assert torch.count_nonzero(whole[1::2]) == 0 and torch.count_nonzero(whole[:, :5]) == 0
    param = torch.nn.Parameter(torch.zeros(8, 8, dtype=torch.bfloat16))
    version = param._version
    fi.uniform_(param, -1.0, 1.0, seed=1)
    assert param._version > version and param.requires_grad
    expected = fi.uniform((8, 8), -1.0, 1.0, dtype=ml_dtypes.bfloat16, seed=1)
    np.testing.assert_array_equal(param.detach().view(torch.int16).numpy(), expected.view(np.int16))


def test_torch_bfloat16_without_ml_dtypes_is_filled_in_place_with_the_same_bits(monkeypatch):
    from fastinit import _arrays

    t = torch.zeros(5, 7, dtype=torch.bfloat16)
    expected = fi.normal_(torch.zeros(5, 7, dtype=torch.bfloat16), seed=3).view(torch.int16).clone()
    monkeypatch.setattr(_arrays, "_ml_dtypes", None)
    ptr = t.data_ptr()
    assert fi.normal_(t, seed=3) is t and t.data_ptr() == ptr
    assert torch.equal(t.view(torch.int16), expected)


def test_arrays_with_overlapping_elements_are_refused():
    base = np.zeros(4, dtype=np.float32)
    overlapping = np.lib.stride_tricks.as_strided(base, shape=(3, 4), strides=(0, 4), writeable=True)
    with pytest.raises(ValueError, match="overlapping elements"):
        fi.uniform_(overlapping, seed=0)
    assert not base.any()
    # a zero stride on a length-1 dimension is harmless
    one = np.lib.stride_tricks.as_strided(base, shape=(1, 4), strides=(0, 4), writeable=True)
    fi.uniform_(one, seed=0)
    np.testing.assert_array_equal(base, fi.uniform(4, seed=0))


# Overlapping views; bfloat16 needs ml_dtypes
@pytest.mark.parametrize("shape, strides", [((4, 4), (8, 4)), ((3, 3), (-4, 8)), ((5,), (2,)), ((2, 2, 2), (8, 4, 8))])
def test_overlapping_views_are_refused(shape, strides):
    """Issue 10, defect 4: views whose elements overlap without a zero stride were filled (values changing per call)."""
    buf = np.zeros(64, np.float32)
    view = as_strided(buf[8:], shape, strides)
    with pytest.raises(ValueError, match="overlapping elements"):
        fastinit.normal_(view, seed=0)
    assert not buf.any()


def test_interleaved_views_without_overlap_are_filled():
    """Issue 10, defect 4: the overlap check is exact: an interleaved but one-to-one view is still accepted."""
    buf = np.zeros(16, np.float32)
    view = as_strided(buf, (2, 3), (12, 8))  # element offsets 0, 8, 16, 12, 20, 28 bytes
    fastinit.normal_(view, seed=5)
    np.testing.assert_array_equal(view, fastinit.normal((2, 3), seed=5))
    assert np.count_nonzero(buf) == 6


def test_bfloat16_without_ml_dtypes_names_the_install_command():
    """Issue 10, defect 12: bfloat16 without ml_dtypes gave an error with no install hint."""
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import fastinit\n"
            "try:\n    fastinit.normal((2,), dtype='bfloat16')\n"
            "except TypeError as e:\n    print(e)\n")
    res = run_python(code)
    assert res.returncode == 0, res.stderr
    assert "pip install ml_dtypes" in res.stdout and "'bfloat16' extra" in res.stdout


def test_bfloat16_extra_installs_ml_dtypes():
    """Issue 10, defect 12: the 'bfloat16' extra of pyproject.toml provides ml_dtypes."""
    tomllib = pytest.importorskip("tomllib")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    assert any(req.startswith("ml_dtypes") for req in extras["bfloat16"])


# Out-of-place arrays whose byte count overflows are refused before allocating
@pytest.mark.parametrize("shape", [(2**62,), (2**31, 2**31, 4), (2**40, 2**30), (0, 2**62, 2**62)])
@pytest.mark.parametrize("make", [fastinit.normal, fastinit.zeros])
def test_shapes_whose_byte_count_overflows_raise_value_error(make, shape):
    with pytest.raises(ValueError, match=r"more than the 2\*\*63 - 1 bytes"):
        make(shape)


def test_zero_size_arrays_with_large_dimensions_still_work():
    a = fastinit.normal((0, 2**40), seed=0)
    assert a.shape == (0, 2**40) and a.dtype == np.float32 and a.size == 0


@pytest.mark.parametrize("shape, dtype", [((2**62,), np.float32), ((2**31, 2**31, 2), np.float16),
                                          ((2**61, 0, 2**61), np.float64)])
def test_new_arrays_check_their_size_before_allocating(shape, dtype):
    """Issue 10, defect 7: the allocator multiplied the shape without an overflow check (asked for 1 byte)."""
    with pytest.raises(ValueError, match="more than the 2\\*\\*63 - 1 bytes"):
        fastinit.normal(shape, dtype=dtype)


def test_core_allocator_checks_its_products():
    """Issue 10, defect 7: the binding itself refuses an overflowing product and reports memory it cannot get."""
    from fastinit import _core

    with pytest.raises(ValueError, match="too big"):
        _core.empty([2**62, 4], np.dtype(np.float32))
    if any(s in os.environ.get("LD_PRELOAD", "") for s in ("asan", "tsan")):
        pytest.skip("a sanitizer's allocator aborts instead of throwing std::bad_alloc")
    with pytest.raises(MemoryError, match="cannot allocate"):
        fastinit.normal((2**60,), dtype=np.float32)  # 2**62 bytes: more than any address space
