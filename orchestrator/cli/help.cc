// The help table and its renderings: `help`, `help VERB`, the man page, completion word lists.
#include "cli/help.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ostream>

#include "model/names.h"

namespace gw {

const std::vector<VerbHelp>& verb_help() {
  static const std::vector<VerbHelp> table = {
      {"validate",
       "",
       "load inventory, stages, playbooks; report every problem; run nothing",
       "Loads the inventory, every stage and playbook, and renders every step once, so `when` "
       "conditions and templated numbers are checked. Every problem is printed as "
       "file:line:col: error: message, sorted, and the exit is 2. Runs no command and writes "
       "nothing.\n\n"
       "A secret a step uses that cannot be read now is a warning: the files are valid, but "
       "doctor and apply will fail on it.",
       {{"groundwork -i inventories/sim.yaml validate", "check the simulated cluster's inventory"},
        {"groundwork -i site.yaml --stages ./my-stages validate",
         "check an inventory against a stage folder of your own"}}},
      {"plan",
       "[TARGET...]",
       "dry-run preview; runs no external command",
       "Shows what apply would do, before anything is touched: the waves, each stage and step "
       "with its status and the exact command (with its kube context), the gates and the "
       "critical path. Secrets show as <secret:NAME>. Takes no lock and runs nothing.\n\n"
       "Targets select themselves and every stage they need; --only selects exactly the named "
       "stages. What plan marks `run` is what apply runs next (also with --fresh, --force and "
       "--cascade). --playbook previews a DR playbook's needed stages and phases.",
       {{"groundwork -i inventories/sim.yaml plan", "every stage, in waves"},
        {"groundwork -i inventories/sim.yaml plan traefik", "traefik and what it needs"},
        {"groundwork -i inventories/sim.yaml plan --format mermaid",
         "the graph as a Mermaid diagram (also json, dot)"},
        {"groundwork -i inventories/sim.yaml plan --format svg > plan.svg",
         "a picture: waves, status colours, expected durations, the critical path"},
        {"groundwork -i inventories/sim.yaml plan --playbook etcd-restore --mode drill",
         "preview a drill"}}},
      {"apply",
       "[TARGET...]",
       "run the targets and everything they need",
       "Runs the dependency graph in parallel where it allows (-j), longest remaining path "
       "first, with retries, timeouts and a journal: a re-run skips every step that is done "
       "and unchanged, and resumes after a failure, Ctrl-C or kill -9. A stage is done only "
       "when its gates pass.\n\n"
       "Before anything runs, the programs the steps call must exist, their secrets must "
       "be readable and the API server's version must fit each stage's kubeVersion (else "
       "exit 3). On a terminal a live view shows each running step with "
       "its elapsed time and the count, elapsed time and ETA above it; finished steps scroll "
       "up one line each (plain lines when not a terminal, --quiet, CI=true or TERM=dumb). "
       "At the end a table of stages, and for each failure its message, last output lines "
       "and log path.",
       {{"groundwork -i inventories/sim.yaml apply traefik", "traefik and what it needs"},
        {"groundwork -i inventories/sim.yaml apply --force metallb/chart",
         "run one step again although it is done"},
        {"groundwork -i inventories/sim.yaml apply --force metallb --cascade",
         "metallb again, and every stage that needs it"},
        {"groundwork -i inventories/sim.yaml apply -j 2 --keep-going",
         "two stages at once; independent branches go on after a failure"}}},
      {"bootstrap",
       "",
       "apply every stage (alias of apply with no targets)",
       "The same as apply with no targets: every stage of the inventory, in dependency order. "
       "Run it again and it has nothing to do; after a failure it resumes where it stopped.",
       {{"groundwork -i inventories/sim.yaml bootstrap", "bring the whole platform up"},
        {"groundwork -i inventories/sim.yaml bootstrap --verify",
         "and re-run the health gates of stages already done"}}},
      {"status",
       "",
       "what the checkpoint journal says",
       "Per stage and step: done, failed, running, interrupted, pending or skipped, with "
       "duration and finish time; and the last drill or restore of each playbook with its "
       "measured RTO and RPO. Reads the journal only.",
       {{"groundwork -i inventories/sim.yaml status", "a table"},
        {"groundwork -i inventories/sim.yaml status --format json", "the same as JSON"},
        {"groundwork -i inventories/sim.yaml status --format svg > status.svg",
         "a picture of the stages, coloured by outcome, with their durations"}}},
      {"render",
       "[STAGE[/STEP]...]",
       "print what steps would run: argv, env and rendered files (secrets hidden)",
       "Read-only, like plan: for each selected step (every step when none is named) prints "
       "its argv, environment, stdin and working folder, and the full content of each rendered "
       ".tmpl file, with every secret as <secret:NAME>. Gate steps print what they check. An "
       "unknown stage or step is an error (exit 2) with a did-you-mean.",
       {{"groundwork -i inventories/sim.yaml render adguard", "the AdGuard manifests, rendered"},
        {"groundwork -i inventories/sim.yaml render metallb/chart", "one step's helm command"}}},
      {"diff",
       "[TARGET...]",
       "compare rendered manifests and helm releases with the live cluster (read-only)",
       "For each selected step (a STAGE brings what it needs, STAGE/STEP just that step; every "
       "step when none is named): kubectl apply steps run `kubectl diff -f` on their rendered "
       "files (--server-side when the step is), helm steps `helm diff upgrade` when the "
       "helm-diff plugin is installed, else `helm template` with the same values piped into "
       "`kubectl diff -f -`. The unified diff is printed under a `# STAGE/STEP` header; other "
       "step kinds are listed as not diffable, stages whose `when` is false as skipped. Secrets "
       "are masked as ***; captured outputs come from the journal. Takes no lock and writes "
       "nothing: rendered files go to a private temporary folder, removed at the end.\n\n"
       "Exit 0 when nothing differs, 1 when something does, 3 when the cluster does not answer, "
       "a program is missing or a comparison failed, 2 on bad input.",
       {{"groundwork -i inventories/sim.yaml diff", "every step against the cluster"},
        {"groundwork -i inventories/sim.yaml diff traefik/chart",
         "one helm release: what an upgrade would change"}}},
      {"reset",
       "STAGE[/STEP]... [--cascade] | --all",
       "forget checkpoints so those steps run again",
       "Appends a reset record to the journal for the named stages or steps (or every one with "
       "--all): they run again at the next apply. --cascade also forgets every stage that "
       "needs a named one, transitively; without it a note names those left alone. Unknown "
       "names are an error (exit 2) with a did-you-mean. Also deletes the rendered files that "
       "crashed runs left behind.",
       {{"groundwork -i inventories/sim.yaml reset traefik", "traefik runs again next time"},
        {"groundwork -i inventories/sim.yaml reset metallb/chart", "just one step"},
        {"groundwork -i inventories/sim.yaml reset metallb --cascade",
         "metallb and every stage that needs it"},
        {"groundwork -i inventories/sim.yaml reset --all", "start over"}}},
      {"doctor",
       "",
       "preflight: tools, cluster, talos, ssh reachable (read-only)",
       "Checks, without changing anything: the secrets the steps use can be read, every "
       "program the stages call exists and is new enough, the Kubernetes API answers and its "
       "version fits each stage's kubeVersion, each "
       "Talos endpoint accepts TCP, each ssh host is reachable with a known, matching host key "
       "and accepts the identity. One line per check: ok, warn or FAIL. Exit 3 when anything "
       "fails.",
       {{"groundwork -i inventories/sim.yaml doctor", "preflight the simulated cluster"}}},
      {"drill",
       "PLAYBOOK",
       "run a DR playbook in drill mode (cleanup always runs) and write a report",
       "Applies the stages the playbook needs, runs its steps, its verify steps and gates, "
       "then its cleanup - always, after a failure or Ctrl-C too - and writes a report (JSON, "
       "Markdown, JUnit XML) with the measured RTO and RPO against the playbook's objectives. "
       "Exit 1 when a step, verify, cleanup or an enforced objective failed.",
       {{"groundwork -i inventories/sim.yaml drill etcd-restore --param source=file",
         "rehearse an etcd restore"},
        {"groundwork -i inventories/sim.yaml drill velero-namespace-restore --param "
         "namespace=podinfo --report-dir reports",
         "restore a namespace into <ns>-drill, reports in ./reports"}}},
      {"restore",
       "PLAYBOOK",
       "run a DR playbook in restore mode (the real recovery)",
       "The real recovery: no cleanup, journaled and resumable like apply. On a terminal it "
       "prints the plan and asks for confirmation; otherwise it needs --yes (else exit 2, "
       "nothing run).",
       {{"groundwork -i inventories/k3s.yaml restore etcd-restore", "asks [y/N] first"},
        {"groundwork -i inventories/homelab.yaml restore cluster-rebuild --yes",
         "rebuild the platform, then the applications, unattended"}}},
      {"help",
       "[VERB]",
       "describe a verb, with examples",
       "Without a verb: every verb with one line. With one: its usage, what it does, its "
       "options and examples. The same text is the man page, groundwork(1).",
       {{"groundwork help plan", "how to preview a run"}}},
  };
  return table;
}

const VerbHelp* find_verb_help(std::string_view name) {
  for (const auto& v : verb_help())
    if (v.name == name) return &v;
  return nullptr;
}

namespace {

/// Options worth listing: not positional, not hidden, not --help.
std::vector<const CLI::Option*> listed_options(const CLI::App& app) {
  std::vector<const CLI::Option*> out;
  for (const auto* o : app.get_options()) {
    if (o->get_positional() || o->get_group().empty() || o == app.get_help_ptr()) continue;
    out.push_back(o);
  }
  return out;
}

/// "-i, --inventory" as a user types it.
std::string option_names(const CLI::Option* o) {
  std::string s;
  for (const auto& n : o->get_snames()) s += (s.empty() ? "-" : ", -") + n;
  for (const auto& n : o->get_lnames()) s += (s.empty() ? "--" : ", --") + n;
  return s;
}

/// "VALUE" placeholder of an option that takes one ("TEXT", "INT"), else empty.
std::string option_value(const CLI::Option* o) {
  if (o->get_expected_min() == 0) return "";
  std::string t = o->get_type_name();
  return t.substr(0, t.find(':'));
}

/// The allowed values of an option with a fixed set (CLI::IsMember): "TEXT:{a,b}" → a, b.
std::vector<std::string> option_choices(const CLI::Option* o) {
  std::vector<std::string> out;
  std::string t = o->get_type_name();
  auto open = t.find('{'), close = t.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string list = t.substr(open + 1, close - open - 1);
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const CLI::App* verb_app(const CLI::App& app, std::string_view name) {
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

void print_options(const std::vector<const CLI::Option*>& opts, std::ostream& out) {
  std::size_t width = 0;
  std::vector<std::string> heads;
  for (const auto* o : opts) {
    std::string v = option_value(o);
    heads.push_back(option_names(o) + (v.empty() ? "" : " " + v));
    width = std::max(width, heads.back().size());
  }
  for (std::size_t i = 0; i < opts.size(); ++i)
    out << "  " << heads[i] << std::string(width - heads[i].size() + 2, ' ')
        << opts[i]->get_description() << "\n";
}

/// Text wrapped at 78 columns with `indent` spaces; paragraphs (blank-line separated) kept.
void print_wrapped(std::string_view text, std::size_t indent, std::ostream& out) {
  std::size_t col = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 2) == "\n\n") {
      out << "\n\n";
      col = 0;
      i += 2;
      continue;
    }
    auto end = text.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    if (!word.empty()) {
      if (col == 0) {
        out << std::string(indent, ' ');
        col = indent;
      } else if (col + 1 + word.size() > 78) {
        out << "\n" << std::string(indent, ' ');
        col = indent;
      } else {
        out << ' ';
        ++col;
      }
      out << word;
      col += word.size();
    }
    i = end;
    if (i < text.size() && text[i] == ' ')
      ++i;
    else if (i < text.size() && text.substr(i, 2) != "\n\n")
      ++i;
  }
  if (col != 0) out << "\n";
}

/// Text for roff: backslashes escaped, no line starting with a control character, non-ASCII as
/// \[uXXXX] (groff reads its input as Latin-1 otherwise).
std::string roff(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if ((c == '.' || c == '\'') && (out.empty() || out.back() == '\n')) {
      out += "\\&";
      out += static_cast<char>(c);
    } else if (c >= 0x80) {
      std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      unsigned cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : len == 2 ? c & 0x1f : '?';
      for (std::size_t k = 1; k < len && i + 1 < s.size(); ++k) cp = cp << 6 | (s[++i] & 0x3f);
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void man_options(const std::vector<const CLI::Option*>& opts, std::ostream& out) {
  for (const auto* o : opts) {
    std::string v = option_value(o);
    out << ".TP\n.B " << roff(option_names(o)) << (v.empty() ? "" : " \\fI" + roff(v) + "\\fR")
        << "\n"
        << roff(o->get_description()) << "\n";
  }
}

void man_paragraphs(std::string_view text, std::ostream& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find("\n\n", start);
    if (end == std::string_view::npos) end = text.size();
    out << ".PP\n" << roff(text.substr(start, end - start)) << "\n";
    start = end + 2;
  }
}

}  // namespace

Status print_help(const CLI::App& app, const std::string& verb, std::ostream& out) {
  if (verb.empty()) {
    out << "groundwork: bootstrap and disaster recovery for Kubernetes platforms\n\n"
        << "usage: groundwork [GLOBAL OPTIONS] VERB [OPTIONS] [ARGS]\n\nverbs:\n";
    std::size_t width = 0;
    for (const auto& v : verb_help()) width = std::max(width, v.name.size());
    for (const auto& v : verb_help())
      out << "  " << v.name << std::string(width - v.name.size() + 2, ' ') << v.summary << "\n";
    out << "\nglobal options:\n";
    print_options(listed_options(app), out);
    out << "\n`groundwork help VERB` describes a verb, with examples; `man groundwork` has it "
           "all.\n";
    return Ok{};
  }
  const VerbHelp* h = find_verb_help(verb);
  const CLI::App* sub = verb_app(app, verb);
  if (!h || !sub) {
    std::vector<std::string> names;
    for (const auto& v : verb_help()) names.emplace_back(v.name);
    std::string msg = "unknown verb '" + verb + "'";
    if (auto m = closest_match(verb, names)) msg += " (did you mean '" + *m + "'?)";
    return Error(msg + "; see groundwork help");
  }
  out << "usage: groundwork [GLOBAL OPTIONS] " << h->name << " [OPTIONS]"
      << (h->args.empty() ? "" : " ") << h->args << "\n\n"
      << h->name << ": " << h->summary << "\n\n";
  print_wrapped(h->description, 2, out);
  if (auto opts = listed_options(*sub); !opts.empty()) {
    out << "\noptions:\n";
    print_options(opts, out);
  }
  out << "\nexamples:\n";
  for (const auto& e : h->examples) out << "  " << e.command << "\n      " << e.what << "\n";
  out << "\nglobal options: groundwork help\n";
  return Ok{};
}

void print_man_page(const CLI::App& app, std::ostream& out) {
  out << ".\\\" groundwork(1), generated by `groundwork --man` from the text of `groundwork "
         "help`.\n"
      << ".TH GROUNDWORK 1 \"\" \"groundwork " << GW_VERSION << "\" \"User Commands\"\n"
      << ".SH NAME\ngroundwork \\- bootstrap and disaster recovery for Kubernetes platforms\n"
      << ".SH SYNOPSIS\n.B groundwork\n[\\fIGLOBAL OPTIONS\\fR] \\fIVERB\\fR [\\fIOPTIONS\\fR] "
         "[\\fIARGS\\fR]\n"
      << ".SH DESCRIPTION\n"
      << roff(
             "groundwork brings a Kubernetes cluster (Talos or k3s) from \"the API answers\", or "
             "from bare Talos nodes, to a working platform described by stages (YAML files), "
             "and rehearses and performs its disaster recovery with playbooks. Data goes to "
             "standard output; progress, warnings and errors to standard error.")
      << "\n.SH GLOBAL OPTIONS\n";
  man_options(listed_options(app), out);
  out << ".SH VERBS\n";
  for (const auto& h : verb_help()) {
    out << ".SS \"" << h.name << (h.args.empty() ? "" : " ") << roff(h.args) << "\"\n";
    out << roff(h.summary) << ".\n";
    man_paragraphs(h.description, out);
    if (const CLI::App* sub = verb_app(app, h.name)) {
      if (auto opts = listed_options(*sub); !opts.empty()) {
        out << ".PP\nOptions:\n.RS\n";
        man_options(opts, out);
        out << ".RE\n";
      }
    }
    out << ".PP\nExamples:\n.RS\n";
    for (const auto& e : h.examples)
      out << ".TP\n.B " << roff(e.command) << "\n" << roff(e.what) << "\n";
    out << ".RE\n";
  }
  out << ".SH FILES\n"
      << roff(
             "Stages are read from --stages, else the inventory's spec.stages, else ./stages, "
             "else the stages shipped with groundwork (<prefix>/share/groundwork/stages); "
             "playbooks likewise (--playbooks, spec.playbooks, ./playbooks, "
             "<prefix>/share/groundwork/playbooks). State lives in .groundwork/<inventory>/ "
             "beside the inventory file (--state-dir).")
      << "\n.SH ENVIRONMENT\n.TP\n.B GROUNDWORK_INVENTORY\nthe inventory when \\-i is not "
         "given\n.TP\n.B NO_COLOR\nno ANSI colours\n"
      << ".SH EXIT STATUS\n"
      << ".TP\n0\nsuccess\n.TP\n1\na step, gate or drill failed, or the journal or state folder "
         "could not be written\n.TP\n2\ninvalid input or usage; nothing was run\n.TP\n3\n"
         "preflight failed; nothing was run\n.TP\n4\nanother run holds the lock\n.TP\n130\n"
         "interrupted by SIGINT, SIGTERM or SIGHUP\n"
      << ".SH SEE ALSO\n"
      << roff(
             "groundwork help VERB; docs/cli.md, docs/format.md and docs/dr.md in the "
             "groundwork sources.")
      << "\n";
}

int print_cli_completion(const CLI::App& app, const std::vector<std::string>& what,
                         std::ostream& out) {
  const std::string kind = what.empty() ? "" : what[0];
  const std::string verb = what.size() > 1 ? what[1] : "";
  if (kind == "verbs") {
    for (const auto& v : verb_help()) out << v.name << "\n";
    return 0;
  }
  const CLI::App* sub = verb.empty() ? nullptr : verb_app(app, verb);
  if (kind == "options") {
    std::vector<const CLI::Option*> opts = listed_options(app);
    if (app.get_help_ptr()) opts.push_back(app.get_help_ptr());
    if (sub)
      for (const auto* o : listed_options(*sub)) opts.push_back(o);
    for (const auto* o : opts)
      for (const auto& n : o->get_lnames()) out << "--" << n << "\n";
    return 0;
  }
  if (kind == "values" && what.size() > 2) {
    std::string name = what[2];
    while (!name.empty() && name[0] == '-') name.erase(0, 1);
    std::vector<const CLI::Option*> opts = listed_options(app);
    if (sub)
      for (const auto* o : listed_options(*sub)) opts.push_back(o);
    for (const auto* o : opts)
      if (o->check_lname(name) || o->check_sname(name))
        for (const auto& c : option_choices(o)) out << c << "\n";
    return 0;
  }
  return 2;
}

}  // namespace gw
