"""Philox4x32-10: Random123 known answers, randomgen, an independent reference."""
import numpy as np
import pytest

import fastinit

# Random123 tests/kat_vectors: philox4x32 10 <ctr x4> <key x2> <expected x4>
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    (
        [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
        [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
    ),
]


def philox_python(ctr, key):
    """Straight from the algorithm description (Salmon et al. 2011)."""
    c = list(ctr)
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & 0xFFFFFFFF, p1 & 0xFFFFFFFF,
             ((p0 >> 32) ^ c[3] ^ k1) & 0xFFFFFFFF, p0 & 0xFFFFFFFF]
        k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
        k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_random123_known_answers(ctr, key, expected):
    out = fastinit.philox4x32(np.array([ctr], dtype=np.uint32), np.array(key, dtype=np.uint32))
    assert out.dtype == np.uint32 and out.shape == (1, 4)
    assert out[0].tolist() == expected
    assert philox_python(ctr, key) == expected


def test_many_rows_match_python_reference():
    rng = np.random.default_rng(7)
    ctr = rng.integers(0, 2**32, size=(257, 4), dtype=np.uint32)
    key = rng.integers(0, 2**32, size=2, dtype=np.uint32)
    out = fastinit.philox4x32(ctr, key)
    for j in range(0, 257, 16):
        assert out[j].tolist() == philox_python(ctr[j].tolist(), key.tolist())


def test_agrees_with_randomgen_on_random_counters_and_keys():
    randomgen = pytest.importorskip("randomgen")
    rng = np.random.default_rng(2024)
    for _ in range(20):
        key = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        counter = int.from_bytes(rng.bytes(16), "little")
        # randomgen yields philox4x32_10(counter + 1, key), counter wrapping mod 2**128.
        bg = randomgen.Philox(number=4, width=32, key=key, counter=counter)
        expected = bg.random_raw(8).astype(np.uint32)
        ctrs = []
        for step in (1, 2):
            c = (counter + step) % 2**128
            ctrs.append([(c >> (32 * w)) & 0xFFFFFFFF for w in range(4)])
        key_words = np.array([key & 0xFFFFFFFF, key >> 32], dtype=np.uint32)
        out = fastinit.philox4x32(np.array(ctrs, dtype=np.uint32), key_words)
        np.testing.assert_array_equal(out.ravel(), expected)


def test_accepts_python_int_lists_and_returns_new_array():
    out = fastinit.philox4x32([[0, 0, 0, 0]], [0, 0])
    assert out.tolist() == [KAT[0][2]]
    empty = fastinit.philox4x32(np.zeros((0, 4), dtype=np.uint32), np.zeros(2, dtype=np.uint32))
    assert empty.shape == (0, 4)


@pytest.mark.parametrize(
    "counters,key,exc,match",
    [
        (np.zeros((3, 3), dtype=np.uint32), np.zeros(2, dtype=np.uint32), ValueError,
         r"counters must have shape \(n, 4\)"),
        (np.zeros(4, dtype=np.uint32), np.zeros(2, dtype=np.uint32), ValueError, r"counters must have shape \(n, 4\)"),
        (np.zeros((1, 4), dtype=np.uint32), np.zeros(3, dtype=np.uint32), ValueError, r"key must have shape \(2,\)"),
        (np.zeros((1, 4)), np.zeros(2, dtype=np.uint32), TypeError, "counters must hold uint32 values"),
        (np.full((1, 4), -1), np.zeros(2, dtype=np.uint32), TypeError, "counters must hold uint32 values"),
        (np.zeros((1, 4), dtype=np.uint32), np.array([2**32, 0]), TypeError, "key must hold uint32 values"),
    ],
)
def test_bad_input(counters, key, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.philox4x32(counters, key)
