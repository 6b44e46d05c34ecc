#pragma once
/// Reads step and gate bodies against their schema; reads the input files they name.
#include <map>
#include <string>

#include "load/yaml_reader.h"
#include "model/project.h"
#include "model/schema.h"

namespace gw {

/// Where input files named by bodies are collected (absolute path -> contents).
using FileTable = std::map<std::string, InputFile>;

/// Reads `node` as a body of `schema`. Paths in file fields are resolved from `dir`, checked to
/// exist and read into `files` (unless they contain a template reference).
Body read_body(LoadContext& ctx, const yaml::Node& node, const BodySchema& schema,
               const std::string& what, const std::string& dir, FileTable& files);

/// Reads a gate: `{name, <kind>: {…}, interval, timeout}` (Form::Named) or the `gate:` value of a
/// gate step, `{<kind>: {…}, interval}` (Form::InStep).
enum class GateForm { Named, InStep };
/// `default_name`, when not empty, is used if a Named gate has no name (skipIf).
std::optional<Gate> read_gate(LoadContext& ctx, const yaml::Node& node, GateForm form,
                              const std::string& dir, FileTable& files,
                              const std::string& default_name = "");

/// Reads one step (SPEC §3 step keys). A playbook's verify list also accepts a named gate.
enum class GateShorthand { Rejected, Accepted };
std::optional<Step> read_step(LoadContext& ctx, const yaml::Node& node, const std::string& dir,
                              FileTable& files, GateShorthand shorthand = GateShorthand::Rejected);

/// Reads a list of steps, reporting duplicate step names.
std::vector<Step> read_steps(LoadContext& ctx, const yaml::Node& node, const std::string& what,
                             const std::string& dir, FileTable& files,
                             GateShorthand shorthand = GateShorthand::Rejected);

}  // namespace gw
