"""Sharding: blocks filled with full_shape=/offset= assemble into the whole tensor, bit for bit."""
import itertools

import numpy as np
import pytest
from initializer_checks import DTYPES, bits, empty

import fastinit
import fastinit as fi

# Every element-wise in-place initializer with arguments that exercise its sampler.
ELEMENTWISE = {
    "zeros": lambda t, **kw: fi.zeros_(t, **kw),
    "ones": lambda t, **kw: fi.ones_(t, **kw),
    "constant": lambda t, **kw: fi.constant_(t, -1.25, **kw),
    "uniform": lambda t, **kw: fi.uniform_(t, -3.0, 0.5, seed=11, **kw),
    "normal": lambda t, **kw: fi.normal_(t, 0.3, 2.0, seed=11, **kw),
    "truncated_normal": lambda t, **kw: fi.truncated_normal_(t, seed=11, **kw),
    "truncated_normal_narrow": lambda t, **kw: fi.truncated_normal_(t, 0.0, 1.0, 2.0, 3.0, seed=11, **kw),
    "truncated_normal_far_tail": lambda t, **kw: fi.truncated_normal_(t, 0.0, 1.0, -9.0, -4.0, seed=11, **kw),
    "truncated_normal_centered_narrow": lambda t, **kw: fi.truncated_normal_(t, 0.0, 1.0, -0.3, 0.4, seed=11,
                                                                             **kw),
    "xavier_uniform": lambda t, **kw: fi.xavier_uniform_(t, 1.3, seed=11, **kw),
    "xavier_normal": lambda t, **kw: fi.xavier_normal_(t, seed=11, **kw),
    "he_uniform": lambda t, **kw: fi.he_uniform_(t, 0.1, "fan_out", seed=11, **kw),
    "he_normal": lambda t, **kw: fi.he_normal_(t, seed=11, **kw),
    "lecun_uniform": lambda t, **kw: fi.lecun_uniform_(t, seed=11, **kw),
    "lecun_normal": lambda t, **kw: fi.lecun_normal_(t, layout="keras", seed=11, **kw),
    "variance_scaling_truncated": lambda t, **kw: fi.variance_scaling_(t, 2.0, "fan_avg", seed=11, **kw),
    "variance_scaling_uniform": lambda t, **kw: fi.variance_scaling_(t, 1.0, "fan_in", "uniform", seed=11, **kw),
    "variance_scaling_untruncated": lambda t, **kw: fi.variance_scaling_(t, 0.5, "fan_out", "untruncated_normal",
                                                                         seed=11, **kw),
}
FAN_BASED = {"xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
             "variance_scaling_truncated", "variance_scaling_uniform", "variance_scaling_untruncated"}

# (full shape, cut points per dimension): uneven splits, including blocks of size 1.
SPLITS = [
    ((37,), [(0, 5, 6, 20, 37)]),
    ((9, 14), [(0, 4, 9), (0, 1, 8, 14)]),
    ((5, 6, 7), [(0, 2, 5), (0, 6), (0, 3, 4, 7)]),
    ((3, 4, 5, 6), [(0, 1, 3), (0, 3, 4), (0, 5), (0, 2, 5, 6)]),
]


def _blocks(cuts):
    """Every block as a tuple of slices, from the cut points of each dimension."""
    per_dim = [[slice(lo, hi) for lo, hi in zip(c[:-1], c[1:])] for c in cuts]
    return itertools.product(*per_dim)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
def test_blocks_assemble_into_the_whole(name, dtype):
    fill = ELEMENTWISE[name]
    for full_shape, cuts in SPLITS:
        if name in FAN_BASED and len(full_shape) < 2:
            continue
        whole = empty(full_shape, dtype)
        fill(whole)
        assembled = np.full(full_shape, np.nan, dtype=whole.dtype)
        for block in _blocks(cuts):
            piece = empty(tuple(s.stop - s.start for s in block), dtype)
            assert fill(piece, full_shape=full_shape, offset=tuple(s.start for s in block)) is piece
            assembled[block] = piece
        np.testing.assert_array_equal(bits(assembled), bits(whole), err_msg=f"{name} {full_shape}")


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_block_written_into_a_view_of_the_whole_buffer(name):
    # Each shard writes straight into its region of one big (Fortran-ordered) buffer.
    fill = ELEMENTWISE[name]
    full_shape = (12, 10, 3)
    whole = empty(full_shape)
    fill(whole)
    buffer = empty(full_shape, order="F")
    for block in _blocks([(0, 7, 12), (0, 3, 10), (0, 3)]):
        fill(buffer[block], full_shape=full_shape, offset=tuple(s.start for s in block))
    np.testing.assert_array_equal(bits(buffer), bits(whole))


def test_fans_come_from_full_shape():
    block = fi.xavier_uniform_(empty((4, 10)), seed=1, full_shape=(16, 10), offset=(8, 0))
    alone = fi.xavier_uniform_(empty((4, 10)), seed=1)
    assert not np.array_equal(block, alone)
    assert np.abs(block).max() <= np.sqrt(6 / 26) and np.abs(alone).max() > np.sqrt(6 / 26)


def test_block_is_not_the_start_of_the_stream():
    block = fi.normal_(empty((3, 5)), seed=2, full_shape=(6, 5), offset=(3, 0))
    assert not np.array_equal(block, fi.normal((3, 5), seed=2))


def test_offset_alone_and_full_shape_alone():
    # full_shape without offset: the block at the origin; offset without full_shape: must fit the array itself.
    np.testing.assert_array_equal(fi.uniform_(empty((2, 3)), seed=3, full_shape=(5, 3)), fi.uniform((5, 3), seed=3)[:2])
    np.testing.assert_array_equal(fi.uniform_(empty((2, 3)), seed=3, offset=(0, 0)), fi.uniform((2, 3), seed=3))


def test_out_of_place_blocks():
    whole = fi.he_normal((20, 6, 3), seed=4)
    block = fi.he_normal((5, 6, 3), seed=4, full_shape=(20, 6, 3), offset=(10, 0, 0))
    np.testing.assert_array_equal(block, whole[10:15])
    assert block.flags.c_contiguous


def test_generator_replay_for_shards():
    # With a Generator, every shard must use the same call: restore the state before each block.
    g = fi.Generator(5)
    state = g.get_state()
    whole = fi.truncated_normal((8, 8), seed=fi.Generator(5))
    top = fi.truncated_normal((4, 8), seed=g.set_state(state), full_shape=(8, 8), offset=(0, 0))
    bottom = fi.truncated_normal((4, 8), seed=g.set_state(state), full_shape=(8, 8), offset=(4, 0))
    np.testing.assert_array_equal(np.concatenate([top, bottom]), whole)


@pytest.mark.threads
def test_sharded_fill_is_independent_of_thread_count():
    # The block must exceed the core's 65536-element grain, or every thread count fills it on one thread.
    full_shape = (640, 300)
    block = (320, 300)
    before = fi.get_num_threads()
    try:
        fi.set_num_threads(1)
        one = fi.truncated_normal(block, seed=6, full_shape=full_shape, offset=(320, 0), a=-1.0, b=1.5)
        whole = fi.truncated_normal(full_shape, seed=6, a=-1.0, b=1.5)
        fi.set_num_threads(2)
        two = fi.truncated_normal(block, seed=6, full_shape=full_shape, offset=(320, 0), a=-1.0, b=1.5)
        fi.set_num_threads(3)
        three = fi.truncated_normal(block, seed=6, full_shape=full_shape, offset=(320, 0), a=-1.0, b=1.5)
    finally:
        fi.set_num_threads(before)
    assert one.size > 65536
    np.testing.assert_array_equal(bits(one), bits(two))
    np.testing.assert_array_equal(bits(one), bits(three))
    np.testing.assert_array_equal(bits(one), bits(whole[320:]))


def test_an_empty_block_of_a_non_empty_tensor_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = fi.he_uniform_(empty((0, 5)), seed=1, full_shape=(3, 5), offset=(3, 0))
    assert block.shape == (0, 5)
    with pytest.warns(UserWarning, match="zero-element"):
        fi.he_uniform_(empty((0, 5)), seed=1, full_shape=(0, 5))


# Logical indices near 2**63
@pytest.mark.parametrize("order", ["C", "F"])
def test_full_shape_beyond_64_bit_indices_is_refused(order):
    """Issue 10, defect 5: full_shape with more than 2**64 elements wrapped the logical index (C and F differed);
    logical indices now stay below 2**63."""
    block = np.zeros((8, 8), np.float32, order=order)
    with pytest.raises(ValueError, match="full_shape=.* has more than 2\\*\\*63 elements"):
        fastinit.normal_(block, seed=1, full_shape=(2**62, 8), offset=(2**61 - 1, 0))
    with pytest.raises(ValueError, match="full_shape"):
        fastinit.normal_(block, seed=1, full_shape=(2**31 + 1, 2**32), offset=(0, 0))
    assert not block.any()


def test_largest_full_shape_gives_the_same_block_in_every_order():
    """Issue 10, defect 5: at the top of the index range C, F and strided blocks agree."""
    full, off = (2**31, 2**32), (2**31 - 8, 2**32 - 9)  # 2**63 elements: the largest index is 2**63 - 1
    blocks = [np.zeros((8, 9), np.float64, order=o) for o in "CF"]
    strided = np.zeros((16, 18), np.float64)[::2, ::-2]
    for b in [*blocks, strided]:
        fastinit.normal_(b, seed=9, full_shape=full, offset=off)
    np.testing.assert_array_equal(blocks[0], blocks[1])
    np.testing.assert_array_equal(blocks[0], strided)
    assert np.all(blocks[0] != 0)


def test_values_at_the_top_of_the_index_range_follow_the_stream_contract():
    """Issue 10, defect 5: the last indices below 2**63 get docs/streams.md's values (checked on float64 uniforms)."""
    from stream_reference import blocks

    full, off = (2**31, 2**32), (2**31 - 2, 2**32 - 5)
    block = np.zeros((2, 5), np.float64)
    fastinit.uniform_(block, seed=77, full_shape=full, offset=off)
    rows = np.arange(2, dtype=np.uint64)[:, None] + np.uint64(off[0])
    cols = np.arange(5, dtype=np.uint64)[None, :] + np.uint64(off[1])
    i = (rows * np.uint64(full[1]) + cols).ravel()  # up to 2**63 - 1
    assert int(i.max()) == 2**63 - 1
    blk = blocks(77, 0, i // np.uint64(2))
    j = (i % np.uint64(2)).astype(np.intp)
    w = (blk[np.arange(i.size), 2 * j + 1].astype(np.uint64) << np.uint64(32)) | blk[np.arange(i.size), 2 * j]
    np.testing.assert_array_equal(block.ravel(), (w >> np.uint64(11)).astype(np.float64) * 2.0**-53)


def test_core_fill_refuses_wrapping_logical_indices():
    """Issue 10, defect 5: the binding itself (the last line of defence) refuses indices from 2**63 on."""
    from fastinit import _core

    arr = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="logical indices of the block reach 2\\*\\*63"):
        _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [2**63, 1], 2**63)  # wraps past 2**64
    for base in (2**63 - 5, 2**64 - 6):  # the last index would be 2**63 or 2**64 - 1
        with pytest.raises(ValueError, match="logical indices"):
            _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [3, 1], base)
    assert not arr.any()
    _core.fill(arr, 2, 2, 0, 0, 0, 0.0, 1.0, 0.0, 0.0, [3, 1], 2**63 - 6)  # the last index is 2**63 - 1
    assert arr.all()
