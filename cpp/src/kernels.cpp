// Sampling kernels. This file is compiled once per instruction set (FI_ISA =
// generic, avx2 or avx512, see CMakeLists.txt); every build must produce exactly the
// values defined element by element in distributions.hpp.
//
// The generic build is the reference. Vector fast paths are guarded by the
// compiler's ISA macros (__AVX2__) and only change how fast the values are
// computed, never which values.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "fastinit/distributions.hpp"
#include "fastinit/kernels.hpp"

#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>
#define FI_VECTOR_AVX2 1
#else
#define FI_VECTOR_AVX2 0
#endif

#ifndef FI_ISA
#error "kernels.cpp must be compiled with FI_ISA set (generic, avx2 or avx512)"
#endif

namespace fastinit {
namespace FI_ISA {
namespace {

// Writes element k of a run at out + k * stride in the storage type T.
template <class T>
struct Writer {
  char* out;
  std::ptrdiff_t stride;
  FI_ALWAYS_INLINE void operator()(std::size_t k, T v) const {
    std::memcpy(out + static_cast<std::ptrdiff_t>(k) * stride, &v, sizeof(T));
  }
};

// Calls emit(index, block, word) for every index in [first, first + n):
// `per_block` consecutive indices share one Philox block of the main stream.
template <unsigned per_block, class Emit>
FI_ALWAYS_INLINE void for_each_block(const StreamId& st, std::uint64_t first, std::size_t n, Emit emit) {
  std::uint64_t i = first;
  const std::uint64_t end = first + n;
  while (i < end) {
    const std::uint64_t b = i / per_block;
    const Block4x32 blk = stream_block(st, b, 0);
    for (unsigned j = static_cast<unsigned>(i % per_block); j < per_block && i < end; ++j, ++i) {
      emit(i, blk, j);
    }
  }
}

template <DType D>
void fill_constant(const Sampler& s, Writer<typename Out<D>::T> w, std::size_t n) {
  typename Out<D>::T v;
  if constexpr (is_f64<D>()) {
    v = s.spec.p0;
  } else {
    v = Out<D>::from_f32(static_cast<float>(s.spec.p0));
  }
  for (std::size_t k = 0; k < n; ++k) w(k, v);
}

template <DType D>
void fill_uniform(const Sampler& s, Writer<typename Out<D>::T> w, std::uint64_t first, std::size_t n) {
  if constexpr (is_f64<D>()) {
    for_each_block<2>(s.spec.stream, first, n, [&](std::uint64_t i, const Block4x32& b, unsigned j) {
      w(i - first, uniform_from_unit_f64(s, word_to_unit_f64(join64(b.v[2 * j], b.v[2 * j + 1]))));
    });
  } else {
    for_each_block<4>(s.spec.stream, first, n, [&](std::uint64_t i, const Block4x32& b, unsigned j) {
      w(i - first, uniform_from_unit_f32<D>(s, word_to_unit_f32(b.v[j])));
    });
  }
}

// Standard normal values z of the main stream for indices [first, first+n),
// handed to emit(i, z) in order.
template <DType D, class Emit>
FI_ALWAYS_INLINE void for_each_normal(const StreamId& st, std::uint64_t first, std::size_t n, Emit emit) {
  if constexpr (is_f64<D>()) {
    for_each_block<2>(st, first, n,
                      [&](std::uint64_t i, const Block4x32& b, unsigned) { emit(i, normal_in_block_f64(b.v, i)); });
  } else {
    for_each_block<4>(st, first, n,
                      [&](std::uint64_t i, const Block4x32& b, unsigned) { emit(i, normal_in_block_f32(b.v, i)); });
  }
}

template <DType D>
void fill_normal(const Sampler& s, Writer<typename Out<D>::T> w, std::uint64_t first, std::size_t n) {
  if constexpr (is_f64<D>()) {
    for_each_normal<D>(s.spec.stream, first, n,
                       [&](std::uint64_t i, double z) { w(i - first, s.spec.p0 + s.spec.p1 * z); });
  } else {
    for_each_normal<D>(s.spec.stream, first, n,
                       [&](std::uint64_t i, float z) { w(i - first, affine_from_z_f32<D>(s, z)); });
  }
}

template <DType D>
void fill_truncated_normal(const Sampler& s, Writer<typename Out<D>::T> w, std::uint64_t first,
                           std::size_t n) {
  if (s.method == TruncMethod::normal_rejection) {
    if constexpr (is_f64<D>()) {
      for_each_normal<D>(s.spec.stream, first, n, [&](std::uint64_t i, double z) {
        double v = s.spec.p0 + s.spec.p1 * z;
        if (!in_bounds<D>(s, v)) v = trunc_normal_retry<D>(s, i);
        w(i - first, v);
      });
    } else {
      for_each_normal<D>(s.spec.stream, first, n, [&](std::uint64_t i, float z) {
        typename Out<D>::T v = affine_from_z_f32<D>(s, z);
        if (!in_bounds<D>(s, v)) v = trunc_normal_retry<D>(s, i);
        w(i - first, v);
      });
    }
  } else if (trunc_tail_collapsed<D>(s)) {
    const typename Out<D>::T v = trunc_give_up<D>(s);
    for (std::size_t k = 0; k < n; ++k) w(k, v);
  } else {
    for (std::size_t k = 0; k < n; ++k) w(k, trunc_normal_proposal<D>(s, first + k));
  }
}

#if FI_VECTOR_AVX2
// ---------------------------------------------------------------------------
// AVX2 fast paths (this block only exists in the avx2 and avx512 builds; the
// avx512 build compiles the same 256-bit code with AVX-512 VL/DQ enabled, and
// replaces the float32/float16/bfloat16 uniform and normal generators with
// the 512-bit ones of avx512v below).
//
// They compute exactly the values of distributions.hpp: the same Philox
// blocks, the same word->float conversions, the same polynomials evaluated in
// the same order with separate multiplies and adds (no FMA), and IEEE-exact
// sqrt/div. The scalar code above is used for everything that is not a plain
// run of uniform/normal/normal-rejection values, and for the rare elements
// that need more than one retry.
namespace avx2v {

// Four Philox blocks, one per 64-bit lane. Each counter word sits in the low
// 32 bits of its lane (the high 32 bits are don't-care): that is the operand
// layout of _mm256_mul_epu32, whose 64-bit product holds lo in the low and hi
// in the high half of the lane. A round then costs 2 multiplies, 2 shifts and
// 4 xors for four blocks, and the products' low halves are the next round's
// c1/c3 without any repacking.
struct Blocks4 {
  __m256i c0, c1, c2, c3;
};

struct RoundKeys {
  __m256i k0[kPhiloxRounds], k1[kPhiloxRounds];
  explicit RoundKeys(const StreamId& st) {
    std::uint32_t a = st.key0, b = st.key1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      k0[r] = _mm256_set1_epi32(static_cast<int>(a));
      k1[r] = _mm256_set1_epi32(static_cast<int>(b));
      a += kPhiloxW0;
      b += kPhiloxW1;
    }
  }
};

template <int N>
FI_ALWAYS_INLINE void philox10(Blocks4 (&x)[N], const RoundKeys& k) {
  const __m256i m0 = _mm256_set1_epi64x(kPhiloxM0);
  const __m256i m1 = _mm256_set1_epi64x(kPhiloxM1);
  for (int r = 0; r < kPhiloxRounds; ++r) {
    for (int j = 0; j < N; ++j) {
      const __m256i p0 = _mm256_mul_epu32(x[j].c0, m0);
      const __m256i p1 = _mm256_mul_epu32(x[j].c2, m1);
      // (c ^ key) does not wait for the multiply: keeps the round's
      // dependency chain at mul -> shift -> xor.
      x[j].c0 = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(x[j].c1, k.k0[r]));
      x[j].c2 = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), _mm256_xor_si256(x[j].c3, k.k1[r]));
      x[j].c1 = p1;
      x[j].c3 = p0;
    }
  }
}

// Counter words 2 and 3 of a call's domain `t` (see stream.hpp).
struct CallWords {
  __m256i c2, c3;
  CallWords(const StreamId& st, unsigned t)
      : c2(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(st.call)))),
        c3(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(st.call >> 32) | (t << 24)))) {}
};

// Blocks with the 64-bit indices in `blocks` (one per lane).
FI_ALWAYS_INLINE Blocks4 blocks_at(__m256i blocks, const CallWords& cw) {
  return Blocks4{blocks, _mm256_srli_epi64(blocks, 32), cw.c2, cw.c3};
}

// Blocks b, b+1, b+2, b+3.
FI_ALWAYS_INLINE Blocks4 consecutive_blocks(std::uint64_t b, const CallWords& cw) {
  const __m256i idx = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(b)), _mm256_set_epi64x(3, 2, 1, 0));
  return blocks_at(idx, cw);
}

// 32-bit lanes [a0 b0 a1 b1 a2 b2 a3 b3] from the low halves of a and b; read
// as 64-bit lanes this is join64(a, b).
FI_ALWAYS_INLINE __m256i pair_lo32(__m256i a, __m256i b) {
  return _mm256_blend_epi32(a, _mm256_slli_epi64(b, 32), 0xAA);
}

// Stores four blocks block-major: out[4 l + w] = word w of lane l.
FI_ALWAYS_INLINE void store_blocks(const Blocks4& x, std::uint32_t* out) {
  const __m256i w01 = pair_lo32(x.c0, x.c1), w23 = pair_lo32(x.c2, x.c3);
  const __m256i blocks02 = _mm256_unpacklo_epi64(w01, w23), blocks13 = _mm256_unpackhi_epi64(w01, w23);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(blocks02, blocks13, 0x20));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_permute2x128_si256(blocks02, blocks13, 0x31));
}

// Domain-0 blocks first .. first + n - 1 of st in groups of four; returns how
// many blocks were written (a multiple of 4, the caller does the rest).
inline std::size_t stream_blocks(const StreamId& st, std::uint64_t first, std::size_t n, std::uint32_t* out) {
  const RoundKeys keys(st);
  const CallWords cw(st, 0);
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    Blocks4 x[4] = {consecutive_blocks(first + j, cw), consecutive_blocks(first + j + 4, cw),
                    consecutive_blocks(first + j + 8, cw), consecutive_blocks(first + j + 12, cw)};
    philox10(x, keys);
    for (int k = 0; k < 4; ++k) store_blocks(x[k], out + 4 * (j + 4 * static_cast<std::size_t>(k)));
  }
  for (; j + 4 <= n; j += 4) {
    Blocks4 x[1] = {consecutive_blocks(first + j, cw)};
    philox10(x, keys);
    store_blocks(x[0], out + 4 * j);
  }
  return j;
}

// --- word -> float conversions (stream.hpp) --------------------------------

FI_ALWAYS_INLINE __m256 unit_f32(__m256i w) {
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)), _mm256_set1_ps(0x1p-24f));
}

FI_ALWAYS_INLINE __m256 open_unit_f32(__m256i w) {
  return _mm256_mul_ps(_mm256_add_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 1)), _mm256_set1_ps(0.5f)),
                       _mm256_set1_ps(0x1p-31f));
}

// Exact conversion of non-negative integers v = h * 2^32 + l below 2^53 held
// in 64-bit lanes: the bit patterns 2^84 + h * 2^32 and 2^52 + l are built
// directly, then (2^84 + h 2^32 - (2^84 + 2^52)) + (2^52 + l) = v; every
// intermediate is representable, so both operations are exact.
FI_ALWAYS_INLINE __m256d u53_to_f64(__m256i v) {
#if defined(__AVX512DQ__) && defined(__AVX512VL__)
  return _mm256_cvtepu64_pd(v);  // exact below 2^53: the same value in one instruction
#else
  const __m256d hi = _mm256_castsi256_pd(
      _mm256_or_si256(_mm256_srli_epi64(v, 32), _mm256_set1_epi64x(0x4530000000000000LL)));  // 2^84 + h 2^32
  const __m256d lo = _mm256_castsi256_pd(_mm256_blend_epi32(v, _mm256_set1_epi64x(0x4330000000000000LL), 0xAA));
  return _mm256_add_pd(_mm256_sub_pd(hi, _mm256_set1_pd(0x1p84 + 0x1p52)), lo);
#endif
}

FI_ALWAYS_INLINE __m256d unit_f64(__m256i w) {
  return _mm256_mul_pd(u53_to_f64(_mm256_srli_epi64(w, 11)), _mm256_set1_pd(0x1p-53));
}

FI_ALWAYS_INLINE __m256d open_unit_f64(__m256i w) {
  const __m256i v = _mm256_add_epi64(_mm256_srli_epi64(w, 11), _mm256_set1_epi64x(1));
  return _mm256_mul_pd(u53_to_f64(v), _mm256_set1_pd(0x1p-53));
}

// --- fastmath.hpp, 8 floats / 4 doubles at a time ----------------------------

FI_ALWAYS_INLINE __m256 log_f32(__m256 x) {
  const __m256i bits = _mm256_castps_si256(x);
  __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127));
  __m256i mbits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                  _mm256_set1_epi32(0x3F800000));
  const __m256i big = _mm256_cmpgt_epi32(mbits, _mm256_set1_epi32(0x3FB504F3));
  mbits = _mm256_sub_epi32(mbits, _mm256_and_si256(big, _mm256_set1_epi32(0x00800000)));
  e = _mm256_sub_epi32(e, big);
  const __m256 m = _mm256_castsi256_ps(mbits);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 s = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
  const __m256 s2 = _mm256_mul_ps(s, s);
  const float* L = poly::kLogF;
  __m256 p = _mm256_add_ps(_mm256_set1_ps(L[1]), _mm256_mul_ps(s2, _mm256_set1_ps(L[2])));
  p = _mm256_add_ps(_mm256_set1_ps(L[0]), _mm256_mul_ps(s2, p));
  const __m256 logm = _mm256_mul_ps(s, _mm256_add_ps(_mm256_set1_ps(2.0f), _mm256_mul_ps(s2, p)));
  const __m256 ef = _mm256_cvtepi32_ps(e);
  return _mm256_add_ps(_mm256_mul_ps(ef, _mm256_set1_ps(poly::kLn2HiF)),
                       _mm256_add_ps(logm, _mm256_mul_ps(ef, _mm256_set1_ps(poly::kLn2LoF))));
}

FI_ALWAYS_INLINE __m256d log_f64(__m256d x) {
  const __m256i bits = _mm256_castpd_si256(x);
  __m256i eb = _mm256_srli_epi64(bits, 52);  // biased exponent (x > 0)
  __m256i mbits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
                                  _mm256_set1_epi64x(0x3FF0000000000000LL));
  const __m256i big = _mm256_cmpgt_epi64(mbits, _mm256_set1_epi64x(0x3FF6A09E667F3BCCLL));
  mbits = _mm256_sub_epi64(mbits, _mm256_and_si256(big, _mm256_set1_epi64x(0x0010000000000000LL)));
  eb = _mm256_sub_epi64(eb, big);
  const __m256d m = _mm256_castsi256_pd(mbits);
  const __m256d one = _mm256_set1_pd(1.0);
  const __m256d s = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
  const __m256d s2 = _mm256_mul_pd(s, s);
  const double* L = poly::kLogD;
  __m256d p = _mm256_add_pd(_mm256_set1_pd(L[5]), _mm256_mul_pd(s2, _mm256_set1_pd(L[6])));
  for (int k = 4; k >= 0; --k) p = _mm256_add_pd(_mm256_set1_pd(L[k]), _mm256_mul_pd(s2, p));
  const __m256d logm = _mm256_mul_pd(s, _mm256_add_pd(_mm256_set1_pd(2.0), _mm256_mul_pd(s2, p)));
  // e = eb - 1023 as a double, exactly: 2^52 + eb read from its bits, minus 2^52 + 1023.
  const __m256d ef = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(eb, _mm256_set1_epi64x(0x4330000000000000LL))),
                                   _mm256_set1_pd(0x1p52 + 1023.0));
  return _mm256_add_pd(_mm256_mul_pd(ef, _mm256_set1_pd(poly::kLn2HiD)),
                       _mm256_add_pd(logm, _mm256_mul_pd(ef, _mm256_set1_pd(poly::kLn2LoD))));
}

// Quadrant selection of sincos_2pi: q&1 swaps (cr, sr); cos is negated for
// q&3 in {1, 2} and sin for q&3 in {2, 3}.
FI_ALWAYS_INLINE void sincos_2pi_f32(__m256 u, __m256& c, __m256& s) {
  const __m256 s4 = _mm256_mul_ps(u, _mm256_set1_ps(4.0f));
  const __m256i q = _mm256_cvttps_epi32(_mm256_add_ps(s4, _mm256_set1_ps(0.5f)));
  const __m256 r = _mm256_sub_ps(s4, _mm256_cvtepi32_ps(q));
  const __m256 r2 = _mm256_mul_ps(r, r);
  const float* S = poly::kSinF;
  const float* C = poly::kCosF;
  __m256 ps = _mm256_add_ps(_mm256_set1_ps(S[2]), _mm256_mul_ps(r2, _mm256_set1_ps(S[3])));
  ps = _mm256_add_ps(_mm256_set1_ps(S[1]), _mm256_mul_ps(r2, ps));
  ps = _mm256_add_ps(_mm256_set1_ps(S[0]), _mm256_mul_ps(r2, ps));
  const __m256 sr = _mm256_mul_ps(r, ps);
  __m256 pc = _mm256_add_ps(_mm256_set1_ps(C[2]), _mm256_mul_ps(r2, _mm256_set1_ps(C[3])));
  pc = _mm256_add_ps(_mm256_set1_ps(C[1]), _mm256_mul_ps(r2, pc));
  pc = _mm256_add_ps(_mm256_set1_ps(C[0]), _mm256_mul_ps(r2, pc));
  const __m256 cr = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(r2, pc));
  const __m256 swap = _mm256_castsi256_ps(_mm256_slli_epi32(q, 31));  // sign bit = q & 1
  const __m256 c0 = _mm256_blendv_ps(cr, sr, swap);
  const __m256 s0 = _mm256_blendv_ps(sr, cr, swap);
  const __m256i two = _mm256_set1_epi32(2);
  const __m256i cneg = _mm256_slli_epi32(_mm256_and_si256(_mm256_add_epi32(q, _mm256_set1_epi32(1)), two), 30);
  const __m256i sneg = _mm256_slli_epi32(_mm256_and_si256(q, two), 30);
  c = _mm256_xor_ps(c0, _mm256_castsi256_ps(cneg));
  s = _mm256_xor_ps(s0, _mm256_castsi256_ps(sneg));
}

FI_ALWAYS_INLINE void sincos_2pi_f64(__m256d u, __m256d& c, __m256d& s) {
  const __m256d s4 = _mm256_mul_pd(u, _mm256_set1_pd(4.0));
  const __m256d t = _mm256_add_pd(s4, _mm256_set1_pd(0.5));
  const __m256d qd = _mm256_round_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);  // (double)(int64)t
  const __m256i q = _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(t));
  const __m256d r = _mm256_sub_pd(s4, qd);
  const __m256d r2 = _mm256_mul_pd(r, r);
  const double* S = poly::kSinD;
  const double* C = poly::kCosD;
  __m256d ps = _mm256_add_pd(_mm256_set1_pd(S[5]), _mm256_mul_pd(r2, _mm256_set1_pd(S[6])));
  __m256d pc = _mm256_add_pd(_mm256_set1_pd(C[5]), _mm256_mul_pd(r2, _mm256_set1_pd(C[6])));
  for (int k = 4; k >= 0; --k) {
    ps = _mm256_add_pd(_mm256_set1_pd(S[k]), _mm256_mul_pd(r2, ps));
    pc = _mm256_add_pd(_mm256_set1_pd(C[k]), _mm256_mul_pd(r2, pc));
  }
  const __m256d sr = _mm256_mul_pd(r, ps);
  const __m256d cr = _mm256_add_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(r2, pc));
  const __m256d swap = _mm256_castsi256_pd(_mm256_slli_epi64(q, 63));
  const __m256d c0 = _mm256_blendv_pd(cr, sr, swap);
  const __m256d s0 = _mm256_blendv_pd(sr, cr, swap);
  const __m256i two = _mm256_set1_epi64x(2);
  const __m256i cneg = _mm256_slli_epi64(_mm256_and_si256(_mm256_add_epi64(q, _mm256_set1_epi64x(1)), two), 62);
  const __m256i sneg = _mm256_slli_epi64(_mm256_and_si256(q, two), 62);
  c = _mm256_xor_pd(c0, _mm256_castsi256_pd(cneg));
  s = _mm256_xor_pd(s0, _mm256_castsi256_pd(sneg));
}

// Box-Muller radius sqrt(-2 log u1).
FI_ALWAYS_INLINE __m256 radius_f32(__m256i w) {
  return _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), log_f32(open_unit_f32(w))));
}
FI_ALWAYS_INLINE __m256d radius_f64(__m256i w) {
  return _mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), log_f64(open_unit_f64(w))));
}

// --- float32 results stored as float32 / float16 / bfloat16 ------------------

template <DType D> struct Narrow;
template <> struct Narrow<DType::float32> {
  static FI_ALWAYS_INLINE __m256 round_trip(__m256 x) { return x; }
  static FI_ALWAYS_INLINE void store(float* p, __m256 x) { _mm256_storeu_ps(p, x); }
};
template <> struct Narrow<DType::float16> {
  static FI_ALWAYS_INLINE __m128i to_half(__m256 x) {
    return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);  // RNE = float_to_half
  }
  static FI_ALWAYS_INLINE __m256 round_trip(__m256 x) { return _mm256_cvtph_ps(to_half(x)); }
  static FI_ALWAYS_INLINE void store(std::uint16_t* p, __m256 x) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), to_half(x));
  }
};
template <> struct Narrow<DType::bfloat16> {
  // float_to_bfloat16 in 32-bit lanes: round to nearest even, NaN stays quiet.
  static FI_ALWAYS_INLINE __m256i to_bf16_lanes(__m256 x) {
    const __m256i b = _mm256_castps_si256(x);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    const __m256i rne = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7FFFFFFF)),
                                           _mm256_set1_epi32(0x7F800000));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x0040));
    return _mm256_blendv_epi8(rne, quiet, nan);
  }
  static FI_ALWAYS_INLINE __m256 round_trip(__m256 x) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(to_bf16_lanes(x), 16));
  }
  static FI_ALWAYS_INLINE void store(std::uint16_t* p, __m256 x) {
    const __m256i v = to_bf16_lanes(x);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
  }
};

// Smallest float >= x and largest float <= x: for a float v, the double
// comparison v >= x equals v >= float_at_least(x) (likewise for <=).
inline float float_at_least(double x) {
  float f = static_cast<float>(x);
  if (static_cast<double>(f) < x) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}
inline float float_at_most(double x) {
  float f = static_cast<float>(x);
  if (static_cast<double>(f) > x) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// Element order of 4 blocks from per-block halves: a = [b0 b1 b2 b3] first
// halves, b = second halves (64-bit lanes) -> [b0 b1] and [b2 b3] in full.
FI_ALWAYS_INLINE void block_order(__m256 a, __m256 b, __m256& first, __m256& second) {
  const __m256d lo = _mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(b));  // b0 | b2
  const __m256d hi = _mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(b));  // b1 | b3
  first = _mm256_castpd_ps(_mm256_permute2f128_pd(lo, hi, 0x20));
  second = _mm256_castpd_ps(_mm256_permute2f128_pd(lo, hi, 0x31));
}
FI_ALWAYS_INLINE void block_order(__m256d a, __m256d b, __m256d& first, __m256d& second) {
  const __m256d lo = _mm256_unpacklo_pd(a, b);
  const __m256d hi = _mm256_unpackhi_pd(a, b);
  first = _mm256_permute2f128_pd(lo, hi, 0x20);
  second = _mm256_permute2f128_pd(lo, hi, 0x31);
}
// Pairs (x_k, y_k) in element order: [x0 y0 x1 y1 x2 y2 x3 y3], [x4 y4 ... x7 y7].
FI_ALWAYS_INLINE void pair_order(__m256 x, __m256 y, __m256& first, __m256& second) {
  const __m256 lo = _mm256_unpacklo_ps(x, y);  // pairs 0 1 | 4 5
  const __m256 hi = _mm256_unpackhi_ps(x, y);  // pairs 2 3 | 6 7
  first = _mm256_permute2f128_ps(lo, hi, 0x20);
  second = _mm256_permute2f128_ps(lo, hi, 0x31);
}

// --- generators: kElems consecutive elements starting at a multiple of kElems.
// operator() writes them to dst and returns a bit mask of the elements that a
// truncated normal must retry (always 0 for the other distributions).

template <DType D>
struct UniformNarrow {
  using T = typename Out<D>::T;
  static constexpr unsigned kElems = 32;  // 8 blocks of 4 words
  RoundKeys keys;
  CallWords cw;
  __m256 low, span, high;
  explicit UniformNarrow(const Sampler& s)
      : keys(s.spec.stream), cw(s.spec.stream, 0), low(_mm256_set1_ps(s.low_f)), span(_mm256_set1_ps(s.span_f)),
        high(_mm256_set1_ps(float_at_least(s.spec.p1))) {}
  FI_ALWAYS_INLINE __m256 value(__m256i w) const {
    const __m256 x = _mm256_add_ps(low, _mm256_mul_ps(span, unit_f32(w)));
    return _mm256_blendv_ps(x, low, _mm256_cmp_ps(Narrow<D>::round_trip(x), high, _CMP_GE_OQ));
  }
  FI_ALWAYS_INLINE std::uint32_t operator()(std::uint64_t g, T* dst) const {
    Blocks4 x[2] = {consecutive_blocks(g / 4, cw), consecutive_blocks(g / 4 + 4, cw)};
    philox10(x, keys);
    for (int j = 0; j < 2; ++j) {
      __m256 e0, e1;
      block_order(value(pair_lo32(x[j].c0, x[j].c1)), value(pair_lo32(x[j].c2, x[j].c3)), e0, e1);
      Narrow<D>::store(dst + 16 * j, e0);
      Narrow<D>::store(dst + 16 * j + 8, e1);
    }
    return 0;
  }
};

struct UniformF64 {
  using T = double;
  static constexpr unsigned kElems = 16;  // 8 blocks of 2 words
  RoundKeys keys;
  CallWords cw;
  __m256d low, span, high;
  explicit UniformF64(const Sampler& s)
      : keys(s.spec.stream), cw(s.spec.stream, 0), low(_mm256_set1_pd(s.spec.p0)), span(_mm256_set1_pd(s.span_d)),
        high(_mm256_set1_pd(s.spec.p1)) {}
  FI_ALWAYS_INLINE __m256d value(__m256i w) const {
    const __m256d x = _mm256_add_pd(low, _mm256_mul_pd(span, unit_f64(w)));
    return _mm256_blendv_pd(x, low, _mm256_cmp_pd(x, high, _CMP_GE_OQ));
  }
  FI_ALWAYS_INLINE std::uint32_t operator()(std::uint64_t g, T* dst) const {
    Blocks4 x[2] = {consecutive_blocks(g / 2, cw), consecutive_blocks(g / 2 + 4, cw)};
    philox10(x, keys);
    for (int j = 0; j < 2; ++j) {
      __m256d e0, e1;
      block_order(value(pair_lo32(x[j].c0, x[j].c1)), value(pair_lo32(x[j].c2, x[j].c3)), e0, e1);
      _mm256_storeu_pd(dst + 8 * j, e0);
      _mm256_storeu_pd(dst + 8 * j + 4, e1);
    }
    return 0;
  }
};

// Normal (kTrunc = false) or first attempt of the normal_rejection truncated
// normal (kTrunc = true), values rounded to D.
template <DType D, bool kTrunc>
struct NormalNarrow {
  using T = typename Out<D>::T;
  static constexpr unsigned kElems = 32;  // 8 blocks of 2 pairs
  RoundKeys keys;
  CallWords cw;
  __m256 mean, stdv, lo, hi;
  explicit NormalNarrow(const Sampler& s)
      : keys(s.spec.stream), cw(s.spec.stream, 0), mean(_mm256_set1_ps(s.mean_f)), stdv(_mm256_set1_ps(s.std_f)),
        lo(_mm256_set1_ps(float_at_least(s.spec.p2))), hi(_mm256_set1_ps(float_at_most(s.spec.p3))) {}
  // Bit k set: element k of the 8 is outside [a, b] after rounding to D.
  FI_ALWAYS_INLINE std::uint32_t rejected(__m256 v) const {
    const __m256 r = Narrow<D>::round_trip(v);
    const __m256 ok = _mm256_and_ps(_mm256_cmp_ps(r, lo, _CMP_GE_OQ), _mm256_cmp_ps(r, hi, _CMP_LE_OQ));
    return static_cast<std::uint32_t>(~_mm256_movemask_ps(ok)) & 0xFFu;
  }
  FI_ALWAYS_INLINE std::uint32_t operator()(std::uint64_t g, T* dst) const {
    Blocks4 x[2] = {consecutive_blocks(g / 4, cw), consecutive_blocks(g / 4 + 4, cw)};
    philox10(x, keys);
    std::uint32_t mask = 0;
    for (int j = 0; j < 2; ++j) {
      // 8 pairs in element order: radius words w0/w2, angle words w1/w3.
      const __m256 r = radius_f32(pair_lo32(x[j].c0, x[j].c2));
      __m256 c, s;
      sincos_2pi_f32(unit_f32(pair_lo32(x[j].c1, x[j].c3)), c, s);
      const __m256 vc = _mm256_add_ps(mean, _mm256_mul_ps(stdv, _mm256_mul_ps(r, c)));
      const __m256 vs = _mm256_add_ps(mean, _mm256_mul_ps(stdv, _mm256_mul_ps(r, s)));
      __m256 e0, e1;
      pair_order(vc, vs, e0, e1);
      Narrow<D>::store(dst + 16 * j, e0);
      Narrow<D>::store(dst + 16 * j + 8, e1);
      if (kTrunc) mask |= (rejected(e0) | (rejected(e1) << 8)) << (16 * j);
    }
    return mask;
  }
};

template <bool kTrunc>
struct NormalF64 {
  using T = double;
  static constexpr unsigned kElems = 16;  // 8 blocks of 1 pair
  RoundKeys keys;
  CallWords cw;
  __m256d mean, stdv, lo, hi;
  explicit NormalF64(const Sampler& s)
      : keys(s.spec.stream), cw(s.spec.stream, 0), mean(_mm256_set1_pd(s.spec.p0)), stdv(_mm256_set1_pd(s.spec.p1)),
        lo(_mm256_set1_pd(s.spec.p2)), hi(_mm256_set1_pd(s.spec.p3)) {}
  FI_ALWAYS_INLINE std::uint32_t rejected(__m256d v) const {
    const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(v, lo, _CMP_GE_OQ), _mm256_cmp_pd(v, hi, _CMP_LE_OQ));
    return static_cast<std::uint32_t>(~_mm256_movemask_pd(ok)) & 0xFu;
  }
  FI_ALWAYS_INLINE std::uint32_t operator()(std::uint64_t g, T* dst) const {
    Blocks4 x[2] = {consecutive_blocks(g / 2, cw), consecutive_blocks(g / 2 + 4, cw)};
    philox10(x, keys);
    std::uint32_t mask = 0;
    for (int j = 0; j < 2; ++j) {
      const __m256d r = radius_f64(pair_lo32(x[j].c0, x[j].c1));
      __m256d c, s;
      sincos_2pi_f64(unit_f64(pair_lo32(x[j].c2, x[j].c3)), c, s);
      const __m256d vc = _mm256_add_pd(mean, _mm256_mul_pd(stdv, _mm256_mul_pd(r, c)));
      const __m256d vs = _mm256_add_pd(mean, _mm256_mul_pd(stdv, _mm256_mul_pd(r, s)));
      __m256d e0, e1;
      block_order(vc, vs, e0, e1);
      _mm256_storeu_pd(dst + 8 * j, e0);
      _mm256_storeu_pd(dst + 8 * j + 4, e1);
      if (kTrunc) mask |= (rejected(e0) | (rejected(e1) << 4)) << (8 * j);
    }
    return mask;
  }
};

// --- truncated normal retries ----------------------------------------------

// Elements whose first value was rejected: attempt 1 (block i of domain 1) is
// evaluated 8 elements at a time; the few rejected again continue in the
// scalar reference from attempt 2.
#if !defined(__AVX512F__)
// For each 4-bit mask, the 32-bit lane permutation that packs the 64-bit
// lanes whose bits are set to the front, in order (AVX2 has no compress).
struct LeftPack4 {
  alignas(32) std::int32_t lanes[16][8];
  constexpr LeftPack4() : lanes{} {
    for (int m = 0; m < 16; ++m) {
      int j = 0;
      for (int p = 0; p < 4; ++p) {
        if ((m >> p) & 1) {
          lanes[m][2 * j] = 2 * p;
          lanes[m][2 * j + 1] = 2 * p + 1;
          ++j;
        }
      }
    }
  }
  constexpr const std::int32_t* operator[](unsigned m) const { return lanes[m]; }
};
constexpr LeftPack4 kLeftPack4{};
#endif

template <DType D>
class RetryQueue {
 public:
  using T = typename Out<D>::T;
  static constexpr std::size_t kCapacity = 512;  // flushed when fewer than 64 slots are left
  RetryQueue(const Sampler& s, char* out, std::ptrdiff_t stride, std::uint64_t first)
      : s_(s), out_(out), stride_(stride), first_(first), keys_(s.spec.stream), cw_(s.spec.stream, 1) {}

  // Queues g + k for every bit k of `mask` (bits below `bits` <= 64),
  // without a branch per element: the rejected elements sit at random
  // positions, and a loop over the set bits mispredicted about once per
  // rejection (at +-2 sigma that cost more than drawing the values).
  FI_ALWAYS_INLINE void push(std::uint64_t g, std::uint64_t mask, unsigned bits) {
#if defined(__AVX512F__)
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (unsigned k = 0; k < bits; k += 8) {
      const auto m8 = static_cast<__mmask8>(mask >> k);
      const __m512i v = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(g + k)), iota);
      _mm512_storeu_si512(idx_ + n_, _mm512_maskz_compress_epi64(m8, v));
      n_ += static_cast<std::size_t>(__builtin_popcount(static_cast<unsigned>(m8)));
    }
#else
    const __m256i iota = _mm256_set_epi64x(3, 2, 1, 0);
    for (unsigned k = 0; k < bits; k += 4) {
      const unsigned m4 = static_cast<unsigned>(mask >> k) & 0xFu;
      const __m256i v = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(g + k)), iota);
      const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kLeftPack4[m4]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx_ + n_), _mm256_permutevar8x32_epi32(v, perm));
      n_ += static_cast<std::size_t>(__builtin_popcount(m4));
    }
#endif
    if (n_ > kCapacity - 64) flush();
  }

  void flush() {
    for (std::size_t k = 0; k < n_; k += 8) batch(idx_ + k, n_ - k < 8 ? n_ - k : 8);
    n_ = 0;
  }

 private:
  void write(std::uint64_t i, T v) const {
    std::memcpy(out_ + static_cast<std::ptrdiff_t>(i - first_) * stride_, &v, sizeof(T));
  }

  void batch(const std::uint64_t* idx, std::size_t m) const {
    alignas(32) std::uint64_t id[8];
    for (std::size_t k = 0; k < 8; ++k) id[k] = idx[k < m ? k : m - 1];
    alignas(32) T v[8];
    std::uint32_t bad;
    if constexpr (is_f64<D>()) {
      Blocks4 x[2] = {blocks_at(_mm256_load_si256(reinterpret_cast<const __m256i*>(id)), cw_),
                      blocks_at(_mm256_load_si256(reinterpret_cast<const __m256i*>(id + 4)), cw_)};
      philox10(x, keys_);
      const __m256d mean = _mm256_set1_pd(s_.spec.p0), stdv = _mm256_set1_pd(s_.spec.p1);
      const __m256d lo = _mm256_set1_pd(s_.spec.p2), hi = _mm256_set1_pd(s_.spec.p3);
      bad = 0;
      for (int j = 0; j < 2; ++j) {
        const __m256d r = radius_f64(pair_lo32(x[j].c0, x[j].c1));
        __m256d c, sn;
        sincos_2pi_f64(unit_f64(pair_lo32(x[j].c2, x[j].c3)), c, sn);
        const __m256d y = _mm256_add_pd(mean, _mm256_mul_pd(stdv, _mm256_mul_pd(r, c)));
        _mm256_store_pd(v + 4 * j, y);
        const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(y, lo, _CMP_GE_OQ), _mm256_cmp_pd(y, hi, _CMP_LE_OQ));
        bad |= (static_cast<std::uint32_t>(~_mm256_movemask_pd(ok)) & 0xFu) << (4 * j);
      }
    } else {
      // Lanes of x[0] hold elements 0, 2, 4, 6 and those of x[1] elements
      // 1, 3, 5, 7, so pair_lo32 puts all eight in order.
      const __m256i ia = _mm256_set_epi64x(static_cast<long long>(id[6]), static_cast<long long>(id[4]),
                                           static_cast<long long>(id[2]), static_cast<long long>(id[0]));
      const __m256i ib = _mm256_set_epi64x(static_cast<long long>(id[7]), static_cast<long long>(id[5]),
                                           static_cast<long long>(id[3]), static_cast<long long>(id[1]));
      Blocks4 x[2] = {blocks_at(ia, cw_), blocks_at(ib, cw_)};
      philox10(x, keys_);
      const __m256 r = radius_f32(pair_lo32(x[0].c0, x[1].c0));
      __m256 c, sn;
      sincos_2pi_f32(unit_f32(pair_lo32(x[0].c1, x[1].c1)), c, sn);
      const __m256 y = _mm256_add_ps(_mm256_set1_ps(s_.mean_f),
                                     _mm256_mul_ps(_mm256_set1_ps(s_.std_f), _mm256_mul_ps(r, c)));
      Narrow<D>::store(v, y);
      const __m256 rt = Narrow<D>::round_trip(y);
      const __m256 ok = _mm256_and_ps(_mm256_cmp_ps(rt, _mm256_set1_ps(float_at_least(s_.spec.p2)), _CMP_GE_OQ),
                                      _mm256_cmp_ps(rt, _mm256_set1_ps(float_at_most(s_.spec.p3)), _CMP_LE_OQ));
      bad = static_cast<std::uint32_t>(~_mm256_movemask_ps(ok)) & 0xFFu;
    }
    for (std::size_t k = 0; k < m; ++k) {
      write(id[k], (bad >> k) & 1u ? trunc_normal_retry<D>(s_, id[k], 2) : v[k]);
    }
  }

  const Sampler& s_;
  char* out_;
  std::ptrdiff_t stride_;
  std::uint64_t first_;
  RoundKeys keys_;
  CallWords cw_;
  std::uint64_t idx_[kCapacity];
  std::size_t n_ = 0;
};

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__)
// ---------------------------------------------------------------------------
// 512-bit uniform and normal kernels of the avx512 build (nested in avx2v for
// its driver): the same operations as avx2v::UniformNarrow<D> and
// avx2v::NormalNarrow<D, kTrunc>, in the same order, on 16 floats at a time
// (8 Philox blocks per 512-bit vector). On CPUs whose vector units are 512
// bits wide they draw about twice as many values per cycle; every value is
// the one of distributions.hpp.
namespace avx512v {

struct Blocks8 {
  __m512i c0, c1, c2, c3;
};

struct RoundKeys {
  __m512i k0[kPhiloxRounds], k1[kPhiloxRounds];
  explicit RoundKeys(const StreamId& st) {
    std::uint32_t a = st.key0, b = st.key1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      k0[r] = _mm512_set1_epi32(static_cast<int>(a));
      k1[r] = _mm512_set1_epi32(static_cast<int>(b));
      a += kPhiloxW0;
      b += kPhiloxW1;
    }
  }
};

template <int N>
FI_ALWAYS_INLINE void philox10(Blocks8 (&x)[N], const RoundKeys& k) {
  const __m512i m0 = _mm512_set1_epi64(kPhiloxM0);
  const __m512i m1 = _mm512_set1_epi64(kPhiloxM1);
  for (int r = 0; r < kPhiloxRounds; ++r) {
    for (int j = 0; j < N; ++j) {
      const __m512i p0 = _mm512_mul_epu32(x[j].c0, m0);
      const __m512i p1 = _mm512_mul_epu32(x[j].c2, m1);
      x[j].c0 = _mm512_xor_si512(_mm512_srli_epi64(p1, 32), _mm512_xor_si512(x[j].c1, k.k0[r]));
      x[j].c2 = _mm512_xor_si512(_mm512_srli_epi64(p0, 32), _mm512_xor_si512(x[j].c3, k.k1[r]));
      x[j].c1 = p1;
      x[j].c3 = p0;
    }
  }
}

// Blocks b, ..., b + 7 of domain 0 (see avx2v::CallWords).
FI_ALWAYS_INLINE Blocks8 consecutive_blocks(std::uint64_t b, const StreamId& st) {
  const __m512i idx = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(b)),
                                       _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
  const __m512i c2 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(st.call)));
  const __m512i c3 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(st.call >> 32)));
  return Blocks8{idx, _mm512_srli_epi64(idx, 32), c2, c3};
}

FI_ALWAYS_INLINE __m512i pair_lo32(__m512i a, __m512i b) {
  return _mm512_mask_blend_epi32(0xAAAA, a, _mm512_slli_epi64(b, 32));
}

FI_ALWAYS_INLINE __m512 unit_f32(__m512i w) {
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)), _mm512_set1_ps(0x1p-24f));
}

FI_ALWAYS_INLINE __m512 open_unit_f32(__m512i w) {
  return _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 1)), _mm512_set1_ps(0.5f)),
                       _mm512_set1_ps(0x1p-31f));
}

FI_ALWAYS_INLINE __m512 log_f32(__m512 x) {
  const __m512i bits = _mm512_castps_si512(x);
  __m512i e = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127));
  __m512i mbits = _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007FFFFF)),
                                  _mm512_set1_epi32(0x3F800000));
  const __mmask16 big = _mm512_cmpgt_epi32_mask(mbits, _mm512_set1_epi32(0x3FB504F3));
  mbits = _mm512_mask_sub_epi32(mbits, big, mbits, _mm512_set1_epi32(0x00800000));
  e = _mm512_mask_add_epi32(e, big, e, _mm512_set1_epi32(1));
  const __m512 m = _mm512_castsi512_ps(mbits);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 s = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one));
  const __m512 s2 = _mm512_mul_ps(s, s);
  const float* L = poly::kLogF;
  __m512 p = _mm512_add_ps(_mm512_set1_ps(L[1]), _mm512_mul_ps(s2, _mm512_set1_ps(L[2])));
  p = _mm512_add_ps(_mm512_set1_ps(L[0]), _mm512_mul_ps(s2, p));
  const __m512 logm = _mm512_mul_ps(s, _mm512_add_ps(_mm512_set1_ps(2.0f), _mm512_mul_ps(s2, p)));
  const __m512 ef = _mm512_cvtepi32_ps(e);
  return _mm512_add_ps(_mm512_mul_ps(ef, _mm512_set1_ps(poly::kLn2HiF)),
                       _mm512_add_ps(logm, _mm512_mul_ps(ef, _mm512_set1_ps(poly::kLn2LoF))));
}

FI_ALWAYS_INLINE void sincos_2pi_f32(__m512 u, __m512& c, __m512& s) {
  const __m512 s4 = _mm512_mul_ps(u, _mm512_set1_ps(4.0f));
  const __m512i q = _mm512_cvttps_epi32(_mm512_add_ps(s4, _mm512_set1_ps(0.5f)));
  const __m512 r = _mm512_sub_ps(s4, _mm512_cvtepi32_ps(q));
  const __m512 r2 = _mm512_mul_ps(r, r);
  const float* S = poly::kSinF;
  const float* C = poly::kCosF;
  __m512 ps = _mm512_add_ps(_mm512_set1_ps(S[2]), _mm512_mul_ps(r2, _mm512_set1_ps(S[3])));
  ps = _mm512_add_ps(_mm512_set1_ps(S[1]), _mm512_mul_ps(r2, ps));
  ps = _mm512_add_ps(_mm512_set1_ps(S[0]), _mm512_mul_ps(r2, ps));
  const __m512 sr = _mm512_mul_ps(r, ps);
  __m512 pc = _mm512_add_ps(_mm512_set1_ps(C[2]), _mm512_mul_ps(r2, _mm512_set1_ps(C[3])));
  pc = _mm512_add_ps(_mm512_set1_ps(C[1]), _mm512_mul_ps(r2, pc));
  pc = _mm512_add_ps(_mm512_set1_ps(C[0]), _mm512_mul_ps(r2, pc));
  const __m512 cr = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(r2, pc));
  const __mmask16 swap = _mm512_test_epi32_mask(q, _mm512_set1_epi32(1));
  const __m512 c0 = _mm512_mask_blend_ps(swap, cr, sr);
  const __m512 s0 = _mm512_mask_blend_ps(swap, sr, cr);
  const __m512i two = _mm512_set1_epi32(2);
  const __m512i cneg = _mm512_slli_epi32(_mm512_and_si512(_mm512_add_epi32(q, _mm512_set1_epi32(1)), two), 30);
  const __m512i sneg = _mm512_slli_epi32(_mm512_and_si512(q, two), 30);
  c = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(c0), cneg));
  s = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(s0), sneg));
}

FI_ALWAYS_INLINE __m512 radius_f32(__m512i w) {
  return _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), log_f32(open_unit_f32(w))));
}

template <DType D> struct Narrow;
template <> struct Narrow<DType::float32> {
  static FI_ALWAYS_INLINE __m512 round_trip(__m512 x) { return x; }
  static FI_ALWAYS_INLINE void store(float* p, __m512 x) { _mm512_storeu_ps(p, x); }
};
template <> struct Narrow<DType::float16> {
  static FI_ALWAYS_INLINE __m256i to_half(__m512 x) {
    return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static FI_ALWAYS_INLINE __m512 round_trip(__m512 x) { return _mm512_cvtph_ps(to_half(x)); }
  static FI_ALWAYS_INLINE void store(std::uint16_t* p, __m512 x) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), to_half(x));
  }
};
template <> struct Narrow<DType::bfloat16> {  // avx2v::Narrow<bfloat16>, 16 lanes
  static FI_ALWAYS_INLINE __m512i to_bf16_lanes(__m512 x) {
    const __m512i b = _mm512_castps_si512(x);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    const __m512i rne = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF)),
                                                  _mm512_set1_epi32(0x7F800000));
    const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(0x0040));
    return _mm512_mask_blend_epi32(nan, rne, quiet);
  }
  static FI_ALWAYS_INLINE __m512 round_trip(__m512 x) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(to_bf16_lanes(x), 16));
  }
  static FI_ALWAYS_INLINE void store(std::uint16_t* p, __m512 x) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(to_bf16_lanes(x)));
  }
};

// Pairs (x_k, y_k) in element order: [x0 y0 ... x7 y7], [x8 y8 ... x15 y15].
FI_ALWAYS_INLINE void pair_order(__m512 x, __m512 y, __m512& first, __m512& second) {
  const __m512 lo = _mm512_unpacklo_ps(x, y);  // pairs 0 1 | 4 5 | 8 9 | 12 13
  const __m512 hi = _mm512_unpackhi_ps(x, y);  // pairs 2 3 | 6 7 | 10 11 | 14 15
  first = _mm512_permutex2var_ps(lo, _mm512_set_epi32(23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2, 1, 0), hi);
  second = _mm512_permutex2var_ps(lo, _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11, 10, 9, 8),
                                  hi);
}

// Element order of 8 blocks from per-block halves: a = first halves, b =
// second halves of blocks 0..7 (64-bit lanes) -> blocks 0-3 and 4-7 in full.
FI_ALWAYS_INLINE void block_order(__m512 a, __m512 b, __m512& first, __m512& second) {
  const __m512d lo = _mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b));  // b0 | b2 | b4 | b6
  const __m512d hi = _mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b));  // b1 | b3 | b5 | b7
  first = _mm512_castpd_ps(_mm512_permutex2var_pd(lo, _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), hi));
  second = _mm512_castpd_ps(_mm512_permutex2var_pd(lo, _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4), hi));
}

// avx2v::UniformNarrow on 16 lanes.
template <DType D>
struct UniformNarrow {
  using T = typename Out<D>::T;
  static constexpr unsigned kElems = 64;  // 2 x 8 blocks of 4 words
  const StreamId& st;
  RoundKeys keys;
  __m512 low, span, high;
  explicit UniformNarrow(const Sampler& s)
      : st(s.spec.stream), keys(s.spec.stream), low(_mm512_set1_ps(s.low_f)), span(_mm512_set1_ps(s.span_f)),
        high(_mm512_set1_ps(float_at_least(s.spec.p1))) {}
  FI_ALWAYS_INLINE __m512 value(__m512i w) const {
    const __m512 x = _mm512_add_ps(low, _mm512_mul_ps(span, unit_f32(w)));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(Narrow<D>::round_trip(x), high, _CMP_GE_OQ), x, low);
  }
  FI_ALWAYS_INLINE std::uint32_t operator()(std::uint64_t g, T* dst) const {
    Blocks8 x[2] = {consecutive_blocks(g / 4, st), consecutive_blocks(g / 4 + 8, st)};
    philox10(x, keys);
    for (int j = 0; j < 2; ++j) {
      __m512 e0, e1;
      block_order(value(pair_lo32(x[j].c0, x[j].c1)), value(pair_lo32(x[j].c2, x[j].c3)), e0, e1);
      Narrow<D>::store(dst + 32 * j, e0);
      Narrow<D>::store(dst + 32 * j + 16, e1);
    }
    return 0;
  }
};

// avx2v::NormalNarrow<D, kTrunc> on 16 lanes, 16 blocks a call (two
// independent Philox chains; the rejection mask has 64 bits).
template <DType D, bool kTrunc>
struct NormalNarrow {
  using T = typename Out<D>::T;
  static constexpr int kGroups = 2;                 // Blocks8 per call
  static constexpr unsigned kElems = 32 * kGroups;  // 8 blocks of 2 pairs per group
  const StreamId& st;
  RoundKeys keys;
  __m512 mean, stdv, lo, hi;
  explicit NormalNarrow(const Sampler& s)
      : st(s.spec.stream), keys(s.spec.stream), mean(_mm512_set1_ps(s.mean_f)), stdv(_mm512_set1_ps(s.std_f)),
        lo(_mm512_set1_ps(float_at_least(s.spec.p2))), hi(_mm512_set1_ps(float_at_most(s.spec.p3))) {}
  // Bit k set: element k of the 16 is outside [a, b] after rounding to D.
  FI_ALWAYS_INLINE std::uint32_t rejected(__m512 v) const {
    const __m512 r = Narrow<D>::round_trip(v);
    const __mmask16 ok = _mm512_cmp_ps_mask(r, lo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(r, hi, _CMP_LE_OQ);
    return static_cast<std::uint32_t>(static_cast<std::uint16_t>(~ok));
  }
  FI_ALWAYS_INLINE std::uint64_t operator()(std::uint64_t g, T* dst) const {
    Blocks8 x[kGroups];
    for (int j = 0; j < kGroups; ++j) x[j] = consecutive_blocks(g / 4 + 8 * static_cast<std::uint64_t>(j), st);
    philox10(x, keys);
    std::uint64_t mask = 0;
    for (int j = 0; j < kGroups; ++j) {
      // 16 pairs in element order: radius words w0/w2, angle words w1/w3.
      const __m512 r = radius_f32(pair_lo32(x[j].c0, x[j].c2));
      __m512 c, s;
      sincos_2pi_f32(unit_f32(pair_lo32(x[j].c1, x[j].c3)), c, s);
      const __m512 vc = _mm512_add_ps(mean, _mm512_mul_ps(stdv, _mm512_mul_ps(r, c)));
      const __m512 vs = _mm512_add_ps(mean, _mm512_mul_ps(stdv, _mm512_mul_ps(r, s)));
      __m512 e0, e1;
      pair_order(vc, vs, e0, e1);
      Narrow<D>::store(dst + 32 * j, e0);
      Narrow<D>::store(dst + 32 * j + 16, e1);
      if constexpr (kTrunc) {
        mask |= static_cast<std::uint64_t>(rejected(e0) | (rejected(e1) << 16)) << (32 * j);
      }
    }
    return mask;
  }
};

}  // namespace avx512v
#define FI_VECTOR_AVX512 1
#else
#define FI_VECTOR_AVX512 0
#endif

// --- driver -----------------------------------------------------------------

// Runs `gen` over elements [first, first + n) written at out + k * stride.
// Whole groups inside a contiguous run are written in place; partial groups
// at the ends and strided runs go through a small buffer.
template <class Gen, class Retry>
void run_groups(const Gen& gen, char* out, std::ptrdiff_t stride, std::uint64_t first, std::size_t n, Retry* retry) {
  using T = typename Gen::T;
  constexpr unsigned E = Gen::kElems;
  alignas(32) T tmp[E];
  const bool contiguous = stride == static_cast<std::ptrdiff_t>(sizeof(T));
  const std::uint64_t end = first + n;
  std::uint64_t i = first;
  while (i < end) {
    const std::uint64_t g = i - i % E;
    const std::uint64_t stop = end - g < E ? end : g + E;
    const bool direct = contiguous && i == g && stop == g + E;
    T* dst = direct ? reinterpret_cast<T*>(out + static_cast<std::ptrdiff_t>(i - first) * stride) : tmp;
    std::uint64_t mask = gen(g, dst);
    if (!direct) {
      for (std::uint64_t k = i; k < stop; ++k) {
        std::memcpy(out + static_cast<std::ptrdiff_t>(k - first) * stride, &tmp[k - g], sizeof(T));
      }
    }
    if (retry != nullptr) {
      const unsigned lo_bit = static_cast<unsigned>(i - g), hi_bit = static_cast<unsigned>(stop - g);
      if (hi_bit < 64) mask &= (std::uint64_t{1} << hi_bit) - 1u;
      mask &= ~((std::uint64_t{1} << lo_bit) - 1u);
      retry->push(g, mask, E);
    }
    i = stop;
  }
  if (retry != nullptr) retry->flush();
}

struct NoRetry {
  void push(std::uint64_t, std::uint64_t, unsigned) {}
  void flush() {}
};

// Returns false when the scalar reference must handle the request.
template <DType D>
bool fill_vector(const Sampler& s, char* out, std::ptrdiff_t stride, std::uint64_t first, std::size_t n) {
  if (n < 16) return false;  // setting up the vector state costs more than it saves
  constexpr bool f64 = is_f64<D>();
  switch (s.spec.dist) {
    case Distribution::uniform: {
#if FI_VECTOR_AVX512
      using Gen = std::conditional_t<f64, UniformF64, avx512v::UniformNarrow<D>>;
#else
      using Gen = std::conditional_t<f64, UniformF64, UniformNarrow<D>>;
#endif
      run_groups(Gen(s), out, stride, first, n, static_cast<NoRetry*>(nullptr));
      return true;
    }
    case Distribution::normal: {
#if FI_VECTOR_AVX512
      using Gen = std::conditional_t<f64, NormalF64<false>, avx512v::NormalNarrow<D, false>>;
#else
      using Gen = std::conditional_t<f64, NormalF64<false>, NormalNarrow<D, false>>;
#endif
      run_groups(Gen(s), out, stride, first, n, static_cast<NoRetry*>(nullptr));
      return true;
    }
    case Distribution::truncated_normal: {
      if (s.method != TruncMethod::normal_rejection) return false;
#if FI_VECTOR_AVX512
      using Gen = std::conditional_t<f64, NormalF64<true>, avx512v::NormalNarrow<D, true>>;
#else
      using Gen = std::conditional_t<f64, NormalF64<true>, NormalNarrow<D, true>>;
#endif
      RetryQueue<D> retry(s, out, stride, first);
      run_groups(Gen(s), out, stride, first, n, &retry);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace avx2v
#endif  // FI_VECTOR_AVX2

template <DType D>
void fill_typed(const Sampler& s, char* out, std::ptrdiff_t stride, std::uint64_t first, std::size_t n) {
  const Writer<typename Out<D>::T> w{out, stride};
#if FI_VECTOR_AVX2
  if (avx2v::fill_vector<D>(s, out, stride, first, n)) return;
#endif
  switch (s.spec.dist) {
    case Distribution::constant: fill_constant<D>(s, w, n); break;
    case Distribution::uniform: fill_uniform<D>(s, w, first, n); break;
    case Distribution::normal: fill_normal<D>(s, w, first, n); break;
    case Distribution::truncated_normal: fill_truncated_normal<D>(s, w, first, n); break;
  }
}

void fill_run(const Sampler& s, void* out, std::ptrdiff_t stride, std::uint64_t first, std::size_t n) {
  char* p = static_cast<char*>(out);
  switch (s.spec.dtype) {
    case DType::float16: fill_typed<DType::float16>(s, p, stride, first, n); break;
    case DType::bfloat16: fill_typed<DType::bfloat16>(s, p, stride, first, n); break;
    case DType::float32: fill_typed<DType::float32>(s, p, stride, first, n); break;
    case DType::float64: fill_typed<DType::float64>(s, p, stride, first, n); break;
  }
}

void philox_blocks(const std::uint32_t* ctr, std::size_t n_blocks, std::uint32_t key0, std::uint32_t key1,
                   std::uint32_t* out) {
  for (std::size_t j = 0; j < n_blocks; ++j) {
    const std::uint32_t* c = ctr + 4 * j;
    const Block4x32 b = philox4x32_10(c[0], c[1], c[2], c[3], key0, key1);
    std::memcpy(out + 4 * j, b.v, sizeof(b.v));
  }
}

void philox_stream_blocks(const StreamId& st, std::uint64_t first_block, std::size_t n_blocks, std::uint32_t* out) {
  std::size_t j = 0;
#if FI_VECTOR_AVX2
  j = avx2v::stream_blocks(st, first_block, n_blocks, out);
#endif
  for (; j < n_blocks; ++j) {
    const Block4x32 b = stream_block(st, first_block + j, 0);
    std::memcpy(out + 4 * j, b.v, sizeof(b.v));
  }
}

}  // namespace

const KernelTable& kernel_table() {
#define FI_STR2(x) #x
#define FI_STR(x) FI_STR2(x)
  static const KernelTable table{FI_STR(FI_ISA), fill_run, philox_blocks, philox_stream_blocks, &rbm_kernels()};
  return table;
}

}  // namespace FI_ISA
}  // namespace fastinit
