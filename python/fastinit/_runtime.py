"""Threads, instruction-set dispatch and build information."""
from __future__ import annotations

import numbers
import os
import sys
from typing import Any

from . import _core

__all__ = ["set_num_threads", "get_num_threads", "info"]

#: Values of FASTINIT_ISA: "auto" picks the best kernels this CPU can run.
ISAS = ("auto", "generic", "avx2", "avx512")


#: The largest thread count fastinit accepts (set_num_threads, FASTINIT_NUM_THREADS).
MAX_THREADS = 4096

_THREAD_ENV_VALUES = f"valid: 1 to {MAX_THREADS}, or unset for the CPUs this process may use"

#: Why the FASTINIT_* variables are unusable, kept instead of raised only while
#: ``python -m fastinit`` imports the package: its ``__main__`` then reports it
#: in one line (see :func:`_init_from_environment`). None otherwise.
environment_error: ValueError | RuntimeError | None = None


def _parse_thread_env() -> int | None:
    """FASTINIT_NUM_THREADS as an int, or None when unset or blank.

    An unusable value is a clear ValueError at ``import fastinit`` (the
    variable is the user's explicit request: it is never silently ignored).
    """
    raw = os.environ.get("FASTINIT_NUM_THREADS")
    if raw is None or raw.strip() == "":
        return None
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"FASTINIT_NUM_THREADS must be a positive integer, got {raw!r} "
                         f"({_THREAD_ENV_VALUES})") from None
    if n < 1:
        raise ValueError(f"FASTINIT_NUM_THREADS must be a positive integer, got {raw!r} ({_THREAD_ENV_VALUES})")
    if n > MAX_THREADS:
        raise ValueError(f"FASTINIT_NUM_THREADS must be at most {MAX_THREADS}, got {raw!r} ({_THREAD_ENV_VALUES})")
    return n


def set_num_threads(n: int) -> None:
    """Set how many threads fastinit's kernels use (``1 <= n <= 4096``).

    Results never depend on this number: work is split by counter ranges.
    The default is ``FASTINIT_NUM_THREADS`` if set, else the number of CPUs
    this process may run on.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a positive int, got {type(n).__name__}")
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"n must be a positive int, got {n} (fastinit accepts 1 <= n <= {MAX_THREADS})")
    _core.set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads fastinit's kernels use."""
    return _core.get_num_threads()


def _apply_environment() -> None:
    n = _parse_thread_env()
    _core.set_num_threads(n if n is not None else _core.default_num_threads())
    isa = os.environ.get("FASTINIT_ISA", "auto").strip().lower() or "auto"
    if isa not in ISAS:
        raise ValueError(f"FASTINIT_ISA must be one of {', '.join(map(repr, ISAS))}; got {isa!r}")
    if isa != "auto":
        try:
            _core.select_isa(isa)
        except RuntimeError as exc:  # the CPU or the build lacks the ISA
            usable = ", ".join(repr(name) for name in ["auto", *_core.available_isas()])
            raise RuntimeError(f"{exc}; valid on this CPU: {usable}") from None


def _starting_python_m_fastinit() -> bool:
    """True while ``python -m fastinit`` imports the package, before it runs ``fastinit.__main__``.

    Until the module is found Python sets ``sys.argv[0]`` to ``"-m"``;
    ``sys.orig_argv`` (Python 3.10+) then holds the module name (``fastinit``,
    ``-mfastinit``, ``-Im fastinit``) right before the arguments in ``sys.argv[1:]``.
    """
    orig, argv = getattr(sys, "orig_argv", None), sys.argv
    if not orig or not argv or argv[0] != "-m" or len(orig) <= len(argv):
        return False
    token = orig[len(orig) - len(argv)]
    module = token.partition("m")[2] if token.startswith("-") else token
    return module in ("fastinit", "fastinit.__main__")


def _init_from_environment() -> None:
    """Apply FASTINIT_NUM_THREADS and FASTINIT_ISA (``import fastinit`` calls this once).

    An unusable value raises ValueError (RuntimeError: an ISA this CPU lacks),
    except while ``python -m fastinit`` starts: the error is then kept in
    :data:`environment_error` for the command line to report without a traceback.
    """
    global environment_error
    try:
        _apply_environment()
    except (ValueError, RuntimeError) as exc:
        if not _starting_python_m_fastinit():
            raise
        environment_error = exc


def info() -> dict[str, Any]:
    """Build and runtime facts.

    ``isa`` is the kernel set in use (``"avx512"``, ``"avx2"`` or
    ``"generic"``; all compute the same bits), ``available_isas`` the ones this
    CPU can run, ``threads`` as :func:`get_num_threads`.
    """
    return {
        "version": _core.__version__,
        "isa": _core.isa(),
        "available_isas": _core.available_isas(),
        "threads": _core.get_num_threads(),
        "cpu_features": _core.cpu_features().split(),
        "default_threads": _core.default_num_threads(),
    }
