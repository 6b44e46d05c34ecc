#include "plan/schedule.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "plan/planner.h"

namespace gw {

std::optional<double> ewma(const std::vector<int64_t>& ms, double alpha) {
  if (ms.empty()) return std::nullopt;
  double e = static_cast<double>(ms.front());
  for (size_t i = 1; i < ms.size(); ++i) e = alpha * static_cast<double>(ms[i]) + (1 - alpha) * e;
  return e;
}

void remember_duration(std::vector<int64_t>& history, int64_t ms) {
  history.push_back(std::max<int64_t>(0, ms));
  if (history.size() > kDurationsKept)
    history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(kDurationsKept));
}

namespace {

/// A stage's own measured expectation: the EWMA of its history, else its last passed record.
std::optional<double> stage_measured(const std::string& name, const Checkpoints& cp) {
  if (auto it = cp.durations.stages.find(name); it != cp.durations.stages.end())
    if (auto e = ewma(it->second)) return e;
  if (auto it = cp.stages.find(name);
      it != cp.stages.end() && it->second.status == RecordStatus::Passed)
    return static_cast<double>(it->second.duration_ms);
  return std::nullopt;
}

std::optional<double> step_measured(const std::string& id, const Checkpoints& cp) {
  if (auto it = cp.durations.steps.find(id); it != cp.durations.steps.end())
    return ewma(it->second);
  return std::nullopt;
}

}  // namespace

void weigh_plan(Plan& plan, const Checkpoints& cp) {
  // The mean measured time per step and gate over the stages measured as a whole.
  double measured_ms = 0, measured_units = 0;
  bool any = false;
  for (const auto& ps : plan.stages) {
    if (auto e = stage_measured(ps.stage->name, cp)) {
      measured_ms += *e;
      measured_units += static_cast<double>(std::max<size_t>(1, ps.steps.size() + ps.gates.size()));
      any = true;
    }
    for (const auto& st : ps.steps)
      if (!any && step_measured(ps.stage->name + "/" + st.step->name, cp)) any = true;
  }
  plan.weights_measured = any;
  double per_step = measured_units > 0 ? measured_ms / measured_units : kDefaultStepMs;
  for (auto& ps : plan.stages) {
    double units = static_cast<double>(std::max<size_t>(1, ps.steps.size() + ps.gates.size()));
    ps.expected_ms.reset();
    if (any) {
      if (auto e = stage_measured(ps.stage->name, cp)) {
        ps.expected_ms = *e;
      } else {
        double sum = static_cast<double>(ps.gates.size()) * per_step;
        for (const auto& st : ps.steps)
          sum += step_measured(ps.stage->name + "/" + st.step->name, cp).value_or(per_step);
        ps.expected_ms = sum;
      }
    }
    bool runs = ps.status != PlanStatus::Skipped && ps.status != PlanStatus::Done;
    ps.weight = !runs ? 0 : ps.expected_ms ? std::max(1.0, *ps.expected_ms) : units;
  }

  // Longest remaining path (scheduling priority), needed stages first in plan order.
  const size_t n = plan.stages.size();
  std::vector<int> next(n, -1);
  for (size_t i = n; i-- > 0;) {
    auto& ps = plan.stages[i];
    double best = 0;
    for (size_t d : ps.dependent_index)
      if (plan.stages[d].remaining > best || (next[i] < 0 && plan.stages[d].remaining >= best)) {
        best = plan.stages[d].remaining;
        next[i] = static_cast<int>(d);
      }
    ps.remaining = ps.weight + best;
  }
  plan.critical_path.clear();
  int start = -1;
  for (size_t i = 0; i < n; ++i)
    if (plan.stages[i].need_index.empty() &&
        (start < 0 || plan.stages[i].remaining > plan.stages[static_cast<size_t>(start)].remaining))
      start = static_cast<int>(i);
  plan.critical_ms = start < 0 ? 0 : plan.stages[static_cast<size_t>(start)].remaining;
  // The path names the stages that take time on it: a skipped or done stage on the way adds none.
  for (int i = start; i >= 0; i = next[static_cast<size_t>(i)])
    if (plan.stages[static_cast<size_t>(i)].weight > 0)
      plan.critical_path.push_back(plan.stages[static_cast<size_t>(i)].stage->name);
}

double simulate(const Plan& plan, int jobs, const std::vector<StagePhase>& phase,
                const std::vector<double>& left_ms) {
  const size_t n = plan.stages.size();
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t need : plan.stages[i].need_index)
      if (phase[need] != StagePhase::Finished) ++waiting[i];
  // Ready: highest remaining first, then plan order (as the executor picks).
  auto lower = [&](size_t a, size_t b) {
    if (plan.stages[a].remaining != plan.stages[b].remaining)
      return plan.stages[a].remaining < plan.stages[b].remaining;
    return a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(lower)> ready(lower);
  using Event = std::pair<double, size_t>;  // end time, stage
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> running;
  int free = std::max(1, jobs);
  for (size_t i = 0; i < n; ++i) {
    if (phase[i] == StagePhase::Running) {
      running.push({std::max(0.0, left_ms[i]), i});
      --free;
    } else if (phase[i] == StagePhase::Pending && waiting[i] == 0) {
      ready.push(i);
    }
  }
  double now = 0;
  for (;;) {
    while (free > 0 && !ready.empty()) {
      size_t i = ready.top();
      ready.pop();
      running.push({now + std::max(0.0, left_ms[i]), i});
      --free;
    }
    if (running.empty()) break;
    auto [end, i] = running.top();
    running.pop();
    now = std::max(now, end);
    ++free;
    for (size_t d : plan.stages[i].dependent_index)
      if (phase[d] == StagePhase::Pending && --waiting[d] == 0) ready.push(d);
  }
  return now;
}

}  // namespace gw
