// Persistent std::thread pool; see thread_pool.hpp.
#include "fastinit/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#define FI_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define FI_CPU_RELAX() asm volatile("yield")
#else
#define FI_CPU_RELAX() ((void)0)
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <unistd.h>
#define FI_HAVE_FORK 1
#endif

namespace fastinit {
namespace {

// How long a thread that has just finished its part polls for the next one
// before it sleeps on the condition variable. Back-to-back parallel phases
// (the RBM trainer runs several per minibatch, tens of microseconds each)
// then skip the futex wake-up, which costs about as much as a phase.
constexpr std::chrono::microseconds kSpin{100};

// Polls `ready` for up to kSpin; returns its last value.
template <class Ready>
bool spin_until(const Ready& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (ready()) return true;
      FI_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
  }
}

class Pool {
 public:
  explicit Pool(int n_workers) {
    threads_.reserve(static_cast<std::size_t>(n_workers));
    try {
      for (int w = 0; w < n_workers; ++w) threads_.emplace_back([this, w] { worker(w); });
    } catch (...) {  // e.g. the OS refuses more threads: stop the ones started, then report
      stop_workers();
      throw;
    }
  }

  ~Pool() { stop_workers(); }

  int n_workers() const { return static_cast<int>(threads_.size()); }

  // Runs tasks [0, n) on the caller plus up to `helpers` workers.
  //
  // The caller never waits for a worker that has not started: on a loaded
  // machine a woken worker may not get a core for milliseconds, and the
  // caller then drains every task itself. A worker joins the run only
  // through `state_` (the run's generation, a "closed" bit and the number of
  // workers inside drain()); once the caller has drained the tasks it closes
  // the run and waits only for the workers already inside, which are
  // finishing a task they claimed. Which thread runs a task never changes the
  // values it writes.
  void run(std::size_t n, const std::function<void(std::size_t)>& fn, int helpers) {
    std::uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      n_tasks_ = n;
      next_.store(0, std::memory_order_relaxed);
      wanted_ = helpers;
      error_ = nullptr;
      gen = generation_.load(std::memory_order_relaxed) + 1;
      state_.store(gen << kGenShift, std::memory_order_seq_cst);
      generation_.store(gen, std::memory_order_release);
    }
    cv_work_.notify_all();
    drain();
    // Close the run: no worker joins after this.
    std::uint64_t s = state_.fetch_or(kClosed, std::memory_order_seq_cst) | kClosed;
    if ((s & kActiveMask) != 0) {
      spin_until([this] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
      std::unique_lock<std::mutex> lk(m_);
      cv_done_.wait(lk, [this] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
    }
    std::lock_guard<std::mutex> lk(m_);
    fn_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_work_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void drain() {
    for (;;) {
      const std::size_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) return;
      try {
        (*fn_)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
        next_.store(n_tasks_, std::memory_order_relaxed);  // skip the remaining tasks
      }
    }
  }

  // Enters run `gen` unless it is closed or over; true if entered.
  bool enter(std::uint64_t gen) {
    std::uint64_t s = state_.load(std::memory_order_seq_cst);
    for (;;) {
      if ((s >> kGenShift) != (gen & kGenMask) || (s & kClosed) != 0) return false;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst)) return true;
    }
  }

  void leave() {
    const std::uint64_t before = state_.fetch_sub(1, std::memory_order_acq_rel);
    if ((before & kActiveMask) == 1 && (before & kClosed) != 0) {
      std::lock_guard<std::mutex> lk(m_);  // the caller may be about to wait
      cv_done_.notify_one();
    }
  }

  void worker(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_work_.wait(lk, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        if (index >= wanted_) continue;
      }
      if (!enter(seen)) continue;  // the caller already finished this run
      drain();
      leave();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable cv_work_, cv_done_;
  bool stop_ = false;
  std::atomic<std::uint64_t> generation_{0};  // written under m_, polled without it
  const std::function<void(std::size_t)>* fn_ = nullptr;
  std::size_t n_tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  int wanted_ = 0;
  // state_ = generation << kGenShift | kClosed (set by the caller when it is
  // done) | the number of workers inside the run's drain().
  static constexpr int kGenShift = 32;
  static constexpr std::uint64_t kClosed = std::uint64_t{1} << 31;
  static constexpr std::uint64_t kActiveMask = kClosed - 1;
  static constexpr std::uint64_t kGenMask = (std::uint64_t{1} << 32) - 1;  // the generation wraps
  std::atomic<std::uint64_t> state_{0};
  std::exception_ptr error_;
};

// One pool per process. `g_lock` serializes submissions (and pool resizing);
// it is re-created in a fork()ed child, which also abandons the parent's pool
// (its threads do not exist in the child) and builds a new one on first use.
alignas(std::mutex) unsigned char g_lock_storage[sizeof(std::mutex)];
std::mutex* g_lock = new (g_lock_storage) std::mutex();
Pool* g_pool = nullptr;
std::atomic<int> g_num_threads{0};
thread_local bool t_inside_task = false;

#ifdef FI_HAVE_FORK
void after_fork_in_child() {
  g_lock = new (g_lock_storage) std::mutex();
  g_pool = nullptr;  // leaked on purpose: its worker threads are gone
}
const bool g_atfork_registered = [] {
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  return true;
}();
#endif

}  // namespace

int default_num_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n <= 0) {
    n = default_num_threads();
    g_num_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  g_num_threads.store(n < 1 ? 1 : n, std::memory_order_relaxed);
}

void parallel_for(std::size_t n_tasks, const std::function<void(std::size_t)>& fn, int max_threads) {
  if (n_tasks == 0) return;
  // Read the thread count once: the pool size below must match the helpers
  // asked for, or run() waits forever for workers that do not exist
  // (set_num_threads may be called from another thread at any time).
  const int pool_threads = get_num_threads();
  int threads = pool_threads;
  if (max_threads > 0) threads = std::min(threads, max_threads);
  threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), n_tasks));
  if (threads <= 1 || t_inside_task) {
    for (std::size_t t = 0; t < n_tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> lk(*g_lock);
  const int want_workers = pool_threads - 1;
  if (g_pool == nullptr || g_pool->n_workers() != want_workers) {
    delete g_pool;
    g_pool = nullptr;
    try {
      g_pool = new Pool(want_workers);
    } catch (const std::system_error&) {
      // The OS would not start that many threads: run on the calling thread
      // (same values, the split never changes them) and try again next call.
      for (std::size_t t = 0; t < n_tasks; ++t) fn(t);
      return;
    }
  }
  struct Flag {
    Flag() { t_inside_task = true; }
    ~Flag() { t_inside_task = false; }
  };
  const std::function<void(std::size_t)> wrapped = [&fn](std::size_t t) {
    Flag f;
    fn(t);
  };
  g_pool->run(n_tasks, wrapped, threads - 1);
}

}  // namespace fastinit
