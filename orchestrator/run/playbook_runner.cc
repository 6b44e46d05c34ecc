#include "run/playbook_runner.h"

#include <cctype>
#include <ctime>

namespace gw {

using SysClock = std::chrono::system_clock;

const char* to_string(Phase p) {
  switch (p) {
    case Phase::Steps:
      return "steps";
    case Phase::Verify:
      return "verify";
    case Phase::Cleanup:
      return "cleanup";
  }
  return "?";
}

std::string phase_unit(const std::string& playbook, Phase phase) {
  return playbook + ":" + to_string(phase);
}

namespace {

bool passing(StepStatus s) {
  return s == StepStatus::Passed || s == StepStatus::AlreadyDone || s == StepStatus::Skipped;
}

PhaseStepResult run_one(const RunContext& ctx, const std::string& playbook, Phase phase,
                        const Step& step) {
  PhaseStepResult r;
  r.phase = phase;
  r.name = step.name;
  r.started = SysClock::now();
  r.result = run_step(ctx, phase_unit(playbook, phase), step);
  r.ended = SysClock::now();
  return r;
}

}  // namespace

std::optional<Millis> measure_rto(const std::vector<PhaseStepResult>& steps) {
  std::optional<SysClock::time_point> first, last_step, last_verify;
  for (const auto& s : steps) {
    if (s.phase == Phase::Cleanup) continue;
    if (!passing(s.result.status)) return std::nullopt;
    if (!first) first = s.started;
    (s.phase == Phase::Verify ? last_verify : last_step) = s.ended;
  }
  auto end = last_verify ? last_verify : last_step;
  if (!first || !end) return std::nullopt;
  return std::chrono::duration_cast<Millis>(*end - *first);
}

std::optional<Millis> measure_rto(const std::vector<PhaseStepResult>& steps,
                                  SysClock::time_point needs_started) {
  auto rto = measure_rto(steps);
  if (!rto) return std::nullopt;
  for (const auto& s : steps)
    if (s.phase != Phase::Cleanup)
      return std::chrono::duration_cast<Millis>(s.started + *rto - needs_started);
  return rto;
}

PlaybookResult run_playbook(const Playbook& pb, const RunContext& ctx,
                            const Interrupt& cleanup_interrupt) {
  PlaybookResult out;
  RunContext pctx = ctx;
  const bool drill = ctx.mode && *ctx.mode == to_string(Mode::Drill);

  auto procedure = [&](Phase phase, const std::vector<Step>& steps) {
    for (const auto& step : steps) {
      if (out.outcome != ProcedureOutcome::Passed) return;
      if (ctx.interrupt->stopping()) {
        out.outcome = ProcedureOutcome::Interrupted;
        out.failure = "interrupted";
        return;
      }
      if (auto broken = ctx.store->broken()) {
        out.outcome = ProcedureOutcome::Failed;
        out.journal_error = *broken;
        out.failure = "the journal cannot be written: " + *broken;
        return;
      }
      PhaseStepResult r = run_one(pctx, pb.name, phase, step);
      if (r.result.status == StepStatus::Interrupted) {
        out.outcome = ProcedureOutcome::Interrupted;
        out.failure = std::string(to_string(phase)) + "/" + step.name + ": interrupted";
      } else if (!passing(r.result.status)) {
        out.outcome = ProcedureOutcome::Failed;
        out.failure = std::string(to_string(phase)) + "/" + step.name + ": " + r.result.message;
      }
      out.steps.push_back(std::move(r));
    }
  };
  procedure(Phase::Steps, pb.steps);
  procedure(Phase::Verify, pb.verify);
  if (!drill) return out;

  // Cleanup: every step, whatever happened before, with an interrupt only a second signal raises.
  RunContext cctx = pctx;
  cctx.interrupt = &cleanup_interrupt;
  for (const auto& step : pb.cleanup) {
    if (cleanup_interrupt.level() == StopLevel::Kill) break;
    PhaseStepResult r = run_one(cctx, pb.name, Phase::Cleanup, step);
    if (!passing(r.result.status)) out.cleanup_failed = true;
    out.steps.push_back(std::move(r));
  }
  if (auto broken = ctx.store->broken(); broken && !out.journal_error) out.journal_error = *broken;
  return out;
}

std::optional<SysClock::time_point> parse_rfc3339(std::string_view t) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > t.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
       minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60)
    return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t start = pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) {
      nanos += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= t.size()) return std::nullopt;
  int offset_s = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= t.size() || t[pos + 3] != ':') return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  time_t secs = timegm(&tm);
  auto tp = SysClock::from_time_t(secs - offset_s);
  return tp + std::chrono::duration_cast<SysClock::duration>(std::chrono::nanoseconds(nanos));
}

std::string format_rfc3339(SysClock::time_point t) {
  time_t secs = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gw
