#include "report/drill_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "model/duration.h"
#include "model/json_text.h"
#include "report/xml_text.h"

namespace gw {

bool Objective::met() const {
  if (!objective_ms) return true;
  return measured_ms && *measured_ms <= *objective_ms;
}

namespace {

nlohmann::json opt(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json objective_json(const Objective& o) {
  return {
      {"measuredMs", opt(o.measured_ms)}, {"objectiveMs", opt(o.objective_ms)}, {"met", o.met()}};
}

std::string ms_text(const std::optional<int64_t>& v) {
  if (!v) return "-";
  return format_duration(Millis(*v >= 1000 ? *v / 1000 * 1000 : *v));
}

/// Markdown table cells: no pipes, no newlines.
std::string cell(std::string s) {
  for (auto& c : s)
    if (c == '|' || c == '\n' || c == '\r') c = ' ';
  if (s.size() > 300) s = s.substr(0, 300) + "…";
  return s;
}

std::string svg_chart(const DrillReport& r) {
  std::vector<std::pair<size_t, int64_t>> pts;
  int64_t top = r.rto.objective_ms.value_or(0);
  for (size_t i = 0; i < r.trend.size(); ++i)
    if (r.trend[i].rto_ms) {
      pts.emplace_back(i, *r.trend[i].rto_ms);
      top = std::max(top, *r.trend[i].rto_ms);
    }
  if (pts.empty() || top <= 0) return "";
  const int w = 480, h = 160, pad = 20;
  size_t n = std::max<size_t>(r.trend.size(), 2);
  auto x = [&](size_t i) { return pad + static_cast<int>(i * (w - 2 * pad) / (n - 1)); };
  auto y = [&](int64_t v) {
    return h - pad -
           static_cast<int>(static_cast<double>(v) / static_cast<double>(top) * (h - 2 * pad) *
                            0.9);
  };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" role=\"img\" aria-label=\"RTO of the last drills against the objective\">\n";
  s << "<rect width=\"" << w << "\" height=\"" << h << "\" fill=\"white\" stroke=\"#ccc\"/>\n";
  if (r.rto.objective_ms) {
    int yo = y(*r.rto.objective_ms);
    s << "<line x1=\"" << pad << "\" y1=\"" << yo << "\" x2=\"" << w - pad << "\" y2=\"" << yo
      << "\" stroke=\"#d33\" stroke-dasharray=\"4 3\"/>\n";
    s << "<text x=\"" << pad + 2 << "\" y=\"" << yo - 3
      << "\" font-size=\"10\" fill=\"#d33\">objective " << ms_text(r.rto.objective_ms)
      << "</text>\n";
  }
  s << "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"2\" points=\"";
  for (auto& [i, v] : pts) s << x(i) << "," << y(v) << " ";
  s << "\"/>\n";
  for (auto& [i, v] : pts)
    s << "<circle cx=\"" << x(i) << "\" cy=\"" << y(v) << "\" r=\"3\" fill=\""
      << (r.trend[i].status == "passed" ? "#36c" : "#d33") << "\"/>\n";
  s << "</svg>\n";
  return s.str();
}

}  // namespace

nlohmann::json drill_report_json(const DrillReport& r) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : r.params) params[k] = v;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : r.steps) {
    nlohmann::json j{{"phase", s.phase},
                     {"name", s.name},
                     {"status", s.status},
                     {"attempts", s.attempts},
                     {"durationMs", s.duration_ms}};
    if (!s.message.empty()) j["message"] = s.message;
    if (!s.output_name.empty()) j["output"] = {{"name", s.output_name}, {"value", s.output}};
    steps.push_back(std::move(j));
  }
  nlohmann::json trend = nlohmann::json::array();
  for (const auto& t : r.trend)
    trend.push_back(
        {{"at", t.at}, {"status", t.status}, {"rtoMs", opt(t.rto_ms)}, {"rpoMs", opt(t.rpo_ms)}});
  nlohmann::json j{
      {"inventory", r.inventory}, {"playbook", r.playbook},       {"mode", r.mode},
      {"run", r.run_id},          {"startedAt", r.started_at},    {"finishedAt", r.finished_at},
      {"status", r.status},       {"interrupted", r.interrupted}, {"params", params},
      {"steps", steps},           {"rto", objective_json(r.rto)}, {"trend", trend}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.rpo) {
    j["rpo"] = objective_json(*r.rpo);
    j["rpo"]["backupTime"] = r.backup_time;
  }
  return j;
}

std::string drill_report_markdown(const DrillReport& r) {
  std::ostringstream s;
  s << "# " << (r.mode == "restore" ? "Restore" : "Drill") << " `" << r.playbook << "` on `"
    << r.inventory << "`: **" << r.status << "**\n\n";
  s << "Run `" << r.run_id << "`, " << r.started_at << " to " << r.finished_at << ".";
  if (!r.reason.empty()) s << " " << cell(r.reason) << ".";
  s << "\n\n";
  s << "| | measured | objective | met |\n|---|---|---|---|\n";
  s << "| RTO | " << ms_text(r.rto.measured_ms) << " | " << ms_text(r.rto.objective_ms) << " | "
    << (r.rto.met() ? "yes" : "**no**") << " |\n";
  if (r.rpo)
    s << "| RPO (backup " << cell(r.backup_time) << ") | " << ms_text(r.rpo->measured_ms) << " | "
      << ms_text(r.rpo->objective_ms) << " | " << (r.rpo->met() ? "yes" : "**no**") << " |\n";
  if (!r.params.empty()) {
    s << "\n## Parameters\n\n| param | value |\n|---|---|\n";
    for (const auto& [k, v] : r.params) s << "| " << cell(k) << " | `" << cell(v) << "` |\n";
  }
  s << "\n## Steps\n\n| phase | step | status | attempts | duration | note |\n"
    << "|---|---|---|---|---|---|\n";
  for (const auto& st : r.steps)
    s << "| " << st.phase << " | " << cell(st.name) << " | " << st.status << " | " << st.attempts
      << " | " << ms_text(st.duration_ms) << " | "
      << cell(!st.message.empty() || st.output_name.empty() ? st.message
                                                            : st.output_name + ": " + st.output)
      << " |\n";
  s << "\n## Trend (last " << r.trend.size() << " drills)\n\n"
    << "| at | status | RTO | RPO |\n|---|---|---|---|\n";
  for (const auto& t : r.trend)
    s << "| " << t.at << " | " << t.status << " | " << ms_text(t.rto_ms) << " | "
      << ms_text(t.rpo_ms) << " |\n";
  if (auto chart = svg_chart(r); !chart.empty()) s << "\n" << chart;
  return s.str();
}

std::string drill_report_junit(const DrillReport& r) {
  size_t failures = 0, tests = r.steps.size() + 1 + (r.rpo ? 1 : 0);
  for (const auto& s : r.steps)
    if (s.status == "failed" || s.status == "interrupted") ++failures;
  if (!r.rto.met()) ++failures;
  if (r.rpo && !r.rpo->met()) ++failures;
  int64_t total = 0;
  for (const auto& s : r.steps) total += s.duration_ms;
  auto secs = [](int64_t ms) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ms) / 1000.0);
    return std::string(b);
  };
  std::string suite = xml_escape(r.playbook);
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << "<testsuites name=\"groundwork " << xml_escape(r.mode) << "\" tests=\"" << tests
    << "\" failures=\"" << failures << "\" time=\"" << secs(total) << "\">\n";
  s << "  <testsuite name=\"" << suite << "\" tests=\"" << tests << "\" failures=\"" << failures
    << "\" errors=\"0\" skipped=\"0\" time=\"" << secs(total) << "\" timestamp=\""
    << xml_escape(r.started_at) << "\">\n";
  s << "    <properties>\n";
  s << "      <property name=\"inventory\" value=\"" << xml_escape(r.inventory) << "\"/>\n";
  s << "      <property name=\"run\" value=\"" << xml_escape(r.run_id) << "\"/>\n";
  for (const auto& [k, v] : r.params)
    s << "      <property name=\"param." << xml_escape(k) << "\" value=\"" << xml_escape(v)
      << "\"/>\n";
  s << "    </properties>\n";
  for (const auto& st : r.steps) {
    s << "    <testcase classname=\"" << suite << "." << st.phase << "\" name=\""
      << xml_escape(st.name) << "\" time=\"" << secs(st.duration_ms) << "\"";
    if (st.status == "failed" || st.status == "interrupted") {
      s << ">\n      <failure message=\"" << xml_escape(st.message.empty() ? st.status : st.message)
        << "\" type=\"" << st.status << "\">" << xml_escape(st.message) << "</failure>\n"
        << "    </testcase>\n";
    } else if (st.status == "skipped") {
      s << ">\n      <skipped/>\n    </testcase>\n";
    } else if (!st.output_name.empty()) {
      s << ">\n      <system-out>" << xml_escape(st.output_name + ": " + st.output)
        << "</system-out>\n    </testcase>\n";
    } else {
      s << "/>\n";
    }
  }
  auto objective_case = [&](const char* name, const Objective& o) {
    s << "    <testcase classname=\"" << suite << ".objectives\" name=\"" << name
      << "\" time=\"0\"";
    if (o.met()) {
      s << "/>\n";
      return;
    }
    std::string msg = std::string(name) + " " + ms_text(o.measured_ms) + " against objective " +
                      ms_text(o.objective_ms);
    s << ">\n      <failure message=\"" << xml_escape(msg) << "\" type=\"objective\">"
      << xml_escape(msg) << "</failure>\n    </testcase>\n";
  };
  objective_case("rto", r.rto);
  if (r.rpo) objective_case("rpo", *r.rpo);
  s << "  </testsuite>\n</testsuites>\n";
  return s.str();
}

namespace {

/// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string seconds(int64_t ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ms) / 1000.0);
  return b;
}

}  // namespace

std::string drill_metrics(const DrillReport& r, int64_t now_s) {
  std::string labels =
      "{inventory=\"" + label(r.inventory) + "\",playbook=\"" + label(r.playbook) + "\"}";
  std::ostringstream s;
  s << "# HELP groundwork_drill_success Whether the last drill of the playbook passed (1) or "
       "failed (0).\n# TYPE groundwork_drill_success gauge\n"
    << "groundwork_drill_success" << labels << " " << (r.status == "passed" ? 1 : 0) << "\n";
  if (r.rto.measured_ms)
    s << "# HELP groundwork_drill_rto_seconds The last drill's measured recovery time.\n"
         "# TYPE groundwork_drill_rto_seconds gauge\n"
      << "groundwork_drill_rto_seconds" << labels << " " << seconds(*r.rto.measured_ms) << "\n";
  if (r.rpo && r.rpo->measured_ms)
    s << "# HELP groundwork_drill_rpo_seconds The age of the backup the last drill restored.\n"
         "# TYPE groundwork_drill_rpo_seconds gauge\n"
      << "groundwork_drill_rpo_seconds" << labels << " " << seconds(*r.rpo->measured_ms) << "\n";
  s << "# HELP groundwork_drill_last_run_timestamp_seconds When the last drill ended (Unix "
       "time).\n# TYPE groundwork_drill_last_run_timestamp_seconds gauge\n"
    << "groundwork_drill_last_run_timestamp_seconds" << labels << " " << now_s << "\n";
  return s.str();
}

Status write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{tmp + ": cannot create: " + std::strerror(errno)};
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{tmp + ": cannot write: " + std::strerror(e)};
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error{tmp + ": cannot sync: " + std::strerror(e)};
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error{path + ": cannot rename " + tmp + " into place: " + std::strerror(e)};
  }
  return Ok{};
}

}  // namespace gw
