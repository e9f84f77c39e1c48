"""The documentation runs as written: the README's and docs/*.md's python
examples, the docstrings' doctests, and the public names and command-line
flags the docs mention.

Doc blocks: every ```python fence of README.md and docs/*.md runs, in order,
in one namespace per file (a block may use what an earlier block of its file
defined), against the installed fastinit. The docs must be next to tests/
(a checkout): where tests/ was copied alone (the wheel step of .ci/run,
cibuildwheel) these tests are skipped; .ci/run's AddressSanitizer step runs
them from the checkout. The docstring doctests run everywhere.

Directives, an HTML comment on the lines right before a fence (invisible when
the Markdown is rendered; use sparingly, always with a reason):

    <!-- skip-test: reason -->         the block is not run (its imports are,
                                       for the blocks after it)
    <!-- test-setup: code -->          one line of code run before the block
    <!-- test-replace: old => new -->  text of the block replaced before it
                                       runs: absurd sizes only, never the API

The objects a reader brings (``X``, ``X_train``, ``y_train``, ``X_test``,
``y_test``, ``model``, ``MyModel``, ``config``) are ``reader_namespace()``'s,
small so that every block stays cheap; ``one_rank_process_group()`` starts
the torch.distributed blocks' process group (gloo, world size 1, closed at
the end of this module; tests/test_torch/test_torch_distributed.py runs 1-4 ranks). A block that imports a
module that is not installed is skipped (its imports of installed modules still run, for the
blocks after it), and so is a block whose code raises an ImportError caused by
a package that is not installed (``dbn.to_torch()`` without torch), and a
later block of its file that then fails with a NameError. The skip reason
names the missing package.
"""
from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import io
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fastinit

ROOT = Path(__file__).resolve().parents[1]
DOCS_PRESENT = (ROOT / "README.md").is_file() and (ROOT / "docs").is_dir()
NO_DOCS = "README.md and docs/ are not next to tests/ (tests copied alone, e.g. against an installed wheel)"
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if DOCS_PRESENT else []

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M)
_DIRECTIVE = re.compile(r"<!--\s*(skip-test|test-setup|test-replace):\s*(.*?)\s*-->", re.S)


@dataclass
class Block:
    path: Path
    index: int
    line: int
    code: str
    skip: str | None = None
    setup: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"

    def source(self) -> str:
        code = self.code
        for old, new in self.replace:
            assert old in code, f"{self.id}: test-replace text {old!r} is not in the block"
            code = code.replace(old, new)
        return code

    def imports(self) -> list[str]:
        """Top-level names of the modules the block and its test-setup lines import."""
        names = []
        for node in ast.walk(ast.parse("\n".join([*self.setup, self.code]))):
            if isinstance(node, ast.Import):
                names += [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module.split(".")[0])
        return names


def _directives(text: str, fence_start: int) -> list[tuple[str, str]]:
    """The directive comments that end right before a fence (blank lines allowed)."""
    found = []
    before = text[:fence_start].rstrip()
    while before.endswith("-->"):
        start = before.rfind("<!--")
        match = _DIRECTIVE.fullmatch(before[start:])
        if start < 0 or match is None:
            break
        found.append((match.group(1), match.group(2)))
        before = before[:start].rstrip()
    return found[::-1]


def doc_blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in _FENCE.finditer(text):
        indent = m.group("indent")
        lines = [ln[len(indent):] if ln.startswith(indent) else ln for ln in m.group("body").splitlines()]
        block = Block(path, len(blocks), text.count("\n", 0, m.start()) + 1, "\n".join(lines) + "\n")
        for kind, arg in _directives(text, m.start()):
            if kind == "skip-test":
                block.skip = arg
            elif kind == "test-setup":
                block.setup.append(arg)
            else:
                old, sep, new = arg.partition(" => ")
                assert sep, f"{block.id}: test-replace needs 'old => new', got {arg!r}"
                block.replace.append((old, new))
        blocks.append(block)
    return blocks


BLOCKS = [b for path in DOC_FILES for b in doc_blocks(path)]


def reader_namespace() -> dict[str, Any]:
    """What a reader of the docs already has: data in [0, 1] with labels, a
    small GPT-2-like PyTorch model (torch is optional)."""
    ns: dict[str, Any] = {"__name__": "__docs__"}
    if importlib.util.find_spec("sklearn") is not None:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X, y = X[:100] / 16, y[:100]
        ns.update(X=X[:60], X_train=X[:60], y_train=y[:60], X_test=X[60:], y_test=y[60:])
    if importlib.util.find_spec("torch") is not None:
        from torch import nn

        class Block(nn.Module):
            def __init__(self, width: int) -> None:
                super().__init__()
                self.ln_1 = nn.LayerNorm(width)
                self.c_attn = nn.Linear(width, 3 * width)
                self.c_proj = nn.Linear(width, width)

        class MyModel(nn.Module):
            def __init__(self, config: dict[str, int] | None = None) -> None:
                super().__init__()
                config = config or {"vocab_size": 50, "n_embd": 16, "n_layer": 2}
                self.wte = nn.Embedding(config["vocab_size"], config["n_embd"])
                self.h = nn.ModuleList(Block(config["n_embd"]) for _ in range(config["n_layer"]))
                self.ln_f = nn.LayerNorm(config["n_embd"])

        config = {"vocab_size": 50, "n_embd": 16, "n_layer": 2}
        ns.update(MyModel=MyModel, config=config, model=MyModel(config), world_size=1,
                  one_rank_process_group=one_rank_process_group)
    return ns


_STARTED_GROUP: list[str] = []  # the file store of the group this module started


def one_rank_process_group() -> None:
    """A gloo process group of this process alone (closed by ``_close_process_group``)."""
    import tempfile

    import torch.distributed as dist

    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    if not dist.is_initialized():
        store = tempfile.NamedTemporaryFile(prefix="fastinit-docs-pg-", delete=False)
        store.close()
        os.unlink(store.name)  # the file store creates it
        _STARTED_GROUP.append(store.name)
        dist.init_process_group("gloo", rank=0, world_size=1, init_method=f"file://{store.name}")


@pytest.fixture(scope="module", autouse=True)
def _close_process_group() -> Any:
    yield
    _RUNS.clear()  # the examples' models and arrays
    if _STARTED_GROUP:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
        for path in _STARTED_GROUP:
            if os.path.exists(path):
                os.unlink(path)
        _STARTED_GROUP.clear()


def _missing(modules: list[str]) -> list[str]:
    return sorted({m for m in modules if importlib.util.find_spec(m) is None})


def _missing_module(error: BaseException) -> str | None:
    """The optional package that is not installed behind ``error`` (or its causes), if that is why it was raised.

    A block may need a package it does not import (``dbn.to_torch()`` imports
    torch); a module that is installed but fails to import is not this.
    """
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ModuleNotFoundError) and e.name and _missing([e.name.split(".")[0]]):
            return e.name.split(".")[0]
        e = e.__cause__ or e.__context__
    return None


def _installed_imports(block: Block) -> list[ast.stmt]:
    """The block's top-level imports of installed modules, one statement per module, for the blocks after
    it (``import math, numpy as np, torch`` gives ``import math`` and ``import numpy as np`` without torch)."""
    statements: list[ast.stmt] = []
    for node in ast.parse(block.code).body:
        if isinstance(node, ast.Import):
            statements += [ast.Import(names=[a]) for a in node.names if not _missing([a.name.split(".")[0]])]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not _missing([node.module.split(".")[0]]):
                statements.append(node)
    return [ast.fix_missing_locations(ast.copy_location(st, st)) for st in statements]


class FileRun:
    """One doc file's namespace and what has run in it."""

    def __init__(self) -> None:
        self.ns = reader_namespace()
        self.done: set[int] = set()
        self.skipped: list[str] = []  # blocks skipped for a missing module

    def execute(self, block: Block) -> str | None:
        """Run ``block``; return why it was skipped, or None. Failures raise."""
        self.done.add(block.index)
        if block.skip is not None:
            self._run_installed_imports(block)
            return f"skip-test: {block.skip}"
        missing = _missing(block.imports())
        if missing:
            self._run_installed_imports(block)
            self.skipped.append(f"{block.id} needs {', '.join(missing)}")
            return self.skipped[-1]
        if "keras" in block.imports() and "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
            # as tests/test_keras_adapter.py: a backend that is installed (Keras reads it once, at import)
            backends = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is not None]
            os.environ["KERAS_BACKEND"] = (backends or ["numpy"])[0]
        try:
            for line in block.setup:
                exec(compile(line, f"{block.id} (test-setup)", "exec"), self.ns)
            exec(compile(block.source(), block.id, "exec"), self.ns)
        except NameError as e:
            if self.skipped:
                return f"uses a name from a skipped block ({'; '.join(self.skipped)}): {e}"
            raise
        except ImportError as e:  # a call that needs an optional package the block does not import
            package = _missing_module(e)
            if package is None:
                raise
            self.skipped.append(f"{block.id} needs {package} ({e})")
            return self.skipped[-1]
        return None

    def _run_installed_imports(self, block: Block) -> None:
        """The imports of a block that is not run, for the blocks after it, except those of missing modules."""
        for statement in _installed_imports(block):
            try:
                exec(compile(ast.Module(body=[statement], type_ignores=[]), block.id, "exec"), self.ns)
            except ImportError as e:  # fastinit.torch without torch: the import itself needs what is missing
                if _missing_module(e) is None:
                    raise


_RUNS: dict[Path, FileRun] = {}


@pytest.mark.parametrize("block", BLOCKS or [pytest.param(None, marks=pytest.mark.skip(reason=NO_DOCS))],
                         ids=[b.id for b in BLOCKS] or ["docs"])
def test_doc_block_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples may write files (a figure)
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib

        matplotlib.use("Agg")  # a figure is saved, never shown
    run = _RUNS.setdefault(block.path, FileRun())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the examples' own warnings (convergence, fallbacks) are not failures
        for earlier in BLOCKS:  # blocks of the file not run yet (deselected): their own tests report them
            if earlier.path == block.path and earlier.index < block.index and earlier.index not in run.done:
                try:
                    run.execute(earlier)
                except (Exception, pytest.skip.Exception):
                    pass
        reason = run.execute(block)
    if reason is not None:
        pytest.skip(reason)


ABSENT = "fastinit_docs_test_absent_package"  # installed nowhere


def _fake_blocks(*codes: str) -> list[Block]:
    return [Block(Path("fake.md"), k, 10 * k + 1, code) for k, code in enumerate(codes)]


def test_a_block_needing_a_missing_package_it_does_not_import_is_skipped_naming_it() -> None:
    # as README's dbn.to_torch() without torch: the ImportError comes from a call, not from an import line
    run = FileRun()
    needs, plain = _fake_blocks(
        f"import importlib\ntry:\n    importlib.import_module({ABSENT!r})\n"
        "except ImportError as e:\n    raise ImportError('f needs the package') from e\n",
        "raise ImportError('an installed module that fails to import')\n")
    reason = run.execute(needs)
    assert reason is not None and reason.startswith(f"fake.md:1 needs {ABSENT} (f needs the package)")
    with pytest.raises(ImportError, match="an installed module that fails"):  # not a missing package: a failure
        run.execute(plain)


def test_the_installed_imports_of_a_skipped_block_are_run_for_the_next_blocks() -> None:
    run = FileRun()
    skipped, uses = _fake_blocks(f"import math, numpy as np, {ABSENT}\nfrom {ABSENT} import x\n",
                                 "y = np.sqrt(math.pi)\n")
    assert run.execute(skipped) == f"fake.md:1 needs {ABSENT}"
    assert run.execute(uses) is None and run.ns["y"] == np.sqrt(np.pi)  # not skipped for a NameError on np


def test_test_setup_imports_count_as_the_block_s() -> None:
    block = _fake_blocks("p.fill(0)\n")[0]
    block.setup.append(f"import {ABSENT}; p = {ABSENT}.empty(3)")
    assert FileRun().execute(block) == f"fake.md:1 needs {ABSENT}"


@pytest.mark.skipif(not DOCS_PRESENT, reason=NO_DOCS)
def test_directives_are_few_and_give_reasons() -> None:
    skipped = [b for b in BLOCKS if b.skip is not None]
    assert all(len(b.skip or "") >= 20 for b in skipped), [b.id for b in skipped]
    assert len(skipped) <= 3, [b.id for b in skipped]
    assert len(BLOCKS) >= 20  # the fences are found (a broken pattern would find none)
    text = "".join(p.read_text(encoding="utf-8") for p in DOC_FILES)
    # every directive is attached to a fence (a typo or a stray comment is not silently ignored)
    attached = sum(1 + len(b.setup) + len(b.replace) - (b.skip is None) for b in BLOCKS)
    assert len(_DIRECTIVE.findall(text)) == attached


# --- public names and command-line flags the docs mention ---

# fastinit.dask.orthogonal is documented as an AttributeError that says why.
DOCUMENTED_ABSENT = {"fastinit.dask.orthogonal"}
_ALIASES = {"ft": "fastinit.torch", "fik": "fastinit.keras", "fij": "fastinit.jax"}
_NAME = re.compile(r"""(?<![\w"'.])(fastinit|ft|fik|fij)((?:\.[A-Za-z_]\w*)+)""")  # not in a string literal


def documented_names() -> list[str]:
    names = set()
    for path in DOC_FILES:
        for m in _NAME.finditer(path.read_text(encoding="utf-8")):
            name = _ALIASES.get(m.group(1), m.group(1)) + m.group(2)
            names.add(name.rstrip("."))
    return sorted(names)


def _resolve(name: str) -> object:
    parts = name.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        if not hasattr(obj, part):
            try:  # a submodule
                obj = importlib.import_module(".".join(parts[:i + 1]))
                continue
            except ModuleNotFoundError as e:
                if e.name != ".".join(parts[:i + 1]):
                    raise  # the submodule exists and needs a module that is not installed
        obj = getattr(obj, part)
    return obj


@pytest.mark.skipif(not DOCS_PRESENT, reason=NO_DOCS)
def test_documented_names_exist() -> None:
    names = documented_names()
    assert "fastinit.torch.fill_sharded" in names and "fastinit.dask.CHUNKABLE" in names
    missing, unavailable = [], []
    for name in names:
        try:
            _resolve(name)
            assert name not in DOCUMENTED_ABSENT, f"{name} exists, the docs say it does not"
        except AttributeError:
            if name not in DOCUMENTED_ABSENT:
                missing.append(name)
        except ImportError as e:  # an adapter whose framework is not installed
            assert isinstance(e, ModuleNotFoundError) and e.name and _missing([e.name.split(".")[0]]), (name, e)
            unavailable.append(name)
    assert not missing, missing
    assert len(unavailable) < len(names) / 2, unavailable


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end >= 0 else len(text)]


@pytest.mark.skipif(not DOCS_PRESENT, reason=NO_DOCS)
def test_readme_command_line_flags_exist() -> None:
    from fastinit.__main__ import build_parser

    parser = build_parser()
    options = {o for a in parser._actions for o in a.option_strings}
    sub = next(a for a in parser._actions if a.choices and "demo" in a.choices)
    options |= {o for a in sub.choices["demo"]._actions for o in a.option_strings}
    section = _section((ROOT / "README.md").read_text(encoding="utf-8"), "## Install and run")
    flags = set(re.findall(r"`(--[a-z][a-z-]*)", section))
    assert {"--quick", "--size", "--version"} <= flags
    assert flags <= options, flags - options


# --- docstring examples ---

# Every module whose docstrings have ">>>" examples, with what they need. Not
# run: fastinit.dbn_classifier (it fits a 64-256-256-10 network on 1200
# digits for up to 200 epochs, about 8 s, and checks no output;
# tests/test_dbn_classifier.py covers fit and score).
DOCTEST_MODULES = {
    "fastinit.fans": [],
    "fastinit._generator": [],
    "fastinit.rbm": ["scipy", "sklearn"],
    "fastinit.dbn": ["scipy", "sklearn"],
    "fastinit.torch._rules": ["torch"],
}
NOT_DOCTESTED = {"fastinit.dbn_classifier"}


def test_every_module_with_examples_is_doctested() -> None:
    package = Path(fastinit.__file__).parent
    with_examples = {
        ".".join(("fastinit", *p.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        for p in package.rglob("*.py") if ">>>" in p.read_text(encoding="utf-8")}
    assert with_examples == set(DOCTEST_MODULES) | NOT_DOCTESTED


@pytest.mark.parametrize("name", sorted(DOCTEST_MODULES))
def test_docstring_examples(name: str) -> None:
    for dep in DOCTEST_MODULES[name]:
        pytest.importorskip(dep)
    module = importlib.import_module(name)
    # the docstrings assume `import numpy as np, fastinit`, as NumPy's assume `import numpy as np`
    tests = doctest.DocTestFinder().find(module, globs={"np": np, "fastinit": fastinit})
    assert sum(len(t.examples) for t in tests) > 0
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in tests:
            runner.run(t, out=report.write)
    assert runner.failures == 0, report.getvalue()
