"""One rank of tests/test_torch/test_torch_hf_fsdp.py: a Hugging Face Llama under FSDP2, materialized per rank.

Usage: python torch_hf_fsdp_worker.py RANK WORLD_SIZE INIT_FILE RESULT_JSON

Every rank builds the same tiny Llama (transformers, from a config) on the meta device, shards each
decoder layer and then the whole model with ``fully_shard`` over all ranks (gloo, CPU), and
``materialize``s it with one seed. Each parameter and buffer is assembled with ``full_tensor()`` and
compared bit for bit with the single-process model built under ``fast_init`` with the same seed, which
every rank also builds. Writes ``{"checked": [...], "differ": [...], "sharded": n}`` to RESULT_JSON.
"""
import gc
import json
import sys
import warnings

import torch
import torch.distributed as dist
import transformers
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor

import fastinit.torch as ft

SEED = 2024


def config():
    # Sizes that 2 and 4 do not all divide (vocabulary 515, intermediate 90): uneven shards, one padded.
    return transformers.LlamaConfig(num_hidden_layers=2, hidden_size=64, intermediate_size=90,
                                    num_attention_heads=4, num_key_value_heads=2, vocab_size=515,
                                    tie_word_embeddings=False)


def bits(t):
    return t.detach().contiguous().view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


def compare(world, result):
    """Build, shard, materialize and compare; every tensor and mesh it made is freed when it returns."""
    with ft.fast_init(seed=SEED):
        plain = transformers.AutoModelForCausalLM.from_config(config())
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config())
    mesh = DeviceMesh("cpu", torch.arange(world))
    for layer in model.model.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    # transformers 4.x computes some buffers (rotary inv_freq) in constructors only: lost on meta;
    # asked to, materialize names them in a warning (else an error), and they are left out of the
    # comparison (as in tests/test_torch/test_torch_hf.py). transformers 5 leaves none.
    hf4 = int(transformers.__version__.split(".")[0]) < 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        report = ft.materialize(model, seed=SEED, on_untouched="warn" if hf4 else "raise")
    result["untouched"] = list(report.untouched)
    # The reference has the model's own initialization (N(0, initializer_range) embeddings, not N(0, 1)).
    result["embed_std"] = plain.model.embed_tokens.weight.float().std().item()
    reference = dict(plain.named_parameters()) | dict(plain.named_buffers())
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if name in result["untouched"]:
            continue
        full = t.full_tensor() if isinstance(t, DTensor) else t
        result["sharded"] += isinstance(t, DTensor)
        result["checked"].append(name)
        if full.shape != reference[name].shape or not torch.equal(bits(full), bits(reference[name])):
            result["differ"].append(name)


def main():
    rank, world, init_file, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    result = {"checked": [], "differ": [], "sharded": 0, "untouched": []}
    try:
        compare(world, result)
    finally:
        with open(out, "w") as f:
            json.dump(result, f)
        # Free the sharded model and its mesh first: a gloo work object they keep alive, released by
        # gloo's worker thread during interpreter shutdown, aborts the process (std::terminate while
        # that thread waits for the GIL), after every check has passed.
        gc.collect()
        dist.destroy_process_group()

if __name__ == "__main__":
    main()
