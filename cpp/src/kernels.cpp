// Sampling kernels. This file is compiled once per instruction set (FI_ISA =
// generic or avx2, see CMakeLists.txt); every build must produce exactly the
// values defined element by element in distributions.hpp.
//
// The generic build is the reference. Vector fast paths are guarded by the
// compiler's ISA macros (__AVX2__) and only change how fast the values are
// computed, never which values.
#include <cstring>

#include "fastinit/distributions.hpp"
#include "fastinit/kernels.hpp"

#ifndef FI_ISA
#error "kernels.cpp must be compiled with FI_ISA set (generic or avx2)"
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
    for_each_block<2>(st, first, n, [&](std::uint64_t i, const Block4x32& b, unsigned j) {
      emit(i, box_muller_f64(join64(b.v[0], b.v[1]), join64(b.v[2], b.v[3]), j == 1));
    });
  } else {
    for_each_block<4>(st, first, n, [&](std::uint64_t i, const Block4x32& b, unsigned j) {
      const unsigned p = (j >> 1) * 2;
      emit(i, box_muller_f32(b.v[p], b.v[p + 1], (j & 1u) != 0));
    });
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
  } else {
    for (std::size_t k = 0; k < n; ++k) w(k, trunc_normal_proposal<D>(s, first + k));
  }
}

template <DType D>
void fill_typed(const Sampler& s, char* out, std::ptrdiff_t stride, std::uint64_t first, std::size_t n) {
  const Writer<typename Out<D>::T> w{out, stride};
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

}  // namespace

const KernelTable& kernel_table() {
#define FI_STR2(x) #x
#define FI_STR(x) FI_STR2(x)
  static const KernelTable table{FI_STR(FI_ISA), fill_run, philox_blocks};
  return table;
}

}  // namespace FI_ISA
}  // namespace fastinit
