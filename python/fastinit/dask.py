"""Lazy, chunked initializers for arrays larger than one machine's memory (needs ``dask[array]``).

``fastinit.dask.<name>(shape, ..., chunks=..., seed=..., dtype=...)`` returns a
``dask.array.Array`` whose chunks are computed on demand, each with the values
of the same block of ``fastinit.<name>(shape, ..., seed=...)``: the computed
array is bit for bit the in-memory one, whatever the chunking (chunks are
filled with fastinit's ``full_shape=``/``offset=`` block fills; fans come from
the full shape). Dask is imported only by this module, never by ``import
fastinit``::

    import fastinit.dask
    w = fastinit.dask.xavier_uniform((200_000, 50_000), chunks=(10_000, 50_000), seed=0)
    w[:10].compute()           # fills only the first chunk

Available: every element-wise initializer (``zeros``, ``ones``, ``constant``,
``uniform``, ``normal``, ``truncated_normal``, ``xavier_*``/``glorot_*``,
``he_*``/``kaiming_*``, ``lecun_*``, ``variance_scaling``). Not available:
``orthogonal``, ``delta_orthogonal``, ``sparse``, ``eye`` and ``dirac``, whose values depend on the
whole array (a QR factorization, a per-column pattern, positions of ones), so
no chunk can be computed on its own.

Seeds are resolved once, when the graph is built: an int names one stream; a
:class:`fastinit.Generator` (``None``: the default generator) is advanced by
one call right away, as the in-memory function would advance it, and every
chunk uses that call. The graph holds only integers: computing it twice, in
another process or on a cluster gives the same values.
"""
from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Union

import dask.array as da
import numpy as np

from . import initializers as _initializers
from ._arrays import normalize_shape, resolve_dtype
from ._generator import Generator, resolve_generator

#: The in-place-free names of fastinit's element-wise initializers, wrapped here.
CHUNKABLE = tuple(name for name in _initializers.__all__ if not name.endswith("_"))
#: fastinit initializers that cannot be chunked, and why.
NOT_CHUNKABLE = {
    "orthogonal": "a QR factorization of the whole matrix",
    "sparse": "a zero pattern drawn per column over all rows",
    "eye": "the positions of the ones in the whole matrix",
    "dirac": "the positions of the ones in the whole kernel",
    "delta_orthogonal": "an orthogonal matrix over the whole centre tap",
}

__all__ = list(CHUNKABLE)

#: ``chunks=``: anything ``dask.array`` accepts: ``"auto"``, an int (``-1``: one chunk per dim), a size
#: string (``"100 MiB"``), a block size per dim (ints, tuples of explicit block sizes, ``"auto"``/``None``)
#: or a dict ``{dim: chunks}``.
Chunks = Union[int, str, None, Sequence[Any], Mapping[int, Any]]

if TYPE_CHECKING:
    # The functions _chunked makes below, as type checkers see them: fastinit.<name>'s signature without
    # full_shape/offset, plus chunks=. tests/test_dask.py checks that they match the runtime signatures.
    import numpy.typing as npt

    from ._typing import DTypeLike, Seed, ShapeLike
    from .fans import Axes

    def zeros(shape: ShapeLike, *, dtype: DTypeLike = None, chunks: Chunks = "auto") -> da.Array: ...
    def ones(shape: ShapeLike, *, dtype: DTypeLike = None, chunks: Chunks = "auto") -> da.Array: ...
    def constant(shape: ShapeLike, value: npt.ArrayLike, *, dtype: DTypeLike = None,
                 chunks: Chunks = "auto") -> da.Array: ...
    def uniform(shape: ShapeLike, low: float = 0.0, high: float = 1.0, *, dtype: DTypeLike = None, seed: Seed = None,
                chunks: Chunks = "auto") -> da.Array: ...
    def normal(shape: ShapeLike, mean: float | complex = 0.0, std: float = 1.0, *, dtype: DTypeLike = None,
               seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def truncated_normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                         dtype: DTypeLike = None, seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def xavier_uniform(shape: ShapeLike, gain: float = 1.0, *, layout: str = "torch", fan_in: int | None = None,
                       fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                       batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                       chunks: Chunks = "auto") -> da.Array: ...
    def xavier_normal(shape: ShapeLike, gain: float = 1.0, *, truncated: bool = False, layout: str = "torch",
                      fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                      out_axis: Axes | None = None, batch_axis: Axes | None = None, dtype: DTypeLike = None,
                      seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def glorot_uniform(shape: ShapeLike, gain: float = 1.0, *, layout: str = "torch", fan_in: int | None = None,
                       fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                       batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                       chunks: Chunks = "auto") -> da.Array: ...
    def glorot_normal(shape: ShapeLike, gain: float = 1.0, *, truncated: bool = True, layout: str = "torch",
                      fan_in: int | None = None, fan_out: int | None = None, in_axis: Axes | None = None,
                      out_axis: Axes | None = None, batch_axis: Axes | None = None, dtype: DTypeLike = None,
                      seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def he_uniform(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                   layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                   in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                   dtype: DTypeLike = None, seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def he_normal(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                  truncated: bool = True, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                  in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                  dtype: DTypeLike = None, seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def kaiming_uniform(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                        layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                        in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                        dtype: DTypeLike = None, seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def kaiming_normal(shape: ShapeLike, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                       truncated: bool = False, layout: str = "torch", fan_in: int | None = None,
                       fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                       batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                       chunks: Chunks = "auto") -> da.Array: ...
    def lecun_uniform(shape: ShapeLike, *, layout: str = "torch", fan_in: int | None = None, fan_out: int | None = None,
                      in_axis: Axes | None = None, out_axis: Axes | None = None, batch_axis: Axes | None = None,
                      dtype: DTypeLike = None, seed: Seed = None, chunks: Chunks = "auto") -> da.Array: ...
    def lecun_normal(shape: ShapeLike, *, truncated: bool = True, layout: str = "torch", fan_in: int | None = None,
                     fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                     batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                     chunks: Chunks = "auto") -> da.Array: ...
    def variance_scaling(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_in",
                         distribution: str = "truncated_normal", *, layout: str = "torch", fan_in: int | None = None,
                         fan_out: int | None = None, in_axis: Axes | None = None, out_axis: Axes | None = None,
                         batch_axis: Axes | None = None, dtype: DTypeLike = None, seed: Seed = None,
                         chunks: Chunks = "auto") -> da.Array: ...


def _fill_chunk(spec: tuple[Any, ...], block_info: Any = None) -> Any:
    """One chunk: the block of the whole array at this chunk's location."""
    name, arguments, shape, dtype, stream = spec
    kwargs = dict(arguments)
    if stream is not None:
        key, call = stream
        kwargs["seed"] = key if call is None else Generator(key).set_state({"seed": key, "calls": call})
    location = block_info[None]["array-location"]
    return getattr(_initializers, name)(
        tuple(stop - start for start, stop in location), dtype=dtype, full_shape=shape,
        offset=tuple(start for start, _ in location), **kwargs
    )


def _resolve_stream(seed: Any) -> tuple[int, int | None]:
    """``(key, call)`` of the one call every chunk uses; ``call`` None for an int (call 0 of its own key)."""
    generator = resolve_generator(seed)  # checks an int seed too
    if type(seed) is int:
        return generator.seed, None
    return generator.seed, generator.spawn_call()[2]


def _chunked(name: str) -> Callable[..., da.Array]:
    fn = getattr(_initializers, name)
    signature = inspect.signature(fn)
    random = "seed" in signature.parameters
    params = [p for p in signature.parameters.values() if p.name not in ("full_shape", "offset")]
    params.append(inspect.Parameter("chunks", inspect.Parameter.KEYWORD_ONLY, default="auto", annotation="Chunks"))
    public = signature.replace(parameters=params, return_annotation="dask.array.Array")

    def chunked(*args: Any, **kwargs: Any) -> da.Array:
        bound = public.bind(*args, **kwargs)  # a TypeError names an unknown or missing argument
        bound.apply_defaults()
        values = dict(bound.arguments)
        shape = normalize_shape(values.pop("shape"), "shape")
        # complex_ok: the function itself refuses complex dtypes where it has no complex values (in the probe).
        chunks, dtype = values.pop("chunks"), resolve_dtype(values.pop("dtype"), "dtype", complex_ok=True)
        seed = values.pop("seed", None)
        # Check every argument now (fans from the full shape included), on a block of at most one element.
        probe = tuple(min(n, 1) for n in shape)
        fn(probe, **values, dtype=dtype, full_shape=shape, offset=(0,) * len(shape), **({"seed": 0} if random else {}))
        stream = _resolve_stream(seed) if random else None
        chunks = da.core.normalize_chunks(chunks, shape, dtype=dtype)
        spec = (name, tuple(values.items()), shape, dtype, stream)
        return da.map_blocks(_fill_chunk, chunks=chunks, dtype=dtype, meta=np.empty((0,) * len(shape), dtype),
                             token=f"fastinit-{name}", spec=spec)

    chunked.__name__ = chunked.__qualname__ = name
    chunked.__signature__ = public  # type: ignore[attr-defined]
    notes = [f"Every chunking gives the array ``fastinit.{name}(shape, ...)`` returns, bit for bit."]
    if "layout" in signature.parameters:
        notes.append("Fans come from the whole ``shape``.")
    notes.append("Arguments are checked when the graph is built.")
    if random:
        notes.append("A Generator seed (or None, the default generator) advances by one call then, "
                     "not when the array is computed.")
    chunked.__doc__ = (
        f"A lazy Dask array with the values of :func:`fastinit.{name}` (see its documentation).\n\n"
        f"Same arguments as ``fastinit.{name}`` without ``full_shape``/``offset``, plus ``chunks``\n"
        "(anything ``dask.array`` accepts: ``\"auto\"``, an int, a tuple, explicit uneven block sizes).\n"
        + "\n".join(notes)
    )
    return chunked


for _name in CHUNKABLE:
    globals()[_name] = _chunked(_name)
del _name


def __getattr__(name: str) -> Any:
    if name in NOT_CHUNKABLE:
        raise AttributeError(
            f"fastinit.dask has no {name!r}: its values depend on {NOT_CHUNKABLE[name]}, so chunks cannot "
            f"be computed separately; use fastinit.{name} and dask.array.from_array if the array fits in memory"
        )
    raise AttributeError(f"module 'fastinit.dask' has no attribute {name!r}")
