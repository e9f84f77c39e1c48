"""fastinit._estimator_helpers: the RBM/DBN estimators' shared helpers and their door to
scikit-learn's private APIs."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

from fastinit import _estimator_helpers as helpers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_the_logistic_function_without_overflow(dtype):
    z = np.linspace(-30, 30, 601).astype(dtype)
    out = helpers.sigmoid(z)
    assert out.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-z.astype(np.float64))), rtol=rtol)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extremes = helpers.sigmoid(np.array([-1e4, 1e4], dtype=dtype))
    assert extremes.tolist() == [0.0, 1.0]


def test_random_state_key_is_two_words_low_first():
    expected = np.random.RandomState(5).randint(0, 2**32, size=2, dtype=np.uint64)
    assert helpers.random_state_key(np.random.RandomState(5)) == int(expected[0]) | (int(expected[1]) << 32)


def test_private_sklearn_names_resolve():
    from sklearn.utils import _param_validation

    assert helpers.StrOptions is _param_validation.StrOptions
    assert helpers.validate_parameter_constraints is _param_validation.validate_parameter_constraints
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        helpers.nothing  # noqa: B018


def test_a_moved_private_sklearn_name_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.utils._param_validation", None)  # the module gone
    with pytest.raises(ImportError, match=r"private sklearn\.utils\._param_validation\.StrOptions, which is not "
                                          r"there \(scikit-learn .* is installed\): install scikit-learn>=1\.6"):
        helpers.StrOptions  # noqa: B018
    monkeypatch.undo()
    import sklearn.base

    monkeypatch.delattr(sklearn.base, "_fit_context")  # the name gone
    with pytest.raises(ImportError, match=r"private sklearn\.base\._fit_context"):
        helpers.fit_context(prefer_skip_nested_validation=True)


def test_the_evaluation_code_needs_neither_scikit_learn_nor_scipy():
    code = (
        "import sys; sys.modules['sklearn'] = None; sys.modules['scipy'] = None\n"
        "import numpy as np\n"
        "from fastinit.rbm_evaluation import exact_log_partition\n"
        "print(exact_log_partition(np.zeros((2, 3)), np.zeros(3), np.zeros(2)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert float(out) == pytest.approx(5 * np.log(2))
