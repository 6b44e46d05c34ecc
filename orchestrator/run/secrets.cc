#include "run/secrets.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "load/file_reader.h"
#include "model/hash.h"

namespace gw {

/// A secret file is a password or a key, never more than this.
constexpr size_t kSecretFileMax = 1u << 20;

namespace {

std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

/// The value of an env or file secret, read without running anything; an error names the secret
/// and its source. `src` must not be a command secret.
Result<std::string> read_env_or_file(const std::string& name, const SecretSource& src) {
  if (src.kind == SecretSourceKind::Env) {
    const char* v = std::getenv(src.env.c_str());
    if (!v) return Error{"secret '" + name + "': environment variable " + src.env + " is not set"};
    return std::string(v);
  }
  auto text = read_regular_file(src.file, kSecretFileMax);  // a FIFO or device never hangs
  if (!text) return Error{"secret '" + name + "': " + src.file + ": " + text.error().message};
  return strip_newline(*text);
}

Result<std::string> resolve_one(const std::string& name, const SecretSource& src,
                                CommandRunner& runner, const ToolResolver& tools,
                                const Interrupt& interrupt) {
  switch (src.kind) {
    case SecretSourceKind::Env:
    case SecretSourceKind::File:
      return read_env_or_file(name, src);
    case SecretSourceKind::Command: {
      ProcessSpec spec;
      spec.program = tools.resolve(src.command[0]);
      if (spec.program.empty())
        return Error{"secret '" + name + "': program '" + src.command[0] + "' not found"};
      spec.args.assign(src.command.begin() + 1, src.command.end());
      spec.timeout = Millis(60000);
      ProcessResult r = runner.run(spec, interrupt);
      if (!r.ok())
        return Error{"secret '" + name + "': command " + src.command[0] + " " +
                     r.describe(spec.timeout)};
      return strip_newline(r.out);
    }
  }
  return Error{"secret '" + name + "': unknown source"};
}

}  // namespace

Result<ResolvedSecrets> resolve_secrets(const Inventory& inv, const std::set<std::string>& names,
                                        const std::string& fingerprint_key, CommandRunner& runner,
                                        const ToolResolver& tools, const Interrupt& interrupt) {
  ResolvedSecrets out;
  std::vector<std::string> problems;  // all of them at once: one round of fixing, not one each
  for (const auto& name : names) {
    if (interrupt.stopping()) return Error{"interrupted while resolving secrets"};
    auto it = inv.secrets.find(name);
    if (it == inv.secrets.end()) {
      problems.push_back("unknown secret '" + name + "'");
      continue;
    }
    auto v = resolve_one(name, it->second, runner, tools, interrupt);
    if (!v) {
      problems.push_back(v.error().message);
      continue;
    }
    out.fingerprints[name] = hmac_sha256_hex(fingerprint_key, *v);
    if (!v->empty() && v->size() < kShortSecret && v->find('\n') == std::string::npos)
      out.warnings.push_back("secret '" + name + "' is only " + std::to_string(v->size()) +
                             " character" + (v->size() == 1 ? "" : "s") +
                             " long: wherever that text appears in output, logs and reports it "
                             "is shown as ***");
    out.redactor.add(*v);
    out.values[name] = std::move(*v);
  }
  if (problems.size() == 1) return Error{problems[0]};
  if (!problems.empty()) {
    std::string msg = std::to_string(problems.size()) + " secrets cannot be read:";
    for (const auto& p : problems) msg += "\n  " + p;
    return Error{msg};
  }
  return out;
}

std::optional<std::string> unreadable_secret(const Inventory& inv, const std::string& name) {
  auto it = inv.secrets.find(name);
  if (it == inv.secrets.end()) return "unknown secret '" + name + "'";
  if (it->second.kind == SecretSourceKind::Command) return std::nullopt;  // only a run runs it
  if (auto v = read_env_or_file(name, it->second); !v) return v.error().message;
  return std::nullopt;
}

std::vector<UnreadableSecret> unreadable_secrets(const Plan& plan, const Inventory& inv) {
  std::map<std::string, std::optional<std::string>> reason;  // checked once per secret
  std::vector<UnreadableSecret> out;
  for (const auto& ps : plan.stages) {
    if (ps.status == PlanStatus::Skipped) continue;
    for (const auto& st : ps.steps) {
      if (st.status == PlanStatus::Skipped) continue;
      for (const auto& name : st.preview.use.secrets) {
        auto [it, fresh] = reason.try_emplace(name);
        if (fresh) it->second = unreadable_secret(inv, name);
        if (!it->second) continue;
        auto found = std::find_if(out.begin(), out.end(),
                                  [&](const UnreadableSecret& u) { return u.name == name; });
        if (found == out.end()) found = out.insert(out.end(), {name, *it->second, st.step->loc, 0});
        ++found->uses;
      }
    }
  }
  return out;
}

std::set<std::string> secret_env_vars(const Inventory& inv) {
  std::set<std::string> names;
  for (const auto& [name, src] : inv.secrets)
    if (src.kind == SecretSourceKind::Env) names.insert(src.env);
  return names;
}

namespace {

/// The value of an env or file secret, without running anything; nullopt when unreadable.
std::optional<std::string> read_without_running(const SecretSource& src) {
  if (src.kind == SecretSourceKind::Command) return std::nullopt;
  auto v = read_env_or_file("", src);
  return v ? std::optional<std::string>(std::move(*v)) : std::nullopt;
}

}  // namespace

std::map<std::string, std::string> readable_fingerprints(const Inventory& inv,
                                                         const std::string& fingerprint_key) {
  std::map<std::string, std::string> out;
  for (const auto& [name, src] : inv.secrets)
    if (auto v = read_without_running(src)) out[name] = hmac_sha256_hex(fingerprint_key, *v);
  return out;
}

void redact_readable_secrets(const Inventory& inv, Redactor& redactor) {
  for (const auto& [name, src] : inv.secrets)
    if (auto v = read_without_running(src)) redactor.add(*v);
}

}  // namespace gw
