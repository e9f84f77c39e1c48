"""``torch.nn.init`` calls made by other code, routed through fastinit (fastinit/torch/_routing.py): per
thread, and torch's functions back when the last block ends."""
import threading

import pytest
from torch_checks import stream

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastinit.torch")
nn = torch.nn


@pytest.mark.filterwarnings("ignore:reset_parameters. 1 module")
def test_fallback_routing_is_per_thread_and_always_undone():
    # Two threads reset models with unknown modules at overlapping times (A's block ends inside B's), while
    # the main thread calls torch.nn.init directly: each thread's calls go to its own handler or to torch.
    original = nn.init.orthogonal_
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()

    class Waiting(nn.Module):
        def __init__(self, role):
            super().__init__()
            self.role, self.w = role, nn.Parameter(torch.empty(6, 6))

        def reset_parameters(self):
            (a_inside if self.role == "a" else b_inside).set()
            (b_inside if self.role == "a" else a_done).wait(10)
            nn.init.orthogonal_(self.w)

    models = {role: Waiting(role) for role in "ab"}

    def reset(role):
        ft.reset_parameters(models[role], seed=0)
        if role == "a":
            a_done.set()

    threads = [threading.Thread(target=reset, args=(role,)) for role in "ab"]
    threads[0].start()
    a_inside.wait(10)
    threads[1].start()
    b_inside.wait(10)
    mine = nn.init.normal_(torch.empty(50), generator=torch.Generator().manual_seed(1))
    for t in threads:
        t.join(10)
    assert torch.equal(mine, torch.empty(50).normal_(generator=torch.Generator().manual_seed(1)))  # torch's own
    assert nn.init.orthogonal_ is original
    expected = ft.orthogonal_(torch.empty(6, 6), generator=stream(0, "w"))
    assert torch.equal(models["a"].w, expected) and torch.equal(models["b"].w, expected)
