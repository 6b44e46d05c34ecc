// Project names for the shell completions; the shipped content of an installed groundwork.
#include "cli/project_names.h"

#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "load/project_loader.h"

namespace fs = std::filesystem;

namespace gw {

std::optional<ProjectNames> parse_project_names(std::string_view kind) {
  if (kind == "stages") return ProjectNames::Stages;
  if (kind == "steps") return ProjectNames::Steps;
  if (kind == "playbooks") return ProjectNames::Playbooks;
  if (kind == "playbook-steps") return ProjectNames::PlaybookSteps;
  return std::nullopt;
}

namespace {

/// `PB:PHASE` and `PB:PHASE/STEP` of each phase with steps (plan/playbook_plan.h,
/// split_playbook_force, reads them back).
void print_phase_steps(const Playbook& pb, std::ostream& out) {
  const std::pair<const char*, const std::vector<Step>*> phases[] = {
      {"steps", &pb.steps}, {"verify", &pb.verify}, {"cleanup", &pb.cleanup}};
  for (const auto& [phase, steps] : phases) {
    if (steps->empty()) continue;
    std::string name = pb.name + ":" + phase;
    out << name << "\n";
    for (const auto& s : *steps) out << name << "/" << s.name << "\n";
  }
}

}  // namespace

void print_project_names(const GlobalOptions& g, ProjectNames kind, std::string_view playbook,
                         std::ostream& out) {
  std::string inventory = g.inventory;
  if (inventory.empty())
    if (const char* e = std::getenv("GROUNDWORK_INVENTORY")) inventory = e;
  if (inventory.empty()) return;
  LoadOptions lo;
  lo.inventory = inventory;
  lo.stages_dir = g.stages_dir;
  lo.playbooks_dir = g.playbooks_dir;
  lo.stages_dir_explicit = g.stages_dir_explicit;
  lo.playbooks_dir_explicit = g.playbooks_dir_explicit;
  lo.env = process_env();
  Diagnostics ignored;  // completion shows what it can; validate reports the problems
  Project p = load_project(lo, ignored);
  switch (kind) {
    case ProjectNames::Stages:
      for (const auto& s : p.stages) out << s.name << "\n";
      break;
    case ProjectNames::Steps:
      for (const auto& s : p.stages) {
        out << s.name << "\n";
        for (const auto& st : s.steps) out << s.name << "/" << st.name << "\n";
      }
      break;
    case ProjectNames::Playbooks:
      for (const auto& pb : p.playbooks) out << pb.name << "\n";
      break;
    case ProjectNames::PlaybookSteps:
      for (const auto& pb : p.playbooks)
        if (playbook.empty() || pb.name == playbook) print_phase_steps(pb, out);
      break;
  }
}

std::optional<std::string> shipped_dir(std::string_view kind) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  fs::path dir = exe.parent_path().parent_path() / "share" / "groundwork" / std::string(kind);
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return dir.lexically_normal().string();
}

void use_shipped_dirs(GlobalOptions& g) {
  std::error_code ec;
  if (!g.stages_dir_explicit && !fs::is_directory(g.stages_dir, ec))
    if (auto d = shipped_dir("stages")) g.stages_dir = *d;
  if (!g.playbooks_dir_explicit && !fs::is_directory(g.playbooks_dir, ec))
    if (auto d = shipped_dir("playbooks")) g.playbooks_dir = *d;
}

}  // namespace gw
