// Philox4x32-10 counter-based bit generator (Salmon, Moraes, Dror, Shaw:
// "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//
// Scalar reference implementation of the block function. The vector kernels
// (kernels.cpp, AVX2 path) must agree with it bit for bit.
#pragma once
#include <cstdint>

#include "fastinit/config.hpp"

namespace fastinit {

constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1
constexpr int kPhiloxRounds = 10;

struct Block4x32 {
  std::uint32_t v[4];
};

}  // namespace fastinit

FI_NAMESPACE_BEGIN

// One Philox4x32 round: two 32x32->64 multiplies, a swap and a key xor.
FI_ALWAYS_INLINE void philox_round(std::uint32_t c[4], std::uint32_t k0, std::uint32_t k1) {
  const std::uint64_t p0 = static_cast<std::uint64_t>(kPhiloxM0) * c[0];
  const std::uint64_t p1 = static_cast<std::uint64_t>(kPhiloxM1) * c[2];
  const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
  const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
  const std::uint32_t n0 = hi1 ^ c[1] ^ k0;
  const std::uint32_t n2 = hi0 ^ c[3] ^ k1;
  c[0] = n0;
  c[1] = lo1;
  c[2] = n2;
  c[3] = lo0;
}

// Philox4x32-10(counter, key): the key is bumped by the Weyl constants
// between rounds (round 1 uses the key as given).
FI_ALWAYS_INLINE Block4x32 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                        std::uint32_t c3, std::uint32_t k0, std::uint32_t k1) {
  std::uint32_t c[4] = {c0, c1, c2, c3};
  for (int r = 0; r < kPhiloxRounds; ++r) {
    philox_round(c, k0, k1);
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return Block4x32{{c[0], c[1], c[2], c[3]}};
}

FI_NAMESPACE_END
