#pragma once
/// The validated model of an inventory, its stages and playbooks. Built by load/, read by plan/
/// and run/. Every user-written string is a Text: its raw template plus where it was written.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/boxed.h"
#include "model/diagnostics.h"
#include "model/duration.h"
#include "model/flat_map.h"
#include "model/var_types.h"

namespace gw {

/// A user-written string, still a template (`${…}` unrendered), with its location.
struct Text {
  std::string raw;
  SourceLoc loc;
};
using TextList = std::vector<Text>;
using TextMap = std::map<std::string, Text>;

/// The kind-specific keys of a step or gate, checked against a schema (model/schema.h).
/// Scalars of every type (string, int, bool, duration) are kept as Text and rendered later.
/// Flat maps (model/flat_map.h): a body has a few keys, and a project tens of thousands of bodies.
struct Body {
  FlatMap<Text> scalars;
  FlatMap<TextList> lists;
  FlatMap<TextMap> maps;
  SourceLoc loc;

  const Text* scalar(const std::string& key) const;
  const TextList* list(const std::string& key) const;
  const TextMap* map(const std::string& key) const;
  bool has(const std::string& key) const;
};

enum class GateKind { Rollout, Condition, Exists, JsonPath, Http, Dns, Tcp, Ssh, Command };
enum class StepKind { Helm, Kubectl, Talosctl, Ssh, Run, Gate };

/// Stable lower-case names as written in the files ("jsonpath", "helm").
const char* to_string(GateKind k);
const char* to_string(StepKind k);

/// A health gate: polled every `interval` until it passes or `timeout` runs out.
struct Gate {
  std::string name;
  GateKind kind{};
  Body body;
  Millis interval{5000};
  Millis timeout{300000};
  SourceLoc loc;
};

struct RetryPolicy {
  int attempts = 1;
  Millis delay{2000};
  double backoff = 1.0;
};

/// `capture`: the step's stdout (or regex group 1) becomes ${stages.<stage>.outputs.<name>}.
struct Capture {
  std::string name;
  std::optional<std::string> regex;
};

/// Whether an interrupted run of the step may be repeated without proof it did not happen.
enum class Repeat { Idempotent, Once };
/// Whether a step's output may appear in logs.
enum class Visibility { Normal, Sensitive };

/// One step. Its optional parts are Boxed (model/boxed.h): most steps have none of them, and a
/// project may have tens of thousands of steps.
struct Step {
  std::string name;
  StepKind kind{};
  Body body;         // the kind key's value (empty for gate steps)
  Boxed<Gate> gate;  // the gate of a `gate` step
  Millis timeout{600000};
  RetryPolicy retry;
  Boxed<Text> when;
  Boxed<Gate> skip_if;
  Repeat repeat = Repeat::Idempotent;
  Boxed<Capture> capture;
  Visibility visibility = Visibility::Normal;
  SourceLoc loc;
  FileName dir;  // relative paths in the step resolve from here (interned: steps share a folder)
  /// `forEach` and `where` as written; cleared when the loader expands the step (load/loops.h).
  Boxed<Text> for_each;
  Boxed<Text> where;
  /// An expanded forEach step: the name written in the file ("apply-config"); its own name is
  /// "apply-config.cp1". Empty for other steps.
  std::string loop;
};

/// A reference by name to another stage, with where it was written.
struct NameRef {
  std::string name;
  SourceLoc loc;
};

/// One entry of a stage's `spec.vars`: a var the stage uses, its type, default and description.
struct VarDecl {
  std::string name;
  VarType type = VarType::String;
  std::optional<Text> default_value;  // literal or `${inventory.FIELD}`; a path: from the stage
  std::string description;
  std::vector<std::string> values;  // Enum: the values allowed
  std::optional<Text> within;       // Ip: the name of an ip/cidr/iprange var it must lie inside
  SourceLoc loc;                    // of the name
};

struct Stage {
  std::string name;
  std::string description;
  std::vector<NameRef> needs;
  std::vector<std::string> tools;
  Boxed<Text> when;
  /// `kubeVersion`: the Kubernetes versions the stage works on, a helm-style constraint
  /// (model/semver.h), checked against the API server at preflight; checked to parse at load.
  Boxed<Text> kube_version;
  std::vector<Step> steps;
  std::vector<Gate> gates;
  /// `spec.vars`; nullopt when the stage has no such block (its references are then checked only
  /// against the inventory, as before typed vars).
  std::optional<std::vector<VarDecl>> vars;
  SourceLoc loc;  // of metadata.name
  FileName file;  // interned, as in locations
  FileName dir;   // the stage file's folder (absolute; interned: stages share a folder)
};

struct Param {
  std::string name;
  bool required = false;
  std::optional<Text> default_value;
  std::string description;
  /// A secret param: the name of the inventory secret it takes its value from (never --param);
  /// empty for a plain param.
  std::string secret;
  SourceLoc loc;
};

/// Whether a missed RTO/RPO objective fails the drill (`objectives.enforce`).
enum class Enforce { Yes, No };

enum class Mode { Drill, Restore };
const char* to_string(Mode m);

struct Playbook {
  std::string name;
  std::string description;
  std::vector<Mode> modes;
  std::vector<NameRef> needs;
  std::vector<Param> params;
  std::optional<Millis> rto;  // objectives.rto: recovery time objective
  std::optional<Millis> rpo;  // objectives.rpo: the restored backup's age at most
  Enforce enforce = Enforce::Yes;
  std::vector<Step> steps;
  std::vector<Step> verify;
  std::vector<Step> cleanup;
  SourceLoc loc;
  std::string file;
};

enum class SecretSourceKind { Env, File, Command };

/// Where a secret's value comes from at run time; the value itself is never stored.
struct SecretSource {
  SecretSourceKind kind{};
  std::string env;                   // Env
  std::string file;                  // File: absolute path
  std::vector<std::string> command;  // Command: argv
  SourceLoc loc;
};

enum class HostKeyPolicy { Strict, AcceptNew };

struct Host {
  std::string name;
  std::string address;
  int port = 22;
  std::string user;
  std::string identity;           // private key file (absolute), or empty: ssh-agent
  std::string passphrase_secret;  // the identity's passphrase: a key of Inventory::secrets
  std::string known_hosts;        // absolute, or empty: ~/.ssh/known_hosts
  HostKeyPolicy host_key_policy = HostKeyPolicy::Strict;
  std::string proxy_jump;  // another host of the inventory to tunnel through (`ssh -J`)
  SourceLoc loc;
};

struct TalosNode {
  std::string name;
  std::string address;
  std::string role;
};

struct TalosConfig {
  std::string talosconfig;
  std::vector<std::string> endpoints;
  std::vector<TalosNode> nodes;
};

struct Inventory {
  std::string name;
  std::string file;
  std::string dir;
  std::string kubeconfig;  // absolute, or empty
  std::string context;
  std::optional<TalosConfig> talos;
  std::map<std::string, Host> hosts;
  std::map<std::string, std::string> tools;  // tool name -> program (absolute path or bare name)
  std::map<std::string, int> limits;         // tool name -> at most this many commands at once
  std::vector<std::string> stage_dirs;       // from spec.stages, absolute
  std::vector<std::string> playbook_dirs;    // from spec.playbooks, absolute
  std::map<std::string, std::string> vars;   // nested maps flattened to dotted keys
  /// Where each var's value was written: the inventory's value, or the declaring stage's default
  /// (filled in by load/vars.h).
  std::map<std::string, SourceLoc> var_locs;
  SourceLoc vars_loc;  // of spec.vars (or metadata.name when there is none)
  std::map<std::string, SecretSource> secrets;
  SourceLoc loc;
};

/// What `${inventory.FIELD}` renders to: name, kubeconfig and talosconfig (absolute paths),
/// context, talos.bootstrap (the address of the first controlplane of spec.talos.nodes); nullopt
/// for a field the inventory does not set (or does not have).
std::optional<std::string> inventory_field(const Inventory& inv, std::string_view field);

/// The FIELD of a stage var's default written as exactly `${inventory.FIELD}` (a default taken
/// from the inventory, e.g. talos_bootstrap_node); nullopt for any other (literal) default.
std::optional<std::string> inventory_default_field(std::string_view raw);

/// The contents of a file a step names (helm values, kubectl manifests, uploads), read at load time
/// so that planning does no I/O. `.tmpl` files are rendered; others are used as they are.
struct InputFile {
  std::string path;  // absolute
  std::string content;
  bool templated = false;
};

struct Project {
  Inventory inventory;
  std::vector<Stage> stages;
  std::vector<Playbook> playbooks;
  std::map<std::string, InputFile> files;  // by absolute path

  const Stage* find_stage(const std::string& name) const;
  const Playbook* find_playbook(const std::string& name) const;
};

/// The outputs ("stage.name") captured by `sensitive` steps: secrets from the moment they exist.
std::set<std::string> sensitive_outputs(const Project& project);

}  // namespace gw
