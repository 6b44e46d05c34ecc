#pragma once
/// Source locations and collected diagnostics: every error names file:line:col.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

/// The name of an input file as locations carry it (or of a folder, as steps and stages keep
/// theirs): interned for the life of the process, so a location (every Text of the model has one)
/// copies a pointer, not a string. Thread-safe.
class FileName {
 public:
  FileName();
  FileName(const std::string& name);  // NOLINT(google-explicit-constructor): {file, line, col}
  FileName(const char* name);         // NOLINT(google-explicit-constructor)

  const std::string& str() const { return *name_; }
  operator const std::string&() const { return *name_; }  // NOLINT(google-explicit-constructor)
  bool empty() const { return name_->empty(); }
  size_t find(std::string_view s) const { return name_->find(s); }

  friend bool operator==(FileName a, FileName b) { return a.name_ == b.name_; }
  friend bool operator<(FileName a, FileName b) { return *a.name_ < *b.name_; }
  friend std::ostream& operator<<(std::ostream& os, FileName f) { return os << *f.name_; }
  friend std::string operator+(FileName f, const std::string& s) { return *f.name_ + s; }
  friend std::string operator+(const std::string& s, FileName f) { return s + *f.name_; }

 private:
  const std::string* name_;
};

/// A position in an input file. line and col are 1-based; 0 means "the whole file".
struct SourceLoc {
  FileName file;
  int line = 0;
  int col = 0;

  /// "file:line:col", "file" when no line is known.
  std::string str() const;
};

/// One problem found in the input.
struct Diagnostic {
  SourceLoc loc;
  std::string message;

  /// "file:line:col: error: message".
  std::string format() const;
};

/// Collects every problem of a run so that all are reported, not just the first.
class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message);
  /// Adds every diagnostic of `other`, in order.
  void append(const Diagnostics& other);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& all() const { return items_; }
  /// Sorted by file, line, column; duplicates removed.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace gw
