// The per-instruction-set kernel table.
//
// cpp/src/kernels.cpp is compiled once per target (generic, avx2); each build
// exports one KernelTable from its own namespace. dispatch.cpp picks one at
// import. Every table computes exactly the values defined in distributions.hpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include "fastinit/distributions.hpp"

namespace fastinit {

// Fill `n` elements with logical indices first, first+1, ..., first+n-1.
// Element k is written at (char*)out + k * stride_bytes, in the sampler's dtype.
using FillRunFn = void (*)(const Sampler& s, void* out, std::ptrdiff_t stride_bytes,
                           std::uint64_t first, std::size_t n);

// Raw Philox4x32-10 blocks: out[4j..4j+3] = philox(ctr[4j..4j+3], key).
using PhiloxBlocksFn = void (*)(const std::uint32_t* ctr, std::size_t n_blocks, std::uint32_t key0,
                                std::uint32_t key1, std::uint32_t* out);

struct KernelTable {
  const char* name;
  FillRunFn fill_run;
  PhiloxBlocksFn philox_blocks;
};

namespace generic { const KernelTable& kernel_table(); }
namespace avx2 { const KernelTable& kernel_table(); }

// Selected at first use from the CPU's features and FASTINIT_ISA.
const KernelTable& active_kernels();
// Force a table by name ("generic" or "avx2"); throws std::invalid_argument
// for an unknown name and std::runtime_error when the CPU lacks the ISA.
void select_kernels(const char* name);
bool cpu_supports_avx2();
// Space-separated list of the relevant CPU features that were detected.
const char* cpu_feature_string();

}  // namespace fastinit
