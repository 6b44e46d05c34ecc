#pragma once
/// Replaces every occurrence of a secret value with `***` (SPEC §4).
#include <string>
#include <string_view>
#include <vector>

namespace gw {

class Redactor {
 public:
  /// Adds a value to hide. Multi-line values are hidden line by line; lines shorter than 3
  /// characters are ignored (they would mask ordinary output).
  void add(std::string_view secret);
  std::string redact(std::string_view text) const;
  bool empty() const { return values_.empty(); }
  /// The length of the longest hidden value (0 when none).
  size_t longest() const { return values_.empty() ? 0 : values_.front().size(); }

 private:
  std::vector<std::string> values_;  // longest first
};

}  // namespace gw
