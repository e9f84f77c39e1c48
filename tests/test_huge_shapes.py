"""Out-of-place arrays whose byte count overflows are refused before allocating.

Found by UndefinedBehaviorSanitizer (.ci/run's ASan+UBSan step): the C++
allocator multiplied the shape unchecked, a signed overflow in the strides,
and a wrapped byte count asked for a 1-byte buffer.
"""
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
