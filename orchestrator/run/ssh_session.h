#pragma once
/// One ssh connection over libssh2 (SPEC §4): a non-blocking TCP connect with a timeout (or a
/// direct-tcpip channel through a proxyJump host, as `ssh -J` does), the handshake, the host key
/// checked against knownHosts, and authentication by identity file or ssh-agent. Every libssh2
/// call runs in non-blocking mode and waits on the socket with poll, so nothing blocks forever.
#include <libssh2.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/duration.h"
#include "model/project.h"
#include "model/result.h"
#include "run/interrupt.h"

namespace gw {

/// "SHA256:" + the unpadded base64 of the SHA-256 of a public key blob: what `ssh-keygen -l`
/// prints.
std::string ssh_fingerprint(std::string_view key_blob);
/// Standard base64 with `=` padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding optional); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
/// The name a known_hosts line gives a host: "addr" on port 22, else "[addr]:port".
std::string known_hosts_name(const std::string& address, int port);

/// How far opening a session got (doctor reports each).
enum class SshPhase { Connect, Handshake, HostKey, Auth, Ready };

/// Whether an unknown host key may be written to knownHosts under `accept-new` (doctor: never).
enum class RecordKeys { Yes, No };

struct SshOptions {
  Millis connect_timeout{15000};  // connect, handshake and authentication together
  const std::map<std::string, std::string>* secrets = nullptr;  // for identity passphrases
  RecordKeys record_keys = RecordKeys::Yes;
};

/// libssh2's return for "interrupted while waiting" (not a libssh2 code).
inline constexpr int kSshInterrupted = -10000;

class SshTunnel;

/// An open, authenticated ssh connection. Not thread-safe: one user at a time (SshPool).
class SshSession {
 public:
  using Clock = std::chrono::steady_clock;

  /// Opens a connection to `inv.hosts[host]`, through its proxyJump chain. `reached` (may be
  /// null) tells how far it got. Errors name the host and what failed, and show both
  /// fingerprints when a host key does not match.
  static Result<std::unique_ptr<SshSession>> open(const Inventory& inv, const std::string& host,
                                                  const SshOptions& opt, const Interrupt& interrupt,
                                                  SshPhase* reached = nullptr);
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  LIBSSH2_SESSION* get() const { return session_; }
  /// The socket libssh2 talks over (one end of a socketpair behind a proxyJump).
  int fd() const { return fd_; }
  const Host& host() const { return host_; }
  /// "host 'nas' (admin@10.0.0.5:22)": how messages name it.
  std::string label() const;
  /// libssh2's last error message for this session.
  std::string last_error() const;
  /// The server's host key fingerprint (ssh_fingerprint), once the handshake is done.
  const std::string& fingerprint() const { return fingerprint_; }

  /// Waits up to `slice` for the socket in the directions libssh2 is blocked on.
  void wait(Millis slice) const;
  /// Repeats `op` while it returns LIBSSH2_ERROR_EAGAIN, waiting on the socket between tries.
  /// Returns its result, LIBSSH2_ERROR_TIMEOUT at `deadline`, or kSshInterrupted.
  template <class Op>
  int call(Op op, Clock::time_point deadline, const Interrupt& interrupt) const {
    for (;;) {
      int rc = op();
      if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
      if (interrupt.stopping()) return kSshInterrupted;
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) return LIBSSH2_ERROR_TIMEOUT;
      wait(std::min(left, Millis(100)));
    }
  }
  /// Same for calls that return a pointer (null with last errno EAGAIN means "again").
  template <class T, class Op>
  T* call_ptr(Op op, Clock::time_point deadline, const Interrupt& interrupt, int* rc) const {
    for (;;) {
      T* p = op();
      if (p) return *rc = 0, p;
      *rc = libssh2_session_last_errno(session_);
      if (*rc != LIBSSH2_ERROR_EAGAIN) return nullptr;
      if (interrupt.stopping()) return *rc = kSshInterrupted, nullptr;
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) return *rc = LIBSSH2_ERROR_TIMEOUT, nullptr;
      wait(std::min(left, Millis(100)));
    }
  }

  /// Sends a keepalive when one is due; false when the connection is broken.
  bool keepalive();

 private:
  SshSession(Host host, int fd);
  Status handshake(const Inventory& inv, const SshOptions& opt, const Interrupt& interrupt,
                   Clock::time_point deadline, SshPhase* reached);
  /// Asks the server for a host key of a type knownHosts has for this host, when it has one.
  void prefer_known_key_types();
  Status check_host_key(const SshOptions& opt);
  Status authenticate(const SshOptions& opt, Clock::time_point deadline,
                      const Interrupt& interrupt);

  Host host_;
  int fd_ = -1;
  LIBSSH2_SESSION* session_ = nullptr;
  std::string fingerprint_;
  std::unique_ptr<SshTunnel> tunnel_;  // proxyJump: the jump connection and its pump thread
};

}  // namespace gw
