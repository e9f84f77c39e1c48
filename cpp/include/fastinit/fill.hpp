// Filling a strided n-d array with a distribution, in parallel.
//
// The array is a block of a larger logical row-major tensor: element
// (j0, ..., jn) of the block has logical index base + sum_k j_k * lstrides[k].
// For an ordinary fill, lstrides are the C-order strides of the array's own
// shape and base is 0. Each value depends only on its logical index, so the
// split into threads and the memory layout never change the result.
#pragma once
#include <cstdint>
#include <vector>

#include "fastinit/distributions.hpp"

namespace fastinit {

struct StridedBlock {
  void* data = nullptr;
  std::vector<std::int64_t> shape;     // elements per dimension
  std::vector<std::int64_t> strides;   // bytes
  std::vector<std::uint64_t> lstrides; // logical index strides
  std::uint64_t base = 0;              // logical index of element (0, ..., 0)
};

// Fills `block` (GIL released by the caller). Throws std::invalid_argument on
// inconsistent input.
void fill(const SamplerSpec& spec, const StridedBlock& block);

}  // namespace fastinit
