#include "model/diagnostics.h"

#include <algorithm>
#include <mutex>
#include <tuple>
#include <unordered_set>

namespace gw {

namespace {

/// Every file name seen, never freed: node-based, so the strings never move.
struct FileNameTable {
  std::mutex mu;
  std::unordered_set<std::string> names{std::string()};
  const std::string* empty = &*names.find(std::string());

  const std::string* intern(const std::string& name) {
    if (name.empty()) return empty;
    std::lock_guard lock(mu);
    return &*names.insert(name).first;
  }
};

FileNameTable& file_names() {
  static auto* table = new FileNameTable;  // never destroyed: names outlive every static
  return *table;
}

}  // namespace

FileName::FileName() : name_(file_names().empty) {}
FileName::FileName(const std::string& name) : name_(file_names().intern(name)) {}
FileName::FileName(const char* name) : name_(file_names().intern(name)) {}

std::string SourceLoc::str() const {
  if (line <= 0) return file.str();
  return file.str() + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string Diagnostic::format() const {
  return loc.str() + ": error: " + message;
}

void Diagnostics::error(SourceLoc loc, std::string message) {
  items_.push_back({loc, std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = items_;
  auto key = [](const Diagnostic& d) {
    return std::tie(d.loc.file, d.loc.line, d.loc.col, d.message);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(),
                        [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
            out.end());
  return out;
}

}  // namespace gw
