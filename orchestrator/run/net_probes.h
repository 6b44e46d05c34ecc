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

}  // namespace gw
