#pragma once
/// Per-tool concurrency limits (inventory `spec.limits`, SPEC §3): at most N commands of a tool at
/// once across the run. A step waiting for its tool lends its job slot to the scheduler meanwhile
/// (Lender), so that a limit holds back that tool's steps without blocking the others.
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "run/interrupt.h"

namespace gw {

class ToolLimits {
 public:
  /// Gives a job slot away while a step waits, and takes one back before it runs (executor).
  class Lender {
   public:
    virtual ~Lender() = default;
    virtual void lend() = 0;
    /// Blocks until a job slot is free again and takes it.
    virtual void take_back() = 0;
  };

  /// `limits`: tool name -> at most this many at once (positive; checked when loading).
  explicit ToolLimits(std::map<std::string, int> limits) : limits_(std::move(limits)) {}

  /// One held place of a tool; released when it goes.
  class Slot {
   public:
    Slot() = default;
    Slot(ToolLimits* owner, std::string tool) : owner_(owner), tool_(std::move(tool)) {}
    Slot(Slot&& o) noexcept : owner_(o.owner_), tool_(std::move(o.tool_)) { o.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    ToolLimits* owner_ = nullptr;
    std::string tool_;
  };

  /// Waits for a place of `tool` (an empty Slot at once for a tool without a limit). While it
  /// waits, the job slot goes to the lender set by the executor, if any. nullopt, holding
  /// nothing, when interrupted meanwhile.
  std::optional<Slot> acquire(const std::string& tool, const Interrupt& interrupt);

  /// The executor of the run sets itself here (null after the run).
  void set_lender(Lender* lender) {
    std::lock_guard<std::mutex> l(mu_);
    lender_ = lender;
  }
  /// How many commands of `tool` hold a place now (tests).
  int in_use(const std::string& tool);

 private:
  void release(const std::string& tool);
  std::map<std::string, int> limits_;
  std::map<std::string, int> used_;
  Lender* lender_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace gw
