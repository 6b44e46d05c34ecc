#pragma once
/// Resolves secrets at run time from env, file or command (SPEC §3 Inventory secrets). Values stay
/// in memory only; fingerprints (keyed hashes) go into checkpoint keys.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/project.h"
#include "model/result.h"
#include "plan/planner.h"
#include "run/command_runner.h"
#include "run/tools.h"

namespace gw {

/// A one-line secret value shorter than this is masked wherever its characters appear in output
/// ("exit 0" with a secret "e" reads "***xit 0"): resolve_secrets warns about it.
inline constexpr size_t kShortSecret = 4;

struct ResolvedSecrets {
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> fingerprints;
  Redactor redactor;
  std::vector<std::string> warnings;  // secrets so short that masking them mangles output
};

/// Resolves `names`. A missing env var, unreadable file or failing command is an error naming the
/// secret and its source (never its value); every such problem is in the one error.
Result<ResolvedSecrets> resolve_secrets(const Inventory& inv, const std::set<std::string>& names,
                                        const std::string& fingerprint_key, CommandRunner& runner,
                                        const ToolResolver& tools, const Interrupt& interrupt);

/// Why the env or file secret `name` cannot be read now (nullopt: readable, or a command secret,
/// which only a run may run). Reads no more than resolve_secrets would; runs nothing.
std::optional<std::string> unreadable_secret(const Inventory& inv, const std::string& name);

/// An env or file secret the plan uses that cannot be read now, and where it is first used.
struct UnreadableSecret {
  std::string name;
  std::string reason;  // unreadable_secret()
  SourceLoc first_use;
  size_t uses = 0;  // steps of the plan using it (not skipped)
};

/// Every env or file secret the plan's steps use (skipped ones left out) that cannot be read now:
/// what `validate` warns about and `doctor` fails on, before `apply` would refuse to start.
std::vector<UnreadableSecret> unreadable_secrets(const Plan& plan, const Inventory& inv);

/// The fingerprints `plan` can know without running anything: env and file secrets that can be
/// read (command secrets are left out: plan runs no command).
std::map<std::string, std::string> readable_fingerprints(const Inventory& inv,
                                                         const std::string& fingerprint_key);

/// The environment variables the inventory's secrets are read from (`secrets: {x: {env: VAR}}`):
/// never passed on to commands (ProcessRunner::withhold_env); a step that needs a secret names it.
std::set<std::string> secret_env_vars(const Inventory& inv);

/// Adds to `redactor` the values of every env and file secret of the inventory that can be read,
/// used or not: a child inherits the whole environment and may print any of them.
void redact_readable_secrets(const Inventory& inv, Redactor& redactor);

}  // namespace gw
