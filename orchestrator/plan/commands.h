#pragma once
/// What a step would run: the exact argv, environment, stdin and input files, built from the
/// rendered step (SPEC §3 step kinds). Pure: file contents come from Project::files.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/boxed.h"
#include "model/project.h"
#include "model/result.h"
#include "model/schema.h"
#include "model/template.h"

namespace gw {

/// A rendered step or gate body: every template replaced.
struct RenderedBody {
  std::map<std::string, std::string> scalars;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, std::map<std::string, std::string>> maps;

  /// The scalar's value, or `fallback` when absent.
  std::string get(const std::string& key, const std::string& fallback = "") const;
  bool flag(const std::string& key) const;  // a Bool field: "true" (any case)
};

/// Renders every Text of a body and checks the types the schema gives (whole numbers, booleans)
/// on the rendered values. Errors carry the field's location.
Result<RenderedBody> render_body(const Body& body, const BodySchema& schema,
                                 const RenderScope& scope, RenderUse* use);
/// The same for a gate's body.
Result<RenderedBody> render_gate(const Gate& gate, const RenderScope& scope, RenderUse* use);

/// An input file a command reads: shown and hashed by its source path, materialized at run time
/// (rendered `.tmpl` files go to the run's private secrets folder, run/rendered_files.h; plain
/// files are used in place).
struct FileInput {
  FileName source;  // absolute path as named (interned: steps share their input files)
  std::shared_ptr<const std::string> content;  // rendered content (shared between steps)
  std::shared_ptr<const std::string> hash;     // sha256 of content (shared as content is)
  bool rendered = false;
  size_t arg = 0;  // its argument: Invocation::argv[arg], the path once materialized
};

/// Everything a process step does. Never contains a secret in argv (validated at load).
struct Invocation {
  std::string tool;  // logical program name: kubectl, helm, talosctl, or run's argv[0]
  /// argv[0] is the logical tool name. An input file's argument is empty here: the file's path,
  /// known once it is materialized, takes its place (files[k].arg is its position).
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  Boxed<std::string> stdin_data;  // boxed: few commands have one (a plan keeps every command)
  Boxed<std::string> cwd;
  std::vector<FileInput> files;

  /// argv as a person reads it: files by their source path.
  std::vector<std::string> display_argv() const;
  /// The input file whose argument is argv[i], or null for a literal argument.
  const FileInput* file_at(size_t i) const;
};

/// A rendered input file, kept so that steps naming the same file render and hash it once.
struct RenderedFile {
  std::shared_ptr<const std::string> content;
  std::shared_ptr<const std::string> hash;
  RenderUse use;
};
using RenderCache = std::map<std::string, RenderedFile>;

/// Inputs for building commands: the inventory and file table, and how to render. `cache` (may be
/// null) must only be shared by calls with the same scope.
struct CommandContext {
  const Project* project = nullptr;
  RenderScope scope;
  RenderCache* cache = nullptr;
};

/// The command of a helm/kubectl/talosctl/run step. Ssh and gate steps have none (nullopt).
Result<std::optional<Invocation>> build_step_command(const Step& step, const CommandContext& ctx,
                                                     RenderUse* use);

/// How `diff` compares a helm release with the cluster: `helm template` piped into `kubectl diff`,
/// or the helm-diff plugin's `helm diff upgrade`.
enum class HelmDiff { Template, Plugin };

/// What `diff` runs for one step. For kubectl apply steps `kubectl diff -f FILE…`
/// (`--server-side` when the step is); for helm steps `helm template …` whose stdout is the stdin
/// of `kubectl diff -f -`, or `helm diff upgrade …`. Steps with nothing to compare have an empty
/// pipeline and say why in `not_diffable` ("talosctl", "kubectl delete").
struct DiffCommand {
  std::vector<Invocation> pipeline;  // each command's stdout is the next one's stdin
  std::string not_diffable;
  int differs_exit = 1;  // the last command's exit code that means "differs" (else 0: same)
};

/// Builds the diff command of a step from the same rendered body and files as its apply command.
Result<DiffCommand> build_diff_command(const Step& step, const CommandContext& ctx, HelmDiff helm,
                                       RenderUse* use);

/// The kubectl query a kube-backed gate (rollout, condition, exists, jsonpath) polls with.
Invocation build_gate_query(GateKind kind, const RenderedBody& body, const Inventory& inv);

/// A one-line description of a rendered gate, e.g. "rollout deployment/traefik -n traefik".
std::string describe_gate(GateKind kind, const RenderedBody& body);

/// A one-line description of an ssh step: "ssh admin@10.0.0.5:22 'uptime'" (the command
/// shell-quoted as one word; several hosts joined by "; ").
std::string describe_ssh(const RenderedBody& body, const Inventory& inv);

/// Shell-style quoting of argv for display (never executed through a shell).
std::string join_argv(const std::vector<std::string>& argv);

}  // namespace gw
