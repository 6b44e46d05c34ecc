#include "model/template.h"

#include <cctype>

#include "model/project.h"
#include "model/strings.h"

namespace gw {

namespace {

bool parse_ref(std::string_view body, TemplateRef* ref, std::string* why) {
  auto dot = body.find('.');
  std::string_view head = body.substr(0, dot);
  std::string_view rest = dot == std::string_view::npos ? "" : body.substr(dot + 1);
  using Ns = TemplateRef::Ns;
  if (head == "mode" && dot == std::string_view::npos) {
    ref->ns = Ns::Mode;
    return true;
  }
  if (head == "item") {  // a forEach item (load/loops.h): `${item}` or `${item.FIELD}`
    if (dot != std::string_view::npos && rest.empty()) {
      *why = "expected ${item} or ${item.FIELD}";
      return false;
    }
    ref->ns = Ns::Item;
    ref->name = std::string(rest);
    return true;
  }
  if (head == "inventory") {
    for (auto field : kInventoryFields) {
      if (rest == field) {
        ref->ns = Ns::Inventory;
        ref->name = std::string(rest);
        return true;
      }
    }
    *why = "unknown reference '${" + std::string(body) +
           "}' (the inventory has ${inventory.name}, ${inventory.kubeconfig}, "
           "${inventory.context}, ${inventory.talosconfig} and ${inventory.talos.bootstrap})";
    return false;
  }
  if (head == "stages") {
    auto a = rest.find('.');
    if (a == std::string_view::npos || rest.substr(a + 1, 8) != "outputs." ||
        rest.size() <= a + 9 || a == 0) {
      *why = "expected ${stages.STAGE.outputs.NAME}";
      return false;
    }
    ref->ns = Ns::Outputs;
    ref->stage = std::string(rest.substr(0, a));
    ref->name = std::string(rest.substr(a + 9));
    return true;
  }
  static const std::pair<std::string_view, Ns> kNs[] = {
      {"vars", Ns::Vars}, {"secrets", Ns::Secrets}, {"env", Ns::Env}, {"params", Ns::Params}};
  for (auto& [n, ns] : kNs) {
    if (head == n) {
      if (rest.empty()) {
        *why = "expected ${" + std::string(n) + ".NAME}";
        return false;
      }
      ref->ns = ns;
      ref->name = std::string(rest);
      return true;
    }
  }
  *why = "unknown reference '${" + std::string(body) +
         "}' (expected vars., secrets., env., params., stages.S.outputs., inventory., item or "
         "mode)";
  return false;
}

}  // namespace

std::string TemplateRef::spelled() const {
  switch (ns) {
    case Ns::Vars:
      return "vars." + name;
    case Ns::Secrets:
      return "secrets." + name;
    case Ns::Env:
      return "env." + name;
    case Ns::Params:
      return "params." + name;
    case Ns::Outputs:
      return "stages." + stage + ".outputs." + name;
    case Ns::Inventory:
      return "inventory." + name;
    case Ns::Mode:
      return "mode";
    case Ns::Item:
      return name.empty() ? "item" : "item." + name;
  }
  return "?";
}

bool is_plain(std::string_view raw) {
  return raw.find("${") == std::string_view::npos;
}

bool parse_template(std::string_view raw, std::vector<TemplatePart>* parts, TemplateError* error) {
  std::string literal;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.compare(i, 3, "$${") == 0) {
      literal += "${";
      i += 3;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      literal += raw[i++];
      continue;
    }
    auto close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      *error = {"unterminated '${' (write '$${' for a literal '${')", i};
      return false;
    }
    std::string_view body = raw.substr(i + 2, close - i - 2);
    TemplateRef ref;
    ref.offset = i;
    std::string why;
    if (body.empty() || body.find_first_of(" \t\n${") != std::string_view::npos) {
      *error = {"malformed reference '${" + std::string(body) + "}'", i};
      return false;
    }
    if (!parse_ref(body, &ref, &why)) {
      *error = {why, i};
      return false;
    }
    if (!literal.empty()) parts->push_back({std::move(literal), std::nullopt});
    literal.clear();
    parts->push_back({"", std::move(ref)});
    i = close + 1;
  }
  if (!literal.empty()) parts->push_back({std::move(literal), std::nullopt});
  return true;
}

namespace {

Result<std::string> lookup(const TemplateRef& ref, const RenderScope& scope, RenderUse* use);

Result<std::string> lookup(const TemplateRef& ref, const RenderScope& scope, RenderUse* use) {
  using Ns = TemplateRef::Ns;
  auto from = [&](const std::map<std::string, std::string>* m,
                  const char* what) -> Result<std::string> {
    if (m) {
      auto it = m->find(ref.name);
      if (it != m->end()) return it->second;
    }
    return Error{std::string("unknown ") + what + " '" + ref.spelled() + "'"};
  };
  switch (ref.ns) {
    case Ns::Vars:
      return from(scope.vars, "variable");
    case Ns::Params:
      if (scope.param_secrets) {
        if (auto it = scope.param_secrets->find(ref.name); it != scope.param_secrets->end()) {
          TemplateRef secret = ref;
          secret.ns = Ns::Secrets;
          secret.name = it->second;
          return lookup(secret, scope, use);
        }
      }
      return from(scope.params, "parameter");
    case Ns::Inventory:
      if (scope.inventory)
        if (auto v = inventory_field(*scope.inventory, ref.name)) return *v;
      return Error{"the inventory sets no '" + ref.spelled() + "'"};
    case Ns::Mode:
      if (!scope.mode) return Error{"'${mode}' is only defined inside playbooks"};
      return *scope.mode;
    case Ns::Item:  // substituted when the forEach step is expanded; any left is outside one
      return Error{"'${" + ref.spelled() + "}' is only defined in a step with forEach"};
    case Ns::Env: {
      auto v = scope.env ? scope.env(ref.name) : std::nullopt;
      if (!v) return Error{"environment variable '" + ref.name + "' is not set"};
      return *v;
    }
    case Ns::Secrets:
      if (use) use->secrets.insert(ref.name);
      if (scope.secret_mode == SecretMode::Placeholder) return "<secret:" + ref.name + ">";
      return from(scope.secrets, "secret");
    case Ns::Outputs: {
      std::string key = ref.stage + "." + ref.name;
      if (use) use->outputs.insert(key);
      if (scope.output_mode == OutputMode::Placeholder) return "<output:" + key + ">";
      if (scope.sensitive_outputs && scope.sensitive_outputs->count(key) &&
          scope.secret_mode == SecretMode::Placeholder)
        return "<secret:" + ref.spelled() + ">";
      if (scope.outputs) {
        auto it = scope.outputs->find(key);
        if (it != scope.outputs->end()) return it->second;
      }
      if (scope.missing_output == MissingOutput::Placeholder) return "<output:" + key + ">";
      return Error{"output '" + ref.spelled() + "' has not been captured yet"};
    }
  }
  return Error{"unknown reference"};
}

}  // namespace

Result<std::string> render_template(std::string_view raw, const RenderScope& scope,
                                    RenderUse* use) {
  if (is_plain(raw)) return std::string(raw);
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (!parse_template(raw, &parts, &err)) return Error{err.message};
  std::string out;
  for (const auto& p : parts) {
    if (!p.ref) {
      out += p.literal;
      continue;
    }
    auto v = lookup(*p.ref, scope, use);
    if (!v) return v.error();
    if (out.size() + v->size() > kMaxRenderedBytes) {
      auto [line, col] = offset_to_line_col(raw, p.ref->offset);
      return Error{
          "rendering stops at '${" + p.ref->spelled() + "}': the text would be larger than " +
              std::to_string(kMaxRenderedBytes >> 20) + " MiB (" + std::to_string(out.size()) +
              " bytes so far, this value adds " + std::to_string(v->size()) + ")",
          SourceLoc{{}, line, col}};
    }
    out += *v;
  }
  return out;
}

std::pair<int, int> offset_to_line_col(std::string_view text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace gw

namespace gw {

std::optional<bool> evaluate_condition(std::string_view rendered, std::string* error) {
  std::string_view s = trim_space(rendered);
  for (std::string_view op : {"==", "!="}) {
    auto pos = s.find(op);
    if (pos == std::string_view::npos) continue;
    bool same = trim_space(s.substr(0, pos)) == trim_space(s.substr(pos + 2));
    return op == "==" ? same : !same;
  }
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true") return true;
  if (l == "false" || l.empty()) return false;
  *error = "'when' must render to true, false or a comparison 'A == B' / 'A != B', not '" +
           std::string(s) + "'";
  return std::nullopt;
}

}  // namespace gw
