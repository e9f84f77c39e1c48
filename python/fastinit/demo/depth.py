"""Section 2: activation and gradient statistics over depth.

A stack of ``depth`` fully connected layers of ``width`` units (tanh or ReLU,
zero biases) is fed a batch of standard-normal inputs, once per
initialization. Recorded per layer: the standard deviation of the
activations, and of the gradients back-propagated to the pre-activations from
a loss whose gradient at the top is standard normal (computed with PyTorch's
autograd when PyTorch is installed; without it only the forward statistics are
measured, with NumPy). The classic results (Glorot & Bengio 2010; He et al.
2015): with n_in·Var(W) = 1 (Xavier) tanh activations neither vanish nor
saturate; ReLU halves the variance of its input, which He's n_in·Var(W) = 2
compensates; U(±1/√n_in) (n_in·Var(W) = 1/3) and N(0, 0.01²) shrink the
signal at every layer, N(0, 1) blows it up (ReLU) or saturates it (tanh).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

import fastinit

from . import inits
from .progress import Progress
from .section import Figure, Finding, Section, new_figure

__all__ = ["SETTINGS", "run", "statistics"]

SETTINGS = {
    "full": {"depth": 50, "width": 512, "batch": 64},
    "quick": {"depth": 50, "width": 256, "batch": 32},
}

SCHEMES = ("normal_1", "normal_0.01", "torch_default", "xavier", "he")
ACTIVATIONS = ("tanh", "relu")
_BINS = 60


def _histograms(samples: dict[int, np.ndarray], activation: str) -> dict[str, Any]:
    """Histograms of the activations at a few layers, on common bins.

    tanh: the values, in [-1, 1]. ReLU: log10 of the positive values (their
    scale drifts by orders of magnitude with depth), over the range they span.
    ``density`` is the fraction of all activations of the layer per bin.
    """
    if activation == "tanh":
        values = {k: v.ravel() for k, v in samples.items()}
        lo, hi = -1.0, 1.0
    else:
        values = {k: np.log10(v[v > 0]) for k, v in samples.items()}
        finite = [v for v in values.values() if v.size]
        lo = min((float(v.min()) for v in finite), default=-1.0)
        hi = max((float(v.max()) for v in finite), default=1.0)
        lo, hi = np.floor(lo) - 0.5, np.ceil(hi) + 0.5
        pad = (hi - lo) / (_BINS - 2)  # one empty bin at each end: no peak is cut at the edge
        lo, hi = lo - pad, hi + pad
    edges = np.linspace(lo, hi, _BINS + 1)
    density = {str(k): (np.histogram(v, bins=edges)[0] / samples[k].size).tolist() for k, v in values.items()}
    return {"edges": edges.tolist(), "density": density}


def statistics(weights: Sequence[np.ndarray], x: np.ndarray, activation: str,
               hist_layers: Sequence[int] = (), use_torch: bool = True) -> dict[str, Any]:
    """Per-layer statistics of ``h_l = act(h_{l-1} @ W_l)``, ``h_0 = x``.

    Returns ``activation_std`` (one value per layer), ``saturated`` (the
    fraction of tanh outputs with |h| > 0.99, or of ReLU outputs equal to 0),
    ``histograms`` of the activations at the 1-based layers ``hist_layers``
    and, with PyTorch (``use_torch`` and installed), ``gradient_std``: the std
    of dL/ds_l at every layer's pre-activations s_l, for L = sum(h_top * g)
    with g standard normal (fastinit seed ``len(weights)``).
    """
    torch = _torch() if use_torch else None
    samples: dict[int, np.ndarray] = {}
    act_std: list[float] = []
    saturated: list[float] = []

    def record(layer: int, h: np.ndarray) -> None:
        act_std.append(float(h.std()))
        saturated.append(float(np.mean(np.abs(h) > 0.99) if activation == "tanh" else np.mean(h == 0)))
        if layer in hist_layers:
            samples[layer] = h.copy()

    out: dict[str, Any] = {}
    if torch is None:
        h = x
        for layer, W in enumerate(weights, start=1):
            s = h @ W
            h = np.tanh(s) if activation == "tanh" else np.maximum(s, 0.0)
            record(layer, h)
    else:
        f = torch.tanh if activation == "tanh" else torch.relu
        h_t = torch.from_numpy(x)
        pre = []
        for layer, W in enumerate(weights, start=1):
            s_t = h_t @ torch.from_numpy(W)
            if layer == 1:
                s_t.requires_grad_(True)  # the graph starts here: x and W need no gradient
            s_t.retain_grad()
            pre.append(s_t)
            h_t = f(s_t)
            record(layer, h_t.detach().numpy())
        g = fastinit.normal(tuple(h_t.shape), dtype=np.float64, seed=len(weights))
        (h_t * torch.from_numpy(g)).sum().backward()
        out["gradient_std"] = [float(s_t.grad.std()) for s_t in pre]
    out.update(activation_std=act_std, saturated=saturated, histograms=_histograms(samples, activation))
    return out


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def run(depth: int = 50, width: int = 256, batch: int = 256,
        activations: Sequence[str] = ACTIVATIONS, schemes: Sequence[str] = SCHEMES,
        hist_layers: Sequence[int] | None = None, seed: int = 0) -> Section:
    """Measure :func:`statistics` for every activation and scheme on a
    ``depth``-layer stack of ``width`` units, ``batch`` standard-normal
    inputs (float64: N(0, 1) ReLU reaches 1e60, beyond float32)."""
    from .threads import one_math_thread

    t0 = time.perf_counter()
    if hist_layers is None:
        hist_layers = sorted({1, max(1, depth // 5), max(1, depth // 2), depth})
    x = fastinit.normal((batch, width), dtype=np.float64, seed=seed)
    with_torch = _torch() is not None
    numbers: dict[str, Any] = {"settings": {"depth": depth, "width": width, "batch": batch, "seed": seed,
                                            "hist_layers": list(hist_layers)},
                               "gradients_computed_with": "pytorch" if with_torch else None}
    with Progress("depth statistics", len(activations) * len(schemes)) as bar, one_math_thread():
        for scheme in schemes:
            coefs, _ = inits.network_weights(scheme, [width] * (depth + 1), seed)
            for activation in activations:
                numbers.setdefault(activation, {})[scheme] = statistics(coefs, x, activation, hist_layers)
                bar.advance()

    section = Section(
        key="depth",
        title="2. Activations and gradients over depth: Xavier, He and the scales before them",
        lesson=(
            f"A stack of {depth} fully connected layers of {width} units (zero biases) is fed {batch} "
            "standard-normal inputs. For each initialization the figure shows the standard deviation of "
            "every layer's activations and of the gradients back-propagated to its pre-activations (the "
            "loss is sum(output * g) for a fixed standard-normal g, so the gradient enters the top layer "
            "with unit scale). A layer multiplies the variance of its input by n_in·Var(W), times about 1 "
            "for tanh near zero and 1/2 for ReLU. Xavier/Glorot (n_in·Var(W) = 1 on square layers) keeps "
            "tanh signals alive (Glorot & Bengio 2010 proposed it against the then-standard U(±1/√n_in), "
            "not against He, which came five years later, for ReLU); He (n_in·Var(W) = 2) compensates ReLU's "
            "halving. The findings compare Xavier with both for tanh. PyTorch's default "
            "U(±1/√n_in) has n_in·Var(W) = 1/3 and N(0, 0.01²) far less: both shrink the signal "
            "geometrically. N(0, 1) has n_in·Var(W) = n_in: ReLU activations explode and tanh units "
            "saturate at ±1. These factors hold on average over random weights: at finite width each layer's "
            "factor fluctuates around them, so the std at the top varies from one random network (one seed) "
            "to the next, the more so the narrower the layers."
        ),
        numbers=numbers,
    )
    if not with_torch:
        section.notes.append("PyTorch is not installed: the gradient statistics were not computed (the "
                             "activation statistics come from NumPy). pip install torch to add them.")
    section.figures = [_figure_std(numbers, activations, schemes, depth)]
    section.figures += [_figure_hist(numbers, a, schemes) for a in activations]
    section.table = _table(numbers, activations, schemes, depth)
    section.findings = _findings(numbers, activations, schemes, depth)
    section.seconds = time.perf_counter() - t0
    return section


def _ratio(values: list[float]) -> float:
    return values[-1] / values[0] if values[0] else float("nan")


def _table(numbers: dict[str, Any], activations: Sequence[str], schemes: Sequence[str],
           depth: int) -> tuple[list[str], list[list[str]]]:
    header = ["activation", "initialization", "act. std, layer 1", f"act. std, layer {depth}",
              f"saturated, layer {depth}", "grad. std, layer 1", f"grad. std, layer {depth}"]
    rows = []
    for a in activations:
        for s in schemes:
            r = numbers[a][s]
            grad = r.get("gradient_std")
            rows.append([a, inits.LABELS[s], f"{r['activation_std'][0]:.3g}", f"{r['activation_std'][-1]:.3g}",
                         f"{100 * r['saturated'][-1]:.0f}% " + ("|h| > 0.99" if a == "tanh" else "zeros"),
                         f"{grad[0]:.3g}" if grad else "n/a", f"{grad[-1]:.3g}" if grad else "n/a"])
    return header, rows


def _findings(numbers: dict[str, Any], activations: Sequence[str], schemes: Sequence[str], depth: int) -> list[Finding]:
    out = []
    have = set(schemes)
    if "tanh" in activations and {"xavier", "torch_default"} <= have:
        x, base = numbers["tanh"]["xavier"], numbers["tanh"]["torch_default"]
        text = (f"tanh + Xavier stays alive where U(±1/√n_in), the baseline Glorot & Bengio compared it with, "
                f"vanishes: activation std at layer {depth} {x['activation_std'][-1]:.3g} against "
                f"{base['activation_std'][-1]:.2g}, {100 * x['saturated'][-1]:.0f}% of Xavier's units saturated")
        holds = x["activation_std"][-1] > 100 * base["activation_std"][-1] and x["saturated"][-1] < 0.5
        if "gradient_std" in x:
            text += (f"; gradient std at layer 1 {x['gradient_std'][0]:.2g} against "
                     f"{base['gradient_std'][0]:.2g}")
            holds = holds and x["gradient_std"][0] > 100 * base["gradient_std"][0]
        out.append(Finding(text, holds))
    if "tanh" in activations and {"xavier", "he"} <= have:
        out.append(_xavier_against_he(numbers["tanh"]["xavier"], numbers["tanh"]["he"], depth))
    if "relu" in activations and {"he"} <= have:
        r = numbers["relu"]["he"]
        grad = r.get("gradient_std")
        text = (f"ReLU + He stays alive: activation std {r['activation_std'][0]:.2f} at layer 1, "
                f"{r['activation_std'][-1]:.2f} at layer {depth} (ratio {_ratio(r['activation_std']):.2f})")
        holds = 0.5 <= _ratio(r["activation_std"]) <= 2.0
        if grad:
            text += f"; gradient std {grad[-1]:.2f} at the top, {grad[0]:.2f} at layer 1"
            holds = holds and 0.5 <= grad[0] / grad[-1] <= 2.0
        out.append(Finding(text, holds))
    if "relu" in activations and {"xavier"} <= have:
        r = numbers["relu"]["xavier"]
        expected = 0.5 ** ((depth - 1) / 2)
        out.append(Finding(
            f"ReLU + Xavier halves the variance at every layer: std ratio layer {depth} / layer 1 "
            f"{_ratio(r['activation_std']):.2g}, expected 2^-{(depth - 1) / 2:g} = {expected:.2g}",
            expected / 4 <= _ratio(r["activation_std"]) <= expected * 4))
    vanishing = [s for s in ("normal_0.01", "torch_default") if s in have]
    for a in activations:
        if vanishing:
            stds = {s: numbers[a][s]["activation_std"][-1] for s in vanishing}
            out.append(Finding(
                f"{a}: " + " and ".join(f"{inits.LABELS[s]}" for s in vanishing) + " vanish: activation std "
                + ", ".join(f"{v:.2g}" for v in stds.values()) + f" at layer {depth}",
                all(v < 1e-3 * numbers[a][s]["activation_std"][0] for s, v in stds.items())))
        if "normal_1" in have:
            r = numbers[a]["normal_1"]
            if a == "tanh":
                text = (f"tanh + N(0, 1) saturates: {100 * r['saturated'][-1]:.0f}% of the units at |h| > 0.99 "
                        f"at layer {depth}")
                grad = r.get("gradient_std")
                if grad:
                    per_layer = (grad[0] / grad[-1]) ** (1 / max(depth - 1, 1))
                    text += (f"; its gradient does not vanish but explodes, std {grad[-1]:.2g} at the top and "
                             f"{grad[0]:.2g} at layer 1 ({per_layer:.1f}x per layer): each layer multiplies the "
                             "back-propagated gradient by Wᵀ, with n_in·Var(W) = n_in, and by tanh', which is "
                             "near 0 at the saturated units but not at the others, so the product grows")
                out.append(Finding(text, r["saturated"][-1] > 0.5))
            else:
                out.append(Finding(
                    f"ReLU + N(0, 1) explodes: activation std {r['activation_std'][-1]:.2g} at layer {depth}",
                    r["activation_std"][-1] > 1e6))
    return out


def _log_distance(ratio: float) -> float:
    """How far a layer-to-layer ratio of stds is from 1 (kept), on a log scale."""
    return abs(float(np.log(ratio))) if ratio > 0 and np.isfinite(ratio) else float("inf")


def _xavier_against_he(x: dict[str, Any], he: dict[str, Any], depth: int) -> Finding:
    """Whether Xavier keeps tanh's activation (and gradient) scale over depth
    closer to constant than He does; with the reason when it does not."""
    xa, ha = _ratio(x["activation_std"]), _ratio(he["activation_std"])
    text = (f"tanh: Xavier keeps the scale over {depth} layers better than He: activation std layer {depth} / "
            f"layer 1 Xavier {xa:.2g}, He {ha:.2g}")
    holds = _log_distance(xa) < _log_distance(ha)
    if "gradient_std" in x:
        xg, hg = 1 / _ratio(x["gradient_std"]), 1 / _ratio(he["gradient_std"])
        text += f"; gradient std layer 1 / top Xavier {xg:.2g}, He {hg:.2g}"
        holds = holds and _log_distance(xg) < _log_distance(hg)
    if not holds:
        text += (f". Not in this setting: He keeps tanh's activations near their first-layer scale "
                 f"({100 * he['saturated'][-1]:.1f}% of its units saturated at layer {depth}). n_in·Var(W) = 1 "
                 "preserves the variance only where tanh is linear, near 0; its slope is below 1 elsewhere, so "
                 "Xavier's signal still shrinks at every layer, and a larger scale compensates (PyTorch's "
                 "recommended tanh gain 5/3 gives n_in·Var(W) = 25/9 on square layers, He 2). Glorot & Bengio "
                 "compared their initialization with U(±1/√n_in), not with He")
    return Finding(text, holds)


def _figure_std(numbers: dict[str, Any], activations: Sequence[str], schemes: Sequence[str], depth: int) -> Figure:
    kinds = [("activation_std", "activation std")]
    if numbers["gradients_computed_with"]:
        kinds.append(("gradient_std", "gradient std (dL/ds)"))
    close = [s for s in ("xavier", "he") if s in schemes]
    rows = len(kinds) + (1 if close else 0)
    fig = new_figure(5.2 * len(activations), 3.0 * rows + 0.4)
    axes = fig.subplots(rows, len(activations), squeeze=False, sharex=True)
    layers = np.arange(1, depth + 1)
    colors = {s: f"C{k}" for k, s in enumerate(schemes)}
    for col, a in enumerate(activations):
        for row, (key, label) in enumerate(kinds):
            ax = axes[row][col]
            for s in schemes:
                ax.semilogy(layers, numbers[a][s][key], label=inits.LABELS[s], lw=1.6, color=colors[s])
            ax.set_title(f"{a}: {label}, every initialization", fontsize=10)
            ax.set_ylabel("std (log scale)", fontsize=8)
        if close:
            # the comparison that matters, on a scale of its own (the panels above span up to 1e100)
            ax = axes[-1][col]
            for s in close:
                for key, _ in kinds:
                    style = "-" if key == "activation_std" else "--"
                    ax.semilogy(layers, numbers[a][s][key], style, color=colors[s], lw=1.6,
                                label=f"{inits.LABELS[s]}, {'activations' if key == 'activation_std' else 'gradients'}")
            ax.set_title(f"{a}: Xavier and He close up", fontsize=10)
            ax.set_ylabel("std (log scale)", fontsize=8)
            ax.legend(fontsize=7, loc="best")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
        axes[-1][col].set_xlabel("layer")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=len(schemes),
               fontsize=8)
    return Figure("depth_std", fig,
                  "Standard deviation per layer, log scale. Flat lines keep the signal alive; a straight "
                  "slope is a geometric vanishing or explosion. The bottom row repeats Xavier and He on their "
                  "own scale.")


def _figure_hist(numbers: dict[str, Any], activation: str, schemes: Sequence[str]) -> Figure:
    fig = new_figure(2.4 * len(schemes), 2.8)
    axes = fig.subplots(1, len(schemes), squeeze=False)[0]
    for ax, s in zip(axes, schemes):
        hist = numbers[activation][s]["histograms"]
        edges = np.asarray(hist["edges"])
        for layer, density in hist["density"].items():
            ax.stairs(density, edges, label=f"layer {layer}", lw=1.3)  # closed down to 0 at both ends
        ax.margins(x=0.04, y=0.08)
        ax.set_title(inits.LABELS[s], fontsize=9)
        ax.set_xlabel("activation" if activation == "tanh" else "log10(activation > 0)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].set_ylabel("fraction of units per bin", fontsize=8)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize=7)
    what = ("tanh activations" if activation == "tanh"
            else "ReLU activations (the positive half, on a log10 axis)")
    fig.suptitle(f"Histograms of {what} at a few depths", fontsize=10)
    return Figure(f"depth_hist_{activation}", fig,
                  "tanh: a spike at 0 is a dead signal, mass at ±1 is saturation." if activation == "tanh"
                  else "ReLU: curves that shift right or left with depth are a signal growing or shrinking "
                       "by orders of magnitude; half of the units are 0 at every depth.")
