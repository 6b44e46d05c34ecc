#pragma once
/// Network health probes: HTTP(S) via libcurl, DNS via c-ares against a given server, TCP connect.
/// Each is one attempt; the gate poller repeats them.
#include <string>

#include "model/duration.h"

namespace gw {

/// One poll's verdict and what was seen (shown when the gate times out).
struct Observation {
  bool passed = false;
  std::string saw;
};

struct HttpProbe {
  std::string url;
  int status = 200;
  std::string contains;  // empty: not checked
  std::string resolve;   // "IP" or "HOST:PORT:IP"; empty: normal resolution
  std::string ca_file;
  bool insecure = false;
};
Observation probe_http(const HttpProbe& p, Millis timeout);

struct DnsProbe {
  std::string server;  // "IP" or "IP:PORT"
  std::string name;
  std::string type = "A";  // A or AAAA
  std::string expect;      // empty: any answer passes
};
Observation probe_dns(const DnsProbe& p, Millis timeout);

Observation probe_tcp(const std::string& host, int port, Millis timeout);

/// The in-process network probes as an interface, so gates are tested with fakes. The default
/// methods are the real probes above.
class NetProber {
 public:
  virtual ~NetProber() = default;
  virtual Observation http(const HttpProbe& p, Millis timeout) { return probe_http(p, timeout); }
  virtual Observation dns(const DnsProbe& p, Millis timeout) { return probe_dns(p, timeout); }
  virtual Observation tcp(const std::string& host, int port, Millis timeout) {
    return probe_tcp(host, port, timeout);
  }
};

}  // namespace gw
