#include "run/tool_limits.h"

#include <chrono>

namespace gw {

ToolLimits::Slot::~Slot() {
  if (owner_) owner_->release(tool_);
}

std::optional<ToolLimits::Slot> ToolLimits::acquire(const std::string& tool,
                                                    const Interrupt& interrupt) {
  std::unique_lock<std::mutex> l(mu_);
  auto limit = limits_.find(tool);
  if (limit == limits_.end()) return std::optional<Slot>(std::in_place);
  auto free = [&] { return used_[tool] < limit->second; };
  if (free()) {
    ++used_[tool];
    return std::optional<Slot>(std::in_place, this, tool);
  }
  Lender* lender = lender_;
  if (lender) {
    l.unlock();
    lender->lend();
    l.lock();
  }
  // Polled: an interruption raises no condition of ours.
  while (!free() && !interrupt.stopping()) cv_.wait_for(l, std::chrono::milliseconds(50));
  bool got = free() && !interrupt.stopping();
  if (got) ++used_[tool];
  l.unlock();
  std::optional<Slot> slot;
  if (got) slot.emplace(this, tool);  // released even if taking the job slot back throws
  if (lender) lender->take_back();    // may wait for a job slot; the tool's place is held
  return slot;
}

void ToolLimits::release(const std::string& tool) {
  {
    std::lock_guard<std::mutex> l(mu_);
    --used_[tool];
  }
  cv_.notify_all();
}

int ToolLimits::in_use(const std::string& tool) {
  std::lock_guard<std::mutex> l(mu_);
  return used_[tool];
}

}  // namespace gw
