"""``python -m fastinit``: build facts, a self-check and a small timing table;
``python -m fastinit demo``: the initialization experiments as an HTML report."""
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from . import __version__, _core, _runtime, _sampling, info, philox4x32

_KAT = ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1])

_DISTRIBUTIONS = [
    ("uniform", _sampling.UNIFORM, (0.0, 1.0)),
    ("normal", _sampling.NORMAL, (0.0, 1.0)),
    ("truncated_normal", _sampling.TRUNCATED_NORMAL, (0.0, 1.0, -2.0, 2.0)),
]


def _self_check() -> list[tuple[str, bool]]:
    """(name, ok) pairs: Philox known answer; every kernel equals the generic one."""
    checks = []
    out = philox4x32(np.array([_KAT[0]], dtype=np.uint32), np.array(_KAT[1], dtype=np.uint32))
    checks.append(("philox4x32 known-answer vector", out[0].tolist() == _KAT[2]))
    active = _core.isa()
    vector_isas = [isa for isa in _core.available_isas() if isa != "generic"]
    for name, dist, params in _DISTRIBUTIONS:
        for dtype in (np.float16, np.float32, np.float64):
            res = {}
            try:
                for isa in ["generic"] + vector_isas:
                    _core.select_isa(isa)
                    a = np.empty(4099, dtype=dtype)
                    res[isa] = _sampling.fill_(a, dist, params, seed=12345).tobytes()
            finally:
                _core.select_isa(active)
            for isa in vector_isas:
                checks.append((f"{name} {np.dtype(dtype).name}: {isa} == generic", res[isa] == res["generic"]))
    return checks


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _timing_table(n: int, repeat: int) -> list[tuple[str, float, float, float]]:
    rng = np.random.default_rng(0)
    rows = []
    a = np.empty(n, dtype=np.float32)
    baselines = {
        "uniform": lambda: rng.random(out=a, dtype=np.float32),
        "normal": lambda: rng.standard_normal(out=a, dtype=np.float32),
        "truncated_normal": None,
    }
    for name, dist, params in _DISTRIBUTIONS:
        t = _median_time(functools.partial(_sampling.fill_, a, dist, params, seed=1), repeat)
        base = baselines[name]
        tb = _median_time(base, repeat) if base is not None else float("nan")
        rows.append((name, n / t / 1e9, n / tb / 1e9 if base else float("nan"), tb / t if base else float("nan")))
    return rows


_EPILOG = """\
environment variables:
  FASTINIT_NUM_THREADS=N           threads fastinit's kernels use, 1 to 4096
                                   (default: the CPUs this process may use)
  FASTINIT_ISA=auto|generic|avx2|avx512
                                   force a kernel path (default auto: the
                                   best one this CPU supports)
  An invalid value stops every command, --help and --version included,
  before the arguments are read: one line on stderr and exit status 2, as
  for a bad option (`import fastinit` raises it as an exception instead).
"""

_DEMO_EPILOG = """\
The report is DIR/index.html (self-contained: figures embedded, no network
needed), with the figures as DIR/figures/*.png and every number in
DIR/results.json. The full run takes about 15-25 s on a 2-core machine
(measured: 13-24 s, the longer runs with other jobs on the cores); --quick
runs every section with smaller settings in about 5 s. The demo needs the "demo" extra:
pip install "fastinit-nn[demo]" (PyTorch is optional: it adds the gradient
statistics and the PyTorch speed comparison).
"""


def _int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"must be an integer {bound}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m fastinit``."""
    parser = argparse.ArgumentParser(
        prog="python -m fastinit", description="fastinit: build facts, self-check and timings, or the demo.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fastinit {__version__}")
    parser.add_argument("--size", type=_int_at_least(1, 1 << 30), default=1 << 24, metavar="N",
                        help="elements per timed fill, 1 to 2**30 (default 2**24)")
    parser.add_argument("--repeat", type=_int_at_least(1), default=5, metavar="N",
                        help="timed runs per entry, >= 1; the median is shown (default 5)")
    commands = parser.add_subparsers(
        dest="command", title="commands", metavar="{demo}",
        description="without a command: the version, the kernels in use, the CPU features, a\n"
                    "self-check and a small timing table against NumPy (--size, --repeat)")
    from .demo.cli import SECTIONS  # names only: the demo's dependencies are imported when it runs

    demo = commands.add_parser(
        "demo", help="run the weight-initialization experiments and write an HTML report",
        description="Weight initialization, measured: zeros and constants, activation and\n"
                    "gradient statistics over depth, training curves, pretraining and speed,\n"
                    "as an HTML report.",
        epilog=_DEMO_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--out", default="fastinit-demo", metavar="DIR",
                      help="directory of the report, created if needed\n(default: fastinit-demo)")
    demo.add_argument("--quick", action="store_true", help="small settings: every section in seconds (CI)")
    demo.add_argument("--seed", type=_int_at_least(0, 2**32 - 1), default=0, metavar="N",
                      help="seed of every experiment, 0 to 2**32-1 (default 0)")
    demo.add_argument("--section", action="append", choices=SECTIONS, metavar="NAME",
                      help=f"run only this section (repeatable; default: all of {', '.join(SECTIONS)})")
    demo.set_defaults(command_parser=demo)  # its usage goes with its errors
    demo.add_argument("--no-open", action="store_true", help="do not open the report in a web browser")
    return parser


def _info(size: int, repeat: int) -> int:
    facts = info()
    print(f"fastinit {facts['version']}")
    print(f"  kernels (isa):  {facts['isa']}")
    print(f"  threads:        {facts['threads']} (CPUs usable: {facts['default_threads']})")
    print(f"  cpu features:   {' '.join(facts['cpu_features']) or '(none detected)'}")
    print()
    ok_all = True
    print("self-check")
    for name, ok in _self_check():
        ok_all &= ok
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    print()
    print(f"float32 fill of {size:,} elements, median of {repeat} (G elements/s)")
    print(f"  {'distribution':<18}{'fastinit':>10}{'numpy':>10}{'ratio':>8}")
    for name, g, gb, ratio in _timing_table(size, repeat):
        nb = "-" if np.isnan(gb) else f"{gb:.3f}"
        rt = "-" if np.isnan(ratio) else f"{ratio:.1f}x"
        print(f"  {name:<18}{g:>10.3f}{nb:>10}{rt:>8}")
    return 0 if ok_all else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if _runtime.environment_error is not None:  # kept by `import fastinit` for us: see _runtime
        print(f"{parser.prog}: error: {_runtime.environment_error}", file=sys.stderr)
        return 2
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would report a subcommand's unknown option with the top-level usage
        getattr(args, "command_parser", parser).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    prog = parser.prog
    try:
        if args.command == "demo":
            from .demo.cli import SECTIONS, DemoError, run_demo

            try:
                run_demo(args.out, quick=args.quick, seed=args.seed, open_browser=not args.no_open,
                         sections=args.section or SECTIONS)
            except DemoError as exc:
                print(f"{prog} demo: error: {exc}", file=sys.stderr)
                return 1
            return 0
        try:
            return _info(args.size, args.repeat)
        except MemoryError:
            print(f"{prog}: error: not enough memory for --size {args.size}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`... | head`): stop quietly, as a
        # program killed by SIGPIPE would, and keep Python's shutdown flush of
        # stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141


if __name__ == "__main__":
    sys.exit(main())
