#pragma once
/// Source locations and collected diagnostics: every error names file:line:col.
#include <string>
#include <vector>

namespace gw {

/// A position in an input file. line and col are 1-based; 0 means "the whole file".
struct SourceLoc {
  std::string file;
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
