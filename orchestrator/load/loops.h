#pragma once
/// `forEach` (SPEC §3): a step written once runs once per item of an inventory list. The loader
/// expands it into one step per item, so that planning, checkpoints and fingerprints see ordinary
/// steps: `apply-config` over nodes cp1 and cp2 becomes steps `apply-config.cp1` and
/// `apply-config.cp2`, each with its own checkpoint.
#include <string>
#include <vector>

#include "model/diagnostics.h"
#include "model/project.h"

namespace gw {

/// The lists a forEach may name, as written without `${` `}`, and the fields of their items
/// (empty: the items are strings, written `${item}`).
struct LoopSource {
  const char* spelled;  // "inventory.talos.nodes"
  std::vector<std::string> fields;
};
const std::vector<LoopSource>& loop_sources();

/// One item of a list: its key (the node or host name, or the string itself) names the step.
struct LoopItem {
  std::string key;
  std::vector<std::pair<std::string, std::string>> fields;  // empty for a string item
};

/// The items of `source` in `inv`, in inventory order (hosts: by name). An inventory without
/// the section has none.
std::vector<LoopItem> loop_items(const Inventory& inv, const LoopSource& source);

/// The name of the step `base` expanded for the item with `key`: "base.key".
std::string loop_step_name(const std::string& base, const std::string& key);

/// Replaces every forEach step of `steps` by one step per item of its list for which its `where`
/// is true, with `${item}` / `${item.FIELD}` substituted in all its strings. Reports, with
/// file:line:col, a forEach that names no inventory list, an unknown item field (did-you-mean),
/// a `where` that is not a condition or uses more than items, vars and the inventory, a forEach
/// step that captures, and expanded names that are invalid or clash with another step.
void expand_loops(std::vector<Step>& steps, const Inventory& inv, Diagnostics& diags);

/// Command-line STAGE/STEP names with a forEach step named as written (`talos/apply-config-worker`)
/// replaced by its items' steps (`talos/apply-config-worker.w1`, …); every other name is kept as
/// it is (and checked by the caller). A loop with no item keeps its name (an unknown step then).
std::vector<std::string> expand_loop_targets(const Project& project,
                                             const std::vector<std::string>& targets);

/// expand_loops over every stage and playbook step list of `project`.
void expand_project_loops(Project& project, Diagnostics& diags);

}  // namespace gw
