#pragma once
/// `${…}` templates (SPEC §3): parsing and rendering. Pure: no I/O, no environment access except
/// through RenderScope::env.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/flat_map.h"
#include "model/result.h"

namespace gw {

struct Inventory;

/// The fields `${inventory.X}` may name (see inventory_field in model/project.h).
inline constexpr std::string_view kInventoryFields[] = {"name", "kubeconfig", "context",
                                                        "talosconfig", "talos.bootstrap"};

/// One `${ns.name}` reference.
struct TemplateRef {
  enum class Ns { Vars, Secrets, Env, Params, Outputs, Inventory, Mode, Item };
  Ns ns{};
  std::string name;   // vars/secrets/env/params key, output name, inventory field, item field
  std::string stage;  // Outputs only
  size_t offset = 0;  // of the `$` in the raw text

  /// As written, without `${` `}`: "vars.domain", "stages.metallb.outputs.ip".
  std::string spelled() const;
};

/// Either literal text or a reference.
struct TemplatePart {
  std::string literal;
  std::optional<TemplateRef> ref;
};

/// A parse failure and the byte offset it was found at.
struct TemplateError {
  std::string message;
  size_t offset = 0;
};

/// Splits raw text into literals and references; `$${` is a literal `${`.
/// Returns false and fills *error on an unterminated or malformed reference.
bool parse_template(std::string_view raw, std::vector<TemplatePart>* parts, TemplateError* error);

/// True when the text contains no reference at all (fast path).
bool is_plain(std::string_view raw);

/// How secrets render: as `<secret:NAME>` (plan, checkpoint keys) or as their value (run time).
enum class SecretMode { Placeholder, Reveal };
/// What an unknown captured output renders as: `<output:STAGE.NAME>` (plan) or an error (run).
enum class MissingOutput { Placeholder, Error };
/// How known outputs render: as their value, or always as `<output:STAGE.NAME>` (the part of a
/// checkpoint key that does not depend on output values).
enum class OutputMode { Value, Placeholder };

/// The values references resolve against.
struct RenderScope {
  const std::map<std::string, std::string>* vars = nullptr;
  const std::map<std::string, std::string>* params = nullptr;
  /// Secret params (playbooks): param name -> the inventory secret it stands for. `${params.X}`
  /// of such a param renders (and is fingerprinted, placeheld and redacted) as `${secrets.NAME}`.
  const std::map<std::string, std::string>* param_secrets = nullptr;
  const std::map<std::string, std::string>* outputs = nullptr;  // key "stage.name"
  const std::map<std::string, std::string>* secrets = nullptr;  // Reveal mode only
  std::function<std::optional<std::string>(const std::string&)> env;
  const Inventory* inventory = nullptr;  // `${inventory.X}`
  std::optional<std::string> mode;       // "drill" / "restore" inside playbooks
  SecretMode secret_mode = SecretMode::Placeholder;
  MissingOutput missing_output = MissingOutput::Placeholder;
  OutputMode output_mode = OutputMode::Value;
  /// Outputs ("stage.name") captured by `sensitive` steps: secrets from then on. In Placeholder
  /// secret mode they render as `<secret:stages.STAGE.outputs.NAME>`.
  const std::set<std::string>* sensitive_outputs = nullptr;
};

/// What a render used: the checkpoint key covers secret fingerprints and outputs it used.
/// Flat sets (model/flat_map.h): every step of a plan keeps one, and most use nothing.
struct RenderUse {
  FlatSet secrets;
  FlatSet outputs;
};

/// The most bytes one rendered text (a string field, or a whole `.tmpl` file) may have.
inline constexpr size_t kMaxRenderedBytes = 16u << 20;

/// Renders raw text. Errors name the reference ("unknown variable 'vars.x'"). A text that would
/// render to more than kMaxRenderedBytes stops at the reference that crosses the limit; that
/// error carries its line and column in `raw` (loc.file empty: the caller knows the file).
Result<std::string> render_template(std::string_view raw, const RenderScope& scope,
                                    RenderUse* use = nullptr);

/// Maps a byte offset in a multi-line text to 1-based (line, col) relative to its start.
std::pair<int, int> offset_to_line_col(std::string_view text, size_t offset);

}  // namespace gw

namespace gw {

/// Evaluates a rendered `when`: "true"/"false" (any case), or "A == B" / "A != B" comparing the
/// trimmed sides as strings. Returns nullopt and fills *error otherwise.
std::optional<bool> evaluate_condition(std::string_view rendered, std::string* error);

}  // namespace gw
