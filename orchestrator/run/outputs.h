#pragma once
/// The outputs captured during a run ("stage.name" -> value), shared by every worker. Outputs of
/// `sensitive` steps are secrets from the moment they exist: added to the redactor when captured,
/// never journaled, shown as `<secret:…>` in previews.
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "run/redactor.h"

namespace gw {

class Outputs {
 public:
  /// `known`: outputs of earlier runs (journaled, so never sensitive ones). `redactor` may be null.
  Outputs(std::map<std::string, std::string> known, std::set<std::string> sensitive,
          Redactor* redactor);

  /// Records a captured value; a sensitive one is added to the redactor first.
  void set(const std::string& stage, const std::string& name, const std::string& value);
  /// A consistent copy for rendering one step.
  std::map<std::string, std::string> snapshot() const;
  bool is_sensitive(const std::string& stage, const std::string& name) const;
  /// The keys ("stage.name") of outputs that are secrets.
  const std::set<std::string>& sensitive() const { return sensitive_; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> values_;
  const std::set<std::string> sensitive_;
  Redactor* redactor_;
};

}  // namespace gw
