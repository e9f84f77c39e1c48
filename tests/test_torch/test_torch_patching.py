"""Attribute replacements shared by every thread (fastinit/torch/_patching.py): installed by the first block,
undone by the last, whatever order overlapping blocks of different threads end in; an attribute the owner only
inherits is deleted again, not left as a copy. (Through torch.nn.init: test_torch_routing.py; through
fast_init: test_torch_construct.py.)"""
import threading

import pytest

pytest.importorskip("torch")
_patching = pytest.importorskip("fastinit.torch._patching")


@pytest.fixture
def owners():
    """A class with its own attribute and an inherited method, a dict, and a SharedPatch of all three."""

    class Base:
        def method(self):
            return "base"

    class Owner(Base):
        value = "own"

    table = {"entry": "original"}
    installs = []

    def targets():
        installs.append(1)
        return [(Owner, "value", lambda original: f"patched {original}"),
                (Owner, "method", lambda original: lambda self: f"patched {original(self)}"),
                (table, "entry", lambda original: f"patched {original}")]

    return Owner, table, installs, _patching.SharedPatch(targets)


def _patched(Owner, table):
    return (Owner.value, Owner().method(), table["entry"]) == ("patched own", "patched base", "patched original")


def _restored(Owner, table):
    return ((Owner.value, Owner().method(), table["entry"]) == ("own", "base", "original")
            and "method" not in vars(Owner))  # the inherited method is inherited again, not copied onto Owner


def test_replaced_while_a_block_is_open_and_restored_after(owners):
    Owner, table, installs, patch = owners
    assert _restored(Owner, table)
    patch.acquire()
    assert _patched(Owner, table) and "method" in vars(Owner)
    patch.release()
    assert _restored(Owner, table) and installs == [1]


def test_nested_blocks_restore_when_the_outer_one_ends(owners):
    Owner, table, installs, patch = owners
    patch.acquire()
    patch.acquire()
    patch.release()
    assert _patched(Owner, table)
    patch.release()
    assert _restored(Owner, table) and installs == [1]


def test_a_second_cycle_installs_and_restores_again(owners):
    Owner, table, installs, patch = owners
    for _ in range(2):
        patch.acquire()
        assert _patched(Owner, table)
        patch.release()
        assert _restored(Owner, table)
    assert installs == [1, 1]


def test_overlapping_blocks_of_two_threads_restore_when_the_last_ends(owners):
    # A opens, B opens, A closes first: B's block must still see the replacements, and the
    # originals come back only when B closes. One installation serves both threads.
    Owner, table, installs, patch = owners
    a_open, b_open, a_closed = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        patch.acquire()
        a_open.set()
        b_open.wait(10)
        patch.release()
        a_closed.set()

    def b():
        a_open.wait(10)
        patch.acquire()
        b_open.set()
        a_closed.wait(10)
        seen["after A closed"] = _patched(Owner, table)
        patch.release()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert seen == {"after A closed": True}
    assert _restored(Owner, table) and installs == [1]
