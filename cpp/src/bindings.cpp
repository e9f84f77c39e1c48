// The only file that knows about Python: converts and checks arrays, releases
// the GIL and calls the C++ kernels. Argument validation with user-facing
// messages lives in python/fastinit; the checks here are the last line of
// defence that keeps a wrong call from touching memory it must not.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastinit/fill.hpp"
#include "fastinit/kernels.hpp"
#include "fastinit/rbm.hpp"
#include "fastinit/thread_pool.hpp"

namespace py = pybind11;
using namespace fastinit;

namespace {

constexpr std::size_t kAlignment = 64;

std::size_t itemsize_of(DType d) { return d == DType::float64 ? 8 : (d == DType::float32 ? 4 : 2); }

DType dtype_from_code(int code) {
  if (code < 0 || code > 3) throw py::value_error("dtype code must be 0 (float16), 1 (bfloat16), 2 (float32) or 3 (float64)");
  return static_cast<DType>(code);
}

Distribution distribution_from_code(int code) {
  if (code < 0 || code > 3) throw py::value_error("distribution code must be 0..3");
  return static_cast<Distribution>(code);
}

// A new uninitialized C-contiguous array of `dtype`, allocated here (64-byte
// aligned) and owned by a capsule: NumPy never copies it.
// Checked unsigned 64-bit arithmetic (portable: no compiler builtins).
bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t limit, std::uint64_t& out) {
  if (a != 0 && b > limit / a) return false;
  out = a * b;
  return true;
}

// The size is checked before anything is allocated: every product of
// dimensions (and the byte count) must fit in a signed 64-bit integer, as
// NumPy requires; a larger request is a ValueError, one the system cannot
// serve is a MemoryError (std::bad_alloc).
py::array empty_array(const std::vector<std::int64_t>& shape, const py::dtype& dtype) {
  const std::size_t itemsize = static_cast<std::size_t>(dtype.itemsize());
  bool zero = false;
  for (auto e : shape) {
    if (e < 0) throw py::value_error("negative dimensions are not allowed");
    zero = zero || e == 0;
  }
  std::uint64_t total = itemsize;
  for (auto e : shape) {  // zero dimensions count as 1, as in NumPy's own check
    if (!checked_mul(total, static_cast<std::uint64_t>(std::max<std::int64_t>(e, 1)),
                     static_cast<std::uint64_t>(PY_SSIZE_T_MAX), total)) {
      throw py::value_error("array is too big: its size in bytes does not fit in a signed 64-bit integer");
    }
  }
  const std::size_t bytes = zero ? 1 : static_cast<std::size_t>(total);
  void* ptr = nullptr;
  try {
    ptr = ::operator new(bytes, std::align_val_t{kAlignment});
  } catch (const std::bad_alloc&) {
    PyErr_Format(PyExc_MemoryError, "cannot allocate %zu bytes for a new array", bytes);
    throw py::error_already_set();
  }
  py::capsule owner(ptr, [](void* p) { ::operator delete(p, std::align_val_t{kAlignment}); });
  std::vector<py::ssize_t> pshape(shape.begin(), shape.end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = static_cast<py::ssize_t>(itemsize);
  for (std::size_t k = shape.size(); k-- > 0;) {
    strides[k] = stride;
    stride *= static_cast<py::ssize_t>(shape[k]);
  }
  return py::array(dtype, pshape, strides, ptr, owner);
}

// Fills `out` in place. `lstrides`/`base` give each element's logical index
// (row-major strides of the full tensor and the block's starting index); an
// empty `lstrides` means the array is the whole tensor (C-order strides of its
// own shape), which spares small calls building the list in Python.
void fill_array(py::array out, int dist, int dtype_code, std::uint32_t key0, std::uint32_t key1,
                std::uint64_t call, double p0, double p1, double p2, double p3,
                const std::vector<std::uint64_t>& lstrides, std::uint64_t base) {
  const DType dtype = dtype_from_code(dtype_code);
  if (!out.writeable()) throw py::value_error("output array is read-only");
  if (static_cast<std::size_t>(out.itemsize()) != itemsize_of(dtype)) {
    throw py::type_error("output array itemsize does not match the dtype code");
  }
  const py::ssize_t nd = out.ndim();
  if (!lstrides.empty() && static_cast<std::size_t>(nd) != lstrides.size()) {
    throw py::value_error("lstrides must have one entry per dimension");
  }
  if (call > kMaxCall) throw py::value_error("generator call counter exhausted (2**56 calls)");
  SamplerSpec spec;
  spec.dist = distribution_from_code(dist);
  spec.dtype = dtype;
  spec.stream = StreamId{key0, key1, call};
  spec.p0 = p0;
  spec.p1 = p1;
  spec.p2 = p2;
  spec.p3 = p3;
  StridedBlock block;
  block.data = out.mutable_data();
  block.shape.assign(out.shape(), out.shape() + nd);
  block.strides.assign(out.strides(), out.strides() + nd);
  if (lstrides.empty()) {
    block.lstrides.resize(static_cast<std::size_t>(nd));
    std::uint64_t ls = 1;
    for (py::ssize_t k = nd; k-- > 0;) {
      block.lstrides[static_cast<std::size_t>(k)] = ls;
      ls *= static_cast<std::uint64_t>(out.shape(k));
    }
  } else {
    block.lstrides = lstrides;
  }
  block.base = base;
  // Every element's logical index base + sum_k j_k lstrides[k] must stay below
  // 2**63 (the Python layer's limit): a wrapped index would give a block
  // different values in C and F order, and the kernels compute the end of a
  // run as index + length.
  std::uint64_t last = base;
  for (py::ssize_t k = 0; k < nd; ++k) {
    if (block.shape[static_cast<std::size_t>(k)] == 0) return;  // nothing to fill
  }
  for (py::ssize_t k = 0; k < nd; ++k) {
    const auto extent = static_cast<std::uint64_t>(block.shape[static_cast<std::size_t>(k)]) - 1;
    std::uint64_t span = 0;
    if (!checked_mul(extent, block.lstrides[static_cast<std::size_t>(k)], UINT64_MAX, span) ||
        span > UINT64_MAX - last) {
      throw py::value_error("logical indices of the block reach 2**63 (full_shape is too large)");
    }
    last += span;
  }
  if (last >= (std::uint64_t{1} << 63)) {
    throw py::value_error("logical indices of the block reach 2**63 (full_shape is too large)");
  }
  py::gil_scoped_release nogil;
  fill(spec, block);
}

py::array_t<std::uint32_t> philox4x32(py::array_t<std::uint32_t, py::array::c_style> counters,
                                      py::array_t<std::uint32_t, py::array::c_style> key) {
  if (counters.ndim() != 2 || counters.shape(1) != 4) throw py::value_error("counters must have shape (n, 4)");
  if (key.ndim() != 1 || key.shape(0) != 2) throw py::value_error("key must have shape (2,)");
  const std::size_t n = static_cast<std::size_t>(counters.shape(0));
  py::array_t<std::uint32_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(4)});
  const std::uint32_t* c = counters.data();
  std::uint32_t* o = out.mutable_data();
  const std::uint32_t k0 = key.data()[0], k1 = key.data()[1];
  {
    py::gil_scoped_release nogil;
    active_kernels().philox_blocks(c, n, k0, k1, o);
  }
  return out;
}

}  // namespace

// ===== RBM trainer bindings (cpp/src/rbm.cpp; Python side: python/fastinit/rbm.py) =====
namespace {

template <class T>
T* rbm_array(const py::object& obj, std::initializer_list<py::ssize_t> shape, const char* name, bool optional,
             bool writable = true) {
  if (obj.is_none()) {
    if (optional) return nullptr;
    throw py::value_error(std::string(name) + " must be an array, got None");
  }
  if (!py::isinstance<py::array>(obj)) throw py::type_error(std::string(name) + " must be a NumPy array");
  py::array a = obj.cast<py::array>();
  if (!a.dtype().equal(py::dtype::of<T>())) throw py::type_error(std::string(name) + " has the wrong dtype");
  if (!(a.flags() & py::array::c_style)) throw py::value_error(std::string(name) + " must be C-contiguous");
  if (writable && !a.writeable()) throw py::value_error(std::string(name) + " must be writeable");
  if (static_cast<std::size_t>(a.ndim()) != shape.size()) throw py::value_error(std::string(name) + " has the wrong shape");
  std::size_t d = 0;
  for (py::ssize_t s : shape) {
    if (s >= 0 && a.shape(static_cast<py::ssize_t>(d)) != s) throw py::value_error(std::string(name) + " has the wrong shape");
    ++d;
  }
  return static_cast<T*>(const_cast<void*>(a.data()));
}

// SciPy's cython_blas capsules are named by their C signature: accept only
// ?gemm's (13 pointer arguments: char, char, int, int, int, then alpha, a, lda,
// b, ldb, beta, c, ldc with alpha, a, b, beta and c of the element type T),
// so a wrong capsule raises instead of being called with the wrong arguments.
template <class T>
GemmFn<T> rbm_gemm(const py::capsule& cap) {
  const char* name = PyCapsule_GetName(cap.ptr());
  if (name == nullptr && PyErr_Occurred()) throw py::error_already_set();
  const std::string sig = name == nullptr ? std::string() : std::string(name);
  const std::string t = sizeof(T) == 4 ? "cython_blas_s *" : "cython_blas_d *";
  std::size_t n_t = 0;
  for (std::size_t pos = sig.find(t); pos != std::string::npos; pos = sig.find(t, pos + 1)) ++n_t;
  std::size_t n_args = sig.empty() ? 0 : 1;
  for (char ch : sig) n_args += ch == ',' ? 1 : 0;
  if (sig.rfind("void (char *, char *, int *, int *, int *, ", 0) != 0 || n_t != 5 || n_args != 13) {
    throw py::type_error(std::string("gemm must be scipy.linalg.cython_blas's ") + (sizeof(T) == 4 ? "sgemm" : "dgemm") +
                         " capsule for these weights");
  }
  void* p = PyCapsule_GetPointer(cap.ptr(), name);
  if (p == nullptr) throw py::error_already_set();
  return reinterpret_cast<GemmFn<T>>(p);
}

// Trains on the rows of X in minibatches of `batch_size` (one epoch), update
// u using random call first_call + u. The GIL is released while batches run
// and re-taken about every 0.1 s to let Ctrl-C raise KeyboardInterrupt and to
// report progress; the model is consistent between batches. progress[0]
// always holds the number of finished updates.
template <class T>
std::int64_t rbm_train_typed(const py::dict& model_arg, const py::object& X, const py::object& csr_indices,
                             const py::object& csr_indptr, std::int64_t batch_size, std::uint64_t first_call,
                             py::array_t<std::int64_t> progress, const py::capsule& gemm, const RbmConfig& cfg,
                             const py::object& callback) {
  // A private copy of the dict holds a reference to every model array for the
  // whole call: the callback (or another thread while the GIL is released)
  // may change the caller's dict, which must not free memory still written.
  const py::dict model = py::reinterpret_steal<py::dict>(PyDict_Copy(model_arg.ptr()));
  if (!model) throw py::error_already_set();
  RbmModel<T> mdl;
  py::array W = model["weights"].cast<py::array>();
  if (W.ndim() != 2) throw py::value_error("weights must be 2-D");
  mdl.n_hidden = W.shape(0);
  mdl.n_visible = W.shape(1);
  const py::ssize_t nh = mdl.n_hidden, nv = mdl.n_visible;
  mdl.weights = rbm_array<T>(W, {nh, nv}, "weights", false);
  mdl.hidden_bias = rbm_array<T>(model["hidden_bias"], {nh}, "hidden_bias", false);
  mdl.visible_bias = rbm_array<T>(model["visible_bias"], {nv}, "visible_bias", false);
  mdl.chain = rbm_array<T>(model["chain"], {-1, nh}, "chain", !cfg.persistent);
  mdl.chain_rows = mdl.chain ? model["chain"].cast<py::array>().shape(0) : 0;
  const bool momentum = cfg.momentum != 0.0;
  mdl.weights_velocity = rbm_array<T>(model["weights_velocity"], {nh, nv}, "weights_velocity", !momentum);
  mdl.hidden_bias_velocity = rbm_array<T>(model["hidden_bias_velocity"], {nh}, "hidden_bias_velocity", !momentum);
  mdl.visible_bias_velocity = rbm_array<T>(model["visible_bias_velocity"], {nv}, "visible_bias_velocity", !momentum);
  if (!momentum) mdl.weights_velocity = mdl.hidden_bias_velocity = mdl.visible_bias_velocity = nullptr;
  mdl.hidden_activity = rbm_array<T>(model["hidden_activity"], {nh}, "hidden_activity", !cfg.sparsity);

  RbmRows<T> rows;
  if (csr_indices.is_none()) {
    py::array x = X.cast<py::array>();
    rows.dense = rbm_array<T>(X, {-1, nv}, "X", false, false);
    rows.n_rows = x.shape(0);
    rows.ld = nv;
  } else {
    py::array data = X.cast<py::array>(), ind = csr_indices.cast<py::array>(), ptr = csr_indptr.cast<py::array>();
    if (data.ndim() != 1 || ind.ndim() != 1 || ptr.ndim() != 1 || ptr.shape(0) < 1 || ind.shape(0) != data.shape(0)) {
      throw py::value_error("CSR arrays have inconsistent shapes");
    }
    rows.csr_data = rbm_array<T>(data, {-1}, "X.data", false, false);
    rows.n_rows = ptr.shape(0) - 1;
    rows.nnz = data.shape(0);
    if (ind.dtype().equal(py::dtype::of<std::int32_t>()) && ptr.dtype().equal(py::dtype::of<std::int32_t>())) {
      rows.csr_indices32 = rbm_array<std::int32_t>(ind, {-1}, "X.indices", false, false);
      rows.csr_indptr32 = rbm_array<std::int32_t>(ptr, {-1}, "X.indptr", false, false);
    } else {
      rows.csr_indices64 = rbm_array<std::int64_t>(ind, {-1}, "X.indices", false, false);
      rows.csr_indptr64 = rbm_array<std::int64_t>(ptr, {-1}, "X.indptr", false, false);
    }
  }
  if (batch_size < 1) throw py::value_error("batch_size must be >= 1");
  if (nh > INT32_MAX / 4 || nv > INT32_MAX / 4 || batch_size > INT32_MAX / 4) {
    throw py::value_error("RBM dimensions exceed the 32-bit BLAS interface");
  }
  const std::int64_t n_rows = rows.n_rows;
  const std::int64_t n_batches = n_rows == 0 ? 0 : (n_rows + batch_size - 1) / batch_size;
  if (first_call + static_cast<std::uint64_t>(n_batches) > kMaxCall) throw py::value_error("random call counter exhausted");
  auto prog = progress.mutable_unchecked<1>();
  if (prog.shape(0) < 1) throw py::value_error("progress must have one element");
  // Ctrl-C is also checked inside a long minibatch, between the phases that
  // come before its update changes the model (trainer.update then throws and
  // leaves the model as it was): about every 0.1 s, taking the GIL briefly.
  auto last_check = std::chrono::steady_clock::now();
  RbmConfig config = cfg;
  config.checkpoint = [&last_check] {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check < std::chrono::milliseconds(100)) return;
    last_check = now;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
  RbmTrainer<T> trainer(mdl, config, rbm_gemm<T>(gemm),
                        std::min<std::int64_t>(batch_size, std::max<std::int64_t>(n_rows, 1)));
  std::int64_t done = 0;
  prog(0) = 0;
  while (done < n_batches) {
    {
      py::gil_scoped_release nogil;
      const auto t0 = std::chrono::steady_clock::now();
      last_check = t0;
      try {
        do {
          const std::int64_t r0 = done * batch_size;
          trainer.update(rows, r0, std::min(n_rows, r0 + batch_size), first_call + static_cast<std::uint64_t>(done));
          prog(0) = ++done;
        } while (done < n_batches && std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100));
      } catch (...) {
        trainer.flush();  // the caller's weights hold the updates that were done
        throw;
      }
      trainer.flush();  // before Python (a callback, Ctrl-C) can see the weights
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!callback.is_none()) callback(done, n_batches);
  }
  return done;
}

void bind_rbm(py::module_& m) {
  m.def(
      "rbm_train",
      [](const py::dict& model, const py::object& X, const py::object& csr_indices, const py::object& csr_indptr,
         std::int64_t batch_size, std::uint64_t first_call, py::array_t<std::int64_t> progress,
         const py::capsule& gemm, int visible, double learning_rate, double momentum, double weight_decay,
         const py::object& sparsity_target, double sparsity_cost, double sparsity_damping, int k,
         bool persistent, int max_threads, std::uint32_t key0, std::uint32_t key1, const py::object& callback,
         double max_sparse_density, std::int64_t max_direct_rows) {
        RbmConfig cfg;
        if (visible != 0 && visible != 1) throw py::value_error("visible must be 0 (bernoulli) or 1 (gaussian)");
        if (k < 1) throw py::value_error("k must be >= 1");
        cfg.visible = static_cast<VisibleUnits>(visible);
        cfg.learning_rate = learning_rate;
        cfg.momentum = momentum;
        cfg.weight_decay = weight_decay;
        cfg.sparsity = !sparsity_target.is_none();
        cfg.sparsity_target = cfg.sparsity ? sparsity_target.cast<double>() : 0.0;
        cfg.sparsity_cost = sparsity_cost;
        cfg.sparsity_damping = sparsity_damping;
        cfg.k = k;
        cfg.persistent = persistent;
        cfg.max_threads = max_threads;
        cfg.key0 = key0;
        cfg.key1 = key1;
        cfg.max_sparse_density = max_sparse_density;
        cfg.max_direct_rows = max_direct_rows;
        py::array w = model["weights"].cast<py::array>();
        if (w.dtype().equal(py::dtype::of<float>())) {
          return rbm_train_typed<float>(model, X, csr_indices, csr_indptr, batch_size, first_call, progress, gemm, cfg,
                                        callback);
        }
        if (w.dtype().equal(py::dtype::of<double>())) {
          return rbm_train_typed<double>(model, X, csr_indices, csr_indptr, batch_size, first_call, progress, gemm,
                                         cfg, callback);
        }
        throw py::type_error("RBM weights must be float32 or float64");
      },
      py::arg("model"), py::arg("X"), py::arg("csr_indices"), py::arg("csr_indptr"), py::arg("batch_size"),
      py::arg("first_call"), py::arg("progress").noconvert(), py::arg("gemm"), py::arg("visible"), py::arg("learning_rate"),
      py::arg("momentum"), py::arg("weight_decay"), py::arg("sparsity_target"), py::arg("sparsity_cost"),
      py::arg("sparsity_damping"), py::arg("k"), py::arg("persistent"), py::arg("max_threads"), py::arg("key0"),
      py::arg("key1"), py::arg("callback"), py::arg("max_sparse_density"),
      py::arg("max_direct_rows"));
}

}  // namespace
// ===== end RBM trainer bindings =====

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastinit C++ core (kernels, thread pool); use the fastinit package, not this module.";
  m.attr("__version__") = FASTINIT_VERSION;

  m.def("empty", &empty_array, py::arg("shape"), py::arg("dtype"));
  m.def("fill", &fill_array, py::arg("out"), py::arg("dist"), py::arg("dtype_code"), py::arg("key0"),
        py::arg("key1"), py::arg("call"), py::arg("p0"), py::arg("p1"), py::arg("p2"), py::arg("p3"),
        py::arg("lstrides"), py::arg("base"));
  m.def("philox4x32", &philox4x32, py::arg("counters").noconvert(), py::arg("key").noconvert());

  m.def("isa", [] { return std::string(active_kernels().name); });
  m.def("select_isa", [](const std::string& name) { select_kernels(name.c_str()); }, py::arg("name"));
  m.def("cpu_features", [] { return std::string(cpu_feature_string()); });
  m.def("available_isas", &available_isas);
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("default_num_threads", &default_num_threads);

  bind_rbm(m);  // RBM trainer (see the marked section above)
}
