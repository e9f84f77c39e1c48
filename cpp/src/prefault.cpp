// prefault_for_write: see prefault.hpp.
#include "fastinit/prefault.hpp"

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14, include/uapi/asm-generic/mman-common.h
#endif
#endif

namespace fastinit {

#if defined(__linux__)
namespace {
// Cleared for good when the kernel does not know the advice (before 5.14).
std::atomic<bool> g_supported{true};
}  // namespace

void prefault_for_write(void* begin, std::size_t bytes) noexcept {
  if (bytes == 0 || !g_supported.load(std::memory_order_relaxed)) return;
  static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto first = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(begin) + bytes + page - 1) & ~(page - 1);
  const int saved_errno = errno;
  if (madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE) != 0 && errno == EINVAL) {
    g_supported.store(false, std::memory_order_relaxed);
  }
  errno = saved_errno;  // other failures (EFAULT, ENOMEM, ...) leave the writes to fault as usual
}
#else
void prefault_for_write(void*, std::size_t) noexcept {}
#endif

}  // namespace fastinit
