#include "run/interrupt.h"

#include <signal.h>

#include <thread>

namespace gw {

void Interrupt::raise(StopLevel l) {
  int want = static_cast<int>(l);
  int cur = level_.load();
  while (cur < want && !level_.compare_exchange_weak(cur, want)) {
  }
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

bool Interrupt::sleep_for(Millis d) const {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping(); });
}

void install_signal_handling(Interrupt& interrupt) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // SIGHUP (terminal or ssh session gone) is an interrupt too — unless groundwork was started
  // with it ignored (nohup): then it stays ignored, as asked.
  struct sigaction hup {};
  if (::sigaction(SIGHUP, nullptr, &hup) != 0 || hup.sa_handler != SIG_IGN) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, &interrupt] {
    int count = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      interrupt.raise(++count == 1 ? StopLevel::Terminate : StopLevel::Kill);
    }
  }).detach();
}

}  // namespace gw
