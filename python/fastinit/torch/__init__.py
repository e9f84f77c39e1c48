"""fastinit for PyTorch models (needs torch); sharded tensors: :mod:`fastinit.torch._shard`."""
