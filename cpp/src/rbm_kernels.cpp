// Elementwise kernels of the RBM trainer (rbm.cpp): the logistic function and
// Bernoulli sampling. Like kernels.cpp this file is compiled once per
// instruction set (FI_ISA = generic or avx2, see CMakeLists.txt) and exported
// through the KernelTable; the compiler vectorizes the plain loops below for
// each target. Every build executes the same IEEE operations in the same
// order (no FMA contraction), so all builds give the same bits.
#include <algorithm>
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

}  // namespace

const RbmKernels& rbm_kernels() {
  static const RbmKernels table{{sigmoid_bias<float>, bernoulli}, {sigmoid_bias<double>, bernoulli}};
  return table;
}

}  // namespace FI_ISA
}  // namespace fastinit
