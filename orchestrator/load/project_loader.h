#pragma once
/// Loads an inventory with its stages and playbooks into a validated Project.
#include <string>

#include "load/references.h"
#include "model/project.h"

namespace gw {

struct LoadOptions {
  std::string inventory;      // path of the Inventory file
  std::string stages_dir;     // used when the inventory names no spec.stages
  std::string playbooks_dir;  // used when the inventory names no spec.playbooks
  /// Whether a missing stages/playbooks folder given on the command line is an error.
  bool stages_dir_explicit = false;
  bool playbooks_dir_explicit = false;
  EnvLookup env;  // for ${env.X}; defaults to the process environment
};

/// Reads every file and checks everything that can be checked without running anything:
/// schema, names, references, input files. Graph checks (unknown needs, cycles) are the planner's.
/// All problems go to `diags`; the project is complete only when diags stays empty.
Project load_project(const LoadOptions& options, Diagnostics& diags);

/// The process environment as an EnvLookup.
EnvLookup process_env();

}  // namespace gw
