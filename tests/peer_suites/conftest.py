"""Collect the vendored peer suites under their upstream file names (not all match ``test_*.py``)."""
import importlib.util
import os

import pytest

# torch's harness reads this when torch.testing._internal.common_utils is first imported; without it
# the suite's one @slowTest (test_xavier_uniform, well under a second here) would be skipped.
os.environ.setdefault("PYTORCH_TEST_WITH_SLOW", "1")

_UPSTREAM_NAMES = {"torch_test_init.py"}

# Keras's suites import keras at the top, unchanged: without Keras they are not collected (a clean skip).
collect_ignore = [] if importlib.util.find_spec("keras") else [
    "keras_random_initializers_test.py", "keras_constant_initializers_test.py"]

# JAX's suite (tests/nn_test.py, initializer tests) imports jax, absl and jax's own test harness
# (jax._src.test_util) at the top, unchanged: without JAX or absl-py it is not collected (a clean skip).
if not (importlib.util.find_spec("jax") and importlib.util.find_spec("absl")):
    collect_ignore.append("jax_nn_test.py")

# Keras's suites: Keras reads its backend once, at import (the first installed of jax, torch, numpy).
if "KERAS_BACKEND" not in os.environ:
    os.environ["KERAS_BACKEND"] = next(b for b in ("jax", "torch", "numpy")
                                       if b == "numpy" or importlib.util.find_spec(b) is not None)


def skip_if_backend(given_backend, reason):
    """Keras's repository conftest helper, which its suites import as ``from conftest import skip_if_backend``."""
    import keras

    return pytest.mark.skipif(keras.backend.backend() == given_backend, reason=reason)


# Keras's suite matches its own error-message wording; fastinit raises the same ValueError for the same input,
# worded as fastinit's messages are (argument, valid choices, value). Strict: a change shows as XPASS.
_WORDING = {"test_variance_scaling_invalid_scale", "test_variance_scaling_invalid_mode",
            "test_variance_scaling_invalid_distribution"}


def pytest_collection_modifyitems(items):
    """Expected failures and skips of the peer suites, each with its reason."""
    for item in items:
        if item.fspath.basename == "jax_nn_test.py" and item.name == "testVarianceScalingError":
            # The same ValueError for a 1-D shape with the default in_axis=-2; the stored upstream version's
            # pattern is older than JAX 0.10.2's own message too, which it does not match either.
            item.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                              reason="same ValueError, fastinit's wording, not JAX's"))
        if item.fspath.basename == "keras_random_initializers_test.py" and item.name in _WORDING:
            item.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                              reason="same ValueError, fastinit's wording, not Keras's"))
        if item.fspath.basename.startswith("keras_") and "SeedGenerator" in _source(item):
            item.add_marker(pytest.mark.skip(reason="uses keras.random.SeedGenerator: fastinit.keras takes a "
                                                    "fastinit.Generator instead (refused by design)"))


def _source(item):
    import inspect

    try:
        return inspect.getsource(item.obj)
    except (OSError, TypeError):
        return ""


def pytest_collect_file(file_path, parent):
    if file_path.name in _UPSTREAM_NAMES:
        return pytest.Module.from_parent(parent, path=file_path)
    return None
