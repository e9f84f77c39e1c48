// Mapping the pages of an output range before the kernels write it.
//
// A tensor that was just allocated (torch.empty, np.empty, to_empty) is
// usually not backed by memory yet: each first write to one of its 4 KiB
// pages traps into the kernel, which maps and zeroes a page. For a fresh
// 6 GB model that is 1.5 million traps, as much time as drawing the values.
// One madvise(MADV_POPULATE_WRITE) call maps a whole range at once (Linux
// 5.14 and later); the fill then writes the pages while the kernel's zeroing
// still has them in cache. It never changes the bytes of the range: pages
// already mapped are left as they are, so it is safe for any writable memory.
#pragma once
#include <cstddef>

namespace fastinit {

// Maps every page overlapping [begin, begin + bytes) for writing, if the
// operating system can do so in one call; otherwise does nothing. Never
// fails: it is only a faster way to take the page faults the writes would.
void prefault_for_write(void* begin, std::size_t bytes) noexcept;

}  // namespace fastinit
