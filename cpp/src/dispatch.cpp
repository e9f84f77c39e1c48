// Chooses the kernel table for this CPU once, at first use.
//
// Tables, best first: avx512 (the 256-bit kernels compiled with AVX-512
// F/VL/DQ/BW), avx2 (AVX2 + FMA + F16C), generic (baseline ISA). All of them
// compute the same bits. FASTINIT_ISA is parsed once, in Python
// (python/fastinit/_runtime.py), which calls select_kernels().
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastinit/kernels.hpp"

namespace fastinit {
namespace {

std::atomic<const KernelTable*> g_active{nullptr};

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define FI_CPU_HAS(feature) (__builtin_cpu_init(), __builtin_cpu_supports(feature) != 0)
#else
#define FI_CPU_HAS(feature) false
#endif

bool cpu_has_avx2() { return FI_CPU_HAS("avx2") && FI_CPU_HAS("fma") && FI_CPU_HAS("f16c"); }

bool cpu_has_avx512() {
  return cpu_has_avx2() && FI_CPU_HAS("avx512f") && FI_CPU_HAS("avx512vl") && FI_CPU_HAS("avx512dq") &&
         FI_CPU_HAS("avx512bw");
}

struct IsaEntry {
  const char* name;
  bool (*cpu_has)();
  const KernelTable& (*table)();
  const char* requirement;
};

bool always() { return true; }

// Best first.
const IsaEntry kIsas[] = {
#if FI_HAVE_X86_KERNELS
    {"avx512", cpu_has_avx512, avx512::kernel_table, "AVX-512 F/VL/DQ/BW with AVX2, FMA and F16C"},
    {"avx2", cpu_has_avx2, avx2::kernel_table, "AVX2, FMA and F16C"},
#endif
    {"generic", always, generic::kernel_table, ""},
};

const KernelTable& best_table_for_cpu() {
  for (const IsaEntry& e : kIsas) {
    if (e.cpu_has()) return e.table();
  }
  return generic::kernel_table();
}

}  // namespace

std::vector<std::string> available_isas() {
  std::vector<std::string> out;
  for (const IsaEntry& e : kIsas) {
    if (e.cpu_has()) out.emplace_back(e.name);
  }
  return out;
}

const char* cpu_feature_string() {
  static const std::string s = [] {
    std::string out;
    const char* names[] = {"sse2", "sse4.2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512vl", "avx512dq",
                           "avx512bw"};
    const bool flags[] = {FI_CPU_HAS("sse2"),     FI_CPU_HAS("sse4.2"),   FI_CPU_HAS("avx"),
                          FI_CPU_HAS("avx2"),     FI_CPU_HAS("fma"),      FI_CPU_HAS("f16c"),
                          FI_CPU_HAS("avx512f"),  FI_CPU_HAS("avx512vl"), FI_CPU_HAS("avx512dq"),
                          FI_CPU_HAS("avx512bw")};
    for (std::size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); ++k) {
      if (!flags[k]) continue;
      if (!out.empty()) out += ' ';
      out += names[k];
    }
    return out;
  }();
  return s.c_str();
}

void select_kernels(const char* name) {
  std::string valid = "'auto'";
  for (const IsaEntry& e : kIsas) {
    valid += std::string(", '") + e.name + "'";
    if (std::strcmp(name, e.name) != 0) continue;
    if (!e.cpu_has()) {
      throw std::runtime_error(std::string("FASTINIT_ISA=") + name + ", but this CPU lacks " + e.requirement);
    }
    g_active.store(&e.table());
    return;
  }
  throw std::invalid_argument("FASTINIT_ISA must be one of " + valid + "; got '" + name + "'");
}

const KernelTable& active_kernels() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (t == nullptr) {
    const KernelTable* chosen = &best_table_for_cpu();
    const KernelTable* expected = nullptr;
    g_active.compare_exchange_strong(expected, chosen);
    t = g_active.load(std::memory_order_acquire);
  }
  return *t;
}

}  // namespace fastinit
