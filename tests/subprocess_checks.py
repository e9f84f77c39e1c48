"""A fresh Python interpreter for the tests that need a clean import of fastinit."""
import os
import subprocess
import sys


def run_python(code, env_update=None, remove=(), preexec_fn=None):
    """Run ``python -c code`` with the FASTINIT_* variables (and those in remove) unset, then env_update set."""
    env = {k: v for k, v in os.environ.items() if k not in remove and not k.startswith("FASTINIT_")}
    env.update(env_update or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=preexec_fn)
