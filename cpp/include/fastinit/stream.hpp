// How fastinit turns (key, call, element index) into Philox counters and
// random words. docs/streams.md is the user-facing description of this file.
//
// A call of a random function is identified by a StreamId: the generator's
// 64-bit key and the generator's call number. Philox counter words are
//
//   ctr = (lo32(block), hi32(block), lo32(call), hi32(call) | domain << 24)
//
// `block` is the Philox block index (64 bits); `domain` (8 bits) separates the
// main stream (0) from the per-element retry streams used by rejection
// samplers (attempt t >= 1 of element i uses block i in domain t). Calls are
// therefore limited to 2^56 per generator.
#pragma once
#include <cstdint>

#include "fastinit/config.hpp"
#include "fastinit/philox.hpp"

namespace fastinit {

struct StreamId {
  std::uint32_t key0 = 0, key1 = 0;
  std::uint64_t call = 0;
};

constexpr std::uint64_t kMaxCall = (std::uint64_t{1} << 56) - 1;
constexpr int kMaxDomain = 255;

}  // namespace fastinit

FI_NAMESPACE_BEGIN

FI_ALWAYS_INLINE Block4x32 stream_block(const StreamId& s, std::uint64_t block, std::uint32_t domain) {
  return philox4x32_10(static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                       static_cast<std::uint32_t>(s.call),
                       static_cast<std::uint32_t>(s.call >> 32) | (domain << 24), s.key0, s.key1);
}

// Uniform [0, 1) float from the top 24 bits of a word.
FI_ALWAYS_INLINE float word_to_unit_f32(std::uint32_t w) {
  return static_cast<float>(w >> 8) * 0x1p-24f;
}

// Uniform (0, 1] float for Box-Muller's radius, with 31 bits of resolution
// near 0: ((w >> 1) + 1/2) * 2^-31, rounded to float. Smallest value 2^-32.
FI_ALWAYS_INLINE float word_to_open_unit_f32(std::uint32_t w) {
  return (static_cast<float>(static_cast<std::int32_t>(w >> 1)) + 0.5f) * 0x1p-31f;
}

FI_ALWAYS_INLINE std::uint64_t join64(std::uint32_t lo, std::uint32_t hi) {
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

// Uniform [0, 1) double from the top 53 bits of a 64-bit word.
FI_ALWAYS_INLINE double word_to_unit_f64(std::uint64_t w) {
  return static_cast<double>(w >> 11) * 0x1p-53;
}

// Uniform (0, 1] double: ((w >> 11) + 1) * 2^-53.
FI_ALWAYS_INLINE double word_to_open_unit_f64(std::uint64_t w) {
  return static_cast<double>((w >> 11) + 1) * 0x1p-53;
}

FI_NAMESPACE_END
