#pragma once
// Stand-ins for the run layer's outside world, shared by the unit tests.
#include <string>

#include "run/command_runner.h"
#include "run/executor.h"
#include "run/tools.h"

namespace gwtest {

/// Every program "exists" under its own name: the fake runner stands in for all of them.
class AnyTool : public gw::ToolResolver {
 public:
  using gw::ToolResolver::ToolResolver;
  std::string resolve(const std::string& tool) const override { return tool; }
};

/// A listener that ignores every event.
class QuietListener : public gw::RunListener {
 public:
  void step_started(const std::string&, const std::string&, const std::string&) override {}
  void step_finished(const std::string&, const std::string&, gw::StepStatus,
                     const std::string&) override {}
  void warning(const std::string&) override {}
};

/// `/bin/sh -c script` with a timeout.
inline gw::ProcessSpec shell(const std::string& script, gw::Millis timeout = gw::Millis(10000)) {
  gw::ProcessSpec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c", script};
  spec.timeout = timeout;
  return spec;
}

}  // namespace gwtest
