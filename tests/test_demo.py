"""python -m fastinit demo: the report (every section, valid non-blank figures,
numbers that back the claims written in it), the terminal output, the command
line's error handling, and the page in a real headless browser.

The quick demo runs once per module (about 10-30 s) in a temporary directory.
"""
import base64
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from fastinit.demo import (
    SECTIONS,  # noqa: E402
    inits,  # noqa: E402
)
from fastinit.demo import depth as depth_section  # noqa: E402
from fastinit.demo.progress import Progress  # noqa: E402
from fastinit.demo.report import json_safe  # noqa: E402
from fastinit.demo.zeros import unit_spread  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _cli(*args, cwd=None, pre=""):
    """Run ``python -m fastinit ARGS`` (``pre``: Python run before main, e.g. to hide a module)."""
    code = f"import sys\n{pre}\nfrom fastinit.__main__ import main\nsys.exit(main({list(args)!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report"
    proc = _cli("demo", "--quick", "--no-open", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out / "results.json", encoding="utf-8") as fh:
        results = json.load(fh)
    html = (out / "index.html").read_text(encoding="utf-8")
    return {"out": out, "proc": proc, "json": results, "html": html, "sections": results["sections"]}


# --- the report ---------------------------------------------------------------------------------

def test_every_section_is_in_the_page_and_the_json(report):
    assert list(report["sections"]) == list(SECTIONS)
    for key, section in report["sections"].items():
        assert f'<section id="{key}">' in report["html"]
        assert section["title"] in report["html"].replace("&amp;", "&")
        if section["available"]:
            assert section["figures"] and section["findings"], key
        else:  # only the pretraining section may be missing, and it says so
            assert key == "pretraining"
            assert any("not available in this build" in n.lower() for n in section["notes"])
            assert "not available in this build" in report["html"].lower()


def test_page_is_self_contained(report):
    html = report["html"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no network resources
    assert "<script" not in html and "@import" not in html


def _decode_png(data):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")


def test_every_figure_is_a_valid_nonblank_png_embedded_in_the_page(report):
    html = report["html"]
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    files = [f for s in report["sections"].values() for f in s["figures"]]
    assert len(embedded) == len(files) >= 7
    for name, b64 in zip(files, embedded):
        data = (report["out"] / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert base64.b64decode(b64) == data, name  # the page shows the same bytes
        img = _decode_png(data)
        assert img.shape[0] >= 200 and img.shape[1] >= 400, (name, img.shape)
        rgb = img[..., :3].reshape(-1, 3)
        # not blank: a white background with a good share of drawn pixels in several colors
        assert np.mean(np.any(rgb < 0.9, axis=1)) > 0.02, name
        q = (rgb * 255).astype(np.int64)
        assert np.unique(q[:, 0] * 65536 + q[:, 1] * 256 + q[:, 2]).size > 20, name


def test_json_is_strict_and_matches_the_page_header(report):
    text = (report["out"] / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    meta = report["json"]["meta"]
    assert meta["quick"] is True and meta["seed"] == 0
    assert f"fastinit {meta['version']}" in report["html"]


def _findings(report, key):
    return [f["text"] for f in report["sections"][key]["findings"]], report["sections"][key]["numbers"]


def test_zeros_section_numbers_back_its_claims(report):
    texts, n = _findings(report, "zeros")
    # zeros: nothing moved; constant: identical units (rank 1) and far worse than Xavier
    assert n["zeros"]["hidden_rank"] == [0] * len(n["settings"]["hidden"])
    assert max(n["zeros"]["hidden_weight_max_abs"]) == 0.0
    assert n["constant"]["hidden_rank"] == [1] * len(n["settings"]["hidden"])
    assert max(n["constant"]["hidden_unit_spread"]) < 1e-9
    assert n["xavier"]["hidden_rank"] == n["hidden_full_rank"]
    assert n["xavier"]["final_accuracy"] > n["constant"]["final_accuracy"] + 0.2
    assert n["zeros"]["final_accuracy"] < 0.2
    # the text quotes these very numbers
    assert f"rank {n['constant']['hidden_rank']}" in texts[1]
    assert f"{n['constant']['final_accuracy']:.3f}" in texts[1]
    assert f"{n['xavier']['final_accuracy']:.3f}" in texts[2]
    assert all(f["holds"] for f in report["sections"]["zeros"]["findings"])


def test_depth_section_numbers_back_its_claims(report):
    texts, n = _findings(report, "depth")
    L = n["settings"]["depth"]
    he, xr = n["relu"]["he"]["activation_std"], n["relu"]["xavier"]["activation_std"]
    xt = n["tanh"]["xavier"]["activation_std"]
    assert len(he) == L == 50
    assert 0.5 <= he[-1] / he[0] <= 2.0  # He's last-layer ReLU std within 2x of its first layer's
    assert xt[-1] >= 0.05 and n["tanh"]["xavier"]["saturated"][-1] < 0.5  # Xavier tanh alive
    expected = 0.5 ** ((L - 1) / 2)  # Xavier on ReLU: the variance halves per layer
    assert expected / 4 <= xr[-1] / xr[0] <= expected * 4
    for a in ("tanh", "relu"):
        for s in ("normal_0.01", "torch_default"):
            assert n[a][s]["activation_std"][-1] < 1e-3 * n[a][s]["activation_std"][0]
    assert n["relu"]["normal_1"]["activation_std"][-1] > 1e6
    assert n["tanh"]["normal_1"]["saturated"][-1] > 0.5
    if n["gradients_computed_with"] == "pytorch":
        g = n["relu"]["he"]["gradient_std"]
        assert len(g) == L and 0.5 <= g[0] / g[-1] <= 2.0
    assert f"{he[-1]:.2f} at layer {L}" in texts[2]
    assert f"layer {L} {xt[-1]:.3g} against" in texts[0]
    # Xavier against He for tanh: the mark is the comparison, no allowance
    findings = report["sections"]["depth"]["findings"]
    assert findings[1]["text"].startswith("tanh: Xavier keeps the scale over")
    xh = n["tanh"]["he"]["activation_std"]
    closer = abs(math.log(xt[-1] / xt[0])) < abs(math.log(xh[-1] / xh[0]))
    if n["gradients_computed_with"] == "pytorch":
        gx, gh = n["tanh"]["xavier"]["gradient_std"], n["tanh"]["he"]["gradient_std"]
        closer = closer and abs(math.log(gx[0] / gx[-1])) < abs(math.log(gh[0] / gh[-1]))
        assert "explodes" in texts[5] and f"{n['tanh']['normal_1']['gradient_std'][0]:.2g} at layer 1" in texts[5]
    assert findings[1]["holds"] == closer
    assert ("Not in this setting" in findings[1]["text"]) == (not closer)


def test_curves_section_numbers_back_its_claims(report):
    texts, n = _findings(report, "curves")
    target = n["settings"]["target"]
    for a in ("tanh", "relu"):
        for s, c in n[a].items():
            acc = c["test_accuracy"]
            reached = [e for e, v in enumerate(acc) if v >= target]
            assert c["epochs_to_target"] == (reached[0] if reached else None), (a, s)
            if c["diverged_at"] is None:
                assert len(acc) == n["settings"]["epochs"] + 1
        assert max(n[a]["normal_0.01"]["test_accuracy"]) < 0.2  # a vanishing signal does not train
    assert n["relu"]["he"]["epochs_to_target"] is not None
    assert n["tanh"]["xavier"]["epochs_to_target"] is not None
    assert f"He normal {n['relu']['he']['epochs_to_target']}" in texts[3]
    findings = report["sections"]["curves"]["findings"]
    for a, k in (("tanh", 1), ("relu", 3)):
        rec = {"tanh": "xavier", "relu": "he"}[a]
        reached = [c["epochs_to_target"] for s, c in n[a].items() if s != "settings"
                   and c["epochs_to_target"] is not None]
        assert findings[k]["holds"] == (n[a][rec]["epochs_to_target"] == min(reached, default=None)
                                        and n[a][rec]["epochs_to_target"] is not None)


@pytest.mark.parametrize("xavier, he, holds", [(3, 2, False), (2, 2, True), (2, 3, True), (None, 2, False)])
def test_curves_first_to_target_has_no_allowance(xavier, he, holds):
    # The old finding accepted "within one epoch of the first": Xavier 3 against He 2 got a check mark.
    from fastinit.demo import curves

    def run(n):
        acc = [0.1] * 6 if n is None else [0.1] * n + [0.95] * (6 - n)
        return {"test_accuracy": acc, "test_loss": [1.0] * 6, "diverged_at": None, "epochs_to_target": n}

    numbers = {"settings": {"epochs": 5, "target": 0.9},
               "tanh": {"torch_default": run(None), "xavier": run(xavier), "he": run(he)},
               "relu": {"torch_default": run(None), "xavier": run(he), "he": run(xavier)}}
    found = curves._findings(numbers, ("tanh", "relu"), ("torch_default", "xavier", "he"))
    baseline, tanh_first, relu_first = found
    assert baseline.text.startswith("tanh: Xavier reaches 90% test accuracy before U(±1/√n_in)")
    assert baseline.holds == (xavier is not None)
    assert tanh_first.holds is holds and relu_first.holds is holds
    assert ("Not here: He normal got there first" in tanh_first.text) is (not holds and he is not None)
    assert "within one epoch" not in tanh_first.text + relu_first.text
    if not holds:
        assert "Glorot & Bengio's comparison was with U(±1/√n_in), not with He" in tanh_first.text


def test_speed_section_numbers_back_its_claims(report):
    texts, n = _findings(report, "speed")
    assert n["definitions"]["speedup"].startswith("speedup = the peer's best time / fastinit's best time")
    for fill, row in n["best_ms"].items():
        assert row[n["base"]] > 0
        for lib, ratio in n["speedup"][fill].items():
            assert not lib.startswith("fastinit")
            assert ratio == pytest.approx(row[lib] / row[n["base"]])
            assert f"{fill} {ratio:.2f}x" in " ".join(texts)
    findings = report["sections"]["speed"]["findings"]
    libs = [lib for lib in ("NumPy", "PyTorch") if any(lib in r for r in n["speedup"].values())]
    for lib, finding in zip(libs, findings):  # a finding holds when fastinit wins every fill
        assert finding["text"].startswith(f"fastinit (1 thread) against {lib}: speedup ")
        assert finding["holds"] == all(r[lib] > 1 for r in n["speedup"].values() if lib in r)


def test_speed_ratios_have_one_definition_in_terminal_table_figure_and_json():
    # One measurement, one number: the old report said "0.9x faster" (terminal), "1.1x slower"
    # (figure), "1.1x faster" (table) and stored the 2-thread ratio inverted in results.json.
    from fastinit.demo import speed

    section = speed.run(shape=(64, 64), rounds=1)
    n = section.numbers
    texts = " ".join(f.text for f in section.findings)
    for word in ("faster", "slower"):
        assert word not in texts
    header, rows = section.table
    labels = [t.get_text() for t in section.figures[0].figure.axes[0].texts]
    for row in rows:
        fill = row[0]
        for lib, ratio in n["speedup"][fill].items():
            shown = speed._times(ratio)
            assert row[header.index(f"speedup against {lib}")] == shown
            assert f"{fill} {shown}" in texts and f"  speedup {shown}" in labels
        if "thread_speedup" in n:
            ratio = n["thread_speedup"][fill]
            assert ratio == pytest.approx(n["best_ms"][fill][speed.BASE]
                                          / n["best_ms"][fill][f"fastinit, {n['threads']['fastinit']} threads"])
            assert row[header.index("thread speedup")] == speed._times(ratio)
            assert f"  thread speedup {speed._times(ratio)}" in labels
    assert all(not lib.startswith("fastinit") for r in n["speedup"].values() for lib in r)


@pytest.mark.parametrize("ratio, caveat", [(1.9, False), (0.8, True)])
def test_busy_machine_caveat_only_when_a_thread_speedup_misses(ratio, caveat):
    from fastinit.demo import speed

    numbers = {"threads": {"fastinit": 2}, "speedup": {"normal": {"NumPy": 3.0}},
               "thread_speedup": {"normal": ratio, "uniform": 1.9}}
    numpy_finding, thread_finding = speed.findings(numbers)
    assert numpy_finding.holds and "cost more than they saved" not in numpy_finding.text
    assert thread_finding.holds is not caveat
    assert ("other processes occupy the cores" in thread_finding.text) is caveat
    assert f"normal {speed._times(ratio)}" in thread_finding.text


def test_pretraining_section_matches_the_build_and_backs_its_claims(report):
    import fastinit

    section = report["sections"]["pretraining"]
    assert section["available"] == hasattr(fastinit, "DBNClassifier")
    if not section["available"]:
        return
    texts, n = _findings(report, "pretraining")
    epochs = n["settings"]["epochs"]
    for cond in ("pretrained", "random"):
        runs = np.array(list(n[cond]["runs"].values()))
        assert runs.shape == (len(n["settings"]["seeds"]), epochs)
        np.testing.assert_allclose(n[cond]["summary"]["mean"], runs.mean(axis=0))
        np.testing.assert_allclose(n[cond]["summary"]["min"], runs.min(axis=0))
    p, r = n["pretrained"]["summary"]["mean"], n["random"]["summary"]["mean"]
    assert p[-1] > r[-1]  # pretraining ahead after the fine-tuning epochs of the quick run
    assert f"pretrained {p[-1]:.3f}" in texts[1] and f"random init {r[-1]:.3f}" in texts[1]
    assert [f["holds"] for f in section["findings"]] == [p[0] > r[0], p[-1] >= r[-1]]


# --- the terminal -------------------------------------------------------------------------------

def test_terminal_shows_progress_and_one_line_per_finding(report):
    out, err = report["proc"].stdout, report["proc"].stderr
    for label in ("zeros and constants", "depth statistics", "training curves", "speed"):
        assert re.search(rf"{label} +\[#+\] +(\d+)/\1 ", err), label
    n_findings = sum(len(s["findings"]) for s in report["sections"].values())
    marked = [line for line in out.splitlines() if line.startswith(("  ✓ ", "  ✗ "))]
    assert len(marked) == n_findings
    texts = [f["text"] for s in report["sections"].values() for f in s["findings"]]
    assert [line[4:] for line in marked] == texts
    assert f"report: {report['out'] / 'index.html'}" in out
    assert "Traceback" not in err


def test_progress_bar_writes_one_line_when_not_a_terminal():
    stream = io.StringIO()
    with Progress("label", total=4, stream=stream) as bar:
        for _ in range(4):
            bar.advance()
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()
    assert re.match(r"  label +\[#{28}\]   4/4 ", stream.getvalue())


# --- the pieces, rerun from Python -------------------------------------------------------------

def test_depth_statistics_numpy_and_pytorch_agree():
    pytest.importorskip("torch")
    import fastinit

    x = fastinit.normal((16, 32), dtype=np.float64, seed=3)
    for scheme, act in (("xavier", "tanh"), ("he", "relu"), ("torch_default", "relu")):
        weights, _ = inits.network_weights(scheme, [32] * 9, seed=4)
        a = depth_section.statistics(weights, x, act, hist_layers=(1, 8))
        b = depth_section.statistics(weights, x, act, hist_layers=(1, 8), use_torch=False)
        np.testing.assert_allclose(a["activation_std"], b["activation_std"], rtol=1e-10)
        assert a["histograms"] == b["histograms"] and "gradient_std" not in b
        assert len(a["gradient_std"]) == 8


def test_speed_rows_time_one_distribution_on_every_side():
    """Every row of the speed section draws the same distribution in each library; the
    Kaiming row is PyTorch's untruncated N(0, 2/fan_in), not fastinit's truncated he_normal_."""
    stats = pytest.importorskip("scipy.stats")
    from fastinit.demo import speed

    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.manual_seed(0)
    a = np.empty((256, 512), np.float32)  # PyTorch layout (fan_out, fan_in)
    fills = speed._fills(a, seed=7)
    for name, row in fills.items():
        drawn = {}
        for lib, fill in row.items():
            if fill is not None:
                fill()
                drawn[lib] = a.ravel().copy()
        ours = drawn.pop(speed.BASE)
        assert "NumPy" in drawn or name.startswith("truncated"), name
        assert ("PyTorch" in drawn) == (torch is not None), name
        for lib, other in drawn.items():
            if lib.startswith("fastinit"):  # more threads: the same bits
                assert np.array_equal(other, ours), (name, lib)
            else:
                assert stats.ks_2samp(ours, other).pvalue > 1e-4, (name, lib)
        if name == speed.KAIMING:
            assert stats.kstest(ours, "norm", args=(0.0, math.sqrt(2 / 512))).pvalue > 1e-4


def test_network_weights_follow_the_schemes():
    coefs, intercepts = inits.network_weights("he", [400, 300, 10], seed=5)
    assert [c.shape for c in coefs] == [(400, 300), (300, 10)]  # scikit-learn layout (fan_in, fan_out)
    assert all(not b.any() for b in intercepts)
    assert coefs[0].std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    tdef, _ = inits.network_weights("torch_default", [400, 300], seed=5)
    assert np.abs(tdef[0]).max() <= 1 / math.sqrt(400) and np.abs(tdef[0]).max() > 0.99 / math.sqrt(400)
    again, _ = inits.network_weights("he", [400, 300, 10], seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(coefs, again))
    with pytest.raises(ValueError, match="scheme must be one of"):
        inits.draw("kaiming", (3, 3), 0)


def test_unit_spread_and_json_safe():
    W = np.repeat(np.arange(1.0, 5.0)[:, None], 6, axis=1)
    assert unit_spread(W) == 0.0
    W[0, 2] += 1.0
    assert unit_spread(W) > 0.1
    assert json_safe({"a": [float("nan"), float("inf"), np.float32(1.5)], 2: (np.int64(3),)}) == \
        {"a": [None, None, 1.5], "2": [3]}


# --- the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--size", "-5"], "argument --size: must be an integer between 1 and"),
    (["--size", "abc"], "argument --size: expected an integer, got 'abc'"),
    (["--repeat", "0"], "argument --repeat: must be an integer >= 1, got 0"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["demo", "--seed", "-1"], "argument --seed: must be an integer between 0 and"),
    (["demo", "--frobnicate"], "unrecognized arguments: --frobnicate"),
])
def test_bad_arguments_are_one_clear_message(args, message):
    proc = _cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unknown_demo_option_prints_the_demo_usage():
    proc = _cli("demo", "--frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: python -m fastinit demo ")
    assert "python -m fastinit demo: error: unrecognized arguments: --frobnicate" in proc.stderr
    top = _cli("--bogus")
    assert top.stderr.startswith("usage: python -m fastinit [-h]") and "{demo}" in top.stderr


def test_out_naming_an_existing_file_says_it_is_not_a_directory(tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("keep me")
    proc = _cli("demo", "--quick", "--no-open", "--out", str(existing))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"cannot write the report to {str(existing)!r}: it is a file, not a directory" in proc.stderr
    assert "File exists" not in proc.stderr
    assert existing.read_text() == "keep me"


def test_run_time_is_stated_one_way_in_the_readme_and_the_help():
    # The README said "one to two minutes", --help "a few minutes", and runs took 13-35 s.
    path = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")
    if not os.path.isfile(path):
        pytest.skip("README.md is not next to tests/ (tests copied alone, e.g. against an installed wheel)")
    readme = open(path, encoding="utf-8").read()
    help_text = re.sub(r"\s+", " ", _cli("demo", "--help").stdout)
    statement = "about 15-25 s on a 2-core machine"
    assert statement in re.sub(r"\s+", " ", readme) and statement in help_text
    for vague in ("one to two minutes", "a few minutes"):
        assert vague not in help_text
    assert "one to two minutes" not in readme


def test_unwritable_out_is_a_clear_message(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = _cli("demo", "--quick", "--no-open", "--out", str(blocker / "report"))
    assert proc.returncode == 1
    assert "cannot write the report to" in proc.stderr and "Not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_optional_dependency_is_a_clear_message(tmp_path):
    proc = _cli("demo", "--no-open", "--out", str(tmp_path / "r"), pre="sys.modules['matplotlib'] = None")
    assert proc.returncode == 1
    assert "the demo needs matplotlib" in proc.stderr and 'pip install "fastinit-nn[demo]"' in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()  # nothing written


def test_help_lists_commands_and_environment_and_version_exists():
    import fastinit

    proc = _cli("--help")
    assert proc.returncode == 0
    for word in ("demo", "FASTINIT_NUM_THREADS", "FASTINIT_ISA", "exit status 2", "--version", "--size", "--repeat"):
        assert word in proc.stdout
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"fastinit {fastinit.__version__}"
    proc = _cli("demo", "--help")
    for word in ("--out", "--quick", "--seed", "--no-open"):
        assert word in proc.stdout


def _python_m_fastinit(*args, env, launch=("-m", "fastinit"), cwd=None):
    """Run ``python -m fastinit ARGS`` itself (the package import happens before main) with ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FASTINIT_")}
    return subprocess.run([sys.executable, *launch, *args], capture_output=True, text=True, cwd=cwd,
                          env={**clean, "PYTHONIOENCODING": "utf-8", **env}, timeout=120)


_VALID_THREADS = "valid: 1 to 4096, or unset"
_VALID_ISAS = "one of 'auto', 'generic', 'avx2', 'avx512'"


def _assert_one_line_usage_error(proc, variable, value, valid):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"python -m fastinit: error: {variable}")
    assert repr(value) in lines[0] and valid in lines[0], lines[0]


@pytest.mark.parametrize("variable, value, valid", [
    ("FASTINIT_NUM_THREADS", "abc", _VALID_THREADS),
    ("FASTINIT_NUM_THREADS", "0", _VALID_THREADS),
    ("FASTINIT_NUM_THREADS", "-3", _VALID_THREADS),
    ("FASTINIT_NUM_THREADS", "99999", _VALID_THREADS),
    ("FASTINIT_ISA", "sse9", _VALID_ISAS),
])
def test_bad_environment_variable_is_one_line_before_the_arguments(variable, value, valid):
    """`import fastinit` raises on these (tests/test_runtime.py); the command line, whose
    package import runs before main, reports them in one line with argparse's exit status 2."""
    _assert_one_line_usage_error(_python_m_fastinit("--help", env={variable: value}), variable, value, valid)


@pytest.mark.parametrize("args", [(), ("--version",), ("--size", "nope"), ("demo", "--quick", "--no-open")])
def test_bad_environment_variable_stops_every_command(args, tmp_path):
    proc = _python_m_fastinit(*args, env={"FASTINIT_ISA": "sse9"}, cwd=tmp_path)
    _assert_one_line_usage_error(proc, "FASTINIT_ISA", "sse9", _VALID_ISAS)
    assert list(tmp_path.iterdir()) == []  # the demo wrote nothing


@pytest.mark.parametrize("launch", [("-mfastinit",), ("-I", "-m", "fastinit"), ("-m", "fastinit.__main__")])
def test_bad_environment_variable_is_one_line_however_the_module_is_named(launch):
    proc = _python_m_fastinit("--version", env={"FASTINIT_NUM_THREADS": "abc"}, launch=launch)
    _assert_one_line_usage_error(proc, "FASTINIT_NUM_THREADS", "abc", _VALID_THREADS)


def test_isa_this_cpu_lacks_is_one_line_naming_the_usable_ones():
    import fastinit

    usable = fastinit.info()["available_isas"]
    missing = [isa for isa in ("avx2", "avx512") if isa not in usable]
    if not missing:
        pytest.skip("this CPU runs every kernel set")
    proc = _python_m_fastinit("--help", env={"FASTINIT_ISA": missing[-1]})
    valid = "valid on this CPU: " + ", ".join(repr(i) for i in ["auto", *usable])
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"python -m fastinit: error: FASTINIT_ISA={missing[-1]}, but this CPU lacks ")
    assert line.endswith(f"; {valid}")


def test_other_programs_started_with_dash_m_still_get_the_import_error(tmp_path):
    """Only `python -m fastinit` defers the error to its one-line message."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("import fastinit\n")
    (tmp_path / "app" / "__main__.py").write_text("print('ran')\n")
    proc = _python_m_fastinit(env={"FASTINIT_ISA": "sse9"}, launch=("-m", "app"), cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" in proc.stderr
    assert proc.stderr.splitlines()[-1] == ("ValueError: FASTINIT_ISA must be one of 'auto', 'generic', 'avx2', "
                                            "'avx512'; got 'sse9'")


def test_info_still_runs_with_small_sizes():
    proc = _cli("--size", "1000", "--repeat", "1")
    assert proc.returncode == 0, proc.stderr
    assert "self-check" in proc.stdout and "FAIL" not in proc.stdout and "nan" not in proc.stdout.lower()


# --- the page in a real browser ------------------------------------------------------------------

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")

_PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(e.message || ("failed to load " + (e.target && (e.target.src || "").slice(0, 40))));
}, true);
var _err = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, " ")); };
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    var r = i.getBoundingClientRect();
    return {complete: i.complete, natural: [i.naturalWidth, i.naturalHeight], shown: [r.width, r.height]};
  });
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({errors: window.__errors, images: imgs});
  document.body.appendChild(pre);
});
</script>"""


def test_page_loads_in_headless_chromium_and_shows_every_image(report, tmp_path):
    browser = next((shutil.which(b) for b in _BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no Chromium/Chrome installed (apt-get install chromium)")
    page = tmp_path / "probe.html"  # the report with an observer script in front of it
    page.write_text(report["html"].replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,3000",
         "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        # The browser is not ours to instrument: no sanitizer runtime (.ci/run's ASan/TSan steps preload one).
        env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
        capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, proc.stderr[-2000:]
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["errors"] == []
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line and page.name in line]
    assert console == []
    n_figures = sum(len(s["figures"]) for s in report["sections"].values())
    assert len(probe["images"]) == n_figures
    for img in probe["images"]:
        assert img["complete"] and min(img["natural"]) > 0 and min(img["shown"]) > 0, img


def test_sections_say_so_when_pytorch_is_missing(monkeypatch):
    from fastinit.demo import speed

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    section = depth_section.run(depth=6, width=16, batch=8, hist_layers=(1, 6))
    assert section.numbers["gradients_computed_with"] is None
    assert any("PyTorch is not installed" in note for note in section.notes)
    assert all("gradient_std" not in r for a in ("tanh", "relu") for r in section.numbers[a].values())
    assert len(section.numbers["relu"]["he"]["activation_std"]) == 6
    fast = speed.run(shape=(64, 32), rounds=1)
    assert any("PyTorch is not installed" in note for note in fast.notes)
    assert all("PyTorch" not in row for row in fast.numbers["best_ms"].values())


def test_pretraining_says_so_in_a_build_without_the_dbn(monkeypatch):
    from fastinit.demo import pretraining

    monkeypatch.setattr(pretraining, "available", lambda: False)  # the feature check of an older build
    section = pretraining.run(**pretraining.SETTINGS["quick"])
    assert section.available is False and section.figures == [] and section.findings == []
    assert section.notes == ["Not available in this build: fastinit.DBNClassifier does not exist in this "
                             "version of fastinit, so the pretraining experiment was not run."]


@pytest.mark.skipif(sys.platform == "win32", reason="a write to a pipe without reader is EINVAL, not EPIPE, on Windows")
def test_closed_output_pipe_ends_quietly_with_sigpipes_status():
    """`python -m fastinit | head -1`: the reader is gone, so stop like a program killed by SIGPIPE
    (shell status 141), with no BrokenPipeError traceback, on the first write that fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the first write fails with EPIPE, deterministically
    try:
        proc = subprocess.run([sys.executable, "-m", "fastinit", "--size", "1000", "--repeat", "1"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


# --- Ctrl-C ------------------------------------------------------------------------------------

@pytest.mark.parametrize("section, label", [
    ("zeros", "zeros and constants"), ("depth", "depth statistics"), ("curves", "training curves"),
    ("pretraining", "pretraining"), ("speed", "speed"),
])
def test_ctrl_c_during_a_section_stops_the_demo_with_130_and_no_report(section, label, tmp_path):
    # A real SIGINT, as a terminal's Ctrl-C sends it, once the section's progress bar is on the
    # (pseudo-)terminal. scikit-learn's MLP catches KeyboardInterrupt and returns quietly: the demo
    # must stop anyway, exit 130 and write no report (the full settings, so the section is running).
    import pty
    import select
    import signal
    import time

    out = tmp_path / "report"
    main_fd, terminal_fd = pty.openpty()
    code = "import sys\nfrom fastinit.__main__ import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "demo", "--no-open", "--out", str(out),
                             "--section", section], stdout=subprocess.PIPE, stderr=terminal_fd,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    os.close(terminal_fd)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while label.encode() not in seen and time.monotonic() < deadline and proc.poll() is None:
            if select.select([main_fd], [], [], 0.2)[0]:
                seen += os.read(main_fd, 4096)
        assert label.encode() in seen, seen
        # Inside the section: the shortest (speed, without PyTorch's peers) runs about 0.3 s at the
        # full settings, so a later signal could find the demo done.
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=10)  # "within a second", with room for a busy machine
        while select.select([main_fd], [], [], 0.1)[0]:  # what the demo wrote to the terminal since
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
    assert proc.returncode == 130, (proc.returncode, stdout, seen[-3000:])
    assert not (out / "index.html").exists() and not (out / "results.json").exists()
    assert b"report:" not in stdout and b"findings support" not in stdout


@pytest.mark.parametrize("section", ["curves", "pretraining"])
def test_ctrl_c_inside_scikit_learns_training_loop_is_not_swallowed(section, monkeypatch):
    # Deterministic version of the test above: the SIGINT arrives while scikit-learn's MLP is in
    # its epoch loop (inside _backprop), where scikit-learn catches KeyboardInterrupt and returns.
    import signal

    from sklearn.neural_network import MLPClassifier

    import fastinit

    if section == "pretraining" and not hasattr(fastinit, "DBNClassifier"):
        pytest.skip("this build has no DBNClassifier")
    backprop = MLPClassifier._backprop
    calls = []

    def interrupted_backprop(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return backprop(self, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "_backprop", interrupted_backprop)
    module = __import__(f"fastinit.demo.{section}", fromlist=["run"])
    settings = {"curves": {"depth": 2, "width": 16, "epochs": 3, "activations": ("relu",), "schemes": ("he",)},
                "pretraining": {"hidden": (16,), "seeds": (0,), "pretrain_epochs": 1, "epochs": 3}}[section]
    with pytest.raises(KeyboardInterrupt):
        module.run(**settings)
    assert len(calls) < 40  # stopped in the first epoch, not after all of them
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


# --- the figures, readable alone ----------------------------------------------------------------

def _inside_canvas(fig):
    fig.canvas.draw()
    box = fig.bbox
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        ext = legend.get_window_extent()
        assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1, legend
    for ax in fig.axes:
        title = ax.title.get_window_extent()
        assert title.x0 >= box.x0 - 1 and title.x1 <= box.x1 + 1, ax.get_title()


def test_depth_figures_show_xavier_against_he_on_a_readable_scale_and_uncut_peaks():
    section = depth_section.run(depth=20, width=128, batch=32)
    std = section.figures[0].figure
    _inside_canvas(std)
    close = [ax for ax in std.axes if "close up" in ax.get_title()]
    assert [ax.get_title() for ax in close] == ["tanh: Xavier and He close up", "relu: Xavier and He close up"]
    low, high = close[0].get_ylim()
    assert high / low < 1e3  # the tanh comparison spans a few decades, not the 1e-32 of N(0, 0.01²)
    assert {line.get_label() for line in close[0].get_lines()} >= {"Xavier uniform, activations",
                                                                   "He normal, activations"}
    for s in depth_section.SCHEMES:
        for layer, density in section.numbers["relu"][s]["histograms"]["density"].items():
            assert density[0] == 0 and density[-1] == 0, (s, layer)  # no peak cut at the edges
    for fig in section.figures[1:]:
        _inside_canvas(fig.figure)


def test_curves_figure_tells_overlapping_runs_apart_and_keeps_its_legend_inside():
    from fastinit.demo import curves

    for activations in (("relu",), ("tanh", "relu")):  # ("relu",): the README's example
        section = curves.run(depth=3, width=16, epochs=2, activations=activations)
        fig = section.figures[0].figure
        _inside_canvas(fig)
        lines = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() != "X"]
        assert len({(ln.get_linestyle(), ln.get_marker()) for ln in lines}) == len(curves.SCHEMES)
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        n1 = section.numbers[activations[-1]]["normal_1"]
        if n1["diverged_at"] is not None:
            assert any(f"overflowed in epoch {n1['diverged_at']}" in label for label in labels)


def test_speed_figure_has_a_title_naming_the_ratio_and_points_on_a_log_axis():
    from fastinit.demo import speed

    fig = speed.run(shape=(64, 64), rounds=1).figures[0].figure
    _inside_canvas(fig)
    ax = fig.axes[0]
    assert "speedup = the peer's time / fastinit's 1-thread time" in ax.get_title()
    assert ax.get_xscale() == "log" and not ax.patches  # points, not bars from an arbitrary base
    assert "G values written per second" in ax.get_xlabel()
