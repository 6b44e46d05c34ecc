#include "run/ssh_pool.h"

namespace gw {

Result<SshPool::Lease> SshPool::acquire(const std::string& host,
                                        SshSession::Clock::time_point deadline,
                                        const Interrupt& interrupt) {
  Slot* slot = nullptr;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    auto& s = slots_[host];
    if (!s) s = std::make_unique<Slot>();
    slot = s.get();
  }
  std::unique_lock<std::timed_mutex> lock(slot->mu, std::defer_lock);
  while (!lock.try_lock_for(std::chrono::milliseconds(100))) {
    if (interrupt.stopping()) return Error{"interrupted"};
    if (SshSession::Clock::now() >= deadline)
      return Error{"host '" + host + "': timed out waiting for its connection (in use)"};
  }
  bool fresh = false;
  if (!slot->session) {
    SshOptions opt = opt_;
    auto left = std::chrono::duration_cast<Millis>(deadline - SshSession::Clock::now());
    if (left < opt.connect_timeout) opt.connect_timeout = std::max(left, Millis(1));
    auto s = SshSession::open(inv_, host, opt, interrupt);
    if (!s) return s.error();
    slot->session = std::move(*s);
    fresh = true;
  }
  return Lease(slot, std::move(lock), fresh);
}

}  // namespace gw
