"""Out-of-place arrays whose byte count overflows are refused before allocating.

Found by UndefinedBehaviorSanitizer (.ci/run's ASan+UBSan step): the C++
allocator multiplied the shape unchecked, a signed overflow in the strides,
and a wrapped byte count asked for a 1-byte buffer.
"""
import os

import numpy as np
import pytest

import fastinit


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
