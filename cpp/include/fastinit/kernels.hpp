// The per-instruction-set kernel table.
//
// cpp/src/kernels.cpp and cpp/src/rbm_kernels.cpp are compiled once per target
// (generic, avx2); each build exports one KernelTable from its own namespace. dispatch.cpp picks one at
// import. Every table computes exactly the values defined in distributions.hpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fastinit/distributions.hpp"

namespace fastinit {

// Fill `n` elements with logical indices first, first+1, ..., first+n-1.
// Element k is written at (char*)out + k * stride_bytes, in the sampler's dtype.
using FillRunFn = void (*)(const Sampler& s, void* out, std::ptrdiff_t stride_bytes,
                           std::uint64_t first, std::size_t n);

// Raw Philox4x32-10 blocks: out[4j..4j+3] = philox(ctr[4j..4j+3], key).
using PhiloxBlocksFn = void (*)(const std::uint32_t* ctr, std::size_t n_blocks, std::uint32_t key0,
                                std::uint32_t key1, std::uint32_t* out);

// Domain-0 blocks of a stream: out[4j..4j+3] = stream_block(st, first_block + j, 0).
using PhiloxStreamBlocksFn = void (*)(const StreamId& st, std::uint64_t first_block, std::size_t n_blocks,
                                      std::uint32_t* out);

// Rows with few nonzeros in compressed sparse row form: row r holds
// val[p] at column idx[p] for p in [ptr[r], ptr[r + 1]), columns ascending.
// `binary`: every val is 1.
template <class T>
struct SparseRows {
  const std::int64_t* ptr;
  const std::int32_t* idx;
  const T* val;
  bool binary;
};

// Elementwise steps of the RBM trainer (rbm_kernels.cpp) for one float type T.
template <class T>
struct RbmElementwise {
  // out[j] = 1 / (1 + exp(-(x[j] + bias[j]))) with the clamped exp of
  // rbm_kernels.cpp; out may be x.
  void (*sigmoid_bias)(const T* x, const T* bias, T* out, std::int64_t n);
  // out[j] = 1 if u_j < p[j] else 0; u_j is the uniform of element j's
  // word(s): float (w[j] >> 8) 2^-24, double 53 bits of (w[2j], w[2j+1]).
  void (*bernoulli)(const std::uint32_t* w, const T* p, T* out, std::int64_t n);
  // Sparse times dense on columns [c0, c1): for each row r in [r0, r1),
  //   c[(r - r0) ldc + j] = alpha s_r + beta c[(r - r0) ldc + j]   (beta == 0: c is only written)
  // where s_r = sum over p in row r, in order, of a.val[p] b[a.idx[p] ldb + j]
  // (the first term exact); with beta == 1 an empty row leaves c's row as it is.
  void (*sparse_gemm)(const SparseRows<T>& a, std::int64_t r0, std::int64_t r1, const T* b, std::int64_t ldb,
                      std::int64_t c0, std::int64_t c1, T alpha, T beta, T* c, std::int64_t ldc);
  // Appends the nonzeros of x[0, n) (column index, value), columns ascending,
  // to idx/val; returns how many. Clears *binary if a value is not 0 or 1.
  std::int64_t (*compress_row)(const T* x, std::int64_t n, std::int32_t* idx, T* val, bool* binary);
  // Dot products of dense rows, for products with few rows (no packing):
  //   c[r ldc + i] = dot(a[r lda, +k), b[i ldb, +k))  for r in [0, n_rows), i in [i0, i1),
  // k a multiple of 8. Each dot has 8 lanes, lane l summing the rounded
  // products of the indices j = l mod 8 in ascending order from +0; the result
  // is ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)) on every instruction set.
  void (*dot_rows)(const T* a, std::int64_t lda, std::int64_t n_rows, const T* b, std::int64_t ldb, std::int64_t i0,
                   std::int64_t i1, std::int64_t k, T* c, std::int64_t ldc);
};

struct RbmKernels {
  RbmElementwise<float> f32;
  RbmElementwise<double> f64;
};

struct KernelTable {
  const char* name;
  FillRunFn fill_run;
  PhiloxBlocksFn philox_blocks;
  PhiloxStreamBlocksFn philox_stream_blocks;
  const RbmKernels* rbm;
};

namespace generic {
const KernelTable& kernel_table();
const RbmKernels& rbm_kernels();
}  // namespace generic
namespace avx512 {
const KernelTable& kernel_table();
const RbmKernels& rbm_kernels();
}  // namespace avx512
namespace avx2 {
const KernelTable& kernel_table();
const RbmKernels& rbm_kernels();
}  // namespace avx2

// The best table for this CPU, unless select_kernels() chose another.
const KernelTable& active_kernels();
// Force a table by name ("generic", "avx2" or "avx512"); throws
// std::invalid_argument for an unknown name and std::runtime_error when the
// CPU (or this build) lacks the ISA.
void select_kernels(const char* name);
// The tables this build has and this CPU can run, best first.
std::vector<std::string> available_isas();
// Space-separated list of the relevant CPU features that were detected.
const char* cpu_feature_string();

}  // namespace fastinit
