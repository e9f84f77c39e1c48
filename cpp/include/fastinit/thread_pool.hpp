// A small persistent std::thread pool (no OpenMP: OpenMP runtimes clash with
// PyTorch's and scikit-learn's copies and hang in fork()ed children).
//
// parallel_for(n_tasks, fn) runs fn(task) for task in [0, n_tasks) on up to
// num_threads() threads, the calling thread included, and returns when all
// tasks are done. Results must not depend on which thread runs which task.
// After fork() the child transparently builds a fresh pool.
#pragma once
#include <cstddef>
#include <functional>

namespace fastinit {

int default_num_threads();          // CPUs usable by this process
int get_num_threads();
void set_num_threads(int n);        // n >= 1

void parallel_for(std::size_t n_tasks, const std::function<void(std::size_t)>& fn, int max_threads = 0);

}  // namespace fastinit
