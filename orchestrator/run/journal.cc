#include "run/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "model/json_text.h"
#include "plan/schedule.h"

namespace gw {

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

namespace {

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// A whole number field; anything else (a float, a number past int64's range) reads as 0.
int64_t num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer() && !it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_number_unsigned()) {
    auto u = it->get<uint64_t>();
    return u <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(u) : 0;
  }
  return 0;
}

FlatMap<std::string> str_map(const nlohmann::json& j, const char* key) {
  FlatMap<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

KeyParts parse_parts(const nlohmann::json& r) {
  KeyParts p;
  auto it = r.find("parts");
  if (it == r.end() || !it->is_object()) return p;
  p.spec = str(*it, "spec");
  p.files = str_map(*it, "files");
  p.outputs = str_map(*it, "outputs");
  p.secrets = str_map(*it, "secrets");
  return p;
}

nlohmann::json json_object(const FlatMap<std::string>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

nlohmann::json parts_json(const KeyParts& p) {
  return {{"spec", p.spec},
          {"files", json_object(p.files)},
          {"outputs", json_object(p.outputs)},
          {"secrets", json_object(p.secrets)}};
}

LastRestore last_restore(const JournalState& state, const std::string& playbook) {
  if (state.open_restores.count(playbook)) return LastRestore::Unfinished;
  for (auto it = state.drills.rbegin(); it != state.drills.rend(); ++it)
    if (it->playbook == playbook && it->mode == "restore")
      return it->status == "passed" ? LastRestore::Finished : LastRestore::Unfinished;
  return LastRestore::None;
}

nlohmann::json restore_start_json(const std::string& playbook, const std::string& run_id,
                                  Restart restart) {
  nlohmann::json j{{"t", "restore_start"}, {"playbook", playbook}, {"run", run_id}};
  if (restart == Restart::Fresh) j["fresh"] = true;
  return j;
}

nlohmann::json drill_record_json(const DrillRecord& d) {
  nlohmann::json j{{"t", "drill_end"}, {"playbook", d.playbook}, {"mode", d.mode},
                   {"status", d.status}, {"run", d.run_id}};
  if (!d.at.empty()) j["at"] = d.at;
  if (d.rto_ms) j["rtoMs"] = *d.rto_ms;
  if (d.rpo_ms) j["rpoMs"] = *d.rpo_ms;
  return j;
}

void apply_record(const nlohmann::json& r, JournalState& st) {
  ++st.records;
  auto& cp = st.checkpoints;
  std::string t = str(r, "t");
  std::string stage = str(r, "stage");
  std::string id = stage + "/" + str(r, "step");
  if (t == "step_start") {
    StepRecord& rec = cp.steps[id];
    rec.spec_key = str(r, "specKey");
    rec.key = str(r, "key");
    rec.parts = parse_parts(r);
    rec.status = RecordStatus::Running;
    rec.maybe_applied = false;
    rec.started_at = str(r, "at");
    rec.finished_at.clear();
  } else if (t == "step_end") {
    StepRecord& rec = cp.steps[id];
    rec.spec_key = str(r, "specKey");
    rec.key = str(r, "key");
    rec.parts = parse_parts(r);
    rec.status = parse_record_status(str(r, "status"));
    rec.maybe_applied = r.value("maybeApplied", false);
    rec.duration_ms = num(r, "durationMs");
    rec.attempts = static_cast<int>(num(r, "attempts"));
    rec.finished_at = str(r, "at");
    if (rec.status == RecordStatus::Passed)
      remember_duration(cp.durations.steps[id], rec.duration_ms);
    if (auto o = r.find("outputs"); o != r.end() && o->is_object())
      for (const auto& [k, v] : o->items())
        if (v.is_string()) cp.outputs[stage + "." + k] = v.get<std::string>();
  } else if (t == "stage_end") {
    StageRecord& rec = cp.stages[stage];
    rec.spec_key = str(r, "specKey");
    rec.status = parse_record_status(str(r, "status"));
    rec.duration_ms = num(r, "durationMs");
    rec.finished_at = str(r, "at");
    // A stage where no step ran (all done) says nothing of how long it takes.
    if (rec.status == RecordStatus::Passed && r.value("ran", true))
      remember_duration(cp.durations.stages[stage], rec.duration_ms);
  } else if (t == "durations") {
    // Compaction's copy of a history (plan/schedule.h), replacing what came before.
    std::vector<int64_t> ms;
    if (auto m = r.find("ms"); m != r.end() && m->is_array())
      for (const auto& v : *m)
        if (v.is_number_integer()) ms.push_back(v.get<int64_t>());
    std::string step = str(r, "step");
    (step.empty() ? cp.durations.stages[stage] : cp.durations.steps[id]) = std::move(ms);
  } else if (t == "reset") {
    std::string step = str(r, "step");
    if (stage.empty()) {
      Durations kept = std::move(cp.durations);  // timing knowledge outlives checkpoints
      cp = Checkpoints{};
      cp.durations = std::move(kept);
      return;
    }
    if (step.empty()) {
      cp.stages.erase(stage);
      for (auto it = cp.steps.begin(); it != cp.steps.end();)
        it = it->first.rfind(stage + "/", 0) == 0 ? cp.steps.erase(it) : std::next(it);
      for (auto it = cp.outputs.begin(); it != cp.outputs.end();)
        it = it->first.rfind(stage + ".", 0) == 0 ? cp.outputs.erase(it) : std::next(it);
    } else {
      cp.steps.erase(id);
      cp.stages.erase(stage);
    }
  } else if (t == "outputs") {
    if (auto o = r.find("outputs"); o != r.end() && o->is_object())
      for (const auto& [k, v] : o->items())
        if (v.is_string()) cp.outputs[stage + "." + k] = v.get<std::string>();
  } else if (t == "drill_end") {
    auto opt_num = [&](const char* k) -> std::optional<int64_t> {
      auto it = r.find(k);
      if (it == r.end() || !it->is_number_integer()) return std::nullopt;
      return it->get<int64_t>();
    };
    st.drills.push_back({str(r, "playbook"), str(r, "mode"), str(r, "status"), str(r, "at"),
                         opt_num("rtoMs"), str(r, "run"), opt_num("rpoMs")});
    if (st.drills.back().mode == "restore") st.open_restores.erase(st.drills.back().playbook);
  } else if (t == "restore_start") {
    std::string pb = str(r, "playbook");
    st.open_restores.insert(pb);
    if (r.value("fresh", false)) {  // a new restore: the phases' checkpoints of the last one go
      auto mine = [&](const std::string& k) { return k.rfind(pb + ":", 0) == 0; };
      std::erase_if(cp.steps, [&](const auto& kv) { return mine(kv.first); });
      std::erase_if(cp.stages, [&](const auto& kv) { return mine(kv.first); });
      std::erase_if(cp.outputs, [&](const auto& kv) { return mine(kv.first); });
    }
  }
}

namespace {

/// Parses journal text; returns the byte length of the valid prefix.
size_t parse_text(const std::string& text, const std::string& path, JournalState& st,
                  std::vector<std::string>* warnings, JournalTail tail = JournalTail::Final) {
  size_t pos = 0, good = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    ++line;
    if (nl == std::string::npos) {
      if (warnings && tail == JournalTail::Final)
        warnings->push_back(path + ":" + std::to_string(line) +
                            ": dropped a torn last record (the previous run stopped mid-write)");
      break;
    }
    std::string_view l(text.data() + pos, nl - pos);
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (warnings)
        warnings->push_back(path + ":" + std::to_string(line) + ": skipped an unreadable record");
    } else if (j.contains("groundwork_journal")) {
      if (j["groundwork_journal"] != kJournalVersion && warnings)
        warnings->push_back(path + ": journal version " + j["groundwork_journal"].dump() +
                            " is not " + std::to_string(kJournalVersion) + "; reading anyway");
    } else {
      apply_record(j, st);
    }
    pos = nl + 1;
    good = pos;
  }
  return good;
}

std::string header_line() {
  return nlohmann::json{{"groundwork_journal", kJournalVersion}, {"created", now_rfc3339()}}
             .dump() +
         "\n";
}

Status write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("write failed: ") + std::strerror(errno)};
    }
    off += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Result<JournalState> read_journal(const std::string& path, std::vector<std::string>* warnings,
                                  JournalTail tail) {
  JournalState st;
  std::ifstream in(path, std::ios::binary);
  if (!in) return st;
  std::ostringstream ss;
  ss << in.rdbuf();
  parse_text(ss.str(), path, st, warnings, tail);
  return st;
}

Result<Journal> Journal::open(const std::string& path, std::vector<std::string>* warnings) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot open journal: " + std::strerror(errno)};
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  JournalState st;
  size_t good = parse_text(text, path, st, warnings);
  if (good != text.size() && ::ftruncate(fd, static_cast<off_t>(good)) != 0) {
    ::close(fd);
    return Error{path + ": cannot drop torn record: " + std::strerror(errno)};
  }
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (good == 0) {
    std::string header = header_line();
    auto w = write_all(fd, header);
    if (!w || ::fdatasync(fd) != 0) {
      ::close(fd);
      return Error{path + ": cannot write the journal header: " +
                   (w ? std::string(std::strerror(errno)) : w.error().message)};
    }
    size = static_cast<off_t>(header.size());
  }
  Journal j(path, fd, std::move(st));
  j.size_ = size;
  return j;
}

Journal::~Journal() {
  stop_flusher();
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

// Only moved before any deferred append: the flusher thread, once started, points at this object.
Journal::Journal(Journal&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(o.fd_),
      state_(std::move(o.state_)),
      flush_delay_(o.flush_delay_),
      size_(o.size_),
      broken_(std::move(o.broken_)) {
  o.fd_ = -1;
}

void Journal::flush_locked(std::unique_lock<std::mutex>& lock) {
  const uint64_t covers = written_;  // every record written before the fdatasync starts
  flushing_ = true;
  lock.unlock();
  int rc = ::fdatasync(fd_);
  int err = errno;
  lock.lock();
  flushing_ = false;
  if (rc == 0)
    durable_ = std::max(durable_, covers);
  else if (flush_error_.empty())
    flush_error_ = path_ + ": fdatasync failed: " + std::strerror(err);
  synced_cv_.notify_all();
}

void Journal::flush_loop() {
  std::unique_lock<std::mutex> lock(flush_mu_);
  for (;;) {
    flusher_idle_ = true;
    flush_cv_.wait(lock, [&] { return written_ > durable_ || stopping_; });
    flusher_idle_ = false;
    if (written_ <= durable_ && stopping_) return;
    // A short pause first: the records of the next moments ride on the same fdatasync. When a
    // sync() ran meanwhile (the executor's, before a dependent starts), it covered what was
    // pending; what was written after it gets a pause of its own. So a deferred record is on
    // disk within two pauses, and a run whose stages end every few milliseconds pays no
    // fdatasync here on top of the executor's.
    const uint64_t durable_then = durable_;
    if (!stopping_) flush_cv_.wait_for(lock, flush_delay_, [&] { return stopping_; });
    if (flushing_) {
      synced_cv_.wait(lock, [&] { return !flushing_; });
      continue;
    }
    if (written_ <= durable_ || (durable_ != durable_then && !stopping_)) continue;
    flush_locked(lock);
    ++background_syncs_;
    if (!flush_error_.empty()) return;  // the next append reports it
  }
}

void Journal::stop_flusher() {
  if (!flusher_) return;
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    stopping_ = true;
  }
  flush_cv_.notify_all();
  flusher_->join();
  flusher_.reset();
}

Status Journal::append(nlohmann::json record, Durability durability) {
  if (!broken_.empty()) return Error{broken_};
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    if (!flush_error_.empty()) return Error{broken_ = flush_error_};
  }
  if (!record.contains("at")) record["at"] = now_rfc3339();
  std::string line = json_dump(record) + "\n";
  if (auto w = write_all(fd_, line); !w) {
    // Cut the torn record off so that the next one starts on a line of its own.
    if (::ftruncate(fd_, size_) != 0 || ::lseek(fd_, size_, SEEK_SET) != size_)
      broken_ = path_ + ": " + w.error().message + ", and the torn record could not be cut off";
    return Error{path_ + ": " + w.error().message};
  }
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    ++written_;
    if (durability == Durability::Deferred && flusher_idle_)
      flush_cv_.notify_one();  // otherwise the flusher looks at written_ when it wakes
  }
  if (durability == Durability::Sync) {
    if (auto s = sync(); !s) return Error{broken_ = s.error().message};
  } else if (!flusher_) {
    flusher_ = std::make_unique<std::thread>([this] { flush_loop(); });
  }
  size_ += static_cast<off_t>(line.size());
  apply_record(record, state_);
  return Ok{};
}

Status Journal::sync() {
  std::unique_lock<std::mutex> lock(flush_mu_);
  const uint64_t target = written_;
  for (;;) {
    if (!flush_error_.empty()) return Error{flush_error_};
    if (durable_ >= target || fd_ < 0) return Ok{};  // nothing written since: no fdatasync
    if (flushing_)  // it may cover these records; if it started before them, flush again after
      synced_cv_.wait(lock, [&] { return !flushing_; });
    else
      flush_locked(lock);
  }
}

Status Journal::compact() {
  stop_flusher();
  stopping_ = false;
  std::string text = header_line();
  JournalState fresh;
  auto add = [&](const nlohmann::json& r) {
    apply_record(r, fresh);
    text += json_dump(r) + "\n";
  };
  const auto& cp = state_.checkpoints;
  for (const auto& [id, rec] : cp.steps) {
    auto slash = id.find('/');
    nlohmann::json r{{"t", rec.status == RecordStatus::Running ? "step_start" : "step_end"},
                     {"stage", id.substr(0, slash)},
                     {"step", id.substr(slash + 1)},
                     {"specKey", rec.spec_key},
                     {"key", rec.key},
                     {"at", rec.finished_at.empty() ? rec.started_at : rec.finished_at}};
    if (!rec.parts.empty()) r["parts"] = parts_json(rec.parts);
    if (rec.status != RecordStatus::Running) {
      r["status"] = to_string(rec.status);
      r["durationMs"] = rec.duration_ms;
      r["attempts"] = rec.attempts;
      if (rec.maybe_applied) r["maybeApplied"] = true;
    }
    add(r);
  }
  // Outputs are keyed by stage; carry them on one synthetic record per stage.
  std::map<std::string, nlohmann::json> outputs;
  for (const auto& [k, v] : cp.outputs) {
    auto dot = k.find('.');
    outputs[k.substr(0, dot)][k.substr(dot + 1)] = v;
  }
  for (const auto& [stage, outs] : outputs)
    add({{"t", "outputs"}, {"stage", stage}, {"outputs", outs}});
  for (const auto& [stage, rec] : cp.stages)
    add({{"t", "stage_end"},
         {"stage", stage},
         {"specKey", rec.spec_key},
         {"status", to_string(rec.status)},
         {"durationMs", rec.duration_ms},
         {"at", rec.finished_at}});
  // After the stage and step ends, whose own durations these histories replace.
  for (const auto& [stage, ms] : cp.durations.stages)
    add({{"t", "durations"}, {"stage", stage}, {"ms", ms}});
  for (const auto& [id, ms] : cp.durations.steps) {
    auto slash = id.find('/');
    add({{"t", "durations"},
         {"stage", id.substr(0, slash)},
         {"step", id.substr(slash + 1)},
         {"ms", ms}});
  }
  for (const auto& d : state_.drills) add(drill_record_json(d));
  for (const auto& p : state_.open_restores) add(restore_start_json(p, "", Restart::Resume));
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
  auto w = write_all(fd, text);
  if (!w || ::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error{tmp + ": cannot write compacted journal"};
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return Error{path_ + ": rename failed"};
  int nfd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (nfd < 0) return Error{path_ + ": reopen failed"};
  ::close(fd_);
  fd_ = nfd;
  size_ = ::lseek(fd_, 0, SEEK_END);
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    durable_ = written_;  // all of it is in the file just fsync'd
  }
  fresh.records = state_.records;
  state_ = std::move(fresh);
  return Ok{};
}

}  // namespace gw
