// Fill driver: simplifies the array's layout, splits it into counter ranges
// for the thread pool and hands contiguous logical runs to the kernels.
#include "fastinit/fill.hpp"

#include <algorithm>
#include <stdexcept>

#include "fastinit/kernels.hpp"
#include "fastinit/prefault.hpp"
#include "fastinit/thread_pool.hpp"

namespace fastinit {
namespace {

// Elements handled per task: large enough that thread hand-off is noise,
// small enough that two cores share a 64M-element fill evenly.
constexpr std::uint64_t kGrain = std::uint64_t{1} << 16;

// Output ranges of at least this many bytes have their pages mapped before
// they are written (prefault.hpp), one piece of this size at a time, so that
// a piece is still in cache from the kernel's zeroing when the fill writes it.
constexpr std::uint64_t kPrefaultPiece = std::uint64_t{1} << 20;

std::uint64_t element_bytes(DType d) {
  switch (d) {
    case DType::float16:
    case DType::bfloat16: return 2;
    case DType::float32: return 4;
    case DType::float64: return 8;
  }
  return 8;
}

struct Layout {
  std::vector<std::int64_t> shape, strides;
  std::vector<std::uint64_t> lstrides;
};

// Drops length-1 dimensions and merges neighbours that are contiguous both in
// memory and in logical index space.
Layout simplify(const StridedBlock& b) {
  Layout l;
  for (std::size_t k = 0; k < b.shape.size(); ++k) {
    if (b.shape[k] == 1) continue;
    if (!l.shape.empty()) {
      const std::size_t j = l.shape.size() - 1;
      if (l.strides[j] == b.strides[k] * b.shape[k] &&
          l.lstrides[j] == b.lstrides[k] * static_cast<std::uint64_t>(b.shape[k])) {
        l.shape[j] *= b.shape[k];
        l.strides[j] = b.strides[k];
        l.lstrides[j] = b.lstrides[k];
        continue;
      }
    }
    l.shape.push_back(b.shape[k]);
    l.strides.push_back(b.strides[k]);
    l.lstrides.push_back(b.lstrides[k]);
  }
  if (l.shape.empty()) {  // a single element
    l.shape.push_back(1);
    l.strides.push_back(0);
    l.lstrides.push_back(1);
  }
  return l;
}

// Fills block-local C-order elements [begin, end) of the simplified layout.
void fill_range(const KernelTable& kt, const Sampler& s, char* data, std::uint64_t base, const Layout& l,
                std::uint64_t begin, std::uint64_t end) {
  const std::size_t nd = l.shape.size();
  const std::size_t last = nd - 1;
  std::vector<std::int64_t> idx(nd, 0);
  std::uint64_t rem = begin;
  for (std::size_t k = nd; k-- > 0;) {
    const auto extent = static_cast<std::uint64_t>(l.shape[k]);
    idx[k] = static_cast<std::int64_t>(rem % extent);
    rem /= extent;
  }
  std::uint64_t pos = begin;
  while (pos < end) {
    char* p = data;
    std::uint64_t logical = base;
    for (std::size_t k = 0; k < nd; ++k) {
      p += idx[k] * l.strides[k];
      logical += static_cast<std::uint64_t>(idx[k]) * l.lstrides[k];
    }
    const std::uint64_t run =
        std::min<std::uint64_t>(static_cast<std::uint64_t>(l.shape[last] - idx[last]), end - pos);
    if (l.lstrides[last] == 1) {
      kt.fill_run(s, p, l.strides[last], logical, static_cast<std::size_t>(run));
    } else {  // the inner dimension is not logically contiguous: one element at a time
      for (std::uint64_t r = 0; r < run; ++r) {
        kt.fill_run(s, p + static_cast<std::int64_t>(r) * l.strides[last], 0,
                    logical + r * l.lstrides[last], 1);
      }
    }
    pos += run;
    idx[last] += static_cast<std::int64_t>(run);
    for (std::size_t k = last; k > 0 && idx[k] == l.shape[k]; --k) {
      idx[k] = 0;
      ++idx[k - 1];
    }
  }
}

}  // namespace

void fill(const SamplerSpec& spec, const StridedBlock& block) {
  if (block.shape.size() != block.strides.size() || block.shape.size() != block.lstrides.size()) {
    throw std::invalid_argument("shape, strides and logical strides must have the same length");
  }
  std::uint64_t n = 1;
  for (auto e : block.shape) {
    if (e < 0) throw std::invalid_argument("negative dimension");
    n *= static_cast<std::uint64_t>(e);
  }
  if (n == 0) return;
  const Layout l = simplify(block);
  const Sampler s = prepare_sampler(spec);
  const KernelTable& kt = active_kernels();
  char* data = static_cast<char*>(block.data);

  const std::uint64_t threads = static_cast<std::uint64_t>(get_num_threads());
  std::uint64_t chunk = std::max<std::uint64_t>(kGrain, (n + 4 * threads - 1) / (4 * threads));
  chunk = (chunk + 63) & ~std::uint64_t{63};
  const std::uint64_t n_tasks = (n + chunk - 1) / chunk;
  // A dense run of memory (what every contiguous array simplifies to) is
  // prefaulted piece by piece; any other layout is filled as it is.
  const std::uint64_t esize = element_bytes(spec.dtype);
  const bool dense = l.shape.size() == 1 && l.strides[0] == static_cast<std::int64_t>(esize);
  const std::uint64_t piece = dense && n * esize >= kPrefaultPiece ? kPrefaultPiece / esize : 0;
  auto fill_task = [&](std::uint64_t begin, std::uint64_t end) {
    if (piece == 0) return fill_range(kt, s, data, block.base, l, begin, end);
    for (std::uint64_t b = begin; b < end; b += piece) {
      const std::uint64_t e = std::min(end, b + piece);
      prefault_for_write(data + b * esize, static_cast<std::size_t>((e - b) * esize));
      fill_range(kt, s, data, block.base, l, b, e);
    }
  };
  if (n_tasks == 1) return fill_task(0, n);
  parallel_for(static_cast<std::size_t>(n_tasks), [&](std::size_t t) {
    const std::uint64_t begin = static_cast<std::uint64_t>(t) * chunk;
    fill_task(begin, std::min(n, begin + chunk));
  });
}

}  // namespace fastinit
