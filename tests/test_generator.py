"""Seeds, generators and the call counter."""
import pickle

import numpy as np
import pytest

import fastinit
from fastinit import _sampling


def draw(seed, n=64, dtype=np.float32):
    out = np.empty(n, dtype=dtype)
    return _sampling.fill_(out, _sampling.UNIFORM, (0.0, 1.0), seed=seed)


def test_key_is_the_seed_split_little_endian():
    g = fastinit.Generator(0x0123456789ABCDEF)
    assert g.key == (0x89ABCDEF, 0x01234567)
    assert g.seed == 0x0123456789ABCDEF
    assert g.calls == 0


def test_same_int_seed_gives_same_values_every_time():
    np.testing.assert_array_equal(draw(123), draw(123))
    assert not np.array_equal(draw(123), draw(124))


def test_generator_advances_one_call_per_random_call():
    g = fastinit.Generator(5)
    a = draw(g)
    b = draw(g)
    assert g.calls == 2
    assert not np.array_equal(a, b)
    # A fresh generator replays the same sequence.
    g2 = fastinit.Generator(5)
    np.testing.assert_array_equal(draw(g2), a)
    np.testing.assert_array_equal(draw(g2), b)


def test_an_int_seed_equals_the_first_call_of_a_generator():
    np.testing.assert_array_equal(draw(77), draw(fastinit.Generator(77)))


def test_empty_arrays_still_consume_a_call():
    g = fastinit.Generator(1)
    draw(g, n=0)
    assert g.calls == 1
    np.testing.assert_array_equal(draw(g), draw(fastinit.Generator(1).set_state({"seed": 1, "calls": 1})))


def test_seed_none_uses_and_advances_the_default_generator():
    fastinit.manual_seed(99)
    a = draw(None)
    b = draw(None)
    assert fastinit.default_generator().calls == 2
    assert not np.array_equal(a, b)
    fastinit.manual_seed(99)
    np.testing.assert_array_equal(draw(None), a)
    np.testing.assert_array_equal(draw(None), b)


def test_manual_seed_returns_the_new_default_generator():
    g = fastinit.manual_seed(3)
    assert g is fastinit.default_generator()
    assert g.seed == 3 and g.calls == 0


def test_manual_seed_reseeds_the_default_generator_in_place():
    # Like torch.manual_seed and numpy.random.seed: a reference to the default generator sees the reseed.
    g = fastinit.default_generator()
    draw(None)
    assert fastinit.manual_seed(4) is g and g.seed == 4 and g.calls == 0
    np.testing.assert_array_equal(draw(None), draw(fastinit.Generator(4)))


def test_unseeded_generators_differ():
    assert fastinit.Generator().seed != fastinit.Generator().seed


def test_state_roundtrip_and_pickle():
    g = fastinit.Generator(11)
    draw(g)
    state = g.get_state()
    assert state == {"seed": 11, "calls": 1}
    nxt = draw(g)
    g.set_state(state)
    np.testing.assert_array_equal(draw(g), nxt)
    g3 = pickle.loads(pickle.dumps(g))
    assert g3.get_state() == g.get_state()
    np.testing.assert_array_equal(draw(g3), draw(g))
    assert "seed=11" in repr(g)


def test_numpy_integers_are_accepted_as_seeds():
    np.testing.assert_array_equal(draw(np.uint64(2**64 - 1)), draw(2**64 - 1))


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_seed_out_of_range(bad):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\)"):
        fastinit.Generator(bad)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\)"):
        draw(bad)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\)"):
        fastinit.manual_seed(bad)


@pytest.mark.parametrize("bad", [1.5, "7", True, [1]])
def test_seed_of_wrong_type(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        draw(bad)


@pytest.mark.parametrize(
    "state,match",
    [
        ({"seed": 1}, "exactly the keys"),
        ({"seed": 1, "calls": -1}, r"calls'\] must be an int in \[0, 2\*\*56\)"),
        ({"seed": 1, "calls": 2**56}, r"calls'\] must be an int in \[0, 2\*\*56\)"),
        ({"seed": -5, "calls": 0}, r"state\['seed'\] must be an int"),
    ],
)
def test_bad_state(state, match):
    with pytest.raises(ValueError, match=match):
        fastinit.Generator(0).set_state(state)


def test_call_counter_exhaustion_is_an_error():
    g = fastinit.Generator(0).set_state({"seed": 0, "calls": 2**56 - 1})
    draw(g)
    with pytest.raises(RuntimeError, match="2\\*\\*56 calls"):
        draw(g)


# --- fold_in / spawn: derived generators (docs/streams.md, section 5) ---


def _reference_fold_in(seed, data):
    """docs/streams.md's definition, written out independently."""
    import hashlib

    payload = b"s" + data.encode("utf-8") if isinstance(data, str) else b"i" + data.to_bytes(8, "little")
    h = hashlib.blake2b(payload, digest_size=8, key=seed.to_bytes(8, "little"), person=b"fastinit.fold_in")
    return int.from_bytes(h.digest(), "little")


@pytest.mark.parametrize("seed", [0, 1, 2**64 - 1, 0x0123456789ABCDEF])
@pytest.mark.parametrize("data", ["h.0.attn.c_proj.weight", "", "ünïcode", 0, 7, 2**64 - 1])
def test_fold_in_is_the_documented_hash(seed, data):
    child = fastinit.Generator(seed).fold_in(data)
    assert child.seed == _reference_fold_in(seed, data)
    assert child.calls == 0


def test_fold_in_golden_value():
    # pinned: changing the derivation changes every model initialized by name
    assert fastinit.Generator(0).fold_in("weight").seed == _reference_fold_in(0, "weight")
    assert fastinit.Generator(0).fold_in(1).seed == 15067919129503728890


def test_fold_in_is_pure_and_does_not_advance():
    g = fastinit.Generator(3)
    draw(g)
    a = g.fold_in("x")
    assert g.calls == 1
    assert a.seed == fastinit.Generator(3).fold_in("x").seed
    assert g.fold_in("x").seed != g.fold_in("y").seed
    assert g.fold_in(1).seed != g.fold_in("1").seed  # ints and strings are tagged apart


def test_fold_in_breaks_the_same_shape_symmetry():
    root = fastinit.Generator(0)
    a, b = draw(root.fold_in("layer1.weight")), draw(root.fold_in("layer2.weight"))
    assert not np.array_equal(a, b)
    # nested derivation: names compose like paths of generators
    assert root.fold_in("a").fold_in("b").seed != root.fold_in("b").fold_in("a").seed


def test_spawn_is_fold_in_of_the_index():
    g = fastinit.Generator(11)
    children = g.spawn(4)
    assert [c.seed for c in children] == [g.fold_in(i).seed for i in range(4)]
    assert len({c.seed for c in children}) == 4
    assert g.spawn(0) == []


@pytest.mark.parametrize("bad", [-1, 2**64, 1.0, None, True, b"x"])
def test_fold_in_bad_data(bad):
    with pytest.raises(TypeError, match="data must be a str or an int in"):
        fastinit.Generator(0).fold_in(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_spawn_bad_n(bad):
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        fastinit.Generator(0).spawn(bad)
