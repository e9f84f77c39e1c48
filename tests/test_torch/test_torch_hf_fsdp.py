"""A Hugging Face Llama under FSDP2 on 2 and 4 gloo ranks, built on meta and materialized per rank,
assembles bit for bit to the single-process fast_init model (tests/test_torch/torch_hf_fsdp_worker.py)."""
import os

import pytest
from subprocess_checks import run_world

torch = pytest.importorskip("torch")
TRANSFORMERS_MAJOR = int(pytest.importorskip("transformers").__version__.split(".")[0])
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with the gloo backend is not available", allow_module_level=True)
pytest.importorskip("torch.distributed.fsdp")

WORKER = os.path.join(os.path.dirname(__file__), "torch_hf_fsdp_worker.py")


@pytest.mark.parametrize("world", [2, 4])
def test_fsdp2_llama_materialized_per_rank_assembles_to_the_fast_init_model(world, tmp_path):
    reports = run_world(WORKER, world, tmp_path)
    for rank, report in enumerate(reports):
        assert report["differ"] == [], f"rank {rank}: {report['differ'][:5]}"
        # Every parameter of the Llama was compared, and they are DTensors (sharded), not replicas.
        assert len(report["checked"]) >= 2 * 9 + 3, report["checked"]
        assert report["sharded"] >= 2 * 9 + 3
        assert abs(report["embed_std"] - 0.02) < 0.001  # the model's own init: initializer_range
        assert "model.embed_tokens.weight" in report["checked"] and "lm_head.weight" in report["checked"]
        # Only buffers a transformers 4.x constructor computes are lost on meta (none on 5.x).
        parameters = [n for n in report["checked"] if n.endswith(".weight")]
        assert not set(report["untouched"]) & set(parameters)
        assert report["untouched"] == ([] if TRANSFORMERS_MAJOR >= 5 else ["model.rotary_emb.inv_freq"])
