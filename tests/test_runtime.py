"""fastinit's runtime configuration (fastinit/_runtime.py): the thread count and kernel ISA from
FASTINIT_NUM_THREADS / FASTINIT_ISA (checked at import, in fresh interpreters), the default thread count,
set_num_threads and info()."""
import os

import pytest
from runtime_checks import ISAS, runtime
from subprocess_checks import run_python

import fastinit
from fastinit import _core


@pytest.mark.parametrize("raw", ["abc", "0", "-2", "1.5"])
@pytest.mark.threads
@pytest.mark.native_only
def test_bad_thread_env_var_is_a_clear_error(raw):
    res = run_python("import fastinit", {"FASTINIT_NUM_THREADS": raw})
    assert res.returncode != 0
    assert f"FASTINIT_NUM_THREADS must be a positive integer, got {raw!r}" in res.stderr


@pytest.mark.threads
@pytest.mark.native_only
def test_thread_env_var_and_isa_env_var_are_used():
    res = run_python("import fastinit; i = fastinit.info(); print(fastinit.get_num_threads(), i['threads'], i['isa'])",
                  {"FASTINIT_NUM_THREADS": " 3 ", "FASTINIT_ISA": "generic"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["3", "3", "generic"]


@pytest.mark.native_only
def test_bad_isa_env_var_is_a_clear_error():
    res = run_python("import fastinit", {"FASTINIT_ISA": "sse9"})
    assert res.returncode != 0
    assert "FASTINIT_ISA must be one of 'auto', 'generic', 'avx2', 'avx512'; got 'sse9'" in res.stderr


@pytest.mark.native_only
def test_thread_count_environment_variable_out_of_range_is_a_clear_import_error():
    """Issue 10, defect 6: FASTINIT_NUM_THREADS=99999999999 broke the import with pybind11's TypeError."""
    res = run_python("import fastinit", {"FASTINIT_NUM_THREADS": "99999999999"})
    assert res.returncode != 0
    assert "ValueError: FASTINIT_NUM_THREADS must be at most 4096, got '99999999999'" in res.stderr
    assert "incompatible function arguments" not in res.stderr
    ok = run_python("import fastinit; print(fastinit.get_num_threads())", {"FASTINIT_NUM_THREADS": "4096"})
    assert ok.returncode == 0 and ok.stdout.strip() == "4096"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
@pytest.mark.threads
@pytest.mark.native_only
def test_default_threads_are_the_cpus_this_process_may_use():
    res = run_python("import os, fastinit; print(fastinit.get_num_threads(), len(os.sched_getaffinity(0)))", {})
    assert res.returncode == 0, res.stderr
    threads, usable = res.stdout.split()
    assert threads == usable
    one_cpu = min(os.sched_getaffinity(0))
    res = run_python("import fastinit; print(fastinit.get_num_threads())", {},
                  preexec_fn=lambda: os.sched_setaffinity(0, {one_cpu}))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["1"]


@pytest.mark.threads
def test_set_num_threads_validates_and_round_trips():
    with runtime():
        fastinit.set_num_threads(5)
        assert fastinit.get_num_threads() == 5
        assert fastinit.info()["threads"] == 5
        with pytest.raises(ValueError, match="n must be a positive int, got 0"):
            fastinit.set_num_threads(0)
        with pytest.raises(TypeError, match="n must be a positive int, got float"):
            fastinit.set_num_threads(2.0)
        with pytest.raises(TypeError, match="n must be a positive int, got bool"):
            fastinit.set_num_threads(True)
        assert fastinit.get_num_threads() == 5


def test_info_reports_the_runtime():
    info = fastinit.info()
    assert info["isa"] == _core.isa() and info["isa"] in ("generic", "avx2", "avx512")
    assert info["available_isas"] == ISAS[::-1] and info["available_isas"][-1] == "generic"
    if os.environ.get("FASTINIT_ISA", "auto") in ("", "auto"):
        assert info["isa"] == info["available_isas"][0]  # the best this CPU runs
    assert info["threads"] == fastinit.get_num_threads()
    assert isinstance(info["cpu_features"], list) and all(isinstance(f, str) for f in info["cpu_features"])
    features = set(info["cpu_features"])
    assert ("avx2" in ISAS) == ({"avx2", "fma", "f16c"} <= features)
    assert ("avx512" in ISAS) == ({"avx2", "fma", "f16c", "avx512f", "avx512vl", "avx512dq", "avx512bw"} <= features)
    with runtime("generic"):
        assert fastinit.info()["isa"] == "generic"
