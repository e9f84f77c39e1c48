// Persistent std::thread pool; see thread_pool.hpp.
#include "fastinit/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
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
  void run(std::size_t n, const std::function<void(std::size_t)>& fn, int helpers) {
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      n_tasks_ = n;
      next_.store(0, std::memory_order_relaxed);
      wanted_ = helpers;
      busy_.store(helpers, std::memory_order_relaxed);
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_work_.notify_all();
    drain();
    spin_until([this] { return busy_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lk(m_);
    cv_done_.wait(lk, [this] { return busy_.load(std::memory_order_relaxed) == 0; });
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
      drain();
      {
        std::lock_guard<std::mutex> lk(m_);
        if (busy_.fetch_sub(1, std::memory_order_release) == 1) cv_done_.notify_one();
      }
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
  std::atomic<int> busy_{0};  // written under m_, polled without it
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
