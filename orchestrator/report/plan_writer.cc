#include "report/plan_writer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "model/json_text.h"
#include "model/names.h"
#include "model/parallel.h"
#include "model/terminal_text.h"
#include "report/svg_writer.h"

namespace gw {

std::optional<PlanFormat> parse_plan_format(const std::string& s) {
  if (s == "text") return PlanFormat::Text;
  if (s == "json") return PlanFormat::Json;
  if (s == "dot") return PlanFormat::Dot;
  if (s == "mermaid") return PlanFormat::Mermaid;
  if (s == "svg") return PlanFormat::Svg;
  return std::nullopt;
}

SvgPicture plan_picture(const Plan& plan) {
  SvgPicture pic;
  pic.title = "plan of inventory '" + plan.inventory + "'";
  pic.critical_path = plan.critical_path;
  std::set<std::string> critical(plan.critical_path.begin(), plan.critical_path.end());
  for (const auto& s : plan.stages) {
    SvgStage box;
    box.name = s.stage->name;
    box.status = to_string(s.status);
    if (s.expected_ms)
      box.detail = "expected " + format_duration(Millis(std::llround(*s.expected_ms)));
    box.wave = s.wave;
    box.needs = s.needs;
    box.critical = critical.count(box.name) > 0;
    pic.stages.push_back(std::move(box));
  }
  return pic;
}

namespace {

/// A changed input for people: a file relative to the current folder (the JSON keeps it absolute).
std::string shown_input(const std::string& input) {
  if (!input.starts_with("file:")) return input;
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  return ec ? input : "file:" + display_path(input.substr(5), cwd);
}

struct Paint {
  Color color;
  std::string operator()(const std::string& s, const char* code) const {
    return color == Color::On ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
};

const char* status_color(PlanStatus s) {
  switch (s) {
    case PlanStatus::Done:
      return "32";
    case PlanStatus::Changed:
      return "33";
    case PlanStatus::Failed:
    case PlanStatus::Drifted:
      return "31";
    case PlanStatus::Skipped:
      return "2";
    default:
      return "36";
  }
}

void write_text(std::ostream& out, const Plan& plan, Color color) {
  Paint paint{color};
  size_t steps = 0, todo = 0;
  for (const auto& s : plan.stages)
    for (const auto& st : s.steps) {
      ++steps;
      if (st.decision.action == StepAction::Run || st.decision.action == StepAction::AtRunTime)
        ++todo;
    }
  out << "Plan for inventory '" << plan.inventory << "': " << plan.stages.size() << " stages, "
      << steps << " steps (" << todo << " to run), " << plan.waves.size() << " waves\n";
  for (size_t w = 0; w < plan.waves.size(); ++w) {
    out << "\n" << paint("wave " + std::to_string(w), "1") << "\n";
    for (const auto& s : plan.stages) {
      if (s.wave != static_cast<int>(w)) continue;
      std::string head = "  " + s.stage->name;
      out << paint(head, "1") << "  [" << paint(to_string(s.status), status_color(s.status)) << "]";
      if (!s.needs.empty()) {
        out << "  needs:";
        for (const auto& n : s.needs) out << " " << n;
      }
      if (s.expected_ms)
        out << "  expected " << format_duration(Millis(std::llround(*s.expected_ms)));
      out << "\n";
      if (s.status == PlanStatus::Skipped) {
        out << "    (skipped: 'when' is false: " << terminal_text(s.stage->when->raw) << ")\n";
        continue;
      }
      if (s.when == WhenState::AtRunTime)
        out << "    (when: decided at run time: " << s.stage->when->raw << ")\n";
      if (s.stage->kube_version)
        out << "    (kubeVersion: " << terminal_text(s.stage->kube_version->raw)
            << ": checked against the API server before apply)\n";
      for (const auto& st : s.steps) {
        out << "    - " << st.step->name << " ["
            << paint(to_string(st.status), status_color(st.status)) << "] "
            << terminal_text(st.preview.shown());
        if (st.step->repeat == Repeat::Once) out << "  (once)";
        out << "\n";
        if (!st.decision.changed_by.empty()) {
          out << "        changed:";
          for (const auto& c : st.decision.changed_by) out << " " << shown_input(c);
          out << "\n";
        }
        if (st.decision.action == StepAction::NeedsForce)
          out << "        needs --force: " << st.decision.reason << "\n";
        if (s.status == PlanStatus::Drifted && st.decision.action == StepAction::Run)
          out << "        runs: " << st.decision.reason << "\n";
        if (st.preview.when == WhenState::AtRunTime)
          out << "        when: decided at run time: " << st.step->when->raw << "\n";
      }
      for (const auto& g : s.gates)
        out << "    gate " << g.name << ": " << terminal_text(g.description) << "\n";
    }
  }
  if (!plan.critical_path.empty()) {
    out << "\ncritical path: ";
    for (size_t i = 0; i < plan.critical_path.size(); ++i)
      out << (i ? " -> " : "") << plan.critical_path[i];
    if (plan.weights_measured && plan.critical_ms <= 0)
      out << "  (nothing left to run)";
    else if (plan.weights_measured)
      out << "  (expected " << format_duration(Millis(std::llround(plan.critical_ms)))
          << ", weighted by measured durations)";
    else
      out << "  (weighted by step counts)";
    out << "\n";
  }
}

/// Appends s as a JSON string (model/json_text.h: invalid UTF-8 becomes U+FFFD).
void append_string(std::string& out, const std::string& s) {
  append_json_string(out, s);
}

void append_strings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    append_string(out, list[i]);
  }
  out += ']';
}

/// Appends `"key":` (keys are plain ASCII literals).
void append_key(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

/// One stage as a single-line JSON object, keys in alphabetical order (SPEC §6 fields).
std::string stage_json(const PlannedStage& s) {
  std::string out = "{";
  append_key(out, "action");
  append_string(out, to_string(s.decision.action));
  out += ',';
  if (!s.stage->description.empty()) {
    append_key(out, "description");
    append_string(out, s.stage->description);
    out += ',';
  }
  if (s.expected_ms) {
    append_key(out, "expectedMs");
    out += std::to_string(std::llround(*s.expected_ms));
    out += ',';
  }
  append_key(out, "file");
  append_string(out, s.stage->file);
  out += ',';
  append_key(out, "gates");
  out += '[';
  for (size_t i = 0; i < s.gates.size(); ++i) {
    out += i ? ",{" : "{";
    append_key(out, "description");
    append_string(out, s.gates[i].description);
    out += ',';
    append_key(out, "name");
    append_string(out, s.gates[i].name);
    out += '}';
  }
  out += "],";
  if (s.stage->kube_version) {
    append_key(out, "kubeVersion");
    append_string(out, s.stage->kube_version->raw);
    out += ',';
  }
  append_key(out, "name");
  append_string(out, s.stage->name);
  out += ',';
  append_key(out, "needs");
  append_strings(out, s.needs);
  out += ',';
  append_key(out, "status");
  append_string(out, to_string(s.status));
  out += ',';
  append_key(out, "steps");
  out += '[';
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const PlannedStep& st = s.steps[i];
    out += i ? ",{" : "{";
    append_key(out, "action");
    append_string(out, to_string(st.decision.action));
    out += ',';
    if (st.preview.command) {
      append_key(out, "argv");
      append_strings(out, st.preview.command->display_argv());
    } else {
      append_key(out, "description");
      append_string(out, st.preview.description);
    }
    out += ',';
    if (!st.decision.changed_by.empty()) {
      append_key(out, "changedBy");
      append_strings(out, st.decision.changed_by);
      out += ',';
    }
    if (!st.step->loop.empty()) {  // expanded from a forEach step written with this name
      append_key(out, "forEach");
      append_string(out, st.step->loop);
      out += ',';
    }
    append_key(out, "kind");
    append_string(out, to_string(st.step->kind));
    out += ',';
    append_key(out, "name");
    append_string(out, st.step->name);
    if (st.step->repeat == Repeat::Once) out += ",\"once\":true";
    out += ',';
    append_key(out, "reason");
    append_string(out, st.decision.reason);
    out += ',';
    append_key(out, "status");
    append_string(out, to_string(st.status));
    if (st.preview.when == WhenState::AtRunTime) {
      out += ',';
      append_key(out, "when");
      append_string(out, "runtime");
    }
    out += '}';
  }
  out += "],";
  if (s.when == WhenState::AtRunTime) {
    append_key(out, "when");
    append_string(out, "runtime");
    out += ',';
  }
  append_key(out, "wave");
  out += std::to_string(s.wave);
  out += '}';
  return out;
}

/// Writes the plan one stage per line; stages are serialized on every core, a chunk at a time
/// (so a plan of 10,000 stages never holds all its JSON in memory), written in order.
void write_json(std::ostream& out, const Plan& plan) {
  out << "{\n  \"inventory\": " << json_dump(plan.inventory) << ",\n  \"stages\": [";
  constexpr size_t chunk = 256;
  std::vector<std::string> lines;
  for (size_t first = 0; first < plan.stages.size(); first += chunk) {
    lines.assign(std::min(chunk, plan.stages.size() - first), std::string());
    parallel_for(lines.size(), worker_count(lines.size()),
                 [&](size_t, size_t i) { lines[i] = stage_json(plan.stages[first + i]); });
    for (size_t i = 0; i < lines.size(); ++i)
      out << (first + i ? ",\n    " : "\n    ") << lines[i];
  }
  // Written by hand as the stages are (as json_dump would): no JSON tree of every stage's name.
  std::string tail = "\n  ],\n  \"waves\": [";
  for (size_t i = 0; i < plan.waves.size(); ++i) {
    if (i) tail += ',';
    append_strings(tail, plan.waves[i]);
  }
  tail += "],\n  \"criticalPath\": ";
  append_strings(tail, plan.critical_path);
  out << tail;
  if (plan.weights_measured) out << ",\n  \"criticalPathMs\": " << std::llround(plan.critical_ms);
  out << "\n}\n";
}

/// A DOT string literal: `"` and `\` escaped, so a name cannot end the string or start an
/// escape; the lines are joined with DOT's own `\n` (a line break in a label).
std::string dot_label(std::initializer_list<std::string> lines) {
  std::string out = "\"";
  bool first = true;
  for (const auto& line : lines) {
    if (!first) out += "\\n";
    first = false;
    for (char c : line) {
      if (c == '"' || c == '\\') out += '\\';
      out += c == '\n' ? ' ' : c;
    }
  }
  return out + "\"";
}

/// Fill colour of a stage box by what the plan will do with it.
const char* dot_fill(PlanStatus status) {
  switch (status) {
    case PlanStatus::Done:
      return "#d9f2d9";
    case PlanStatus::Skipped:
      return "#eeeeee";
    case PlanStatus::Changed:
      return "#fff2cc";
    case PlanStatus::Failed:
    case PlanStatus::Drifted:
      return "#f8cecc";
    default:
      return "#ffffff";
  }
}

void write_dot(std::ostream& out, const Plan& plan) {
  std::set<std::string> critical(plan.critical_path.begin(), plan.critical_path.end());
  std::set<std::pair<std::string, std::string>> critical_edges;
  for (size_t i = 1; i < plan.critical_path.size(); ++i)
    critical_edges.emplace(plan.critical_path[i - 1], plan.critical_path[i]);
  out << "digraph groundwork {\n  rankdir=LR;\n  node [shape=box, style=filled];\n";
  for (const auto& s : plan.stages) {
    const auto& name = s.stage->name;
    out << "  " << dot_label({name}) << " [label=" << dot_label({name, to_string(s.status)})
        << ", fillcolor=\"" << dot_fill(s.status) << '"';
    if (s.status == PlanStatus::Skipped) out << ", style=\"filled,dashed\"";
    if (critical.count(name)) out << ", penwidth=2";
    out << "];\n";
  }
  for (const auto& s : plan.stages)
    for (const auto& n : s.needs) {
      out << "  " << dot_label({n}) << " -> " << dot_label({s.stage->name});
      if (critical_edges.count({n, s.stage->name})) out << " [penwidth=2]";
      out << ";\n";
    }
  out << "}\n";
}

void write_mermaid(std::ostream& out, const Plan& plan) {
  std::map<std::string, std::string> id;
  for (const auto& s : plan.stages) id[s.stage->name] = "s" + std::to_string(id.size());
  out << "graph LR\n";
  for (const auto& s : plan.stages)
    out << "  " << id[s.stage->name] << "[\"" << s.stage->name << " (" << to_string(s.status)
        << ")\"]\n";
  for (const auto& s : plan.stages)
    for (const auto& n : s.needs) out << "  " << id[n] << " --> " << id[s.stage->name] << "\n";
}

}  // namespace

void write_plan(std::ostream& out, const Plan& plan, PlanFormat format, Color color) {
  switch (format) {
    case PlanFormat::Text:
      write_text(out, plan, color);
      break;
    case PlanFormat::Json:
      write_json(out, plan);
      break;
    case PlanFormat::Dot:
      write_dot(out, plan);
      break;
    case PlanFormat::Mermaid:
      write_mermaid(out, plan);
      break;
    case PlanFormat::Svg:
      write_svg(out, plan_picture(plan));
      break;
  }
}

}  // namespace gw
