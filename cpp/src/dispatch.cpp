// Chooses the kernel table for this CPU once, at first use.
//
// Tables, best first: avx512 (512-bit uniform and normal float32/16 kernels,
// the other 256-bit kernels compiled with AVX-512 F/VL/DQ/BW), avx2 (AVX2 + FMA + F16C), generic (baseline ISA). All of them
// compute the same bits. FASTINIT_ISA is parsed once, in Python
// (python/fastinit/_runtime.py), which calls select_kernels().
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastinit/kernels.hpp"

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>
#elif defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace fastinit {
namespace {

std::atomic<const KernelTable*> g_active{nullptr};

// CPU features straight from CPUID and XGETBV, the same on GCC, Clang and
// MSVC (whose compiler has no __builtin_cpu_supports) and independent of the
// compiler runtime (zig's does not fill __builtin_cpu_supports' table). A
// vector extension counts only when the OS saves its registers (XCR0).
struct CpuFeatures {
  bool sse2 = false, sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512vl = false, avx512dq = false, avx512bw = false;
};

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
#if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(v[i]);
#else
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
#endif
}

std::uint64_t xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  if (max_leaf < 1) return f;
  cpuid(1, 0, r);
  const unsigned ecx1 = r[2], edx1 = r[3];
  auto bit = [](unsigned word, int b) { return ((word >> b) & 1u) != 0; };
  f.sse2 = bit(edx1, 26);
  f.sse42 = bit(ecx1, 20);
  const bool osxsave = bit(ecx1, 27);
  const std::uint64_t xcr = osxsave ? xcr0() : 0;
  const bool os_ymm = (xcr & 0x6) == 0x6;     // XMM and YMM state
  const bool os_zmm = (xcr & 0xE6) == 0xE6;   // plus opmask, ZMM0-15 upper halves, ZMM16-31
  f.avx = os_ymm && bit(ecx1, 28);
  f.fma = f.avx && bit(ecx1, 12);
  f.f16c = f.avx && bit(ecx1, 29);
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    const unsigned ebx7 = r[1];
    f.avx2 = f.avx && bit(ebx7, 5);
    const bool zmm = f.avx && os_zmm;
    f.avx512f = zmm && bit(ebx7, 16);
    f.avx512dq = zmm && bit(ebx7, 17);
    f.avx512bw = zmm && bit(ebx7, 30);
    f.avx512vl = zmm && bit(ebx7, 31);
  }
  return f;
}
#else
CpuFeatures detect_cpu_features() { return CpuFeatures{}; }
#endif

const CpuFeatures& cpu() {
  static const CpuFeatures features = detect_cpu_features();
  return features;
}

bool cpu_has_avx2() { return cpu().avx2 && cpu().fma && cpu().f16c; }

bool cpu_has_avx512() {
  return cpu_has_avx2() && cpu().avx512f && cpu().avx512vl && cpu().avx512dq && cpu().avx512bw;
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
    const CpuFeatures& c = cpu();
    const bool flags[] = {c.sse2,    c.sse42,    c.avx,      c.avx2,     c.fma,
                          c.f16c,    c.avx512f,  c.avx512vl, c.avx512dq, c.avx512bw};
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
