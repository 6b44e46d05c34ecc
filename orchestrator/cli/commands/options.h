#pragma once
/// Options shared by the verbs, filled by the CLI parser (cli/main.cc).
#include <string>
#include <vector>

#include "report/style.h"

namespace gw {

struct GlobalOptions {
  std::string inventory;  // -i, else $GROUNDWORK_INVENTORY
  std::string stages_dir = "stages";
  std::string playbooks_dir = "playbooks";
  bool stages_dir_explicit = false;
  bool playbooks_dir_explicit = false;
  std::string state_dir;  // --state-dir; empty: `.groundwork` in the inventory file's folder
  Verbosity verbosity = Verbosity::Normal;
  Color color = Color::On;
  LogFormat log_format = LogFormat::Text;
};

/// apply / bootstrap / drill / restore.
struct RunOptions {
  std::vector<std::string> targets;
  int jobs = 4;
  bool keep_going = false;
  bool fresh = false;
  std::vector<std::string> force;
  std::vector<std::string> only;
  bool verify = false;
  bool repair = false;              // verify, and re-run the steps of a drifted stage
  bool kill_stale = false;          // stop a crashed run's processes rather than wait for them
  bool cascade = false;             // --force also forces the stages that need a forced one
  std::vector<std::string> params;  // K=V
  std::string report_dir;
  std::string metrics_file;  // node_exporter textfile metrics (drill, restore)
  bool yes = false;          // restore without asking
};

struct StatusOptions {
  std::string format = "text";
};

struct RenderOptions {
  std::vector<std::string> targets;  // STAGE or STAGE/STEP; empty: every step
};

struct DiffOptions {
  std::vector<std::string> targets;  // STAGE (with its needs) or STAGE/STEP; empty: every step
};

struct ResetOptions {
  std::vector<std::string> targets;  // STAGE or STAGE/STEP
  bool all = false;
  bool cascade = false;  // also the stages that need a target's stage, transitively
};

struct PlanOptions {
  std::vector<std::string> targets;
  std::vector<std::string> only;
  std::string format = "text";
  bool fresh = false;
  std::vector<std::string> force;
  bool cascade = false;             // preview apply --force … --cascade
  std::string playbook;             // --playbook: preview a playbook instead of stages
  std::string mode;                 // --mode drill|restore (with --playbook)
  std::vector<std::string> params;  // --param K=V (with --playbook)
};

}  // namespace gw
