#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "model/json_text.h"
#include "plan/planner.h"
#include "report/log.h"
#include "report/plan_writer.h"
#include "report/svg_writer.h"
#include "run/journal.h"
#include "run/lock.h"
#include "run/state_dir.h"

namespace gw {

namespace {

/// `lock`: whether a run holds the lock now. A step whose start has no end yet is running while
/// a run holds the lock, and was interrupted when none does.
/// A measured time as people read it: exact below a second, to 100 ms below a minute, else to
/// the second.
std::string short_duration(int64_t ms) {
  int64_t unit = ms < 1000 ? 1 : ms < 60000 ? 100 : 1000;
  return format_duration(Millis(ms / unit * unit));
}

std::string word(RecordStatus s, LockState lock) {
  switch (s) {
    case RecordStatus::Passed:
      return "done";
    case RecordStatus::Failed:
      return "failed";
    case RecordStatus::Running:
      return lock == LockState::Held ? "running" : "interrupted";
    case RecordStatus::Interrupted:
      return "interrupted";
    case RecordStatus::Drifted:
      return "drifted";
  }
  return "pending";
}

/// The status as a picture: the plan's waves, needs and critical path, each stage coloured by
/// its recorded outcome with its measured duration (`j`: the status document built below).
SvgPicture status_picture(const Plan& plan, const nlohmann::json& j) {
  SvgPicture pic = plan_picture(plan);
  pic.title = "status of inventory '" + j["inventory"].get<std::string>() + "'";
  std::map<std::string, const nlohmann::json*> by_name;
  for (const auto& s : j["stages"]) by_name[s["name"].get<std::string>()] = &s;
  for (auto& box : pic.stages) {
    auto it = by_name.find(box.name);
    if (it == by_name.end()) continue;
    const nlohmann::json& s = *it->second;
    box.status = s["status"].get<std::string>();
    box.detail =
        s.contains("durationMs") ? "took " + short_duration(s["durationMs"].get<int64_t>()) : "";
  }
  return pic;
}

}  // namespace

int cmd_status(const GlobalOptions& g, const StatusOptions& o) {
  if (o.format != "text" && o.format != "json" && o.format != "svg") {
    log_error("unknown status format '" + o.format + "' (text, json or svg)");
    return kExitInvalid;
  }
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  StatePaths paths = workspace_state(*ws, g);
  std::vector<std::string> warnings;
  auto st = read_journal(
      paths.journal(), &warnings,
      RunLock::probe(paths.lock()) == LockState::Held ? JournalTail::Growing : JournalTail::Final);
  if (!st) {
    log_error(st.error().message);
    return kExitFailed;
  }
  for (const auto& w : warnings) log_warning(w);
  const Checkpoints& cp = st->checkpoints;
  const LockState lock = RunLock::probe(paths.lock());
  // What the plan skips (a `when` that is false) shows as skipped rather than pending.
  KnownFingerprints fps = known_fingerprints(*ws, g);
  auto plan = plan_or_report(*ws, {}, cp, g, std::cerr, fps.view());
  if (!plan) return kExitInvalid;
  std::set<std::string> skipped;  // "stage" and "stage/step"
  for (const auto& ps : plan->stages) {
    if (ps.status == PlanStatus::Skipped) skipped.insert(ps.stage->name);
    for (const auto& pst : ps.steps)
      if (ps.status == PlanStatus::Skipped || pst.status == PlanStatus::Skipped)
        skipped.insert(ps.stage->name + "/" + pst.step->name);
  }
  auto unrecorded = [&](const std::string& id) {
    return skipped.count(id) ? "skipped" : "pending";
  };
  nlohmann::json j{{"inventory", ws->project.inventory.name},
                   {"stages", nlohmann::json::array()},
                   {"drills", nlohmann::json::array()}};
  for (size_t v : ws->graph.topo_order()) {
    const Stage& stage = ws->project.stages[v];
    nlohmann::json js{{"name", stage.name},
                      {"status", unrecorded(stage.name)},
                      {"steps", nlohmann::json::array()}};
    bool any_running = false, any_interrupted = false, any_failed = false;
    for (const auto& step : stage.steps) {
      nlohmann::json jst{{"name", step.name}, {"status", unrecorded(stage.name + "/" + step.name)}};
      auto it = cp.steps.find(stage.name + "/" + step.name);
      if (it != cp.steps.end()) {
        jst["status"] = word(it->second.status, lock);
        if (!it->second.finished_at.empty()) jst["finishedAt"] = it->second.finished_at;
        jst["durationMs"] = it->second.duration_ms;
        any_running = any_running || it->second.status == RecordStatus::Running;
        any_interrupted = any_interrupted || it->second.status == RecordStatus::Interrupted;
        any_failed = any_failed || it->second.status == RecordStatus::Failed;
      }
      js["steps"].push_back(jst);
    }
    if (auto it = cp.stages.find(stage.name); it != cp.stages.end()) {
      js["status"] = word(it->second.status, lock);
      js["finishedAt"] = it->second.finished_at;
      js["durationMs"] = it->second.duration_ms;
    } else if (any_failed) {
      js["status"] = "failed";
    } else if (any_running) {
      js["status"] = lock == LockState::Held ? "running" : "interrupted";
    } else if (any_interrupted) {
      js["status"] = "interrupted";
    }
    j["stages"].push_back(js);
  }
  // The last drill (or restore) of each playbook.
  std::map<std::string, const DrillRecord*> last_drill;
  for (const auto& d : st->drills) last_drill[d.playbook] = &d;
  for (const auto& [name, d] : last_drill) {
    nlohmann::json jd{{"playbook", d->playbook}, {"mode", d->mode}, {"status", d->status},
                      {"at", d->at}, {"run", d->run_id}};
    jd["rtoMs"] = d->rto_ms ? nlohmann::json(*d->rto_ms) : nlohmann::json(nullptr);
    if (d->rpo_ms) jd["rpoMs"] = *d->rpo_ms;
    j["drills"].push_back(jd);
  }
  if (o.format == "json") {
    std::cout << json_dump(j, 2) << "\n";
    return kExitOk;
  }
  if (o.format == "svg") {
    write_svg(std::cout, status_picture(*plan, j));
    return kExitOk;
  }
  std::cout << "inventory '" << ws->project.inventory.name << "' (journal " << paths.journal()
            << ")\n\n";
  size_t width = 7;  // "STAGE/STEP" and a gap, with no stage at all
  for (const auto& s : j["stages"]) {
    width = std::max(width, s["name"].get<std::string>().size());
    for (const auto& st2 : s["steps"])
      width = std::max(width, st2["name"].get<std::string>().size() + 2);
  }
  std::cout << std::left << std::setw(static_cast<int>(width) + 4) << "STAGE/STEP" << std::setw(13)
            << "STATUS" << std::setw(11) << "DURATION"
            << "FINISHED\n";
  for (const auto& s : j["stages"]) {
    auto row = [&](const std::string& name, const nlohmann::json& x) {
      std::cout << std::setw(static_cast<int>(width) + 4) << name << std::setw(13)
                << x["status"].get<std::string>() << std::setw(11)
                << (x.contains("durationMs")
                        ? format_duration(Millis(x["durationMs"].get<int64_t>() / 100 * 100))
                        : "-")
                << (x.contains("finishedAt") ? x["finishedAt"].get<std::string>() : "-") << "\n";
    };
    row(s["name"], s);
    for (const auto& st2 : s["steps"]) row("  " + st2["name"].get<std::string>(), st2);
  }
  if (!last_drill.empty()) {
    std::cout << "\nLAST DRILLS\n";
    for (const auto& [name, d] : last_drill) {
      std::cout << "  " << d->playbook << "  " << d->mode << "  " << d->status << "  " << d->at
                << "  RTO " << (d->rto_ms ? short_duration(*d->rto_ms) : "-");
      if (d->rpo_ms) std::cout << "  RPO " << short_duration(*d->rpo_ms);
      std::cout << "\n";
    }
  }
  return kExitOk;
}

}  // namespace gw
