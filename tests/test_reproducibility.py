"""Same seed -> same bits, whatever the CPU, thread count or memory layout.

Every value fastinit writes is defined element by element in
``cpp/include/fastinit/distributions.hpp``. The generic kernels compute it one
element at a time; the AVX2 kernels compute it 8 or 16 at a time, with
scalar/buffered handling of partial Philox blocks and of truncated-normal
retries; the fill driver splits arrays into counter ranges for the thread
pool. These tests check that none of that is visible in the output:

* generic vs AVX2 kernels (switched in-process with ``_core.select_isa``),
* 1, 2, 3 and 8 threads,
* C, Fortran, strided, reversed and transposed layouts,
* runs that start and end in the middle of a Philox block or vector group,
  sharded blocks (``full_shape``/``offset``) and 64-bit element indices,
* pinned golden values, so that the stream itself can never change silently,
* fork safety of the thread pool.

The thread-count and ISA configuration itself (environment variables, set_num_threads, info()):
test_runtime.py.
"""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
from runtime_checks import ISAS, runtime

import fastinit
from fastinit import _sampling
from fastinit._sampling import CONSTANT, NORMAL, TRUNCATED_NORMAL, UNIFORM

try:
    import ml_dtypes

    BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - optional dependency
    BFLOAT16 = None

SEED = 20240607
INF = float("inf")

DTYPES = [
    pytest.param(np.dtype(np.float16), id="float16"),
    pytest.param(BFLOAT16, id="bfloat16", marks=pytest.mark.skipif(BFLOAT16 is None, reason="needs ml_dtypes")),
    pytest.param(np.dtype(np.float32), id="float32"),
    pytest.param(np.dtype(np.float64), id="float64"),
]

# Each truncated-normal entry selects a different method of prepare_sampler().
DISTS = {
    "constant": (CONSTANT, (0.3,)),
    "uniform": (UNIFORM, (-1.5, 2.5)),
    "normal": (NORMAL, (0.5, 2.0)),
    "trunc_rejection": (TRUNCATED_NORMAL, (0.0, 1.0, -2.0, 2.0)),
    "trunc_rejection_narrow": (TRUNCATED_NORMAL, (1.0, 0.5, 0.6, 1.2)),  # 1.2 std wide: ~40% retried
    "trunc_uniform_centered": (TRUNCATED_NORMAL, (0.0, 1.0, -0.3, 0.4)),
    "trunc_uniform_tail": (TRUNCATED_NORMAL, (0.0, 1.0, 0.5, 1.2)),
    "trunc_exponential_tail": (TRUNCATED_NORMAL, (0.0, 1.0, 3.0, 9.0)),
    "trunc_lower_tail": (TRUNCATED_NORMAL, (2.0, 3.0, -INF, -5.5)),
}
DIST_IDS = list(DISTS)

# NaNs with payloads no sampler produces: an element left unwritten keeps them.
POISON = {2: 0x7E5A, 4: 0x7FC12345, 8: 0x7FF8DEADBEEF1234}


needs_avx2 = pytest.mark.skipif("avx2" not in ISAS, reason="CPU without AVX2/FMA/F16C")


def bits(a):
    """The raw bit patterns of an array (NaNs compare by payload)."""
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def poisoned(shape, dtype, order="C"):
    a = np.empty(shape, dtype, order=order)
    bits_view = a.view(np.dtype(f"u{a.dtype.itemsize}"))
    bits_view[...] = POISON[a.dtype.itemsize]
    return a


def assert_written(a):
    assert not np.any(bits(a) == POISON[a.dtype.itemsize]), "some elements were not written"


def sample(shape, dtype, dist, order="C", seed=SEED, **kw):
    code, params = DISTS[dist]
    a = poisoned(shape, dtype, order)
    _sampling.fill_(a, code, params, seed=seed, **kw)
    assert_written(a)
    return a


def reference(shape, dtype, dist, **kw):
    """Generic kernels on one thread: the element-by-element definition."""
    with runtime("generic", 1):
        return sample(shape, dtype, dist, **kw)


def assert_same_bits(actual, expected):
    assert actual.shape == expected.shape
    diff = np.flatnonzero(bits(actual) != bits(expected))
    assert diff.size == 0, (
        f"{diff.size} elements differ, first at flat index {diff[0]}: "
        f"{actual.ravel()[diff[0]]!r} != {expected.ravel()[diff[0]]!r}"
    )


# ---------------------------------------------------------------------------
# Instruction sets and thread counts


# 3 * 65536 + 37 elements: 4 chunks for the thread pool, ragged last chunk.
N_THREADED = 3 * 65536 + 37


@pytest.mark.parametrize("dist", DIST_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.threads
def test_every_isa_and_thread_count_gives_the_same_bits(dtype, dist):
    expected = reference(N_THREADED, dtype, dist)
    for isa in ISAS:
        for threads in (1, 2, 3, 8):
            if isa == "generic" and threads == 1:
                continue
            with runtime(isa, threads):
                assert_same_bits(sample(N_THREADED, dtype, dist), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.threads
def test_threaded_shards_start_mid_block(dtype):
    # An odd base index puts every chunk boundary of the thread split inside a
    # Philox block and inside a vector group.
    full = reference(N_THREADED + 1000, dtype, "trunc_rejection")
    for isa in ISAS:
        with runtime(isa, 3):
            block = sample(N_THREADED, dtype, "trunc_rejection", full_shape=(N_THREADED + 1000,), offset=(613,))
        assert_same_bits(block, full[613 : 613 + N_THREADED])


# ---------------------------------------------------------------------------
# Memory layouts


@pytest.mark.parametrize("dist", DIST_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_give_the_same_bits(dtype, dist):
    shape = (37, 129)
    expected = reference(shape, dtype, dist)
    code, params = DISTS[dist]
    for isa in ISAS:
        with runtime(isa, 2):
            assert_same_bits(sample(shape, dtype, dist), expected)
            assert_same_bits(sample(shape, dtype, dist, order="F"), expected)

            parent = poisoned((80, 400), dtype)
            view = parent[1::2, 3::3][:37, :129]
            _sampling.fill_(view, code, params, seed=SEED)
            assert_same_bits(view, expected)
            untouched = np.ones(parent.shape, bool)
            untouched[1::2, 3::3][:37, :129] = False
            assert np.all(bits(parent)[untouched] == POISON[parent.dtype.itemsize]), "wrote outside the view"

            parent = poisoned(shape, dtype)
            _sampling.fill_(parent[::-1, ::-1], code, params, seed=SEED)
            assert_same_bits(parent[::-1, ::-1], expected)

            parent = poisoned((129, 37), dtype)
            _sampling.fill_(parent.T, code, params, seed=SEED)
            assert_same_bits(parent.T, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_three_d_permuted_layout(dtype):
    shape = (5, 7, 33)
    expected = reference(shape, dtype, "normal")
    for isa in ISAS:
        with runtime(isa, 2):
            parent = poisoned((33, 5, 7), dtype)
            view = parent.transpose(1, 2, 0)  # logical (5, 7, 33), inner axis strided
            _sampling.fill_(view, *DISTS["normal"], seed=SEED)
            assert_same_bits(view, expected)


# ---------------------------------------------------------------------------
# Partial blocks and vector groups, sharding, 64-bit indices

STARTS = (0, 1, 3, 5, 17, 31, 33, 2047)
LENGTHS = (1, 2, 15, 16, 17, 31, 32, 33, 100, 1000)


@pytest.mark.parametrize("dist", DIST_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_runs_starting_and_ending_mid_block(dtype, dist):
    full_n = 4000
    full = reference(full_n, dtype, dist)
    for isa in ISAS:
        with runtime(isa, 1):
            for start in STARTS:
                for n in LENGTHS:
                    block = sample(n, dtype, dist, full_shape=(full_n,), offset=(start,))
                    assert_same_bits(block, full[start : start + n])


@pytest.mark.parametrize("dist", ["uniform", "normal", "trunc_rejection", "trunc_exponential_tail"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_two_d_shards_match_the_full_tensor(dtype, dist):
    full = reference((9, 203), dtype, dist)
    for isa in ISAS:
        with runtime(isa, 2):
            for (r0, c0), (h, w) in [((0, 0), (9, 203)), ((1, 13), (3, 77)), ((4, 1), (5, 202)), ((8, 5), (1, 33))]:
                block = sample((h, w), dtype, dist, full_shape=(9, 203), offset=(r0, c0))
                assert_same_bits(block, full[r0 : r0 + h, c0 : c0 + w])


@pytest.mark.parametrize("dist", ["uniform", "normal", "trunc_rejection"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_indices_beyond_32_bit_blocks(dtype, dist):
    # Block indices above 2**32 use the second counter word.
    full_shape = (2**40,)
    start = 2**36 + 5
    expected = np.concatenate(
        [reference(1, dtype, dist, full_shape=full_shape, offset=(start + k,)) for k in range(70)]
    )
    for isa in ISAS:
        with runtime(isa, 1):
            assert_same_bits(sample(70, dtype, dist, full_shape=full_shape, offset=(start,)), expected)


# Ranges that hit float16/bfloat16 subnormals, overflow to inf (mapped back to
# `low` by the uniform rule) and inf * 0 = NaN: F16C's conversion and the
# vector bfloat16 rounding must equal the software float_to_half/bfloat16.
EDGE_CASES = [
    (UNIFORM, (0.0, 1e-4)),
    (UNIFORM, (6.0e4, 7.0e4)),
    (UNIFORM, (-3.0e38, 3.0e38)),
    (UNIFORM, (1.0, 1.0 + 2.0**-20)),
    (UNIFORM, (-INF, 1.0)),  # -inf + inf * u: NaN everywhere
    (NORMAL, (float("nan"), 1.0)),
    (NORMAL, (0.0, 3.0e4)),
    (NORMAL, (1e-6, 1e-5)),
    (TRUNCATED_NORMAL, (0.0, 1e-5, -2e-5, 2e-5)),
    (TRUNCATED_NORMAL, (6.0e4, 1.0e4, 4.0e4, 6.55e4)),
]


@needs_avx2
@pytest.mark.parametrize("case", range(len(EDGE_CASES)))
@pytest.mark.parametrize("dtype", DTYPES)
def test_rounding_edge_cases_match_across_isas(dtype, case):
    code, params = EDGE_CASES[case]
    out = []
    for isa in ISAS:
        with runtime(isa, 1):
            a = poisoned(5000, dtype)
            _sampling.fill_(a, code, params, seed=SEED)
            assert_written(a)
            out.append(a)
    for a in out[1:]:
        assert_same_bits(a, out[0])


# ---------------------------------------------------------------------------
# Golden values: (seed, generator call) -> raw bits at logical indices
# 0, 1, 2, 3, 1001 and 2**34 + 3 of a 2**40-element tensor.

GOLDEN_INDICES = (0, 1, 2, 3, 1001, 2**34 + 3)
GOLDEN = {
    ("uniform", "float32"): {
        (0, 0): (0x3ECC4FD0, 0x3F6169C5, 0x3F3C57AC, 0x3F1B00DB, 0x3F2336E3, 0x3CE92880),
        (20240607, 5): (0x3F618028, 0x3D1C2510, 0x3D820F80, 0x3EA7422E, 0x3E6D8A90, 0x3DE54C38),
        (2**64 - 1, 2**40): (0x3F76C574, 0x3E61BC0C, 0x3EFB2B88, 0x3EF1C606, 0x3EB2205A, 0x3E7E28DC),
    },
    ("uniform", "float64"): {
        (0, 0): (0x3FEC2D38B1ACC4FD, 0x3FE3601B7B178AF5, 0x3FD72C8036FE3932, 0x3FA2FDFECF634AE0,
                 0x3FED28455A51DDED, 0x3FE4CCC1ACDADF8B),
        (20240607, 5): (0x3FA384A34DC30050, 0x3FD4E845EFC4107C, 0x3FC68CD5B108C800, 0x3FE52FC45173041C,
                        0x3FE3BD9D69B867E1, 0x3FB2E3CE6CE25150),
        (2**64 - 1, 2**40): (0x3FCC3781F67B62B8, 0x3FDE38C0C5DF6570, 0x3FB84C6B2D7C41D8, 0x3FE19C897D23C3A4,
                             0x3FEA9F284A880829, 0x3FC09AFA95C6B810),
    },
    ("normal", "float32"): {
        (0, 0): (0x3F7DBB30, 0xBF6CB6B3, 0xBF1E1BA2, 0xBEF6D1AC, 0xBF767A37, 0x3E65A203),
        (20240607, 5): (0x3EFA878F, 0x3DF4BA83, 0xBF8B426B, 0x40052B34, 0x3F94C9ED, 0x3F58A247),
        (2**64 - 1, 2**40): (0x3D4CF0A6, 0x3E885B57, 0xBF967162, 0x3E544828, 0x3FA3DD8F, 0x3F1255EB),
    },
    ("normal", "float64"): {
        (0, 0): (0xBFD973628C131C05, 0xBFD3DD84FF91E709, 0x3FF63083C830BEA5, 0x3FD511D43E0F2702,
                 0xBFEE39ABC95353D0, 0xBFF5C788E06509A7),
        (20240607, 5): (0xBFF2F351E679777B, 0x40021F2351EABD1E, 0xBFEF4A89E3616D83, 0xBFF9618A05B56904,
                        0xBFFC97EA65F12FBB, 0x3FD48EB2E8F2AB42),
        (2**64 - 1, 2**40): (0xBFFB66C8F1970B2A, 0x3FD3551744CE7615, 0xC0007FD2B7702AC5, 0xBFE59BB8EADCBDFA,
                             0xBFF96A4E07E0D9C5, 0x3FF6E98819A6A43E),
    },
    # Same as normal where |z| <= 2; 0x40052B34 (2.08) and 0xC0007FD2B7702AC5
    # (-2.06) and 0x40021F23.. (2.27) are replaced by their retry values.
    ("truncated_normal", "float32"): {
        (0, 0): (0x3F7DBB30, 0xBF6CB6B3, 0xBF1E1BA2, 0xBEF6D1AC, 0xBF767A37, 0x3E65A203),
        (20240607, 5): (0x3EFA878F, 0x3DF4BA83, 0xBF8B426B, 0x3E113527, 0x3F94C9ED, 0x3F58A247),
        (2**64 - 1, 2**40): (0x3D4CF0A6, 0x3E885B57, 0xBF967162, 0x3E544828, 0x3FA3DD8F, 0x3F1255EB),
    },
    ("truncated_normal", "float64"): {
        (0, 0): (0xBFD973628C131C05, 0xBFD3DD84FF91E709, 0x3FF63083C830BEA5, 0x3FD511D43E0F2702,
                 0xBFEE39ABC95353D0, 0xBFF5C788E06509A7),
        (20240607, 5): (0xBFF2F351E679777B, 0x3FEAAC63EFE55EFB, 0xBFEF4A89E3616D83, 0xBFF9618A05B56904,
                        0xBFFC97EA65F12FBB, 0x3FD48EB2E8F2AB42),
        (2**64 - 1, 2**40): (0xBFFB66C8F1970B2A, 0x3FD3551744CE7615, 0xBFC2131067A1F4BA, 0xBFE59BB8EADCBDFA,
                             0xBFF96A4E07E0D9C5, 0x3FF6E98819A6A43E),
    },
}
GOLDEN_PARAMS = {"uniform": (UNIFORM, (0.0, 1.0)), "normal": (NORMAL, (0.0, 1.0)),
                 "truncated_normal": (TRUNCATED_NORMAL, (0.0, 1.0, -2.0, 2.0))}


def _generator_at(seed, call):
    return fastinit.Generator(seed).set_state({"seed": seed, "calls": call})


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("key", sorted(GOLDEN), ids=lambda k: f"{k[0]}-{k[1]}")
def test_golden_values(key, isa):
    dist, dtype = key
    code, params = GOLDEN_PARAMS[dist]
    with runtime(isa, 1):
        for (seed, call), expected in GOLDEN[key].items():
            got = []
            for idx in GOLDEN_INDICES:  # one element at a time: the scalar path
                a = np.empty(1, dtype)
                _sampling.fill_(a, code, params, seed=_generator_at(seed, call), full_shape=(2**40,), offset=(idx,))
                got.append(int(bits(a)[0]))
            assert tuple(got) == expected, (seed, call)
            # the first four again, from a vector-sized run
            a = np.empty(64, dtype)
            _sampling.fill_(a, code, params, seed=_generator_at(seed, call))
            assert tuple(int(v) for v in bits(a)[:4]) == expected[:4]


def test_golden_uniform_matches_the_philox_known_answer():
    # Random123 KAT: philox4x32_10(ctr=0, key=0) word 0 = 0x6627e8d5;
    # the first float32 uniform of seed 0, call 0 is its top 24 bits * 2**-24.
    assert GOLDEN[("uniform", "float32")][(0, 0)][0] == int(
        np.array([(0x6627E8D5 >> 8) * 2.0**-24], np.float32).view(np.uint32)[0]
    )


def test_int_seed_equals_a_fresh_generator():
    a = sample((33, 65), np.float32, "trunc_rejection", seed=12345)
    b = sample((33, 65), np.float32, "trunc_rejection", seed=fastinit.Generator(12345))
    assert_same_bits(a, b)
    g = fastinit.Generator(12345)
    sample(3, np.float32, "uniform", seed=g)  # call 0
    c = sample((33, 65), np.float32, "trunc_rejection", seed=g)  # call 1
    assert not np.array_equal(bits(a), bits(c))


# ---------------------------------------------------------------------------
# Thread pool: fork safety


def _child_fill(queue):
    try:
        fastinit.set_num_threads(2)
        a = np.empty(4 * 65536, np.float32)
        _sampling.fill_(a, NORMAL, (0.0, 1.0), seed=99)
        queue.put(a.tobytes())
    except BaseException as exc:  # report instead of hanging the parent
        queue.put(repr(exc))


@pytest.mark.threads
@pytest.mark.native_only
def test_thread_pool_survives_fork():
    with runtime(threads=2):
        a = np.empty(4 * 65536, np.float32)
        _sampling.fill_(a, NORMAL, (0.0, 1.0), seed=99)  # parent pool is running
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        proc = ctx.Process(target=_child_fill, args=(queue,))
        proc.start()
        try:
            result = queue.get(timeout=60)
        finally:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
        assert proc.exitcode == 0
        assert result == a.tobytes()
        _sampling.fill_(a, NORMAL, (0.0, 1.0), seed=99)  # and the parent's pool still works
        assert result == a.tobytes()
