// Contrastive-divergence training of restricted Boltzmann machines.
//
// One call of RbmTrainer::update() performs one minibatch step of CD-k or
// PCD-k (persistent chain) on binary hidden units and Bernoulli or unit-
// variance Gaussian visible units:
//
//   positive phase   h+ = sigmoid(b + W v+)                 (probabilities)
//   negative phase   k block-Gibbs steps from the chain, v- sampled,
//                    h- = sigmoid(b + W v-)                 (probabilities)
//   gradient         dW = <h+ v+^T>_data - <h- v-^T>_chain (each averaged over its rows)
//   update           Delta <- momentum Delta + lr (grad - weight_decay W); W += Delta
//                    (biases alike, without weight decay), optional sparsity
//                    penalty sparsity_cost (q - target) on b and W.
//
// Dense matrix products go through a Fortran BLAS ?gemm function pointer
// handed in by the caller (SciPy's cython_blas): fastinit's thread pool cuts
// the output into fixed column slices and makes one call per slice, so the
// caller keeps BLAS's own pool at one thread (two pools that spin-wait in turn
// on the same cores slow each other down). Products with visible rows that
// are mostly zeros (binary data such as MNIST, and the Bernoulli chain's
// samples) skip the zeros instead: the rows are compressed and multiplied by
// fastinit's own sparse kernel on the pool, as are the elementwise phases
// (sigmoid, sampling, bias updates, statistics). The trainer keeps the weights transposed, (visible,
// hidden), so that both sparse products read and write contiguous rows; flush()
// writes them back into the caller's (hidden, visible) arrays. Every random number comes from the Philox stream
// (key, call = the update's call number) at a counter fixed by the phase and
// the element's index, so the result does not depend on the thread count or
// on how the work is scheduled.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "fastinit/kernels.hpp"
#include "fastinit/stream.hpp"

namespace fastinit {

// Fortran-ABI ?gemm (column-major), as exported by scipy.linalg.cython_blas.
template <class T>
using GemmFn = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                        const T* alpha, const T* a, const int* lda, const T* b, const int* ldb,
                        const T* beta, T* c, const int* ldc);

enum class VisibleUnits : int { bernoulli = 0, gaussian = 1 };

struct RbmConfig {
  VisibleUnits visible = VisibleUnits::bernoulli;
  double learning_rate = 0.1;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool sparsity = false;
  double sparsity_target = 0.0;
  double sparsity_cost = 0.0;
  double sparsity_damping = 0.9;  // q <- damping q + (1 - damping) mean(h+)
  int k = 1;                      // Gibbs steps per update
  bool persistent = true;         // PCD (chain kept across updates) or CD (chain starts at the data)
  int max_threads = 0;            // 0: fastinit's default
  // Visible rows go through the sparse product when at most this fraction of
  // their entries is nonzero (1: always, below 0: never).
  double max_sparse_density = 0.3;
  // Products of at most this many dense hidden rows with the weights use
  // fastinit's dot-product kernel instead of BLAS (0: always BLAS).
  std::int64_t max_direct_rows = 0;
  std::uint32_t key0 = 0, key1 = 0;
  // Called on the calling thread between the phases of an update that come
  // before the model is changed (loading, Gibbs steps, the hidden product);
  // it may throw to abandon the update, which then leaves the model as it
  // was. The Python binding checks for Ctrl-C there.
  std::function<void()> checkpoint;
};

// The model, as views of C-contiguous arrays owned by the caller.
template <class T>
struct RbmModel {
  std::int64_t n_hidden = 0, n_visible = 0;
  T* weights = nullptr;         // (n_hidden, n_visible)
  T* hidden_bias = nullptr;     // (n_hidden,)
  T* visible_bias = nullptr;    // (n_visible,)
  T* chain = nullptr;           // (chain_rows, n_hidden) persistent hidden states (PCD only)
  std::int64_t chain_rows = 0;
  T* weights_velocity = nullptr;        // momentum buffers, used when momentum > 0
  T* hidden_bias_velocity = nullptr;
  T* visible_bias_velocity = nullptr;
  T* hidden_activity = nullptr;         // running mean of h+ per unit (sparsity only)
};

// Training rows: dense row-major (n_rows, n_visible), or CSR with 32- or
// 64-bit indices (exactly one of the index pointer pairs is set).
template <class T>
struct RbmRows {
  std::int64_t n_rows = 0;
  const T* dense = nullptr;
  std::int64_t ld = 0;  // dense row stride in elements
  const T* csr_data = nullptr;
  std::int64_t nnz = 0;  // length of csr_data and of the index array
  const std::int32_t* csr_indices32 = nullptr;
  const std::int32_t* csr_indptr32 = nullptr;
  const std::int64_t* csr_indices64 = nullptr;
  const std::int64_t* csr_indptr64 = nullptr;
};

template <class T>
class RbmTrainer {
 public:
  // `max_rows`: the largest number of data rows one update will get.
  RbmTrainer(const RbmModel<T>& model, const RbmConfig& config, GemmFn<T> gemm, std::int64_t max_rows);

  // One minibatch update on data rows [row_begin, row_end) using the random
  // stream call `call` (each update must get its own call number).
  void update(const RbmRows<T>& rows, std::int64_t row_begin, std::int64_t row_end, std::uint64_t call);

  // Writes the weights (and their velocity) into the caller's arrays. The
  // biases and the chain are always written in place.
  void flush();

 private:
  // Rows in compressed form, owned.
  struct CompressedRows {
    std::vector<std::int64_t> ptr;
    std::vector<std::int32_t> idx;
    std::vector<T> val;
    bool binary = true;
    SparseRows<T> view() const { return {ptr.data(), idx.data(), val.data(), binary}; }
  };

  void load_rows(const RbmRows<T>& rows, std::int64_t r0, std::int64_t m);
  // Compresses v's n_rows rows into csr_ when few enough of their entries are
  // nonzero for the sparse product to be the faster one; else returns false.
  bool compress(const T* v, std::int64_t n_rows);
  // out = v W^T (pre-activations) for rows [r0, r1) of v; sparse: csr_ holds v's rows.
  void hidden_from_visible(const T* v, std::int64_t r0, std::int64_t r1, bool sparse, T* out);
  void visible_from_hidden(const T* h, std::int64_t n_rows, T* out);  // out = h W
  void sample_hidden(T* pre, std::int64_t n_rows, T* states, const StreamId& st, std::uint32_t phase);
  void sample_visible(const T* pre, std::int64_t n_rows, T* out, const StreamId& st, std::uint32_t phase,
                      bool final_step, std::int64_t m);
  void finish_hidden(std::int64_t m, std::int64_t n_chain, bool positive_done, const StreamId& st,
                     std::uint32_t phase);
  void update_weights(std::int64_t k_rows, bool sparse);

  RbmModel<T> model_;
  RbmConfig cfg_;
  GemmFn<T> gemm_;
  std::int64_t max_rows_;
  std::int64_t stack_rows_;
  std::vector<T> vstack_;   // [v+ (m rows); v- (chain rows); mean v+ (1 row)] x n_visible
  std::vector<T> hstack_;   // [h+ ; h- ; sparsity row] x n_hidden
  std::vector<T> vpre_;     // chain rows x n_visible: pre-activations of v given h
  std::vector<T> hchain_;   // chain rows x n_hidden: CD chain / intermediate hidden states
  std::vector<T> hpad_;     // chain rows x ldw_: hidden rows zero-padded for the direct product
  // The weights and their velocity (momentum only), transposed: n_visible
  // rows of n_hidden values, rows ldw_ apart and 64-byte aligned (the sparse
  // product's loads then never straddle cache lines).
  std::int64_t ldw_ = 0;
  std::vector<T> wt_store_, vt_store_;
  T* wt_ = nullptr;
  T* vt_ = nullptr;
  CompressedRows csr_;      // the visible rows of the current product
  CompressedRows csc_;      // the stack's columns (the weight gradient's sparse factor)
};

extern template class RbmTrainer<float>;
extern template class RbmTrainer<double>;

}  // namespace fastinit
