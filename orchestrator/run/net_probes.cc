#include "run/net_probes.h"

#include <ares.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace gw {

namespace {

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() < (1u << 20)) body->append(data, size * n);
  return size * n;
}

/// "https://host:port/…" -> host and port (default by scheme).
void url_host_port(const std::string& url, std::string* host, int* port) {
  auto scheme_end = url.find("://");
  std::string rest = scheme_end == std::string::npos ? url : url.substr(scheme_end + 3);
  *port = url.rfind("https", 0) == 0 ? 443 : 80;
  std::string hostport = rest.substr(0, rest.find_first_of("/?#"));
  auto colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    *port = std::atoi(hostport.substr(colon + 1).c_str());
    hostport = hostport.substr(0, colon);
  }
  *host = hostport;
}

}  // namespace

Observation probe_http(const HttpProbe& p, Millis timeout) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {false, "cannot initialise libcurl"};
  std::string body;
  curl_slist* resolve = nullptr;
  if (!p.resolve.empty()) {
    std::string entry = p.resolve;
    if (std::count(entry.begin(), entry.end(), ':') < 2 || entry.find('[') != std::string::npos) {
      std::string host;
      int port = 0;
      url_host_port(p.url, &host, &port);
      entry = host + ":" + std::to_string(port) + ":" + p.resolve;
    }
    resolve = curl_slist_append(resolve, entry.c_str());
  }
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, p.url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(timeout.count(), 100)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  if (resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
  if (!p.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, p.ca_file.c_str());
  if (p.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(resolve);
  if (rc != CURLE_OK) return {false, std::string("HTTP request failed: ") + curl_easy_strerror(rc)};
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code != p.status)
    return {false, "HTTP " + std::to_string(code) + " (expected " + std::to_string(p.status) + ")"};
  if (!p.contains.empty() && body.find(p.contains) == std::string::npos)
    return {false,
            "HTTP " + std::to_string(code) + " but the body does not contain '" + p.contains + "'"};
  return {true, "HTTP " + std::to_string(code)};
}

namespace {

struct DnsResult {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> addrs;
};

void on_addrinfo(void* arg, int status, int, ares_addrinfo* res) {
  auto* r = static_cast<DnsResult*>(arg);
  r->done = true;
  r->status = status;
  if (status != ARES_SUCCESS || !res) return;
  for (auto* n = res->nodes; n; n = n->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (n->ai_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
    else if (n->ai_family == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf, sizeof buf);
    if (buf[0]) r->addrs.emplace_back(buf);
  }
  ares_freeaddrinfo(res);
}

}  // namespace

Observation probe_dns(const DnsProbe& p, Millis timeout) {
  static std::once_flag init;
  std::call_once(init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options opts{};
  opts.timeout = static_cast<int>(std::max<int64_t>(timeout.count(), 100));
  opts.tries = 1;
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  opts.lookups = const_cast<char*>("b");  // DNS only: never /etc/hosts
  ares_channel channel = nullptr;
  if (ares_init_options(&channel, &opts,
                        ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS) !=
      ARES_SUCCESS)
    return {false, "cannot initialise the resolver"};
  std::unique_ptr<std::remove_pointer_t<ares_channel>, decltype(&ares_destroy)> guard(channel,
                                                                                      ares_destroy);
  std::string server = p.server;
  if (server.find(':') == std::string::npos) server += ":53";
  if (ares_set_servers_ports_csv(channel, server.c_str()) != ARES_SUCCESS)
    return {false, "bad DNS server '" + p.server + "'"};
  ares_addrinfo_hints hints{};
  hints.ai_family = p.type == "AAAA" ? AF_INET6 : AF_INET;
  DnsResult result;
  ares_getaddrinfo(channel, p.name.c_str(), nullptr, &hints, on_addrinfo, &result);
  auto deadline = std::chrono::steady_clock::now() + timeout + Millis(200);
  while (!result.done && std::chrono::steady_clock::now() < deadline) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int mask = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short ev = 0;
      if (ARES_GETSOCK_READABLE(mask, i)) ev |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(mask, i)) ev |= POLLOUT;
      if (ev) fds.push_back({socks[i], ev, 0});
    }
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 50);
    for (const auto& f : fds)
      ares_process_fd(channel, (f.revents & POLLIN) ? f.fd : ARES_SOCKET_BAD,
                      (f.revents & POLLOUT) ? f.fd : ARES_SOCKET_BAD);
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
  if (!result.done) return {false, "no answer from " + server + " (timeout)"};
  if (result.status != ARES_SUCCESS || result.addrs.empty())
    return {false, "no " + p.type + " record for " + p.name + " from " + server + " (" +
                       ares_strerror(result.status) + ")"};
  std::string got;
  for (const auto& a : result.addrs) got += (got.empty() ? "" : ",") + a;
  if (!p.expect.empty() &&
      std::find(result.addrs.begin(), result.addrs.end(), p.expect) == result.addrs.end())
    return {false, p.name + " " + p.type + " = " + got + " (expected " + p.expect + ")"};
  return {true, p.name + " " + p.type + " = " + got};
}

Observation probe_tcp(const std::string& host, int port, Millis timeout) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return {false, "cannot resolve " + host};
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, "socket failed"};
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  bool ok = rc == 0;
  std::string why = std::strerror(errno);
  if (!ok && errno == EINPROGRESS) {
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      ok = err == 0;
      why = std::strerror(err);
    } else {
      why = "timeout";
    }
  }
  ::close(fd);
  std::string target = host + ":" + std::to_string(port);
  if (!ok) return {false, "connect " + target + ": " + why};
  return {true, "connected to " + target};
}

}  // namespace gw
