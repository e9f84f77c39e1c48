"""Workloads of the fastinit.torch benchmarks: a GPT-2-like decoder and its initialization recipes.

The model has GPT-2's parameter shapes (Radford et al. 2019; width 1600, vocabulary
50257, 1024 positions as in GPT-2 XL), built from torch.nn modules only: token and
position Embeddings, per block two LayerNorms, attention ``c_attn`` (d -> 3d) and
``c_proj`` (d -> d) Linears, MLP ``c_fc`` (d -> 4d) and ``c_proj`` (4d -> d), a final
LayerNorm. ``n_layer`` is 48 for GPT-2 XL (1.56 B parameters); the routine
benchmarks use 4 (205 M parameters, 0.8 GB in float32).
"""
from __future__ import annotations

import math

import torch
from torch import nn

WIDTH, VOCAB, POSITIONS = 1600, 50257, 1024


class Block(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.ModuleDict({"c_attn": nn.Linear(d, 3 * d), "c_proj": nn.Linear(d, d)})
        self.mlp = nn.ModuleDict({"c_fc": nn.Linear(d, 4 * d), "c_proj": nn.Linear(4 * d, d)})


class GPT2Like(nn.Module):
    def __init__(self, n_layer: int = 4, d: int = WIDTH, vocab: int = VOCAB, positions: int = POSITIONS):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
        self.h = nn.ModuleList(Block(d) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d)


def own_reset_parameters(model: nn.Module) -> None:
    """The baseline: every module's own reset_parameters() (torch's generator)."""
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()


def gpt2_rules_with_torch(model: nn.Module, n_layer: int, std: float = 0.02) -> None:
    """fastinit.torch.gpt2_rules(n_layer) written with torch.nn.init (the baseline of init_module)."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                s = std / math.sqrt(2 * n_layer) if name.endswith("c_proj") else std
                nn.init.normal_(m.weight, 0.0, s)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def layer_norms(n: int = 5000, width: int = 64) -> nn.Module:
    """Many small parameters: n LayerNorm(width), 2n parameters."""
    return nn.ModuleList(nn.LayerNorm(width) for _ in range(n))


def layer_norms_with_torch(model: nn.Module) -> None:
    """torch.nn.init's cost for the same parameters: ones_ and zeros_ per LayerNorm."""
    for m in model:
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def build_floor(n_layer: int) -> nn.Module:
    """The memory/time floor of construction: meta, to_empty, zero_ every parameter."""
    with torch.device("meta"):
        model = GPT2Like(n_layer)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return model
