#include "run/ssh_session.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "run/unique_fd.h"

namespace gw {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// libssh2_init once per process (libssh2.h: "must be called before any other libssh2 function"
/// when several threads use libssh2).
void init_libssh2() {
  static std::once_flag once;
  std::call_once(once, [] { libssh2_init(0); });
}

/// A non-blocking TCP connection to address:port, waiting at most until `deadline`.
Result<int> tcp_connect(const Host& h, Clock::time_point deadline, const Interrupt& interrupt) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(h.port);
  if (int rc = ::getaddrinfo(h.address.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Error{"cannot resolve '" + h.address + "': " + gai_strerror(rc)};
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  std::string why = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    UniqueFd fd(
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd.release();
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    for (;;) {
      if (interrupt.stopping()) return Error{"interrupted"};
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) return Error{"connection timed out"};
      pollfd p{fd.get(), POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
      if (n > 0) break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return fd.release();
    why = std::strerror(err);
  }
  return Error{why};
}

int known_host_key_type(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
      return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
      return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
      return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
      return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
      return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
  }
}

/// Owns a LIBSSH2_KNOWNHOSTS collection.
struct KnownHosts {
  explicit KnownHosts(LIBSSH2_SESSION* s) : kh(libssh2_knownhost_init(s)) {}
  ~KnownHosts() {
    if (kh) libssh2_knownhost_free(kh);
  }
  KnownHosts(const KnownHosts&) = delete;
  KnownHosts& operator=(const KnownHosts&) = delete;
  LIBSSH2_KNOWNHOSTS* kh;
};

/// Serializes additions to known_hosts files within this process.
std::mutex& known_hosts_mutex() {
  static std::mutex mu;
  return mu;
}

/// The host key algorithms for a known_hosts key type, best first.
std::vector<std::string> algorithms_for(int keytype) {
  switch (keytype) {
    case LIBSSH2_KNOWNHOST_KEY_ED25519:
      return {"ssh-ed25519"};
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_256:
      return {"ecdsa-sha2-nistp256"};
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_384:
      return {"ecdsa-sha2-nistp384"};
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_521:
      return {"ecdsa-sha2-nistp521"};
    case LIBSSH2_KNOWNHOST_KEY_SSHRSA:
      return {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"};
    default:
      return {};
  }
}

/// OpenSSH's client order (ssh_config HostKeyAlgorithms, without certificates); libssh2's own
/// starts with ECDSA, so a known_hosts written by ssh (ed25519 first) would look "unknown".
constexpr const char* kHostKeyOrder[] = {"ssh-ed25519",
                                         "ecdsa-sha2-nistp256",
                                         "ecdsa-sha2-nistp384",
                                         "ecdsa-sha2-nistp521",
                                         "rsa-sha2-512",
                                         "rsa-sha2-256",
                                         "ssh-rsa"};

std::string default_known_hosts() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.ssh/known_hosts";
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (!p || c == '\0') return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string ssh_fingerprint(std::string_view blob) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(blob.data()), blob.size(), d.data());
  std::string b64 =
      base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

std::string known_hosts_name(const std::string& address, int port) {
  return port == 22 ? address : "[" + address + "]:" + std::to_string(port);
}

/// The proxyJump path: a direct-tcpip channel on the jump host's connection, pumped to one end
/// of a socketpair by a thread; the target's session runs on the other end as on a socket.
class SshTunnel {
 public:
  SshTunnel(std::unique_ptr<SshSession> jump, LIBSSH2_CHANNEL* channel, int local)
      : jump_(std::move(jump)), channel_(channel), local_(local) {
    thread_ = std::thread([this] { pump(); });
  }
  ~SshTunnel() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    libssh2_channel_free(channel_);  // non-blocking: frees locally even when the close is pending
    ::close(local_);
  }
  SshTunnel(const SshTunnel&) = delete;
  SshTunnel& operator=(const SshTunnel&) = delete;

 private:
  /// Moves bytes both ways until stopped, either side closes, or an error. Never throws.
  void pump() noexcept {
    std::array<char, 32768> buf{};
    std::string up, down;  // local -> channel, channel -> local
    bool local_open = true;
    while (!stop_) {
      bool moved = false;
      if (up.empty() && local_open) {
        ssize_t n = ::read(local_, buf.data(), buf.size());
        if (n > 0) up.assign(buf.data(), static_cast<size_t>(n)), moved = true;
        if (n == 0) local_open = false;
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      }
      if (!up.empty()) {
        ssize_t rc = libssh2_channel_write(channel_, up.data(), up.size());
        if (rc > 0) up.erase(0, static_cast<size_t>(rc)), moved = true;
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN) break;
      }
      if (!local_open && up.empty()) break;
      if (down.empty()) {
        ssize_t rc = libssh2_channel_read(channel_, buf.data(), buf.size());
        if (rc > 0) down.assign(buf.data(), static_cast<size_t>(rc)), moved = true;
        if (rc == 0 && libssh2_channel_eof(channel_)) break;
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN) break;
      }
      if (!down.empty()) {
        // MSG_NOSIGNAL: the target session may have closed its end; no SIGPIPE for the process.
        ssize_t n = ::send(local_, down.data(), down.size(), MSG_NOSIGNAL);
        if (n > 0) down.erase(0, static_cast<size_t>(n)), moved = true;
        if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      }
      if (moved) continue;
      std::array<pollfd, 2> p{};
      p[0].fd = local_;
      p[0].events = static_cast<short>((up.empty() && local_open ? POLLIN : 0) |
                                       (down.empty() ? 0 : POLLOUT));
      p[1].fd = jump_->fd();
      p[1].events = POLLIN;
      int dir = libssh2_session_block_directions(jump_->get());
      if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p[1].events |= POLLOUT;
      ::poll(p.data(), p.size(), 50);
    }
    ::shutdown(local_, SHUT_RDWR);  // the target session sees the connection end
  }

  std::unique_ptr<SshSession> jump_;
  LIBSSH2_CHANNEL* channel_;
  int local_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

SshSession::SshSession(Host host, int fd) : host_(std::move(host)), fd_(fd) {}

SshSession::~SshSession() {
  if (session_) {
    // The socket is non-blocking: both calls may answer "again", and libssh2_session_free frees
    // nothing then. Repeated for up to 2 s (a dead peer answers at once), whatever interrupts.
    Interrupt none;
    auto deadline = Clock::now() + Millis(2000);
    call([&] { return libssh2_session_disconnect(session_, "groundwork done"); }, deadline, none);
    call([&] { return libssh2_session_free(session_); }, deadline, none);
  }
  if (fd_ >= 0) ::close(fd_);
  tunnel_.reset();
}

std::string SshSession::label() const {
  return "host '" + host_.name + "' (" + host_.user + "@" + host_.address + ":" +
         std::to_string(host_.port) + ")";
}

std::string SshSession::last_error() const {
  if (!session_) return "no session";
  char* msg = nullptr;
  int len = 0;
  libssh2_session_last_error(session_, &msg, &len, 0);
  return msg && len > 0 ? std::string(msg, static_cast<size_t>(len)) : "unknown error";
}

void SshSession::wait(Millis slice) const {
  pollfd p{fd_, 0, 0};
  int dir = session_ ? libssh2_session_block_directions(session_) : 0;
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  if (p.events == 0) p.events = POLLIN;
  ::poll(&p, 1, static_cast<int>(slice.count()));
}

bool SshSession::keepalive() {
  int next = 0;
  int rc = libssh2_keepalive_send(session_, &next);
  return rc == 0 || rc == LIBSSH2_ERROR_EAGAIN;
}

Result<std::unique_ptr<SshSession>> SshSession::open(const Inventory& inv, const std::string& name,
                                                     const SshOptions& opt,
                                                     const Interrupt& interrupt,
                                                     SshPhase* reached) {
  init_libssh2();
  SshPhase local_phase = SshPhase::Connect;
  if (!reached) reached = &local_phase;
  *reached = SshPhase::Connect;
  auto it = inv.hosts.find(name);
  if (it == inv.hosts.end()) return Error{"unknown host '" + name + "'"};
  const Host& h = it->second;
  std::string where =
      "host '" + name + "' (" + h.user + "@" + h.address + ":" + std::to_string(h.port) + ")";
  auto deadline = Clock::now() + opt.connect_timeout;
  std::unique_ptr<SshTunnel> tunnel;
  int fd = -1;
  if (!h.proxy_jump.empty()) {
    SshPhase jump_phase = SshPhase::Connect;
    auto jump = open(inv, h.proxy_jump, opt, interrupt, &jump_phase);
    if (!jump) return Error{where + ": through proxyJump: " + jump.error().message};
    int rc = 0;
    LIBSSH2_CHANNEL* ch = (*jump)->call_ptr<LIBSSH2_CHANNEL>(
        [&] {
          return libssh2_channel_direct_tcpip_ex((*jump)->get(), h.address.c_str(), h.port,
                                                 "127.0.0.1", 22);
        },
        deadline, interrupt, &rc);
    if (!ch)
      return Error{where + ": proxyJump " + (*jump)->label() +
                   " cannot open a channel to it: " + (*jump)->last_error()};
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
      libssh2_channel_free(ch);
      return Error{where + ": socketpair: " + std::strerror(errno)};
    }
    fd = sv[0];
    tunnel = std::make_unique<SshTunnel>(std::move(*jump), ch, sv[1]);
  } else {
    auto c = tcp_connect(h, deadline, interrupt);
    if (!c) return Error{where + ": cannot connect: " + c.error().message};
    fd = *c;
  }
  std::unique_ptr<SshSession> s(new SshSession(h, fd));
  s->tunnel_ = std::move(tunnel);
  if (auto st = s->handshake(inv, opt, interrupt, deadline, reached); !st)
    return Error{where + ": " + st.error().message};
  *reached = SshPhase::Ready;
  return s;
}

Status SshSession::handshake(const Inventory&, const SshOptions& opt, const Interrupt& interrupt,
                             Clock::time_point deadline, SshPhase* reached) {
  *reached = SshPhase::Handshake;
  session_ = libssh2_session_init();
  if (!session_) return Error{"cannot create an ssh session"};
  libssh2_session_set_blocking(session_, 0);
  prefer_known_key_types();
  int rc = call([&] { return libssh2_session_handshake(session_, fd_); }, deadline, interrupt);
  if (rc == kSshInterrupted) return Error{"interrupted"};
  if (rc == LIBSSH2_ERROR_TIMEOUT) return Error{"ssh handshake timed out"};
  if (rc != 0) return Error{"ssh handshake failed: " + last_error()};
  // Keepalives every 15s: the server answers, so a dead peer shows as a socket error.
  libssh2_keepalive_config(session_, 1, 15);
  // libssh2 sends with MSG_NOSIGNAL (src/libssh2_priv.h LIBSSH2_SOCKET_SEND_FLAGS, unless
  // LIBSSH2_FLAG_SIGPIPE is set): a peer gone mid-write is an error, not a SIGPIPE.
  *reached = SshPhase::HostKey;
  if (auto st = check_host_key(opt); !st) return st;
  *reached = SshPhase::Auth;
  return authenticate(opt, deadline, interrupt);
}

void SshSession::prefer_known_key_types() {
  // Like ssh, ask first for the key types knownHosts has for this host (names in clear text;
  // hashed names cannot be matched without the key), then OpenSSH's default order.
  std::string file = host_.known_hosts.empty() ? default_known_hosts() : host_.known_hosts;
  std::vector<std::string> order;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::lock_guard<std::mutex> lock(known_hosts_mutex());
    KnownHosts kh(session_);
    if (kh.kh &&
        libssh2_knownhost_readfile(kh.kh, file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0) {
      std::string name = known_hosts_name(host_.address, host_.port);
      libssh2_knownhost* entry = nullptr;
      libssh2_knownhost* prev = nullptr;
      while (libssh2_knownhost_get(kh.kh, &entry, prev) == 0) {
        prev = entry;
        if (!entry->name || (name != entry->name)) continue;
        for (auto& a : algorithms_for(entry->typemask & LIBSSH2_KNOWNHOST_KEY_MASK))
          if (std::find(order.begin(), order.end(), a) == order.end()) order.push_back(a);
      }
    }
  }
  for (const char* a : kHostKeyOrder)
    if (std::find(order.begin(), order.end(), a) == order.end()) order.emplace_back(a);
  // Only names this libssh2 supports: libssh2 1.10 drops an unsupported one from the list with an
  // overlapping memcpy (src/kex.c, kex_session_method_pref; ASan: memcpy-param-overlap).
  const char** algs = nullptr;
  int n = libssh2_session_supported_algs(session_, LIBSSH2_METHOD_HOSTKEY, &algs);
  std::set<std::string> supported;
  for (int i = 0; i < n; ++i) supported.insert(algs[i]);
  if (algs) libssh2_free(session_, algs);
  std::string prefs;
  for (const auto& a : order)
    if (supported.count(a)) prefs += (prefs.empty() ? "" : ",") + a;
  if (!prefs.empty()) libssh2_session_method_pref(session_, LIBSSH2_METHOD_HOSTKEY, prefs.c_str());
}

Status SshSession::check_host_key(const SshOptions& opt) {
  size_t len = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(session_, &len, &type);
  if (!key) return Error{"the server sent no host key"};
  fingerprint_ = ssh_fingerprint(std::string_view(key, len));
  std::string file = host_.known_hosts.empty() ? default_known_hosts() : host_.known_hosts;
  std::lock_guard<std::mutex> lock(known_hosts_mutex());
  KnownHosts kh(session_);
  if (!kh.kh) return Error{"cannot allocate known hosts"};
  std::error_code ec;
  if (fs::exists(file, ec)) {
    if (libssh2_knownhost_readfile(kh.kh, file.c_str(), LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
      return Error{"cannot read knownHosts " + file + ": " + last_error()};
  }
  int keybit = known_host_key_type(type);
  int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | keybit;
  libssh2_knownhost* found = nullptr;
  int check =
      libssh2_knownhost_checkp(kh.kh, host_.address.c_str(), host_.port, key, len, mask, &found);
  if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH) return Ok{};
  if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
    std::string was = "?";
    if (found && found->key)
      if (auto blob = base64_decode(found->key)) was = ssh_fingerprint(*blob);
    return Error{"HOST KEY CHANGED: the server's key is " + fingerprint_ + " but " + file +
                 " has " + was + " for " + known_hosts_name(host_.address, host_.port) +
                 "; refusing to connect (if the change is expected, remove the old line)"};
  }
  if (check != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND)
    return Error{"cannot check the host key against " + file + ": " + last_error()};
  if (host_.host_key_policy == HostKeyPolicy::Strict)
    return Error{"unknown host key " + fingerprint_ + ": " +
                 known_hosts_name(host_.address, host_.port) + " is not in " + file +
                 " (hostKeyPolicy: strict); add it (ssh-keyscan, after checking the "
                 "fingerprint) or use hostKeyPolicy: accept-new"};
  if (opt.record_keys == RecordKeys::No)
    return Error{"unknown host key " + fingerprint_ + " (not in " + file +
                 "; accept-new would record it)"};
  std::string name = known_hosts_name(host_.address, host_.port);
  libssh2_knownhost* added = nullptr;
  if (libssh2_knownhost_addc(kh.kh, name.c_str(), nullptr, key, len, nullptr, 0, mask, &added) != 0)
    return Error{"cannot record the host key: " + last_error()};
  std::array<char, 8192> line{};
  size_t out = 0;
  if (libssh2_knownhost_writeline(kh.kh, added, line.data(), line.size(), &out,
                                  LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
    return Error{"cannot format the host key line: " + last_error()};
  if (auto parent = fs::path(file).parent_path(); !parent.empty())
    fs::create_directories(parent, ec);
  // Appended, not rewritten: lines libssh2 cannot parse (certificates, markers) stay as they are.
  UniqueFd f(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (f.get() < 0) return Error{"cannot write knownHosts " + file + ": " + std::strerror(errno)};
  std::string text(line.data(), out);
  if (text.empty() || text.back() != '\n') text += '\n';
  if (::write(f.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Error{"cannot write knownHosts " + file + ": " + std::strerror(errno)};
  ::fsync(f.get());
  return Ok{};
}

Status SshSession::authenticate(const SshOptions& opt, Clock::time_point deadline,
                                const Interrupt& interrupt) {
  const std::string& user = host_.user;
  if (!host_.identity.empty()) {
    std::string pass;
    if (!host_.passphrase_secret.empty()) {
      if (!opt.secrets || !opt.secrets->count(host_.passphrase_secret))
        return Error{"passphrase secret '" + host_.passphrase_secret + "' was not resolved"};
      pass = opt.secrets->at(host_.passphrase_secret);
      while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
    }
    if (::access(host_.identity.c_str(), R_OK) != 0)
      return Error{"cannot read identity " + host_.identity + ": " + std::strerror(errno)};
    int rc = call(
        [&] {
          return libssh2_userauth_publickey_fromfile_ex(
              session_, user.c_str(), static_cast<unsigned>(user.size()), nullptr,
              host_.identity.c_str(), pass.empty() ? nullptr : pass.c_str());
        },
        deadline, interrupt);
    if (rc == 0) return Ok{};
    if (rc == kSshInterrupted) return Error{"interrupted"};
    if (rc == LIBSSH2_ERROR_TIMEOUT) return Error{"authentication timed out"};
    if (rc == LIBSSH2_ERROR_FILE)
      return Error{"cannot load identity " + host_.identity +
                   (pass.empty() ? " (is it passphrase-protected? set passphrase: {secret: …})"
                                 : " (wrong passphrase?)") +
                   ": " + last_error()};
    return Error{"authentication as '" + user + "' with identity " + host_.identity +
                 " failed: " + last_error()};
  }
  // No identity: the keys of the running ssh-agent ($SSH_AUTH_SOCK).
  LIBSSH2_AGENT* agent = libssh2_agent_init(session_);
  if (!agent) return Error{"cannot create an ssh-agent client"};
  std::unique_ptr<LIBSSH2_AGENT, void (*)(LIBSSH2_AGENT*)> owned(agent, [](LIBSSH2_AGENT* a) {
    libssh2_agent_disconnect(a);
    libssh2_agent_free(a);
  });
  if (libssh2_agent_connect(agent) != 0)
    return Error{"no identity set and no ssh-agent to ask (SSH_AUTH_SOCK)"};
  if (libssh2_agent_list_identities(agent) != 0) return Error{"ssh-agent lists no identities"};
  libssh2_agent_publickey* prev = nullptr;
  libssh2_agent_publickey* id = nullptr;
  int tried = 0;
  while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
    ++tried;
    int rc =
        call([&] { return libssh2_agent_userauth(agent, user.c_str(), id); }, deadline, interrupt);
    if (rc == 0) return Ok{};
    if (rc == kSshInterrupted) return Error{"interrupted"};
    if (rc == LIBSSH2_ERROR_TIMEOUT) return Error{"authentication timed out"};
    prev = id;
  }
  return Error{"authentication as '" + user + "' failed: the server accepted none of the " +
               std::to_string(tried) + " ssh-agent identities"};
}

}  // namespace gw
