#pragma once
/// Readers for the three document kinds (SPEC §3): Inventory, Stage, Playbook.
#include <optional>
#include <string>

#include "load/body_reader.h"
#include "model/project.h"

namespace gw {

/// The common part of every document: apiVersion, kind, metadata; and its spec node.
struct Header {
  std::string name;
  std::string description;
  SourceLoc name_loc;
  yaml::Node spec;
};

/// Checks apiVersion, kind (must be `expected_kind`) and metadata; nullopt when any is wrong
/// (reported).
std::optional<Header> read_header(LoadContext& ctx, const yaml::Node& root,
                                  const std::string& expected_kind);

/// Reads an Inventory file. Relative paths resolve from the file's folder.
std::optional<Inventory> read_inventory(const std::string& path, Diagnostics& diags);

/// Where a stage or playbook file is: the name messages use, and the absolute folder its relative
/// paths resolve from.
struct DocumentPlace {
  std::string shown;
  std::string dir;
};

/// Reads a Stage file; input files its steps name go into `files`.
std::optional<Stage> read_stage(const DocumentPlace& place, const yaml::Node& root,
                                Diagnostics& diags, FileTable& files);

/// Reads a Playbook file.
std::optional<Playbook> read_playbook(const DocumentPlace& place, const yaml::Node& root,
                                      Diagnostics& diags, FileTable& files);

/// The `kind:` of a parsed document, or empty.
std::string document_kind(const yaml::Node& root);

}  // namespace gw
