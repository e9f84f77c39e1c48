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
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <cstdint>
#include <type_traits>

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

// ---------------------------------------------------------------------------
// Dot products of dense rows (few rows times the transposed weights): a block
// of RB rows of b against RA rows of a keeps RA x RB eight-lane partial sums
// in registers while the rows stream by. Lane l of a dot sums the products of
// the indices j = l mod 8 in ascending order; the lanes are combined by one
// fixed tree. The AVX2 code and the portable code execute the same IEEE
// operations, so every build gives the same bits.

template <class T>
FI_ALWAYS_INLINE T combine_lanes(const T* s) {
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

template <class T, int RB, int RA>
FI_ALWAYS_INLINE void dot_block(const T* __restrict a, std::int64_t lda, const T* __restrict b, std::int64_t ldb,
                                std::int64_t k, T* __restrict c, std::int64_t ldc) {
  T acc[RA][RB][8] = {};
  for (std::int64_t j = 0; j < k; j += 8) {
    for (int ra = 0; ra < RA; ++ra) {
      for (int rb = 0; rb < RB; ++rb) {
        for (int t = 0; t < 8; ++t) acc[ra][rb][t] += a[ra * lda + j + t] * b[rb * ldb + j + t];
      }
    }
  }
  for (int ra = 0; ra < RA; ++ra) {
    for (int rb = 0; rb < RB; ++rb) c[ra * ldc + rb] = combine_lanes(acc[ra][rb]);
  }
}

// Eight lanes in vector registers: one __m256 (AVX2 float), two __m256d or
// __m128 (AVX2 double, SSE2 float), four __m128d (SSE2 double). Lane l of
// register q is lane q * width + l of the eight.
#if defined(__AVX2__)
struct Lanes8f {
  __m256 v;
  static FI_ALWAYS_INLINE Lanes8f zero() { return {_mm256_setzero_ps()}; }
  static FI_ALWAYS_INLINE Lanes8f load(const float* p) { return {_mm256_loadu_ps(p)}; }
  FI_ALWAYS_INLINE void add_product(const Lanes8f& x, const Lanes8f& y) { v = _mm256_add_ps(v, _mm256_mul_ps(x.v, y.v)); }
  FI_ALWAYS_INLINE float combine() const {
    const __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // s_l + s_(l+4)
    const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));                                  // t0 + t2, t1 + t3
    return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
  }
};
struct Lanes8d {
  __m256d lo, hi;
  static FI_ALWAYS_INLINE Lanes8d zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static FI_ALWAYS_INLINE Lanes8d load(const double* p) { return {_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; }
  FI_ALWAYS_INLINE void add_product(const Lanes8d& x, const Lanes8d& y) {
    lo = _mm256_add_pd(lo, _mm256_mul_pd(x.lo, y.lo));
    hi = _mm256_add_pd(hi, _mm256_mul_pd(x.hi, y.hi));
  }
  FI_ALWAYS_INLINE double combine() const {
    const __m256d t = _mm256_add_pd(lo, hi);                                                // s_l + s_(l+4)
    const __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));  // t0 + t2, t1 + t3
    return _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
  }
};
constexpr int kDotBlockF = 5, kDotBlockD = 2;  // rows of a per block (two rows of b)
#define FI_HAVE_LANES8 1
#elif defined(__SSE2__) || defined(_M_X64)
struct Lanes8f {
  __m128 lo, hi;
  static FI_ALWAYS_INLINE Lanes8f zero() { return {_mm_setzero_ps(), _mm_setzero_ps()}; }
  static FI_ALWAYS_INLINE Lanes8f load(const float* p) { return {_mm_loadu_ps(p), _mm_loadu_ps(p + 4)}; }
  FI_ALWAYS_INLINE void add_product(const Lanes8f& x, const Lanes8f& y) {
    lo = _mm_add_ps(lo, _mm_mul_ps(x.lo, y.lo));
    hi = _mm_add_ps(hi, _mm_mul_ps(x.hi, y.hi));
  }
  FI_ALWAYS_INLINE float combine() const {
    const __m128 t = _mm_add_ps(lo, hi);
    const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
  }
};
struct Lanes8d {
  __m128d q0, q1, q2, q3;
  static FI_ALWAYS_INLINE Lanes8d zero() { return {_mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd()}; }
  static FI_ALWAYS_INLINE Lanes8d load(const double* p) {
    return {_mm_loadu_pd(p), _mm_loadu_pd(p + 2), _mm_loadu_pd(p + 4), _mm_loadu_pd(p + 6)};
  }
  FI_ALWAYS_INLINE void add_product(const Lanes8d& x, const Lanes8d& y) {
    q0 = _mm_add_pd(q0, _mm_mul_pd(x.q0, y.q0));
    q1 = _mm_add_pd(q1, _mm_mul_pd(x.q1, y.q1));
    q2 = _mm_add_pd(q2, _mm_mul_pd(x.q2, y.q2));
    q3 = _mm_add_pd(q3, _mm_mul_pd(x.q3, y.q3));
  }
  FI_ALWAYS_INLINE double combine() const {
    const __m128d u = _mm_add_pd(_mm_add_pd(q0, q2), _mm_add_pd(q1, q3));  // (s0 + s4) + (s2 + s6), ...
    return _mm_cvtsd_f64(_mm_add_sd(u, _mm_unpackhi_pd(u, u)));
  }
};
constexpr int kDotBlockF = 2, kDotBlockD = 1;
#define FI_HAVE_LANES8 1
#else
constexpr int kDotBlockF = 4, kDotBlockD = 4;
#define FI_HAVE_LANES8 0
#endif

#if FI_HAVE_LANES8
template <class T>
using Lanes8 = std::conditional_t<sizeof(T) == 4, Lanes8f, Lanes8d>;

// The block in registers: two rows of b against RA rows of a.
template <class T, int RA>
FI_ALWAYS_INLINE void dot_block_2(const T* __restrict a, std::int64_t lda, const T* __restrict b, std::int64_t ldb,
                                  std::int64_t k, T* __restrict c, std::int64_t ldc) {
  using L = Lanes8<T>;
  L acc0[RA], acc1[RA];
  for (int ra = 0; ra < RA; ++ra) acc0[ra] = acc1[ra] = L::zero();
  for (std::int64_t j = 0; j < k; j += 8) {
    const L b0 = L::load(b + j), b1 = L::load(b + ldb + j);
    for (int ra = 0; ra < RA; ++ra) {
      const L x = L::load(a + ra * lda + j);
      acc0[ra].add_product(x, b0);
      acc1[ra].add_product(x, b1);
    }
  }
  for (int ra = 0; ra < RA; ++ra) {
    c[ra * ldc] = acc0[ra].combine();
    c[ra * ldc + 1] = acc1[ra].combine();
  }
}
#endif

// Two rows of b (RB == 2) or one against all rows of a, RA rows at a time.
template <class T, int RB, int RA>
FI_ALWAYS_INLINE void dot_rows_block(const T* a, std::int64_t lda, std::int64_t n_rows, const T* b, std::int64_t ldb,
                                     std::int64_t k, T* c, std::int64_t ldc) {
  for (std::int64_t r = 0; r < n_rows; r += RA) {
    const T* ar = a + r * lda;
    T* cr = c + r * ldc;
    const bool last = r + RA > n_rows;  // the last rows, one at a time
    for (std::int64_t q = 0; q < (last ? n_rows - r : 1); ++q, ar += lda, cr += ldc) {
#if FI_HAVE_LANES8
      if constexpr (RB == 2) {
        if (last) {
          dot_block_2<T, 1>(ar, lda, b, ldb, k, cr, ldc);
        } else {
          dot_block_2<T, RA>(ar, lda, b, ldb, k, cr, ldc);
        }
        continue;
      }
#endif
      if (last) {
        dot_block<T, RB, 1>(ar, lda, b, ldb, k, cr, ldc);
      } else {
        dot_block<T, RB, RA>(ar, lda, b, ldb, k, cr, ldc);
      }
    }
  }
}

template <class T>
void dot_rows(const T* a, std::int64_t lda, std::int64_t n_rows, const T* b, std::int64_t ldb, std::int64_t i0,
              std::int64_t i1, std::int64_t k, T* c, std::int64_t ldc) {
  constexpr int RA = sizeof(T) == 4 ? kDotBlockF : kDotBlockD;
  std::int64_t i = i0;
  for (; i + 2 <= i1; i += 2) dot_rows_block<T, 2, RA>(a, lda, n_rows, b + i * ldb, ldb, k, c + i, ldc);
  if (i < i1) dot_rows_block<T, 1, RA>(a, lda, n_rows, b + i * ldb, ldb, k, c + i, ldc);
}

}  // namespace

const RbmKernels& rbm_kernels() {
  static const RbmKernels table{
      {sigmoid_bias<float>, bernoulli, sparse_gemm<float>, compress_row<float>, dot_rows<float>},
      {sigmoid_bias<double>, bernoulli, sparse_gemm<double>, compress_row<double>, dot_rows<double>}};
  return table;
}

}  // namespace FI_ISA
}  // namespace fastinit
