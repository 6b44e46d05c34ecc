#pragma once
/// Semantic versions and helm-style version constraints (a chart's `kubeVersion`, a stage's
/// `spec.kubeVersion`): `>=1.28.0-0 <1.34.0-0`, `<1.34.0-0`, `>=1.30, <1.34 || >=1.35`.
/// Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace gw {

/// MAJOR.MINOR.PATCH with an optional pre-release; build metadata (`+k3s1`) is dropped.
struct SemVer {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::vector<std::string> pre;  // dot-separated pre-release identifiers; empty: a release
  std::string text;              // as written
};

/// Parses "v1.33.4+k3s1", "1.34.0-0", "1.34" (missing parts are 0); nullopt when it is not one.
std::optional<SemVer> parse_semver(std::string_view s);

/// <0, 0, >0 as `a` is older than, equal to, newer than `b` (semver 2.0 precedence: a
/// pre-release is older than its release, so `1.34.0-0` is the oldest 1.34.0).
int compare(const SemVer& a, const SemVer& b);

/// A constraint: alternatives (`||`) of conjunctions (space or comma) of comparisons.
struct VersionConstraint {
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge };
  struct Term {
    Op op = Op::Eq;
    SemVer version;
  };
  std::vector<std::vector<Term>> any_of;
  std::string text;  // as written
};

/// Parses a constraint; the error says which part is not understood.
Result<VersionConstraint> parse_version_constraint(std::string_view s);

/// Whether `v` fits the constraint.
bool satisfies(const VersionConstraint& c, const SemVer& v);

}  // namespace gw
