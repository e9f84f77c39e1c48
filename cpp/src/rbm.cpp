// Contrastive-divergence trainer; see rbm.hpp for the algorithm.
//
// Memory layout (row-major, T = float or double):
//   vstack_: rows [0, m) the data v+, rows [m, m + c) the chain's visible
//            sample v-, row m + c the mean of v+ (sparsity term only);
//   hstack_: the matching hidden rows. After finish_hidden() they hold
//            h+ / m, -h- / c and -sparsity_cost (q - target), so that one GEMM
//            W = beta W + lr hstack^T vstack applies the whole weight gradient.
//
// Random numbers: update u uses StreamId{key, call}; phase p of the update
// (0: CD start sample of h from h+, 2j+1: visible sample of Gibbs step j,
// 2j+2: hidden sample of step j) uses Philox blocks (p << 40) + e / per_block,
// where e = row * n_cols + col is the element's index in that phase's matrix.
// float32: one 32-bit word per uniform (4 per block); float64: two words per
// uniform (2 per block). Gaussian visible units use Box-Muller pairs exactly
// like fastinit.normal (distributions.hpp) at the same indices.
//
// Speed: the Philox blocks and the sigmoid/Bernoulli loops come from the
// active KernelTable (kernels.cpp, rbm_kernels.cpp: one build per instruction
// set, all giving the same bits).
#include "fastinit/rbm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>


#include "fastinit/distributions.hpp"
#include "fastinit/kernels.hpp"
#include "fastinit/thread_pool.hpp"

namespace fastinit {
namespace {

constexpr std::int64_t kColumnChunk = 128;     // columns per elementwise task
constexpr std::int64_t kMinParallelWork = 16384;  // elements below which a phase runs serially
constexpr int kPhaseShift = 40;

// ---------------------------------------------------------------------------
// Random numbers of one phase at element indices [e0, e0 + n).

inline std::uint64_t phase_block(std::uint32_t phase, std::uint64_t b) {
  return (static_cast<std::uint64_t>(phase) << kPhaseShift) + b;
}

// Words of the blocks that hold elements [e0, e0 + n) at `per_block`
// elements per block; returns the index of element e0's first word.
constexpr std::int64_t kMaxChunkBlocks = kColumnChunk + 2;
inline std::size_t phase_words(const KernelTable& k, const StreamId& st, std::uint32_t phase, std::uint64_t e0,
                               std::int64_t n, unsigned per_block, std::uint32_t* words) {
  const std::uint64_t b0 = e0 / per_block, b1 = (e0 + static_cast<std::uint64_t>(n) - 1) / per_block;
  k.philox_stream_blocks(st, phase_block(phase, b0), static_cast<std::size_t>(b1 - b0 + 1), words);
  return static_cast<std::size_t>(e0 % per_block) * (4 / per_block);
}

// The elementwise kernels of the active instruction set (rbm_kernels.cpp).
template <class T>
const RbmElementwise<T>& elementwise(const KernelTable& k) {
  if constexpr (sizeof(T) == 4) {
    return k.rbm->f32;
  } else {
    return k.rbm->f64;
  }
}

// out[j] = Bernoulli(p[j]) for elements [e0, e0 + n) of `phase` (n <= kColumnChunk).
template <class T>
void bernoulli(const KernelTable& k, const StreamId& st, std::uint32_t phase, std::uint64_t e0, std::int64_t n,
               const T* p, T* out) {
  std::uint32_t w[4 * kMaxChunkBlocks];
  const unsigned per_block = sizeof(T) == 4 ? 4 : 2;
  const std::size_t off = phase_words(k, st, phase, e0, n, per_block, w);
  elementwise<T>(k).bernoulli(w + off, p, out, n);
}

// Standard normals: float32 block e/4 holds two Box-Muller pairs, float64
// block e/2 one pair (the layout of fastinit.normal).
void normals(const KernelTable& k, const StreamId& st, std::uint32_t phase, std::uint64_t e0, std::int64_t n, float* z) {
  std::uint32_t w[4 * kMaxChunkBlocks];
  phase_words(k, st, phase, e0, n, 4, w);
  const std::uint64_t b0 = e0 / 4;
  for (std::int64_t j = 0; j < n; ++j) {
    const std::uint64_t e = e0 + static_cast<std::uint64_t>(j);
    z[j] = normal_in_block_f32(w + 4 * (e / 4 - b0), e);
  }
}

void normals(const KernelTable& k, const StreamId& st, std::uint32_t phase, std::uint64_t e0, std::int64_t n, double* z) {
  std::uint32_t w[4 * kMaxChunkBlocks];
  phase_words(k, st, phase, e0, n, 2, w);
  const std::uint64_t b0 = e0 / 2;
  for (std::int64_t j = 0; j < n; ++j) {
    const std::uint64_t e = e0 + static_cast<std::uint64_t>(j);
    z[j] = normal_in_block_f64(w + 4 * (e / 2 - b0), e);
  }
}

// Row-major C = op(A) op(B) (+ beta C) through a column-major BLAS: the
// column-major product C^T = op(B)^T op(A)^T reads the same memory.
template <class T>
void gemm_rm(GemmFn<T> gemm, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
             const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const char ta = trans_a ? 'T' : 'N', tb = trans_b ? 'T' : 'N';
  const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
  const int LDA = static_cast<int>(lda), LDB = static_cast<int>(ldb), LDC = static_cast<int>(ldc);
  gemm(&tb, &ta, &N, &M, &K, &alpha, b, &LDB, a, &LDA, &beta, c, &LDC);
}

// The same on fastinit's pool: C's columns are cut into slices of a fixed
// width, one single-threaded BLAS call each (the caller keeps BLAS's own pool
// at one thread). The cut does not depend on the thread count, so neither do
// the bits.
constexpr std::int64_t kGemmSlice = 128;
// Rows of W^T per task of the direct (dot-product) visible product.
constexpr std::int64_t kDotRowsPerTask = 64;

template <class T>
void gemm_rm_sliced(GemmFn<T> gemm, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                    T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
                    std::int64_t ldc, int max_threads) {
  const std::int64_t n_slices = (n + kGemmSlice - 1) / kGemmSlice;
  parallel_for(
      static_cast<std::size_t>(n_slices),
      [&](std::size_t s) {
        const std::int64_t j0 = static_cast<std::int64_t>(s) * kGemmSlice, w = std::min(n, j0 + kGemmSlice) - j0;
        // Columns j0.. of op(B): rows of B when it is transposed.
        const T* bs = trans_b ? b + j0 * ldb : b + j0;
        gemm_rm<T>(gemm, trans_a, trans_b, m, w, k, alpha, a, lda, bs, ldb, beta, c + j0, ldc);
      },
      m * n * k < 32 * kMinParallelWork ? 1 : max_threads);
}

// Runs fn(c0, c1) over column chunks of [0, n_cols) on the pool; small
// phases run on the calling thread (a pool wake-up costs more than they do).
template <class Fn>
void for_column_chunks(std::int64_t n_cols, std::int64_t n_rows, int max_threads, const Fn& fn) {
  const std::int64_t n_tasks = (n_cols + kColumnChunk - 1) / kColumnChunk;
  const int threads = n_cols * n_rows < kMinParallelWork ? 1 : max_threads;
  parallel_for(
      static_cast<std::size_t>(n_tasks),
      [&](std::size_t t) {
        const std::int64_t c0 = static_cast<std::int64_t>(t) * kColumnChunk;
        fn(c0, std::min(n_cols, c0 + kColumnChunk));
      },
      threads);
}

// dst (cols x rows, row stride ldd) = src^T for a row-major src (rows x
// cols, row stride lds), in tiles.
template <class T>
void transpose(const T* src, std::int64_t rows, std::int64_t cols, std::int64_t lds, T* dst, std::int64_t ldd) {
  constexpr std::int64_t kTile = 32;
  for (std::int64_t r0 = 0; r0 < rows; r0 += kTile) {
    for (std::int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const std::int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) dst[c * ldd + r] = src[r * lds + c];
      }
    }
  }
}

// A zeroed buffer of n elements that starts on a 64-byte boundary, held by `store`.
template <class T>
T* aligned_zeros(std::vector<T>& store, std::int64_t n) {
  constexpr std::size_t kAlign = 64 / sizeof(T);
  store.assign(static_cast<std::size_t>(n) + kAlign, T(0));
  const auto address = reinterpret_cast<std::uintptr_t>(store.data());
  return store.data() + ((64 - address % 64) % 64) / sizeof(T);
}

// c = alpha a b + beta c on rows [r0, r1) of the sparse a, in column chunks of
// b's n_cols columns on the pool (each output element is computed by one task
// in a fixed order, so the bits do not depend on the thread count).
template <class T>
void sparse_product(const SparseRows<T>& a, std::int64_t r0, std::int64_t r1, const T* b, std::int64_t ldb,
                    std::int64_t n_cols, T alpha, T beta, T* c, std::int64_t ldc, int max_threads) {
  const std::int64_t nnz = a.ptr[r1] - a.ptr[r0];
  const std::int64_t n_tasks = (n_cols + kColumnChunk - 1) / kColumnChunk;
  const auto& kernel = elementwise<T>(active_kernels()).sparse_gemm;
  parallel_for(
      static_cast<std::size_t>(n_tasks),
      [&](std::size_t t) {
        const std::int64_t c0 = static_cast<std::int64_t>(t) * kColumnChunk;
        kernel(a, r0, r1, b, ldb, c0, std::min(n_cols, c0 + kColumnChunk), alpha, beta, c, ldc);
      },
      (nnz + (r1 - r0)) * n_cols < kMinParallelWork ? 1 : max_threads);
}

}  // namespace

template <class T>
RbmTrainer<T>::RbmTrainer(const RbmModel<T>& model, const RbmConfig& config, GemmFn<T> gemm,
                          std::int64_t max_rows)
    : model_(model), cfg_(config), gemm_(gemm), max_rows_(max_rows) {
  if (gemm_ == nullptr) throw std::invalid_argument("RBM trainer needs a gemm function");
  if (cfg_.k < 1) throw std::invalid_argument("k must be >= 1");
  if (cfg_.persistent && (model_.chain == nullptr || model_.chain_rows < 1)) {
    throw std::invalid_argument("persistent training needs a chain");
  }
  const std::int64_t chain_rows = cfg_.persistent ? model_.chain_rows : max_rows_;
  stack_rows_ = max_rows_ + chain_rows + 1;
  vstack_.assign(static_cast<std::size_t>(stack_rows_ * model_.n_visible), T(0));
  hstack_.assign(static_cast<std::size_t>(stack_rows_ * model_.n_hidden), T(0));
  vpre_.assign(static_cast<std::size_t>(chain_rows * model_.n_visible), T(0));
  if (!cfg_.persistent || cfg_.k > 1) hchain_.assign(static_cast<std::size_t>(chain_rows * model_.n_hidden), T(0));
  const std::int64_t nh = model_.n_hidden, nv = model_.n_visible;
  constexpr std::int64_t kLine = 64 / sizeof(T);
  ldw_ = (nh + kLine - 1) / kLine * kLine;
  const std::int64_t direct_rows = std::min(chain_rows, std::max<std::int64_t>(cfg_.max_direct_rows, 0));
  hpad_.assign(static_cast<std::size_t>(direct_rows * ldw_), T(0));
  wt_ = aligned_zeros(wt_store_, nv * ldw_);
  transpose(model_.weights, nh, nv, nv, wt_, ldw_);
  if (model_.weights_velocity != nullptr) {
    vt_ = aligned_zeros(vt_store_, nv * ldw_);
    transpose(model_.weights_velocity, nh, nv, nv, vt_, ldw_);
  }
}

template <class T>
void RbmTrainer<T>::flush() {
  const std::int64_t nh = model_.n_hidden, nv = model_.n_visible;
  transpose(wt_, nv, nh, ldw_, model_.weights, nv);
  if (vt_ != nullptr) transpose(vt_, nv, nh, ldw_, model_.weights_velocity, nv);
}

template <class T>
bool RbmTrainer<T>::compress(const T* v, std::int64_t n_rows) {
  const std::int64_t nv = model_.n_visible;
  if (cfg_.max_sparse_density < 0) return false;
  const auto budget = static_cast<std::int64_t>(cfg_.max_sparse_density * static_cast<double>(n_rows * nv));
  CompressedRows& c = csr_;
  if (c.ptr.size() < static_cast<std::size_t>(n_rows + 1)) c.ptr.resize(static_cast<std::size_t>(n_rows + 1));
  // The budget is checked after each row, so a row may add nv entries past it.
  const auto capacity = static_cast<std::size_t>(budget + nv);
  if (c.idx.size() < capacity) {
    c.idx.resize(capacity);
    c.val.resize(capacity);
  }
  const auto& compress_row = elementwise<T>(active_kernels()).compress_row;
  std::int64_t n = 0;
  c.binary = true;
  c.ptr[0] = 0;
  for (std::int64_t r = 0; r < n_rows; ++r) {
    n += compress_row(v + r * nv, nv, c.idx.data() + n, c.val.data() + n, &c.binary);
    c.ptr[static_cast<std::size_t>(r + 1)] = n;
    if (n > budget) return false;
  }
  return true;
}

template <class T>
void RbmTrainer<T>::load_rows(const RbmRows<T>& rows, std::int64_t r0, std::int64_t m) {
  const std::int64_t nv = model_.n_visible;
  T* out = vstack_.data();
  if (rows.dense != nullptr) {
    for (std::int64_t r = 0; r < m; ++r) {
      std::memcpy(out + r * nv, rows.dense + (r0 + r) * rows.ld, static_cast<std::size_t>(nv) * sizeof(T));
    }
    return;
  }
  std::fill(out, out + m * nv, T(0));
  // Scatter the CSR rows; indices are checked, so a malformed matrix raises
  // instead of writing outside the batch.
  const auto scatter = [&](const auto* indptr, const auto* indices) {
    for (std::int64_t r = 0; r < m; ++r) {
      T* dst = out + r * nv;
      const std::int64_t p0 = static_cast<std::int64_t>(indptr[r0 + r]);
      const std::int64_t p1 = static_cast<std::int64_t>(indptr[r0 + r + 1]);
      if (p0 < 0 || p1 < p0 || p1 > rows.nnz) throw std::out_of_range("malformed CSR matrix: bad indptr");
      for (std::int64_t p = p0; p < p1; ++p) {
        const std::int64_t c = static_cast<std::int64_t>(indices[p]);
        if (c < 0 || c >= nv) throw std::out_of_range("malformed CSR matrix: column index out of range");
        dst[c] += rows.csr_data[p];
      }
    }
  };
  if (rows.csr_indptr32 != nullptr) {
    scatter(rows.csr_indptr32, rows.csr_indices32);
  } else {
    scatter(rows.csr_indptr64, rows.csr_indices64);
  }
}

template <class T>
void RbmTrainer<T>::hidden_from_visible(const T* v, std::int64_t r0, std::int64_t r1, bool sparse, T* out) {
  const std::int64_t nh = model_.n_hidden, nv = model_.n_visible;
  if (sparse) {
    sparse_product<T>(csr_.view(), r0, r1, wt_, ldw_, nh, T(1), T(0), out, nh, cfg_.max_threads);
  } else {
    gemm_rm_sliced<T>(gemm_, false, false, r1 - r0, nh, nv, T(1), v + r0 * nv, nv, wt_, ldw_, T(0), out, nh,
                      cfg_.max_threads);
  }
}

template <class T>
void RbmTrainer<T>::visible_from_hidden(const T* h, std::int64_t n_rows, T* out) {
  const std::int64_t nh = model_.n_hidden, nv = model_.n_visible;
  if (n_rows > cfg_.max_direct_rows) {
    gemm_rm_sliced<T>(gemm_, false, true, n_rows, nv, nh, T(1), h, nh, wt_, ldw_, T(0), out, nv,
                      cfg_.max_threads);
    return;
  }
  // Few rows: BLAS would repack all of W^T for each call. Dot products of
  // h's rows (copied to W^T's zero-padded row length) with W^T's rows instead.
  T* hp = hpad_.data();
  for (std::int64_t r = 0; r < n_rows; ++r) std::memcpy(hp + r * ldw_, h + r * nh, static_cast<std::size_t>(nh) * sizeof(T));
  const auto& dot_rows = elementwise<T>(active_kernels()).dot_rows;
  const std::int64_t n_tasks = (nv + kDotRowsPerTask - 1) / kDotRowsPerTask;
  parallel_for(
      static_cast<std::size_t>(n_tasks),
      [&](std::size_t t) {
        const std::int64_t i0 = static_cast<std::int64_t>(t) * kDotRowsPerTask;
        dot_rows(hp, ldw_, n_rows, wt_, ldw_, i0, std::min(nv, i0 + kDotRowsPerTask), ldw_, out, nv);
      },
      n_rows * nv * nh < 32 * kMinParallelWork ? 1 : cfg_.max_threads);
}

// pre (n_rows x H) <- sigmoid(pre + b); states <- Bernoulli(pre) from `phase`.
template <class T>
void RbmTrainer<T>::sample_hidden(T* pre, std::int64_t n_rows, T* states, const StreamId& st,
                                  std::uint32_t phase) {
  const std::int64_t nh = model_.n_hidden;
  const T* b = model_.hidden_bias;
  const KernelTable& k = active_kernels();
  for_column_chunks(nh, n_rows, cfg_.max_threads, [&](std::int64_t c0, std::int64_t c1) {
    const std::int64_t w = c1 - c0;
    for (std::int64_t r = 0; r < n_rows; ++r) {
      T* x = pre + r * nh + c0;
      elementwise<T>(k).sigmoid_bias(x, b + c0, x, w);
      bernoulli(k, st, phase, static_cast<std::uint64_t>(r * nh + c0), w, x, states + r * nh + c0);
    }
  });
}

// out (n_rows x V) <- sample of v given the pre-activations h W; on the last
// Gibbs step also applies the visible-bias update and writes mean(v+).
template <class T>
void RbmTrainer<T>::sample_visible(const T* pre, std::int64_t n_rows, T* out, const StreamId& st,
                                   std::uint32_t phase, bool final_step, std::int64_t m) {
  const std::int64_t nv = model_.n_visible;
  T* a = model_.visible_bias;
  T* va = model_.visible_bias_velocity;
  const bool gaussian = cfg_.visible == VisibleUnits::gaussian;
  const T lr = static_cast<T>(cfg_.learning_rate);
  const T mom = static_cast<T>(cfg_.momentum);
  const T inv_m = T(1) / static_cast<T>(m), inv_c = T(1) / static_cast<T>(n_rows);
  T* vbar = vstack_.data() + (m + n_rows) * nv;
  const T* vpos = vstack_.data();
  const KernelTable& k = active_kernels();
  for_column_chunks(nv, n_rows + (final_step ? m : 0), cfg_.max_threads, [&](std::int64_t c0, std::int64_t c1) {
    T u[kColumnChunk];
    T neg[kColumnChunk] = {};
    const std::int64_t w = c1 - c0;
    for (std::int64_t r = 0; r < n_rows; ++r) {
      const T* x = pre + r * nv + c0;
      T* o = out + r * nv + c0;
      if (gaussian) {
        normals(k, st, phase, static_cast<std::uint64_t>(r * nv + c0), w, u);
        for (std::int64_t j = 0; j < w; ++j) o[j] = x[j] + a[c0 + j] + u[j];
      } else {
        elementwise<T>(k).sigmoid_bias(x, a + c0, o, w);
        bernoulli(k, st, phase, static_cast<std::uint64_t>(r * nv + c0), w, o, o);
      }
      if (final_step) {
        for (std::int64_t j = 0; j < w; ++j) neg[j] += o[j];
      }
    }
    if (!final_step) return;
    T pos[kColumnChunk] = {};
    for (std::int64_t r = 0; r < m; ++r) {
      const T* v = vpos + r * nv + c0;
      for (std::int64_t j = 0; j < w; ++j) pos[j] += v[j];
    }
    for (std::int64_t j = 0; j < w; ++j) {
      const T grad = pos[j] * inv_m - neg[j] * inv_c;
      if (va != nullptr) {
        va[c0 + j] = mom * va[c0 + j] + lr * grad;
        a[c0 + j] += va[c0 + j];
      } else {
        a[c0 + j] += lr * grad;
      }
      vbar[c0 + j] = pos[j] * inv_m;
    }
  });
}

// Turns hstack rows into probabilities, updates the hidden biases (and the
// sparsity estimate), samples the new persistent chain and scales the rows
// for the weight GEMM.
template <class T>
void RbmTrainer<T>::finish_hidden(std::int64_t m, std::int64_t n_chain, bool positive_done, const StreamId& st,
                                  std::uint32_t phase) {
  const std::int64_t nh = model_.n_hidden;
  T* b = model_.hidden_bias;
  T* vb = model_.hidden_bias_velocity;
  T* q = model_.hidden_activity;
  T* chain = cfg_.persistent ? model_.chain : nullptr;
  const T lr = static_cast<T>(cfg_.learning_rate);
  const T mom = static_cast<T>(cfg_.momentum);
  const T inv_m = T(1) / static_cast<T>(m), inv_c = T(1) / static_cast<T>(n_chain);
  const T damping = static_cast<T>(cfg_.sparsity_damping);
  const T target = static_cast<T>(cfg_.sparsity_target), cost = static_cast<T>(cfg_.sparsity_cost);
  T* h = hstack_.data();
  T* sparsity_row = h + (m + n_chain) * nh;
  const KernelTable& k = active_kernels();
  for_column_chunks(nh, m + n_chain, cfg_.max_threads, [&](std::int64_t c0, std::int64_t c1) {
    T pos[kColumnChunk] = {}, neg[kColumnChunk] = {};
    const std::int64_t w = c1 - c0;
    for (std::int64_t r = 0; r < m; ++r) {
      T* x = h + r * nh + c0;
      if (!positive_done) elementwise<T>(k).sigmoid_bias(x, b + c0, x, w);
      for (std::int64_t j = 0; j < w; ++j) {
        pos[j] += x[j];
        x[j] *= inv_m;
      }
    }
    for (std::int64_t r = 0; r < n_chain; ++r) {
      T* x = h + (m + r) * nh + c0;
      elementwise<T>(k).sigmoid_bias(x, b + c0, x, w);
      for (std::int64_t j = 0; j < w; ++j) neg[j] += x[j];
      if (chain != nullptr) bernoulli(k, st, phase, static_cast<std::uint64_t>(r * nh + c0), w, x, chain + r * nh + c0);
      for (std::int64_t j = 0; j < w; ++j) x[j] *= -inv_c;
    }
    for (std::int64_t j = 0; j < w; ++j) {
      T grad = pos[j] * inv_m - neg[j] * inv_c;
      if (cfg_.sparsity) {
        T& qj = q[c0 + j];
        qj = damping * qj + (T(1) - damping) * (pos[j] * inv_m);
        const T penalty = cost * (qj - target);
        grad -= penalty;
        sparsity_row[c0 + j] = -penalty;
      }
      if (vb != nullptr) {
        vb[c0 + j] = mom * vb[c0 + j] + lr * grad;
        b[c0 + j] += vb[c0 + j];
      } else {
        b[c0 + j] += lr * grad;
      }
    }
  });
}

// W^T <- W^T + lr (vstack^T hstack - weight_decay W^T), through the velocity
// when momentum is on. sparse: csr_ holds the k_rows rows of vstack.
template <class T>
void RbmTrainer<T>::update_weights(std::int64_t k_rows, bool sparse) {
  const std::int64_t nh = model_.n_hidden, nv = model_.n_visible;
  const T lr = static_cast<T>(cfg_.learning_rate);
  const T wd = static_cast<T>(cfg_.weight_decay);
  T* W = wt_;
  T* V = vt_;
  // The product lands in W (scaled by the weight decay) or in the velocity.
  T* target = V == nullptr ? W : V;
  const T beta = V == nullptr ? T(1) - lr * wd : static_cast<T>(cfg_.momentum);
  if (sparse) {
    // The columns of vstack's nonzeros (a transpose of csr_), rows ascending.
    CompressedRows& c = csc_;
    const std::int64_t nnz = csr_.ptr[static_cast<std::size_t>(k_rows)];
    c.ptr.assign(static_cast<std::size_t>(nv + 1), 0);
    if (c.idx.size() < static_cast<std::size_t>(nnz)) {
      c.idx.resize(static_cast<std::size_t>(nnz));
      c.val.resize(static_cast<std::size_t>(nnz));
    }
    for (std::int64_t p = 0; p < nnz; ++p) ++c.ptr[static_cast<std::size_t>(csr_.idx[p]) + 1];
    for (std::int64_t j = 0; j < nv; ++j) c.ptr[j + 1] += c.ptr[j];
    for (std::int64_t r = 0; r < k_rows; ++r) {  // c.ptr[j]: the next free slot of column j
      for (std::int64_t p = csr_.ptr[r]; p < csr_.ptr[r + 1]; ++p) {
        const auto q = static_cast<std::size_t>(c.ptr[static_cast<std::size_t>(csr_.idx[p])]++);
        c.idx[q] = static_cast<std::int32_t>(r);
        c.val[q] = csr_.val[p];
      }
    }
    for (std::int64_t j = nv; j > 0; --j) c.ptr[j] = c.ptr[j - 1];  // back to column starts
    c.ptr[0] = 0;
    c.binary = csr_.binary;
    sparse_product<T>(c.view(), 0, nv, hstack_.data(), nh, nh, lr, beta, target, ldw_, cfg_.max_threads);
  } else {
    gemm_rm_sliced<T>(gemm_, true, false, nv, nh, k_rows, lr, vstack_.data(), nv, hstack_.data(), nh, beta, target,
                      ldw_, cfg_.max_threads);
  }
  if (V == nullptr) return;
  const std::int64_t rows_per_task = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(ldw_, 1));
  const std::int64_t n_tasks = (nv + rows_per_task - 1) / rows_per_task;
  parallel_for(
      static_cast<std::size_t>(n_tasks),
      [&](std::size_t t) {
        const std::int64_t r0 = static_cast<std::int64_t>(t) * rows_per_task;
        const std::int64_t r1 = std::min(nv, r0 + rows_per_task);
        const T decay = lr * wd;
        for (std::int64_t i = r0 * ldw_; i < r1 * ldw_; ++i) {  // the zero padding stays zero
          V[i] -= decay * W[i];
          W[i] += V[i];
        }
      },
      nh * nv < kMinParallelWork ? 1 : cfg_.max_threads);
}

template <class T>
void RbmTrainer<T>::update(const RbmRows<T>& rows, std::int64_t row_begin, std::int64_t row_end,
                           std::uint64_t call) {
  const std::int64_t m = row_end - row_begin;
  if (m < 1 || m > max_rows_ || row_begin < 0 || row_end > rows.n_rows) {
    throw std::invalid_argument("RBM update: bad row range");
  }
  const std::int64_t nv = model_.n_visible, nh = model_.n_hidden;
  const StreamId st{cfg_.key0, cfg_.key1, call};
  const std::int64_t n_chain = cfg_.persistent ? model_.chain_rows : m;
  const auto checkpoint = [this] {
    if (cfg_.checkpoint) cfg_.checkpoint();
  };
  load_rows(rows, row_begin, m);
  checkpoint();
  T* vneg = vstack_.data() + m * nv;
  T* hneg = hstack_.data() + m * nh;
  // Hidden states the Gibbs chain starts from (and intermediate ones).
  T* hs = cfg_.persistent ? model_.chain : hchain_.data();
  bool positive_done = false;
  if (!cfg_.persistent) {  // CD: the chain starts at a sample of h given the data
    hidden_from_visible(vstack_.data(), 0, m, compress(vstack_.data(), m), hstack_.data());
    sample_hidden(hstack_.data(), m, hs, st, 0);
    positive_done = true;
  }
  for (int j = 0; j < cfg_.k; ++j) {
    const bool last = j == cfg_.k - 1;
    visible_from_hidden(hs, n_chain, vpre_.data());
    sample_visible(vpre_.data(), n_chain, vneg, st, static_cast<std::uint32_t>(2 * j + 1), last, m);
    if (!last) {
      hidden_from_visible(vneg, 0, n_chain, compress(vneg, n_chain), hneg);
      // Intermediate hidden states never overwrite the persistent chain
      // before the step is complete: they go to scratch.
      sample_hidden(hneg, n_chain, hchain_.data(), st, static_cast<std::uint32_t>(2 * j + 2));
      hs = hchain_.data();
    }
    checkpoint();
  }
  // The stack [v+; v-; mean v+] is final: one compression serves the hidden
  // product and the weight gradient.
  const std::int64_t k_rows = m + n_chain + (cfg_.sparsity ? 1 : 0);
  const bool sparse = compress(vstack_.data(), k_rows);
  checkpoint();
  if (positive_done) {
    hidden_from_visible(vstack_.data(), m, m + n_chain, sparse, hneg);
  } else {
    hidden_from_visible(vstack_.data(), 0, m + n_chain, sparse, hstack_.data());  // h+ and h- in one product
  }
  checkpoint();  // the last one: from here on the update changes the model
  finish_hidden(m, n_chain, positive_done, st, static_cast<std::uint32_t>(2 * cfg_.k));
  update_weights(k_rows, sparse);
}

template class RbmTrainer<float>;
template class RbmTrainer<double>;

}  // namespace fastinit
