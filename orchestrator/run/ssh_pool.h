#pragma once
/// One ssh connection per host per run, shared by every step and gate that uses the host: a
/// timed mutex per host hands it to one user at a time (libssh2 sessions are not thread-safe).
/// A connection found dead is dropped; the next lease opens a new one.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "run/ssh_session.h"

namespace gw {

class SshPool {
 public:
  /// A host's connection and the mutex that guards it.
  struct Slot {
    std::timed_mutex mu;
    std::unique_ptr<SshSession> session;
  };

  /// Exclusive use of a host's connection until the lease is destroyed.
  class Lease {
   public:
    Lease(Slot* slot, std::unique_lock<std::timed_mutex> lock, bool fresh)
        : slot_(slot), lock_(std::move(lock)), fresh_(fresh) {}
    SshSession* session() const { return slot_->session.get(); }
    /// True when the connection was opened for this lease (not reused from an earlier one).
    bool fresh() const { return fresh_; }
    /// Drops the connection (after an error, a timeout or an interruption): its remote commands
    /// see their channel close, and the next lease reconnects.
    void discard() { slot_->session.reset(); }

   private:
    Slot* slot_;
    std::unique_lock<std::timed_mutex> lock_;
    bool fresh_;
  };

  SshPool(const Inventory& inv, SshOptions opt) : inv_(inv), opt_(opt) {}

  /// Waits (until `deadline`, or an interruption) for the host's connection, opening it when
  /// there is none. Errors name the host.
  Result<Lease> acquire(const std::string& host, SshSession::Clock::time_point deadline,
                        const Interrupt& interrupt);

 private:
  const Inventory& inv_;
  SshOptions opt_;
  std::mutex slots_mu_;
  std::map<std::string, std::unique_ptr<Slot>> slots_;
};

}  // namespace gw
