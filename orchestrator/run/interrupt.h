#pragma once
/// The run-wide interruption state: SIGINT/SIGTERM/SIGHUP raise it; everything that waits polls it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "model/duration.h"

namespace gw {

/// What an interruption asks of running work.
enum class StopLevel { None = 0, Terminate = 1, Kill = 2 };

class Interrupt {
 public:
  StopLevel level() const { return static_cast<StopLevel>(level_.load()); }
  bool stopping() const { return level() != StopLevel::None; }
  /// Raises the level (never lowers it) and wakes every waiter.
  void raise(StopLevel l);
  /// Sleeps up to `d`; returns false early when an interruption arrives.
  bool sleep_for(Millis d) const;

 private:
  std::atomic<int> level_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

/// Installs SIGINT/SIGTERM/SIGHUP handling for the process: the first signal raises Terminate, the
/// second Kill. SIGHUP is left alone when it was ignored at start (nohup). Signals are blocked in
/// every thread and taken by a dedicated thread. Children get a clean signal mask (see
/// process_runner.cc). Call once, before starting threads.
void install_signal_handling(Interrupt& interrupt);

}  // namespace gw
