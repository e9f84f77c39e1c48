"""Fresh Python interpreters: a clean import of fastinit, and the gloo worlds of the torch.distributed tests."""
import json
import os
import subprocess
import sys


def run_python(code, env_update=None, remove=(), preexec_fn=None):
    """Run ``python -c code`` with the FASTINIT_* variables (and those in remove) unset, then env_update set."""
    env = {k: v for k, v in os.environ.items() if k not in remove and not k.startswith("FASTINIT_")}
    env.update(env_update or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec_fn)


def run_world(worker, world, tmp_path):
    """Start ``world`` processes of ``worker`` (one gloo group), wait for them, return each rank's JSON report.

    Each gets ``rank world init_file out_file``; one thread each for fastinit and OpenMP.
    """
    env = dict(os.environ, FASTINIT_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if sys.platform.startswith("linux"):
        # Loopback only: gloo otherwise binds to the address the hostname resolves to, which some CI containers lack.
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    init_file = tmp_path / "pg"
    procs, outs = [], []
    for rank in range(world):
        out = tmp_path / f"rank{rank}.json"
        outs.append(out)
        procs.append(subprocess.Popen(
            [sys.executable, worker, str(rank), str(world), str(init_file), str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=300)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for rank, (p, log) in enumerate(zip(procs, logs)):
        assert p.returncode == 0, f"rank {rank} exited with {p.returncode}:\n{log[-4000:]}"
    return [json.loads(out.read_text()) for out in outs]
