"""The initializations the demo compares, drawn with fastinit's initializers.

Every scheme fills one weight matrix of shape ``(n_in, n_out)`` (Keras and
scikit-learn layout: ``x @ W``; the transpose of PyTorch's ``Linear.weight``)
from an explicit seed. :func:`network_weights` draws a whole network, one
layer after another from one :class:`fastinit.Generator`, with zero biases,
so that the weights alone make the difference between schemes.

========================  ====================================================
scheme                    weights
========================  ====================================================
``zeros``                 0
``constant``              0.05 everywhere
``normal_1``              N(0, 1)
``normal_0.01``           N(0, 0.01²) (std 0.01)
``torch_default``         U(±1/sqrt(n_in)): PyTorch's ``nn.Linear`` default,
                          ``kaiming_uniform_(a=sqrt(5))``; n_in·Var(W) = 1/3
``xavier``                Glorot uniform U(±sqrt(6/(n_in+n_out)))
``he``                    He normal as Keras ``HeNormal``: a normal truncated
                          at ±2σ, σ chosen so that Var(W) = 2/n_in
========================  ====================================================

(PyTorch's ``nn.Linear`` also draws its biases from U(±1/sqrt(n_in)); Keras
and this demo start biases at zero, scikit-learn draws them Glorot-uniform.)
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

import fastinit

__all__ = ["LABELS", "SCHEMES", "draw", "network_weights"]

#: scheme name -> function(shape (n_in, n_out), seed) -> float64 array
SCHEMES: dict[str, Callable[[tuple[int, int], fastinit.Generator | int], np.ndarray]] = {
    "zeros": lambda shape, seed: fastinit.zeros(shape, dtype=np.float64),
    "constant": lambda shape, seed: fastinit.constant(shape, 0.05, dtype=np.float64),
    "normal_1": lambda shape, seed: fastinit.normal(shape, 0.0, 1.0, dtype=np.float64, seed=seed),
    "normal_0.01": lambda shape, seed: fastinit.normal(shape, 0.0, 0.01, dtype=np.float64, seed=seed),
    "torch_default": lambda shape, seed: fastinit.kaiming_uniform(shape, a=math.sqrt(5), layout="keras",
                                                                  dtype=np.float64, seed=seed),
    "xavier": lambda shape, seed: fastinit.xavier_uniform(shape, layout="keras", dtype=np.float64, seed=seed),
    "he": lambda shape, seed: fastinit.he_normal(shape, nonlinearity="relu", layout="keras", dtype=np.float64,
                                                 seed=seed),
}

#: scheme name -> how the figures and tables name it
LABELS = {
    "zeros": "zeros",
    "constant": "constant 0.05",
    "normal_1": "N(0, 1)",
    "normal_0.01": "N(0, 0.01²)",
    "torch_default": "U(±1/√n_in) (PyTorch default)",
    "xavier": "Xavier uniform",
    "he": "He normal",
}


def draw(scheme: str, shape: tuple[int, int], seed: fastinit.Generator | int) -> np.ndarray:
    """One ``(n_in, n_out)`` weight matrix of ``scheme`` (a key of :data:`SCHEMES`)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(SCHEMES)}, got {scheme!r}")
    return SCHEMES[scheme](shape, seed)


def network_weights(scheme: str, layer_sizes: Sequence[int],
                    seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and zero biases of a fully connected network, scikit-learn layout.

    ``layer_sizes`` lists every layer's width, input first and output last
    (digits with two hidden layers of 32: ``[64, 32, 32, 10]``). Returns
    ``(coefs, intercepts)`` with ``coefs[i]`` of shape ``(layer_sizes[i],
    layer_sizes[i + 1])``, ready for
    :func:`fastinit.mlp_warm_start.warm_start_mlp`.
    """
    gen = fastinit.Generator(seed)
    coefs = [draw(scheme, (n_in, n_out), gen) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]
    intercepts = [np.zeros(n_out) for n_out in layer_sizes[1:]]
    return coefs, intercepts
