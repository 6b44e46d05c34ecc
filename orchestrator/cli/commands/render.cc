// `render [STAGE[/STEP]…]`: what each step would run, rendered — argv, environment, stdin and
// the content of its rendered `.tmpl` files — with secrets as `<secret:NAME>`. Read-only, like
// plan.
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "load/loops.h"
#include "model/names.h"
#include "model/shell.h"
#include "plan/planner.h"
#include "report/log.h"

namespace gw {

namespace {

/// Whether `stage/step` is selected by the targets (all when there are none).
bool selected(const std::vector<std::string>& targets, const std::string& stage,
              const std::string& step) {
  if (targets.empty()) return true;
  for (const auto& t : targets)
    if (t == stage || t == stage + "/" + step) return true;
  return false;
}

void print_invocation(std::ostream& out, const Invocation& inv, const std::string& cwd) {
  std::string line;
  for (const auto& a : inv.display_argv()) line += (line.empty() ? "" : " ") + shell_quote(a);
  out << "argv:  " << line << "\n";
  for (const auto& [k, v] : inv.env) out << "env:   " << k << "=" << shell_quote(v) << "\n";
  if (inv.stdin_data) out << "stdin: " << shell_quote(*inv.stdin_data) << "\n";
  if (inv.cwd) out << "cwd:   " << *inv.cwd << "\n";
  for (const auto& f : inv.files) {
    std::string shown = display_path(f.source, cwd);
    if (!f.rendered) {
      out << "file:  " << shown << " (used as it is)\n";
      continue;
    }
    out << "--- " << shown << " (rendered)\n" << *f.content;
    if (!f.content->empty() && f.content->back() != '\n') out << "\n";
    out << "--- end of " << shown << "\n";
  }
}

}  // namespace

int cmd_render(const GlobalOptions& g, const RenderOptions& given) {
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  RenderOptions o = given;  // a forEach step named as written: each of its items
  o.targets = expand_loop_targets(ws->project, given.targets);
  // STAGE or STAGE/STEP, checked like --force (did-you-mean for either part).
  if (auto why = check_force(ws->project, o.targets)) {
    log_error(why->substr(why->find(": ") + 2));
    return kExitInvalid;
  }
  auto plan = plan_or_report(*ws, {}, {}, g, std::cerr);
  if (!plan) return kExitInvalid;
  const std::string cwd = std::filesystem::current_path().string();
  bool first = true;
  for (const auto& ps : plan->stages) {
    for (const auto& st : ps.steps) {
      if (!selected(o.targets, ps.stage->name, st.step->name)) continue;
      std::cout << (first ? "" : "\n") << "# " << ps.stage->name << "/" << st.step->name;
      if (st.status == PlanStatus::Skipped) std::cout << "  (skipped: its when is false)";
      std::cout << "\n";
      first = false;
      if (st.preview.command)
        print_invocation(std::cout, *st.preview.command, cwd);
      else
        std::cout << st.preview.description << "\n";
    }
  }
  return kExitOk;
}

}  // namespace gw
