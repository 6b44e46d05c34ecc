#pragma once
/// The stage dependency graph (Boost.Graph): edges run from a needed stage to the stage that
/// needs it. Pure: built from the model, no I/O.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/project.h"

namespace gw {

class StageGraph {
 public:
  /// Builds the graph over `stages`. Unknown needs and cycles are reported to diags; the result
  /// is nullopt when any was found.
  static std::optional<StageGraph> build(const std::vector<Stage>& stages, Diagnostics& diags);

  size_t size() const { return names_.size(); }
  const std::string& name(size_t v) const { return names_[v]; }
  std::optional<size_t> index(const std::string& name) const;
  /// Stages v needs directly / stages that need v directly.
  const std::vector<size_t>& needs(size_t v) const { return needs_[v]; }
  const std::vector<size_t>& dependents(size_t v) const { return dependents_[v]; }
  /// Every stage, needed ones first.
  const std::vector<size_t>& topo_order() const { return topo_; }
  /// `roots` and everything they need, transitively, as a membership mask.
  std::vector<bool> closure(const std::vector<size_t>& roots) const;
  /// `roots` and every stage that needs one of them, transitively, as a membership mask.
  std::vector<bool> dependents_closure(const std::vector<size_t>& roots) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::vector<size_t>> needs_;
  std::vector<std::vector<size_t>> dependents_;
  std::vector<size_t> topo_;
};

}  // namespace gw
