// Chooses the kernel table for this CPU once, at first use.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastinit/kernels.hpp"

namespace fastinit {
namespace {

std::atomic<const KernelTable*> g_active{nullptr};

bool compiled_with_avx2() { return FI_HAVE_AVX2_TARGET != 0; }

const KernelTable& table_from_env_or_cpu() {
  const char* env = std::getenv("FASTINIT_ISA");
  if (env != nullptr && *env != '\0' && std::strcmp(env, "auto") != 0) {
    select_kernels(env);
    return *g_active.load();
  }
#if FI_HAVE_AVX2_TARGET
  if (cpu_supports_avx2()) return avx2::kernel_table();
#endif
  return generic::kernel_table();
}

}  // namespace

bool cpu_supports_avx2() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

const char* cpu_feature_string() {
  static const std::string s = [] {
    std::string out;
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    const char* names[] = {"sse2", "sse4.2", "avx", "avx2", "fma", "f16c", "avx512f"};
    bool flags[] = {
        __builtin_cpu_supports("sse2") != 0,   __builtin_cpu_supports("sse4.2") != 0,
        __builtin_cpu_supports("avx") != 0,    __builtin_cpu_supports("avx2") != 0,
        __builtin_cpu_supports("fma") != 0,    __builtin_cpu_supports("f16c") != 0,
        __builtin_cpu_supports("avx512f") != 0};
    for (std::size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); ++k) {
      if (!flags[k]) continue;
      if (!out.empty()) out += ' ';
      out += names[k];
    }
#endif
    return out;
  }();
  return s.c_str();
}

void select_kernels(const char* name) {
  if (std::strcmp(name, "generic") == 0) {
    g_active.store(&generic::kernel_table());
    return;
  }
  if (std::strcmp(name, "avx2") == 0) {
    if (!compiled_with_avx2()) {
      throw std::runtime_error("FASTINIT_ISA=avx2, but this build of fastinit has no AVX2 kernels "
                               "(not an x86-64 build)");
    }
    if (!cpu_supports_avx2()) {
      throw std::runtime_error("FASTINIT_ISA=avx2, but this CPU lacks AVX2, FMA or F16C");
    }
#if FI_HAVE_AVX2_TARGET
    g_active.store(&avx2::kernel_table());
#endif
    return;
  }
  throw std::invalid_argument(std::string("FASTINIT_ISA must be one of 'auto', 'generic', 'avx2'; got '") +
                              name + "'");
}

const KernelTable& active_kernels() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (t == nullptr) {
    const KernelTable* chosen = &table_from_env_or_cpu();
    const KernelTable* expected = nullptr;
    g_active.compare_exchange_strong(expected, chosen);
    t = g_active.load(std::memory_order_acquire);
  }
  return *t;
}

}  // namespace fastinit
