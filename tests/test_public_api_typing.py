"""tests/typing/check_public_api.py (checked by ``mypy --strict`` in CI) uses every public name."""
import pathlib
import re

import fastinit

CHECK_FILE = pathlib.Path(__file__).parent / "typing" / "check_public_api.py"


def test_type_check_file_uses_every_public_name():
    used = set(re.findall(r"\bfastinit\.(\w+)", CHECK_FILE.read_text()))
    missing = sorted(set(fastinit.__all__) - used)
    assert not missing, f"add these public names to {CHECK_FILE.name}: {missing}"


def test_package_is_marked_typed_and_ships_the_core_stub():
    package = pathlib.Path(fastinit.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()
