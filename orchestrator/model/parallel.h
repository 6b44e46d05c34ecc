#pragma once
/// Runs independent pure work on every core: the loader and the planner use it for per-file and
/// per-stage work. Small inputs stay on the calling thread.
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace gw {

/// How many workers `parallel_for` uses for n items: one per core, at most one per `grain` items.
inline size_t worker_count(size_t n, size_t grain = 64) {
  size_t cores = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  return std::clamp<size_t>(n / grain, 1, cores);
}

/// Calls fn(worker, i) for every i in [0, n); worker w takes i = w, w + workers, … so results can
/// be merged in order. fn must only touch state owned by its worker or read-only state.
template <class Fn>
void parallel_for(size_t n, size_t workers, Fn&& fn) {
  auto run = [&](size_t w) {
    for (size_t i = w; i < n; i += workers) fn(w, i);
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
}

}  // namespace gw
