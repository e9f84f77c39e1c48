"""``python -m fastinit demo``: run every section and write the report.

:func:`run_demo` is the whole command as a function; the argument parsing
lives in ``fastinit.__main__``.
"""
from __future__ import annotations

import datetime
import importlib
import importlib.util
import os
import sys
import time
import webbrowser
from collections.abc import Sequence
from typing import TextIO

import fastinit

from .interrupt import check, interruptible
from .section import Section

__all__ = ["SECTIONS", "DemoError", "missing_dependencies", "run_demo"]

#: section module names, in report order
SECTIONS = ("zeros", "depth", "curves", "pretraining", "speed")

#: import name -> distribution name of what the demo cannot run without
REQUIRED = {"matplotlib": "matplotlib", "sklearn": "scikit-learn", "scipy": "scipy",
            "threadpoolctl": "threadpoolctl"}


class DemoError(Exception):
    """A problem the command reports in one line, without a traceback."""


def missing_dependencies() -> list[str]:
    """Distribution names of the required packages that cannot be imported."""
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


def _prepare_output(out: str) -> str:
    """Create ``out`` if needed and check that files can be written in it."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise DemoError(f"cannot write the report to {out!r}: it is a file, not a directory; "
                        "choose another --out DIR")
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".fastinit-write-test")
        with open(probe, "w") as fh:
            fh.write("")
        os.remove(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DemoError(f"cannot write the report to {out!r}: {reason}; choose another --out DIR") from None
    return os.path.abspath(out)


def _marks(stream: TextIO) -> tuple[str, str]:
    try:
        "✓✗".encode(stream.encoding or "ascii")
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "+", "x"


def _can_open_browser() -> bool:
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def run_demo(out: str = "fastinit-demo", quick: bool = False, seed: int = 0, open_browser: bool = False,
             sections: Sequence[str] = SECTIONS, stream: TextIO | None = None) -> str:
    """Run the ``sections`` (names from :data:`SECTIONS`) with their full or
    ``quick`` settings and ``seed``, print one line per finding to ``stream``
    (default standard output; progress bars go to standard error), write the
    report into ``out`` and return the path of its ``index.html``.

    Ctrl-C raises ``KeyboardInterrupt`` within a second in every section,
    scikit-learn's training loops included, and then no report is written
    (``out`` may have been created, empty of this run's files).

    Raises :class:`DemoError` when a required package is missing, a section
    name is unknown or ``out`` cannot be written.
    """
    stream = stream if stream is not None else sys.stdout
    missing = missing_dependencies()
    if missing:
        raise DemoError(
            f"the demo needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed; "
            "install the demo extra: pip install \"fastinit-nn[demo]\" (from a source checkout: "
            "pip install \".[demo]\")")
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise DemoError(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    out = _prepare_output(out)
    ok, bad = _marks(stream)
    mode = "quick" if quick else "full"
    info = fastinit.info()
    print(f"fastinit {info['version']} demo ({mode} run, seed {seed}, {info['isa']} kernels, "
          f"{info['threads']} threads)", file=stream, flush=True)
    t0 = time.perf_counter()
    results: list[Section] = []
    with interruptible():  # Ctrl-C stops the run before any report is written
        for key in sections:
            module = importlib.import_module(f"{__package__}.{key}")
            section: Section = module.run(seed=seed, **module.SETTINGS[mode])
            check()
            results.append(section)
            print(f"{section.title} ({section.seconds:.1f} s)", file=stream)
            for note in section.notes:
                print(f"  note: {note}", file=stream)
            for finding in section.findings:
                print(f"  {ok if finding.holds else bad} {finding.text}", file=stream)
            stream.flush()
        from .report import write_report

        meta = {"version": info["version"], "isa": info["isa"], "threads": info["threads"], "quick": quick,
                "seed": seed, "command": "python -m fastinit demo" + (" --quick" if quick else "")
                + (f" --seed {seed}" if seed else "")
                + "".join(f" --section {key}" for key in sections if tuple(sections) != SECTIONS),
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "seconds": time.perf_counter() - t0}
        try:
            path = write_report(results, out, meta)
        except OSError as exc:
            raise DemoError(f"cannot write the report to {out!r}: {exc.strerror or exc}") from None
    n_hold = sum(f.holds for s in results for f in s.findings)
    n_all = sum(len(s.findings) for s in results)
    print(f"{n_hold} of {n_all} findings support their lesson; {meta['seconds']:.0f} s in all.", file=stream)
    print(f"report: {path}", file=stream, flush=True)
    if open_browser and _can_open_browser():
        try:
            webbrowser.open("file://" + path)
        except Exception:  # noqa: BLE001 - a browser that fails to start is not the demo's failure
            pass
    return path
