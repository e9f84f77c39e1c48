// Elementwise kernels of the RBM trainer (rbm.cpp): the logistic function and
// Bernoulli sampling. Like kernels.cpp this file is compiled once per
// instruction set (FI_ISA = generic or avx2, see CMakeLists.txt) and exported
// through the KernelTable; the compiler vectorizes the plain loops below for
// each target. Every build executes the same IEEE operations in the same
// order (no FMA contraction), so all builds give the same bits.
#include <algorithm>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif
#include <cstdint>

#include "fastinit/fastmath.hpp"
#include "fastinit/kernels.hpp"
#include "fastinit/stream.hpp"

#ifndef FI_ISA
#error "rbm_kernels.cpp must be compiled with FI_ISA set (generic or avx2)"
#endif

namespace fastinit {
namespace FI_ISA {
namespace {

// ---------------------------------------------------------------------------
// exp and the logistic function, branch-free so the compiler vectorizes the
// loops that call them (Cody-Waite reduction, Taylor polynomial on |g| <= ln2/2).

FI_ALWAYS_INLINE float exp_clamped(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float shifter = 0x1.8p23f;
  const float r = x * 1.44269504088896341f + shifter;
  const float n = r - shifter;
  const std::int32_t ni = bit_cast<std::int32_t>(r) - bit_cast<std::int32_t>(shifter);
  const float g = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * g + 1.0f / 720.0f;
  p = p * g + 1.0f / 120.0f;
  p = p * g + 1.0f / 24.0f;
  p = p * g + 1.0f / 6.0f;
  p = p * g + 0.5f;
  p = p * g + 1.0f;
  p = p * g + 1.0f;
  const float scale = bit_cast<float>(static_cast<std::uint32_t>(ni + 127) << 23);
  return p * scale;
}

FI_ALWAYS_INLINE double exp_clamped(double x) {
  x = std::min(std::max(x, -708.0), 709.0);
  const double shifter = 0x1.8p52;
  const double r = x * 1.4426950408889634074 + shifter;
  const double n = r - shifter;
  const std::int64_t ni = bit_cast<std::int64_t>(r) - bit_cast<std::int64_t>(shifter);
  const double g = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
  double p = 1.0 / 479001600.0;  // 1/12!
  p = p * g + 1.0 / 39916800.0;
  p = p * g + 1.0 / 3628800.0;
  p = p * g + 1.0 / 362880.0;
  p = p * g + 1.0 / 40320.0;
  p = p * g + 1.0 / 5040.0;
  p = p * g + 1.0 / 720.0;
  p = p * g + 1.0 / 120.0;
  p = p * g + 1.0 / 24.0;
  p = p * g + 1.0 / 6.0;
  p = p * g + 0.5;
  p = p * g + 1.0;
  p = p * g + 1.0;
  const double scale = bit_cast<double>(static_cast<std::uint64_t>(ni + 1023) << 52);
  return p * scale;
}

template <class T>
FI_ALWAYS_INLINE T sigmoid(T x) {
  return T(1) / (T(1) + exp_clamped(-x));
}


// out = sigmoid(x + bias)  (out may be x)
template <class T>
void sigmoid_bias(const T* x, const T* bias, T* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) out[j] = sigmoid<T>(x[j] + bias[j]);
}

// out = 1 if u < p else 0, with u the uniform of element j's random word(s):
// float (w >> 8) 2^-24 (fastinit's float32 uniform), double 53 bits of two words.
void bernoulli(const std::uint32_t* w, const float* p, float* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const float u = static_cast<float>(static_cast<std::int32_t>(w[j] >> 8)) * 0x1p-24f;
    out[j] = u < p[j] ? 1.0f : 0.0f;
  }
}

void bernoulli(const std::uint32_t* w, const double* p, double* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const std::uint64_t bits = join64(w[2 * j], w[2 * j + 1]) >> 11;
    const double u = static_cast<double>(static_cast<std::int64_t>(bits)) * 0x1p-53;
    out[j] = u < p[j] ? 1.0 : 0.0;
  }
}

// ---------------------------------------------------------------------------
// Sparse rows times a dense matrix, one block of B output columns at a time:
// the B partial sums stay in registers while the row's nonzeros stream by.
// Every output element is summed in the order of its row's nonzeros whatever
// the block width or vector length, so all builds give the same bits.

// The partial sums of one block: acc[t] = sum_p val[p] b[idx[p] ldb + t].
template <class T, bool kBinary, std::int64_t B>
FI_ALWAYS_INLINE void sparse_row_block(const std::int32_t* __restrict idx, const T* __restrict val, std::int64_t n,
                                       const T* __restrict b, std::int64_t ldb, T* __restrict acc) {
  for (std::int64_t t = 0; t < B; ++t) acc[t] = T(0);
  for (std::int64_t p = 0; p < n; ++p) {
    const T* __restrict x = b + static_cast<std::int64_t>(idx[p]) * ldb;
    if constexpr (kBinary) {
      for (std::int64_t t = 0; t < B; ++t) acc[t] += x[t];
    } else {
      const T v = val[p];
      for (std::int64_t t = 0; t < B; ++t) acc[t] += v * x[t];
    }
  }
}

// The same for a tail narrower than a block (w < B columns).
template <class T, bool kBinary>
void sparse_row_tail(const std::int32_t* __restrict idx, const T* __restrict val, std::int64_t n,
                     const T* __restrict b, std::int64_t ldb, std::int64_t w, T* __restrict acc) {
  for (std::int64_t t = 0; t < w; ++t) acc[t] = T(0);
  for (std::int64_t p = 0; p < n; ++p) {
    const T* __restrict x = b + static_cast<std::int64_t>(idx[p]) * ldb;
    const T v = kBinary ? T(1) : val[p];
    for (std::int64_t t = 0; t < w; ++t) acc[t] += kBinary ? x[t] : v * x[t];
  }
}

// out[t] = alpha acc[t] + beta out[t] (beta == 0: out is only written).
template <class T>
FI_ALWAYS_INLINE void sparse_row_store(const T* __restrict acc, std::int64_t w, T alpha, T beta, T* __restrict out) {
  if (beta == T(0)) {
    for (std::int64_t t = 0; t < w; ++t) out[t] = alpha * acc[t];
  } else {
    for (std::int64_t t = 0; t < w; ++t) out[t] = alpha * acc[t] + beta * out[t];
  }
}

template <class T, bool kBinary>
void sparse_gemm_rows(const SparseRows<T>& a, std::int64_t r0, std::int64_t r1, const T* b, std::int64_t ldb,
                      std::int64_t c0, std::int64_t c1, T alpha, T beta, T* c, std::int64_t ldc) {
  constexpr std::int64_t B = 256 / sizeof(T);  // 64 floats or 32 doubles of partial sums
  alignas(64) T acc[B];
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::int64_t p0 = a.ptr[r], n = a.ptr[r + 1] - p0;
    T* out = c + (r - r0) * ldc;
    if (n == 0 && beta == T(1)) continue;  // c += alpha * 0: left as it is
    std::int64_t j = c0;
    for (; j + B <= c1; j += B) {
      sparse_row_block<T, kBinary, B>(a.idx + p0, a.val + p0, n, b + j, ldb, acc);
      sparse_row_store<T>(acc, B, alpha, beta, out + j);
    }
    if (j < c1) {
      sparse_row_tail<T, kBinary>(a.idx + p0, a.val + p0, n, b + j, ldb, c1 - j, acc);
      sparse_row_store<T>(acc, c1 - j, alpha, beta, out + j);
    }
  }
}

template <class T>
void sparse_gemm(const SparseRows<T>& a, std::int64_t r0, std::int64_t r1, const T* b, std::int64_t ldb,
                 std::int64_t c0, std::int64_t c1, T alpha, T beta, T* c, std::int64_t ldc) {
  if (a.binary) {
    sparse_gemm_rows<T, true>(a, r0, r1, b, ldb, c0, c1, alpha, beta, c, ldc);
  } else {
    sparse_gemm_rows<T, false>(a, r0, r1, b, ldb, c0, c1, alpha, beta, c, ldc);
  }
}

// ---------------------------------------------------------------------------
// Row compression: SSE2 compares give a bit mask of the nonzeros of each
// group of 64 values, then one step per set bit (few at RBM densities). The
// output is exact, the same for every instruction set.

FI_ALWAYS_INLINE int lowest_bit(std::uint64_t mask) {
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long index;
  _BitScanForward64(&index, mask);
  return static_cast<int>(index);
#else
  return __builtin_ctzll(mask);
#endif
}

// Bit j of the result: xs[j] != 0 (NaN counts as nonzero); *zero_one is
// cleared if some xs[j] is neither 0 nor 1. w <= 64.
template <class T>
FI_ALWAYS_INLINE std::uint64_t nonzero_mask(const T* xs, std::int64_t w, bool* zero_one) {
  std::uint64_t mask = 0;
  std::int64_t j = 0;
#if defined(__SSE2__) || defined(_M_X64)
  std::uint32_t not01 = 0;
  if constexpr (sizeof(T) == 4) {
    const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
    for (; j + 4 <= w; j += 4) {
      const __m128 x = _mm_loadu_ps(xs + j);
      mask |= static_cast<std::uint64_t>(_mm_movemask_ps(_mm_cmpneq_ps(x, zero))) << j;
      not01 |= static_cast<std::uint32_t>(_mm_movemask_ps(_mm_or_ps(_mm_cmpeq_ps(x, zero), _mm_cmpeq_ps(x, one)))) ^ 0xFu;
    }
  } else {
    const __m128d zero = _mm_setzero_pd(), one = _mm_set1_pd(1.0);
    for (; j + 2 <= w; j += 2) {
      const __m128d x = _mm_loadu_pd(xs + j);
      mask |= static_cast<std::uint64_t>(_mm_movemask_pd(_mm_cmpneq_pd(x, zero))) << j;
      not01 |= static_cast<std::uint32_t>(_mm_movemask_pd(_mm_or_pd(_mm_cmpeq_pd(x, zero), _mm_cmpeq_pd(x, one)))) ^ 0x3u;
    }
  }
  if (not01 != 0) *zero_one = false;
#endif
  for (; j < w; ++j) {
    mask |= static_cast<std::uint64_t>(xs[j] != T(0)) << j;
    if (!(xs[j] == T(0) || xs[j] == T(1))) *zero_one = false;
  }
  return mask;
}

template <class T>
std::int64_t compress_row(const T* x, std::int64_t n, std::int32_t* idx, T* val, bool* binary) {
  std::int64_t count = 0;
  for (std::int64_t j0 = 0; j0 < n; j0 += 64) {
    const T* xs = x + j0;
    for (std::uint64_t mask = nonzero_mask(xs, std::min<std::int64_t>(64, n - j0), binary); mask != 0;
         mask &= mask - 1) {
      const int j = lowest_bit(mask);
      idx[count] = static_cast<std::int32_t>(j0 + j);
      val[count] = xs[j];
      ++count;
    }
  }
  return count;
}

}  // namespace

const RbmKernels& rbm_kernels() {
  static const RbmKernels table{{sigmoid_bias<float>, bernoulli, sparse_gemm<float>, compress_row<float>},
                                {sigmoid_bias<double>, bernoulli, sparse_gemm<double>, compress_row<double>}};
  return table;
}

}  // namespace FI_ISA
}  // namespace fastinit
