#pragma once
/// Replaces every occurrence of a secret value with `***` (SPEC §4). Thread-safe: values may be
/// added while other threads redact (a sensitive step's captured output becomes a secret the
/// moment it is captured).
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

class Redactor {
 public:
  Redactor() = default;
  Redactor(Redactor&& other) noexcept;
  Redactor& operator=(Redactor&& other) noexcept;
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// Adds a value to hide. A one-line value is hidden whatever its length (one character
  /// included); a multi-line value is hidden line by line, lines shorter than 3 characters
  /// ignored (a lone `}` would mask ordinary output).
  void add(std::string_view secret);
  std::string redact(std::string_view text) const;
  bool empty() const;
  /// The length of the longest hidden value (0 when none).
  size_t longest() const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::string> values_;  // longest first
};

}  // namespace gw
