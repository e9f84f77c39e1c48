"""tests/typing/check_public_api.py (checked by ``mypy --strict`` in CI) uses every public name."""
import importlib
import pathlib
import re

import pytest

import fastinit

CHECK_FILE = pathlib.Path(__file__).parent / "typing" / "check_public_api.py"


def _used(prefix):
    """The names the check file uses as ``<prefix>.<name>``."""
    return set(re.findall(rf"\b{re.escape(prefix)}\.(\w+)", CHECK_FILE.read_text()))


def test_type_check_file_uses_every_public_name():
    missing = sorted(set(fastinit.__all__) - _used("fastinit"))
    assert not missing, f"add these public names to {CHECK_FILE.name}: {missing}"


@pytest.mark.parametrize("module, needs", [("fastinit.torch", "torch"), ("fastinit.dask", "dask.array")])
def test_type_check_file_uses_every_public_name_of_the_optional_layers(module, needs):
    pytest.importorskip(needs)
    public = importlib.import_module(module).__all__
    missing = sorted(set(public) - _used(module))
    assert not missing, f"add these public names of {module} to {CHECK_FILE.name}: {missing}"


def test_package_is_marked_typed_and_ships_the_core_stub():
    package = pathlib.Path(fastinit.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


def test_import_fastinit_imports_no_framework():
    import subprocess
    import sys

    code = ("import sys, fastinit; fastinit.he_normal((3, 4), seed=0); "
            "print(sorted(m for m in ('keras', 'jax', 'flax', 'torch', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
