"""Sharding: blocks filled with full_shape=/offset= assemble into the whole tensor, bit for bit."""
import itertools

import numpy as np
import pytest
from initializer_checks import DTYPES, bits, empty

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
