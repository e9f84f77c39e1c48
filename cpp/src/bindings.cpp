// The only file that knows about Python: converts and checks arrays, releases
// the GIL and calls the C++ kernels. Argument validation with user-facing
// messages lives in python/fastinit; the checks here are the last line of
// defence that keeps a wrong call from touching memory it must not.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastinit/fill.hpp"
#include "fastinit/kernels.hpp"
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
py::array empty_array(const std::vector<std::int64_t>& shape, const py::dtype& dtype) {
  std::size_t n = 1;
  for (auto e : shape) {
    if (e < 0) throw py::value_error("negative dimensions are not allowed");
    n *= static_cast<std::size_t>(e);
  }
  const std::size_t itemsize = static_cast<std::size_t>(dtype.itemsize());
  const std::size_t bytes = std::max<std::size_t>(n * itemsize, 1);
  void* ptr = ::operator new(bytes, std::align_val_t{kAlignment});
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
  m.def("cpu_supports_avx2", &cpu_supports_avx2);
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("default_num_threads", &default_num_threads);
}
