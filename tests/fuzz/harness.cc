#include "harness.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "load/documents.h"
#include "load/yaml_node.h"
#include "load/yaml_subset.h"
#include "model/duration.h"
#include "model/project.h"
#include "model/template.h"
#include "run/journal.h"

namespace gwfuzz {

namespace {

using gw::yaml::Node;

/// An empty folder for the stage reader's relative paths, made once per process and removed at
/// exit.
const std::string& empty_dir() {
  struct Dir {
    std::string path;
    Dir() {
      std::string tmpl = "/tmp/gw-fuzz-XXXXXX";
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
      path = tmpl;
    }
    ~Dir() { ::rmdir(path.c_str()); }
  };
  static const Dir dir;
  return dir.path;
}

/// Whether a YAML text could make the stage reader open something outside empty_dir(): an
/// absolute path (a '/' that does not follow a name character, "://" of URLs aside), "..", "~",
/// or an escape that could spell one. The reader opens every input file a step names; /dev/zero or
/// a FIFO would stall the fuzzer (issue 7 (6) bounds those reads — not this harness's subject).
bool could_name_outside(std::string_view text) {
  if (text.find("..") != std::string_view::npos) return true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' || c == '~') return true;
    if (c != '/') continue;
    if (i + 1 < text.size() && i >= 1 && text[i - 1] == ':' && text[i + 1] == '/') {
      ++i;  // "://"
      continue;
    }
    char p = i ? text[i - 1] : ' ';
    if (!(std::isalnum(static_cast<unsigned char>(p)) || p == '_' || p == '-' || p == '.'))
      return true;
  }
  return false;
}

/// The first difference between two trees, or "" when they are the same (as in
/// tests/unit/test_yaml_subset.cc).
std::string difference(const Node& a, const Node& b, const std::string& path) {
  auto where = [&](const std::string& what) {
    std::ostringstream s;
    s << path << ": " << what << " (fast " << a.Mark().line << ":" << a.Mark().column << " '"
      << a.Scalar() << "', libyaml " << b.Mark().line << ":" << b.Mark().column << " '"
      << b.Scalar() << "')";
    return s.str();
  };
  if (a.Type() != b.Type()) return where("type");
  if (a.Mark().line != b.Mark().line || a.Mark().column != b.Mark().column) return where("mark");
  if (a.Scalar() != b.Scalar() || a.Quoted() != b.Quoted()) return where("scalar");
  if (a.items().size() != b.items().size()) return where("item count");
  for (size_t i = 0; i < a.items().size(); ++i)
    if (auto d = difference(a.items()[i], b.items()[i], path + "[" + std::to_string(i) + "]");
        !d.empty())
      return d;
  if (a.pairs().size() != b.pairs().size()) return where("pair count");
  for (size_t i = 0; i < a.pairs().size(); ++i) {
    const auto& [ka, va] = a.pairs()[i];
    const auto& [kb, vb] = b.pairs()[i];
    if (auto d = difference(ka, kb, path + ".key" + std::to_string(i)); !d.empty()) return d;
    if (auto d = difference(va, vb, path + "." + ka.Scalar()); !d.empty()) return d;
  }
  return "";
}

/// A file holding `bytes`, reachable by path (/proc/self/fd/N of a memfd made once per process).
std::string as_file(std::string_view bytes) {
  static const int fd = [] {
    int f = memfd_create("gw-fuzz-journal", MFD_CLOEXEC);
    if (f < 0) throw std::runtime_error("memfd_create failed");
    return f;
  }();
  if (ftruncate(fd, 0) != 0) throw std::runtime_error("ftruncate failed");
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = pwrite(fd, bytes.data() + off, bytes.size() - off, static_cast<off_t>(off));
    if (n <= 0) throw std::runtime_error("pwrite failed");
    off += static_cast<size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

std::string describe(const gw::Checkpoints& cp) {
  std::ostringstream s;
  s << cp.steps.size() << " steps, " << cp.stages.size() << " stages, " << cp.outputs.size()
    << " outputs";
  for (const auto& [id, r] : cp.steps)
    s << "; " << id << "=" << static_cast<int>(r.status) << "," << r.key;
  for (const auto& [k, v] : cp.outputs) s << "; " << k << "=" << v;
  return s.str();
}

}  // namespace

std::string yaml_loader(std::string_view input) {
  if (could_name_outside(input)) return "";
  std::string text(input);
  gw::Diagnostics diags;
  auto doc = gw::yaml::parse(text, "fuzz.yaml", diags);
  if (!doc) {
    if (diags.all().empty()) return "parse failed without a diagnostic";
    return "";
  }
  gw::FileTable files;
  gw::DocumentPlace place{"fuzz.yaml", empty_dir()};
  if (gw::document_kind(doc->root()) == "Playbook")
    (void)gw::read_playbook(place, doc->root(), diags, files);
  else
    (void)gw::read_stage(place, doc->root(), diags, files);
  for (const auto& d : diags.all()) (void)d.format();
  return "";
}

std::string yaml_differential(std::string_view input) {
  std::string text(input);
  auto fast = gw::yaml::parse_subset(text);
  if (!fast) return "";
  gw::Diagnostics diags;
  auto reference = gw::yaml::parse_with_libyaml(text, "t.yaml", diags);
  if (!reference)
    return "the fast parser accepted a text libyaml rejects: " +
           (diags.all().empty() ? std::string("?") : diags.all()[0].format());
  return difference(fast->root, reference->root(), "$");
}

std::string template_render(std::string_view input) {
  static const std::map<std::string, std::string> vars = {
      {"domain", "home.lan"}, {"a.b", "nested"}, {"empty", ""}, {"dollar", "$${vars.domain}"}};
  static const std::map<std::string, std::string> params = {{"namespace", "apps"}};
  static const std::map<std::string, std::string> outputs = {{"metallb.ip", "10.0.0.200"}};
  static const std::map<std::string, std::string> secrets = {{"token", "Zq9-sekret-Zq9"},
                                                             {"x", "W"}};
  static const gw::Inventory inventory = [] {
    gw::Inventory inv;
    inv.name = "lab";
    inv.kubeconfig = "/etc/lab/kubeconfig";
    inv.context = "admin@lab";
    return inv;
  }();
  std::vector<gw::TemplatePart> parts;
  gw::TemplateError error;
  bool parsed = gw::parse_template(input, &parts, &error);
  if (!parsed) {
    if (error.offset > input.size()) return "error offset past the end of the text";
    (void)gw::offset_to_line_col(input, error.offset);
  } else {
    for (const auto& p : parts)
      if (p.ref && p.ref->offset >= input.size()) return "reference offset past the end";
  }
  bool plain = gw::is_plain(input);
  for (auto mode : {gw::SecretMode::Placeholder, gw::SecretMode::Reveal}) {
    gw::RenderScope scope;
    scope.vars = &vars;
    scope.params = &params;
    scope.outputs = &outputs;
    scope.secrets = &secrets;
    scope.inventory = &inventory;
    scope.mode = "drill";
    scope.secret_mode = mode;
    scope.missing_output =
        mode == gw::SecretMode::Reveal ? gw::MissingOutput::Error : gw::MissingOutput::Placeholder;
    scope.env = [](const std::string& n) -> std::optional<std::string> {
      if (n == "HOME_X") return std::string("/home/x");
      return std::nullopt;
    };
    gw::RenderUse use;
    auto r = gw::render_template(input, scope, &use);
    if (!r) continue;
    if (!parsed && !plain) return "rendered a text parse_template rejects";
    if (mode == gw::SecretMode::Placeholder && r->find("sekret") != std::string::npos &&
        input.find("sekret") == std::string_view::npos)
      return "a secret's value in a placeholder rendering: " + *r;
    std::string why;
    (void)gw::evaluate_condition(*r, &why);
  }
  return "";
}

std::string duration(std::string_view input) {
  auto d = gw::parse_duration(input);
  if (d) {
    if (d->count() < 0) return "negative duration";
    std::string spelled = gw::format_duration(*d);
    auto back = gw::parse_duration(spelled);
    if (!back || *back != *d)
      return "'" + spelled + "' does not parse back to " + std::to_string(d->count()) + "ms";
    (void)gw::format_clock(*d);
  }
  return "";
}

std::string journal(std::string_view input) {
  std::vector<std::string> warnings;
  std::string path = as_file(input);
  auto read = gw::read_journal(path, &warnings);
  if (!read) return "read_journal failed: " + read.error().message;
  // apply_record on every line that is a JSON object, like the reader does.
  gw::JournalState direct;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t nl = input.find('\n', pos);
    if (nl == std::string_view::npos) break;
    auto j = nlohmann::json::parse(input.substr(pos, nl - pos), nullptr, false);
    if (!j.is_discarded() && j.is_object() && !j.contains("groundwork_journal"))
      gw::apply_record(j, direct);
    pos = nl + 1;
  }
  if (describe(direct.checkpoints) != describe(read->checkpoints))
    return "read_journal and apply_record disagree";
  // Opening recovers the same state, and what it leaves reads back without a torn record.
  {
    std::vector<std::string> open_warnings;
    auto j = gw::Journal::open(path, &open_warnings);
    if (!j) return "Journal::open failed: " + j.error().message;
    if (describe(j->state().checkpoints) != describe(read->checkpoints))
      return "Journal::open and read_journal disagree";
  }
  std::vector<std::string> again;
  auto reread = gw::read_journal(path, &again);
  if (!reread) return "second read_journal failed";
  for (const auto& w : again)
    if (w.find("torn") != std::string::npos) return "a torn record survived Journal::open: " + w;
  if (describe(reread->checkpoints) != describe(read->checkpoints))
    return "state changed by Journal::open";
  return "";
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {{"yaml_loader", yaml_loader},
                                          {"yaml_differential", yaml_differential},
                                          {"template", template_render},
                                          {"duration", duration},
                                          {"journal", journal}};
  return all;
}

}  // namespace gwfuzz
