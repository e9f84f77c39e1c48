// The distributions fastinit samples, defined element by element.
//
// Each function here is the *reference definition* of the value written at
// logical index i: it depends only on the stream (key, call), i, the dtype and
// the distribution's parameters. The kernels in kernels.cpp compute exactly
// these values, faster (several per Philox block, vectorized on AVX2).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "fastinit/config.hpp"
#include "fastinit/fastmath.hpp"
#include "fastinit/stream.hpp"

namespace fastinit {

enum class DType : int { float16 = 0, bfloat16 = 1, float32 = 2, float64 = 3 };
enum class Distribution : int { constant = 0, uniform = 1, normal = 2, truncated_normal = 3 };

// How a truncated normal on the standardized interval [alpha, beta] is drawn.
enum class TruncMethod : int {
  normal_rejection = 0,  // interval holds 0 and is >= 1 wide: reject from the plain normal stream
  uniform_centered = 1,  // interval holds 0 and is < 1 wide: uniform proposal, accept exp(-x^2/2)
  uniform_tail = 2,      // 0 <= alpha, beta^2 - alpha^2 <= 2: uniform proposal
  exponential_tail = 3,  // 0 <= alpha otherwise: Robert (1995) translated-exponential proposal
};

// What the caller asked for.
struct SamplerSpec {
  Distribution dist = Distribution::constant;
  DType dtype = DType::float32;
  StreamId stream;
  // constant: p0 = value; uniform: [p0, p1); normal: mean p0, std p1;
  // truncated_normal: mean p0, std p1 (> 0), absolute bounds p2 < p3.
  double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
};

// A SamplerSpec with every derived constant computed once per call.
struct Sampler {
  SamplerSpec spec;
  // uniform
  float low_f = 0, span_f = 0;
  double span_d = 0;
  // normal and truncated normal
  float mean_f = 0, std_f = 0;
  // truncated normal, standardized: z in [alpha, beta]; for the tail methods
  // the interval is mirrored to alpha >= 0 (`flip` is then -1) and values are
  // drawn as an offset d = z - alpha >= 0 from the near bound `edge` (a, or b
  // when mirrored): x = edge + flip * std * d, with `width` = (b - a) / std
  // and `alpha_minus_lambda` = alpha - lambda computed without cancellation.
  TruncMethod method = TruncMethod::normal_rejection;
  double alpha = 0, beta = 0, lambda = 0, flip = 1;
  double edge = 0, width = 0, alpha_minus_lambda = 0;
};

}  // namespace fastinit

FI_NAMESPACE_BEGIN

inline Sampler prepare_sampler(const SamplerSpec& spec) {
  Sampler s;
  s.spec = spec;
  switch (spec.dist) {
    case Distribution::uniform:
      s.low_f = static_cast<float>(spec.p0);
      s.span_d = spec.p1 - spec.p0;
      s.span_f = static_cast<float>(s.span_d);
      break;
    case Distribution::normal:
      s.mean_f = static_cast<float>(spec.p0);
      s.std_f = static_cast<float>(spec.p1);
      break;
    case Distribution::truncated_normal: {
      s.mean_f = static_cast<float>(spec.p0);
      s.std_f = static_cast<float>(spec.p1);
      double alpha = (spec.p2 - spec.p0) / spec.p1;
      double beta = (spec.p3 - spec.p0) / spec.p1;
      if (alpha < 0 && beta > 0) {
        s.method = (beta - alpha >= 1.0) ? TruncMethod::normal_rejection : TruncMethod::uniform_centered;
      } else {
        // A tail: the mass sits next to one bound, the `edge`. Offsets from it
        // are computed directly, so that a mean far from [a, b] (|a - mean|
        // much larger than std) loses no precision to cancellation.
        s.edge = spec.p2;
        if (beta <= 0) {  // mirror into the upper tail
          const double t = alpha;
          alpha = -beta;
          beta = -t;
          s.flip = -1;
          s.edge = spec.p3;
        }
        s.width = (spec.p3 - spec.p2) / spec.p1;  // beta - alpha (may be inf)
        if (s.width * (s.width + 2.0 * alpha) <= 2.0) {  // beta^2 - alpha^2 <= 2
          s.method = TruncMethod::uniform_tail;
        } else {
          s.method = TruncMethod::exponential_tail;
          // lambda = (alpha + sqrt(alpha^2 + 4)) / 2 (sqrt is exact IEEE); for
          // alpha > 2^500 alpha^2 would overflow and sqrt(alpha^2 + 4) == alpha.
          const double root = alpha > 0x1p500 ? alpha : std::sqrt(alpha * alpha + 4.0);
          s.lambda = (alpha + root) * 0.5;
          s.alpha_minus_lambda = -2.0 / (alpha + root);  // = (alpha - root) / 2
        }
      }
      s.alpha = alpha;
      s.beta = beta;
      break;
    }
    case Distribution::constant:
      break;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Output types: how a float32 or float64 result is stored.

template <DType D> struct Out;
template <> struct Out<DType::float16> {
  using T = std::uint16_t;
  static T from_f32(float x) { return float_to_half(x); }
  static double to_double(T v) { return half_to_float(v); }
};
template <> struct Out<DType::bfloat16> {
  using T = std::uint16_t;
  static T from_f32(float x) { return float_to_bfloat16(x); }
  static double to_double(T v) { return bfloat16_to_float(v); }
};
template <> struct Out<DType::float32> {
  using T = float;
  static T from_f32(float x) { return x; }
  static double to_double(T v) { return v; }
};
template <> struct Out<DType::float64> {
  using T = double;
  static T from_f64(double x) { return x; }
  static double to_double(T v) { return v; }
};

template <DType D> constexpr bool is_f64() { return D == DType::float64; }

// ---------------------------------------------------------------------------
// Standard normal values.

// Box-Muller on one pair of words: returns r cos(theta) or r sin(theta).
FI_ALWAYS_INLINE float box_muller_f32(std::uint32_t w_radius, std::uint32_t w_angle, bool sine) {
  const float r = std::sqrt(-2.0f * log_f32(word_to_open_unit_f32(w_radius)));
  float c, s;
  sincos_2pi_f32(word_to_unit_f32(w_angle), c, s);
  return r * (sine ? s : c);
}

FI_ALWAYS_INLINE double box_muller_f64(std::uint64_t w_radius, std::uint64_t w_angle, bool sine) {
  const double r = std::sqrt(-2.0 * log_f64(word_to_open_unit_f64(w_radius)));
  double c, s;
  sincos_2pi_f64(word_to_unit_f64(w_angle), c, s);
  return r * (sine ? s : c);
}

// Element i's standard normal from the words w[0..3] of its block. float32:
// block i/4 holds two pairs, element i uses pair (i/2) % 2 and takes the
// cosine when i is even. float64: block i/2 holds one pair of 64-bit words.
FI_ALWAYS_INLINE float normal_in_block_f32(const std::uint32_t* w, std::uint64_t i) {
  const unsigned p = static_cast<unsigned>((i >> 1) & 1u) * 2u;
  return box_muller_f32(w[p], w[p + 1], (i & 1u) != 0);
}

FI_ALWAYS_INLINE double normal_in_block_f64(const std::uint32_t* w, std::uint64_t i) {
  return box_muller_f64(join64(w[0], w[1]), join64(w[2], w[3]), (i & 1u) != 0);
}

// Element i of the main normal stream.
FI_ALWAYS_INLINE float normal_z_f32(const StreamId& st, std::uint64_t i) {
  return normal_in_block_f32(stream_block(st, i >> 2, 0).v, i);
}

FI_ALWAYS_INLINE double normal_z_f64(const StreamId& st, std::uint64_t i) {
  return normal_in_block_f64(stream_block(st, i >> 1, 0).v, i);
}

// Retry attempt t >= 1 of element i: block i of domain t, cosine branch.
FI_ALWAYS_INLINE float retry_normal_z_f32(const StreamId& st, std::uint64_t i, unsigned t) {
  const Block4x32 b = stream_block(st, i, t);
  return box_muller_f32(b.v[0], b.v[1], false);
}

FI_ALWAYS_INLINE double retry_normal_z_f64(const StreamId& st, std::uint64_t i, unsigned t) {
  const Block4x32 b = stream_block(st, i, t);
  return box_muller_f64(join64(b.v[0], b.v[1]), join64(b.v[2], b.v[3]), false);
}

// ---------------------------------------------------------------------------
// Uniform values.

template <DType D>
FI_ALWAYS_INLINE typename Out<D>::T uniform_from_unit_f32(const Sampler& s, float u) {
  const typename Out<D>::T v = Out<D>::from_f32(s.low_f + s.span_f * u);
  // Rounding can reach `high`; [low, high) is kept by mapping that to low.
  if (Out<D>::to_double(v) >= s.spec.p1) return Out<D>::from_f32(s.low_f);
  return v;
}

FI_ALWAYS_INLINE double uniform_from_unit_f64(const Sampler& s, double u) {
  const double v = s.spec.p0 + s.span_d * u;
  return v >= s.spec.p1 ? s.spec.p0 : v;
}

// ---------------------------------------------------------------------------
// Truncated normal: values are accepted after rounding to the output type,
// so every stored value lies in [a, b]; nothing is clamped onto the bounds.

template <DType D>
FI_ALWAYS_INLINE bool in_bounds(const Sampler& s, typename Out<D>::T v) {
  const double x = Out<D>::to_double(v);
  return x >= s.spec.p2 && x <= s.spec.p3;
}

template <DType D>
FI_ALWAYS_INLINE typename Out<D>::T affine_from_z(const Sampler& s, double z) {
  if constexpr (is_f64<D>()) {
    return s.spec.p0 + s.spec.p1 * z;
  } else {
    return Out<D>::from_f32(static_cast<float>(s.spec.p0 + s.spec.p1 * z));
  }
}

template <DType D>
FI_ALWAYS_INLINE typename Out<D>::T affine_from_z_f32(const Sampler& s, float z) {
  return Out<D>::from_f32(s.mean_f + s.std_f * z);
}

// One attempt of a proposal method (uniform or exponential); false = rejected.
template <DType D>
FI_ALWAYS_INLINE bool trunc_proposal_attempt(const Sampler& s, std::uint64_t i, unsigned t,
                                             typename Out<D>::T& out) {
  const Block4x32 b = stream_block(s.spec.stream, i, t);
  const std::uint64_t wa = join64(b.v[0], b.v[1]);
  const double e2 = -2.0 * log_f64(word_to_open_unit_f64(join64(b.v[2], b.v[3])));
  if (s.method == TruncMethod::uniform_centered) {
    const double x = s.alpha + (s.beta - s.alpha) * word_to_unit_f64(wa);
    if (!(e2 >= x * x)) return false;
    out = affine_from_z<D>(s, x);
    return in_bounds<D>(s, out);
  }
  // Tail methods: d = z - alpha, the standardized distance from the edge.
  double d;
  if (s.method == TruncMethod::uniform_tail) {
    d = s.width * word_to_unit_f64(wa);
    if (!(e2 >= d * (d + 2.0 * s.alpha))) return false;  // (z - alpha)(z + alpha)
  } else {  // exponential_tail
    d = -log_f64(word_to_open_unit_f64(wa)) / s.lambda;
    if (d > s.width) return false;
    const double g = d + s.alpha_minus_lambda;  // z - lambda
    if (!(e2 >= g * g)) return false;
  }
  const double x = s.edge + s.flip * (s.spec.p1 * d);
  if constexpr (is_f64<D>()) {
    out = x;
  } else {
    out = Out<D>::from_f32(static_cast<float>(x));
  }
  return in_bounds<D>(s, out);
}

// The value of dtype D in [a, b] nearest to `target` (which lies in [a, b]):
// `target` rounded to D, stepped back inside if rounding left the interval.
// The Python layer checks that [a, b] holds a finite value of D.
template <DType D>
typename Out<D>::T nearest_inside(const Sampler& s, double target) {
  if constexpr (is_f64<D>()) {
    return target;
  } else {
    typename Out<D>::T v = Out<D>::from_f32(static_cast<float>(target));
    for (int step = 0; step < 4 && !in_bounds<D>(s, v); ++step) {
      const bool up = Out<D>::to_double(v) < s.spec.p2;
      if constexpr (D == DType::float32) {
        v = std::nextafter(v, up ? HUGE_VALF : -HUGE_VALF);
      } else {  // half and bfloat16 bit patterns: sign and magnitude
        const bool negative = (v & 0x8000u) != 0;
        const bool zero = (v & 0x7FFFu) == 0;
        if (zero) {
          v = static_cast<std::uint16_t>(up ? 0x0001u : 0x8001u);
        } else if (negative == up) {
          v = static_cast<std::uint16_t>(v - 1u);  // towards zero
        } else {
          v = static_cast<std::uint16_t>(v + 1u);  // away from zero
        }
      }
    }
    return v;
  }
}

// Last resort after kMaxDomain rejected attempts: the value of the dtype in
// [a, b] nearest to clamp(mean, a, b), where the density is highest. The
// probability is below 1e-40 unless the mass lies within a rounding step of a
// bound that the dtype cannot represent (a far tail in float32: every draw
// rounds to outside [a, b]); then this is the value the draws concentrate on.
template <DType D>
FI_ALWAYS_INLINE typename Out<D>::T trunc_give_up(const Sampler& s) {
  const double target = std::min(std::max(s.spec.p0, s.spec.p2), s.spec.p3);
  return nearest_inside<D>(s, target);
}

// Whether a far tail has collapsed onto one value of dtype D: the near bound
// rounds to outside [a, b] and an exponential proposal gets past the rounding
// midpoint to the next value inside with probability below exp(-200) per
// attempt. Every attempt would then be rejected and the result would be
// trunc_give_up's value after 255 attempts, so the attempts are skipped.
template <DType D>
bool trunc_tail_collapsed(const Sampler& s) {
  if constexpr (is_f64<D>()) {
    return false;  // float64 values are computed exactly at the bound
  } else {
    if (s.method != TruncMethod::exponential_tail) return false;
    const typename Out<D>::T rounded = Out<D>::from_f32(static_cast<float>(s.edge));
    if (in_bounds<D>(s, rounded)) return false;
    const double inside = Out<D>::to_double(nearest_inside<D>(s, s.edge));
    const double gap = std::fabs(0.5 * (Out<D>::to_double(rounded) + inside) - s.edge) / s.spec.p1;
    return s.lambda * gap > 200.0;
  }
}

// Retries for element i after its first value was rejected (normal_rejection
// method): attempts first_attempt, first_attempt + 1, ... (the vector kernels
// try attempt 1 themselves and continue here from attempt 2).
template <DType D>
typename Out<D>::T trunc_normal_retry(const Sampler& s, std::uint64_t i, unsigned first_attempt = 1) {
  for (unsigned t = first_attempt; t <= static_cast<unsigned>(kMaxDomain); ++t) {
    typename Out<D>::T v;
    if constexpr (is_f64<D>()) {
      v = s.spec.p0 + s.spec.p1 * retry_normal_z_f64(s.spec.stream, i, t);
    } else {
      v = affine_from_z_f32<D>(s, retry_normal_z_f32(s.spec.stream, i, t));
    }
    if (in_bounds<D>(s, v)) return v;
  }
  return trunc_give_up<D>(s);
}

// Element i for the proposal methods (attempts 1, 2, ...).
template <DType D>
typename Out<D>::T trunc_normal_proposal(const Sampler& s, std::uint64_t i) {
  for (unsigned t = 1; t <= static_cast<unsigned>(kMaxDomain); ++t) {
    typename Out<D>::T v;
    if (trunc_proposal_attempt<D>(s, i, t, v)) return v;
  }
  return trunc_give_up<D>(s);
}

FI_NAMESPACE_END
