// Elementary functions evaluated with fastinit's own polynomials.
//
// libm results differ between implementations, versions and even between the
// code paths one libm picks per CPU (glibc selects FMA variants at run time).
// To give the same bits on every machine, the samplers never call libm: they
// use the functions below, which are built from +, -, *, / and sqrt only, all
// of them correctly rounded by IEEE 754. The vector kernels evaluate exactly
// the same operations in the same order. Coefficients: tools/fit_polynomials.py.
#pragma once
#include <cstdint>
#include <cstring>

#include "fastinit/config.hpp"

FI_NAMESPACE_BEGIN

template <class To, class From>
FI_ALWAYS_INLINE To bit_cast(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast size mismatch");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

namespace poly {
// sin(pi/2 r) = r * S(r^2), cos(pi/2 r) = 1 + r^2 C(r^2), |r| <= 1/2.
constexpr float kSinF[4] = {1.5707963705062866f, -0.6459634900093079f, 0.07968021929264069f,
                            -0.004602163098752499f};
constexpr float kCosF[4] = {-1.2337005138397217f, 0.25366923213005066f, -0.02086026407778263f,
                            0.0009039754513651133f};
constexpr double kSinD[7] = {1.5707963267948966,     -0.6459640975062443,    0.07969262624604316,
                             -0.004681754132344007,  0.00016044115076623046, -3.5986434401119513e-06,
                             5.633945535062366e-08};
constexpr double kCosD[7] = {-1.2337005501361697,    0.2536695079010469,     -0.020863480763315973,
                             0.0009192602742338828,  -2.5202037058321862e-05, 4.7106180064463803e-07,
                             -6.32220459639824e-09};
// log(m) = s * (2 + s^2 L(s^2)), s = (m - 1) / (m + 1), m in [sqrt(1/2), sqrt(2)).
constexpr float kLogF[3] = {0.6666677594184875f, 0.3997734487056732f, 0.29876095056533813f};
constexpr double kLogD[7] = {0.6666666666666736, 0.3999999999940404, 0.2857142874429233,
                             0.2222219840464651, 0.18183572189324748, 0.1531386530806172,
                             0.14797685468639146};
// ln 2 split so that e * kLn2Hi is exact for every exponent e of the type.
constexpr float kLn2HiF = 0.693359375f;
constexpr float kLn2LoF = -2.12194440e-4f;
constexpr double kLn2HiD = 6.93147180369123816490e-01;
constexpr double kLn2LoD = 1.90821492927058770002e-10;
}  // namespace poly

// Natural logarithm of a positive, normal, finite float.
FI_ALWAYS_INLINE float log_f32(float x) {
  std::uint32_t bits = bit_cast<std::uint32_t>(x);
  std::int32_t e = static_cast<std::int32_t>(bits >> 23) - 127;
  std::uint32_t mbits = (bits & 0x007FFFFFu) | 0x3F800000u;  // m in [1, 2)
  if (mbits > 0x3FB504F3u) {                                  // m > sqrt(2): use m / 2
    mbits -= 0x00800000u;
    e += 1;
  }
  const float m = bit_cast<float>(mbits);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float p = poly::kLogF[0] + s2 * (poly::kLogF[1] + s2 * poly::kLogF[2]);
  const float logm = s * (2.0f + s2 * p);
  const float ef = static_cast<float>(e);
  return ef * poly::kLn2HiF + (logm + ef * poly::kLn2LoF);
}

// Natural logarithm of a positive, normal, finite double.
FI_ALWAYS_INLINE double log_f64(double x) {
  std::uint64_t bits = bit_cast<std::uint64_t>(x);
  std::int64_t e = static_cast<std::int64_t>(bits >> 52) - 1023;
  std::uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  if (mbits > 0x3FF6A09E667F3BCCull) {  // m > sqrt(2)
    mbits -= 0x0010000000000000ull;
    e += 1;
  }
  const double m = bit_cast<double>(mbits);
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double* L = poly::kLogD;
  const double p =
      L[0] + s2 * (L[1] + s2 * (L[2] + s2 * (L[3] + s2 * (L[4] + s2 * (L[5] + s2 * L[6])))));
  const double logm = s * (2.0 + s2 * p);
  const double ef = static_cast<double>(e);
  return ef * poly::kLn2HiD + (logm + ef * poly::kLn2LoD);
}

// cos(2 pi u) and sin(2 pi u) for u in [0, 1) that is a multiple of 2^-24.
// 4u is split exactly into a quadrant q and a remainder r in [-1/2, 1/2].
FI_ALWAYS_INLINE void sincos_2pi_f32(float u, float& c, float& s) {
  const float s4 = u * 4.0f;
  const std::int32_t q = static_cast<std::int32_t>(s4 + 0.5f);
  const float r = s4 - static_cast<float>(q);
  const float r2 = r * r;
  const float* S = poly::kSinF;
  const float* C = poly::kCosF;
  const float sr = r * (S[0] + r2 * (S[1] + r2 * (S[2] + r2 * S[3])));
  const float cr = 1.0f + r2 * (C[0] + r2 * (C[1] + r2 * (C[2] + r2 * C[3])));
  switch (q & 3) {
    case 0: c = cr;  s = sr;  break;
    case 1: c = -sr; s = cr;  break;
    case 2: c = -cr; s = -sr; break;
    default: c = sr; s = -cr; break;
  }
}

// cos(2 pi u) and sin(2 pi u) for u in [0, 1) that is a multiple of 2^-53.
FI_ALWAYS_INLINE void sincos_2pi_f64(double u, double& c, double& s) {
  const double s4 = u * 4.0;
  const std::int64_t q = static_cast<std::int64_t>(s4 + 0.5);
  const double r = s4 - static_cast<double>(q);
  const double r2 = r * r;
  const double* S = poly::kSinD;
  const double* C = poly::kCosD;
  const double sr =
      r * (S[0] + r2 * (S[1] + r2 * (S[2] + r2 * (S[3] + r2 * (S[4] + r2 * (S[5] + r2 * S[6]))))));
  const double cr =
      1.0 + r2 * (C[0] + r2 * (C[1] + r2 * (C[2] + r2 * (C[3] + r2 * (C[4] + r2 * (C[5] + r2 * C[6]))))));
  switch (q & 3) {
    case 0: c = cr;  s = sr;  break;
    case 1: c = -sr; s = cr;  break;
    case 2: c = -cr; s = -sr; break;
    default: c = sr; s = -cr; break;
  }
}

// float32 -> IEEE binary16, round to nearest even (what F16C's vcvtps2ph does).
FI_ALWAYS_INLINE std::uint16_t float_to_half(float f) {
  const std::uint32_t x = bit_cast<std::uint32_t>(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) {  // inf or nan (nan stays quiet nan)
    return static_cast<std::uint16_t>(sign | 0x7C00u | (ax > 0x7F800000u ? (0x0200u | ((ax >> 13) & 0x03FFu)) : 0u));
  }
  if (ax >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds to inf
  if (ax < 0x38800000u) {  // half subnormal or zero
    if (ax < 0x33000000u) return static_cast<std::uint16_t>(sign);  // <= 2^-25: rounds to 0
    const std::uint32_t e = ax >> 23;
    const std::uint32_t m = (ax & 0x007FFFFFu) | 0x00800000u;
    const std::uint32_t shift = 126u - e;  // 14..24
    std::uint32_t h = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (ax - 0x38000000u) >> 13;
  const std::uint32_t rem = ax & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

FI_ALWAYS_INLINE float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1Fu;
  const std::uint32_t m = h & 0x03FFu;
  if (e == 0) {  // zero or subnormal: m * 2^-24, exact in float
    const float v = static_cast<float>(m) * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  if (e == 31) return bit_cast<float>(sign | 0x7F800000u | (m << 13));
  return bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
}

// float32 -> bfloat16, round to nearest even.
FI_ALWAYS_INLINE std::uint16_t float_to_bfloat16(float f) {
  const std::uint32_t x = bit_cast<std::uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
  return static_cast<std::uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

FI_ALWAYS_INLINE float bfloat16_to_float(std::uint16_t b) {
  return bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

FI_NAMESPACE_END
