#include "run/outputs.h"

namespace gw {

Outputs::Outputs(std::map<std::string, std::string> known, std::set<std::string> sensitive,
                 Redactor* redactor)
    : values_(std::move(known)), sensitive_(std::move(sensitive)), redactor_(redactor) {
  for (const auto& key : sensitive_) values_.erase(key);
}

void Outputs::set(const std::string& stage, const std::string& name, const std::string& value) {
  if (redactor_ && is_sensitive(stage, name)) redactor_->add(value);
  std::lock_guard<std::mutex> lock(mu_);
  values_[stage + "." + name] = value;
}

std::map<std::string, std::string> Outputs::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return values_;
}

bool Outputs::is_sensitive(const std::string& stage, const std::string& name) const {
  return sensitive_.count(stage + "." + name) != 0;
}

}  // namespace gw
