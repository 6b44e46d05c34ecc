#include "plan/checkpoints.h"

#include "model/hash.h"

namespace gw {

const char* to_string(RecordStatus s) {
  switch (s) {
    case RecordStatus::Passed:
      return "passed";
    case RecordStatus::Failed:
      return "failed";
    case RecordStatus::Interrupted:
      return "interrupted";
    case RecordStatus::Running:
      return "running";
    case RecordStatus::Drifted:
      return "drifted";
  }
  return "?";
}

RecordStatus parse_record_status(const std::string& s) {
  if (s == "passed") return RecordStatus::Passed;
  if (s == "failed") return RecordStatus::Failed;
  if (s == "interrupted") return RecordStatus::Interrupted;
  if (s == "drifted") return RecordStatus::Drifted;
  return RecordStatus::Running;
}

std::string checkpoint_key(const std::string& spec_key, const KeyParts& parts,
                           const std::vector<std::string>& sensitive_outputs) {
  if (parts.secrets.empty() && sensitive_outputs.empty()) return spec_key;
  // The same material as journals written before parts existed: "|name=fingerprint" per secret.
  std::string material = spec_key;
  for (const auto& [name, fp] : parts.secrets) material += "|" + name + "=" + fp;
  for (const auto& o : sensitive_outputs) {
    auto it = parts.outputs.find(o);
    material += "|output:" + o + "=" + (it == parts.outputs.end() ? "" : it->second);
  }
  return sha256_hex(material);
}

namespace {

void diff_map(const FlatMap<std::string>& a, const FlatMap<std::string>& b, const char* tag,
              std::vector<std::string>& out) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.push_back(std::string(tag) + ia++->first);
    } else if (ia == a.end() || ib->first < ia->first) {
      out.push_back(std::string(tag) + ib++->first);
    } else {
      if (ia->second != ib->second) out.push_back(std::string(tag) + ia->first);
      ++ia, ++ib;
    }
  }
}

}  // namespace

std::vector<std::string> changed_by(const KeyParts& before, const KeyParts& now) {
  if (before.empty()) return {"spec"};
  std::vector<std::string> out;
  if (before.spec != now.spec) out.emplace_back("spec");
  diff_map(before.files, now.files, "file:", out);
  diff_map(before.outputs, now.outputs, "output:", out);
  diff_map(before.secrets, now.secrets, "secret:", out);
  return out;
}

}  // namespace gw
