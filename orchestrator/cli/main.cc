// groundwork: the command-line entry point. Parses options, dispatches to a verb, and is the one
// place that catches exceptions.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/help.h"
#include "cli/project_names.h"
#include "model/names.h"
#include "report/log.h"
#include "run/containment.h"

namespace {

void add_global_options(CLI::App& app, gw::GlobalOptions& g) {
  app.add_option("-i,--inventory", g.inventory, "inventory file (else $GROUNDWORK_INVENTORY)");
  app.add_option_function<std::string>(
      "--stages", [&](const std::string& v) { g.stages_dir = v, g.stages_dir_explicit = true; },
      "stages folder (default ./stages; the inventory's spec.stages wins)");
  app.add_option_function<std::string>(
      "--playbooks",
      [&](const std::string& v) { g.playbooks_dir = v, g.playbooks_dir_explicit = true; },
      "playbooks folder (default ./playbooks)");
  app.add_option("--state-dir", g.state_dir,
                 "state folder (default: .groundwork in the inventory file's folder)");
  app.add_flag_function(
      "-v,--verbose",
      [&](std::int64_t n) { g.verbosity = n >= 2 ? gw::Verbosity::Debug : gw::Verbosity::Verbose; },
      "more detail on stderr: -v why each step runs or is skipped, -vv everything");
  app.add_flag_callback(
      "-q,--quiet", [&] { g.verbosity = gw::Verbosity::Quiet; },
      "only errors and the final line on stderr");
  app.add_flag_callback(
      "--no-color", [&] { g.color = gw::Color::Off; }, "no ANSI colours");
  app.add_option_function<std::string>(
         "--log-format",
         [&](const std::string& v) {
           g.log_format = v == "json" ? gw::LogFormat::Json : gw::LogFormat::Text;
         },
         "text or json")
      ->check(CLI::IsMember({"text", "json"}));
}

/// The first word that is neither a global option nor its value: the verb as typed, or empty.
std::string typed_verb(const CLI::App& app, int argc, char** argv) {
  std::set<std::string> takes_value;  // "-i", "--inventory", … as typed
  for (const auto* opt : app.get_options()) {
    if (opt->get_positional() || opt->get_expected_min() == 0) continue;  // flags expect none
    for (const auto& n : opt->get_snames()) takes_value.insert("-" + n);
    for (const auto& n : opt->get_lnames()) takes_value.insert("--" + n);
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.empty() || a[0] != '-') return a;
    if (takes_value.count(a)) ++i;
  }
  return "";
}

/// A clear message for a verb groundwork does not have (CLI11 would only say that a subcommand
/// is required).
std::optional<std::string> verb_problem(const CLI::App& app, const std::string& verb) {
  if (verb.empty()) return std::nullopt;
  // The verbs a user sees: a hidden one (__complete) is valid but never offered.
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == verb) return std::nullopt;
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  }
  std::string msg = "unknown verb '" + verb + "'";
  if (auto m = gw::closest_match(verb, names)) msg += " (did you mean '" + *m + "'?)";
  return msg + "; see groundwork --help";
}

/// Whether stdout is a pipe or socket whose reader has gone (`groundwork plan | head -1`).
bool stdout_reader_gone() {
  pollfd p{STDOUT_FILENO, POLLOUT, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

/// The verb's exit code once stdout is flushed: a reader that stopped reading (`| head`) is no
/// error, any other failed write to stdout is (the data did not arrive).
int finish_stdout(int rc) {
  std::cout.flush();
  if (std::cout.good() && std::fflush(stdout) == 0) return rc;
  if (stdout_reader_gone()) return rc;
  std::cerr << "groundwork: error: cannot write to standard output\n";
  return rc == gw::kExitOk ? gw::kExitFailed : rc;
}

int run_verb(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  // A write to a closed pipe (stdout into `| head`, a step's stdin it never reads) is an error
  // to handle, never a reason to die. Commands get SIGPIPE back at its default (process_runner.cc).
  ::signal(SIGPIPE, SIG_IGN);
  // Orphans of the commands come back to groundwork, which stops them with their step.
  if (auto s = gw::enable_child_subreaper(); !s)
    std::cerr << "groundwork: warning: " << s.error().message << "\n";
  return finish_stdout(run_verb(argc, argv));
}

namespace {

int run_verb(int argc, char** argv) {
  gw::GlobalOptions g;
  // Colour only on a terminal that has it (TERM=dumb has none), and never with NO_COLOR set.
  const char* term = std::getenv("TERM");
  if (!isatty(STDERR_FILENO) || std::getenv("NO_COLOR") || (term && std::string(term) == "dumb"))
    g.color = gw::Color::Off;
  CLI::App app{"groundwork: bootstrap and disaster recovery for Kubernetes platforms",
               "groundwork"};
  app.set_version_flag("--version", std::string("groundwork ") + GW_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  add_global_options(app, g);

  // Each verb's line in --help is its summary in the help table (cli/help.cc).
  auto add_verb = [&](const char* name) {
    const gw::VerbHelp* h = gw::find_verb_help(name);
    return app.add_subcommand(name, h ? std::string(h->summary) : std::string());
  };
  auto* validate = add_verb("validate");

  gw::PlanOptions plan_opts;
  auto* plan = add_verb("plan");
  plan->add_option("targets", plan_opts.targets, "stages to plan (with everything they need)");
  plan->add_option("--format", plan_opts.format, "text, json, dot, mermaid or svg")
      ->check(CLI::IsMember({"text", "json", "dot", "mermaid", "svg"}));
  plan->add_option("--only", plan_opts.only, "just these stages (repeatable)")
      ->allow_extra_args(false);
  plan->add_flag("--fresh", plan_opts.fresh, "preview apply --fresh: ignore checkpoints");
  plan->add_option("--force", plan_opts.force, "STAGE[/STEP]: preview apply --force (repeatable)")
      ->allow_extra_args(false);
  plan->add_flag("--cascade", plan_opts.cascade,
                 "preview apply --force … --cascade: the stages needing a forced one too");
  plan->add_option("--playbook", plan_opts.playbook, "preview a playbook (its needs and phases)");
  plan->add_option("--mode", plan_opts.mode, "with --playbook: drill or restore")
      ->check(CLI::IsMember({"drill", "restore"}));
  plan->add_option("--param", plan_opts.params, "with --playbook: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);

  gw::RunOptions run_opts;
  auto add_run_options = [&](CLI::App* cmd, bool targets) {
    if (targets)
      cmd->add_option("targets", run_opts.targets, "stages to apply (with what they need)");
    cmd->add_option("-j,--jobs", run_opts.jobs, "steps running at once (default 4)");
    cmd->add_flag("--keep-going", run_opts.keep_going,
                  "independent branches go on after a failure");
    cmd->add_flag("--fresh", run_opts.fresh, "ignore checkpoints");
    cmd->add_option("--force", run_opts.force,
                    "STAGE[/STEP]: run even if checkpointed (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--only", run_opts.only, "STAGE: run just these; their needs must be done")
        ->allow_extra_args(false);
    cmd->add_flag("--cascade", run_opts.cascade,
                  "with --force: force every stage that needs a forced one, transitively");
    cmd->add_flag("--verify", run_opts.verify,
                  "probe the gates of stages already done once; a failing one is drift (exit 1)");
    cmd->add_flag("--repair", run_opts.repair,
                  "--verify, and a drifted stage runs its steps again, then its gates");
    cmd->add_flag("--kill-stale", run_opts.kill_stale,
                  "stop the still-running processes of a crashed run before starting (else wait)");
  };
  auto* apply = add_verb("apply");
  add_run_options(apply, true);
  auto* bootstrap = add_verb("bootstrap");
  add_run_options(bootstrap, false);

  gw::StatusOptions status_opts;
  auto* status = add_verb("status");
  status->add_option("--format", status_opts.format, "text, json or svg")
      ->check(CLI::IsMember({"text", "json", "svg"}));

  gw::RenderOptions render_opts;
  auto* render = add_verb("render");
  render->add_option("targets", render_opts.targets, "STAGE or STAGE/STEP (default: every step)");

  gw::DiffOptions diff_opts;
  auto* diff = add_verb("diff");
  diff->add_option("targets", diff_opts.targets,
                   "STAGE (with what it needs) or STAGE/STEP (default: every step)");

  gw::ResetOptions reset_opts;
  auto* reset = add_verb("reset");
  reset->add_option("targets", reset_opts.targets, "STAGE or STAGE/STEP");
  reset->add_flag("--all", reset_opts.all, "forget every checkpoint");
  reset->add_flag("--cascade", reset_opts.cascade,
                  "also forget the stages that need a target's stage, transitively");

  auto* doctor = add_verb("doctor");

  gw::RunOptions drill_opts;
  auto add_playbook_options = [&](CLI::App* cmd) {
    cmd->add_option("playbook", drill_opts.targets, "the playbook to run")->required();
    cmd->add_option("-j,--jobs", drill_opts.jobs, "steps running at once (default 4)");
    cmd->add_flag("--keep-going", drill_opts.keep_going,
                  "independent branches of the needed stages go on after a failure");
    cmd->add_flag("--fresh", drill_opts.fresh, "ignore checkpoints");
    cmd->add_option("--force", drill_opts.force,
                    "STAGE[/STEP]: run even if checkpointed (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--verify", drill_opts.verify,
                  "probe the gates of needed stages already done once; a failing one is drift");
    cmd->add_flag("--repair", drill_opts.repair,
                  "--verify, and a drifted needed stage runs its steps again, then its gates");
    cmd->add_flag("--kill-stale", drill_opts.kill_stale,
                  "stop the still-running processes of a crashed run before starting (else wait)");
    cmd->add_option("--param", drill_opts.params, "NAME=VALUE (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--report-dir", drill_opts.report_dir,
                    "where reports go (default <state>/<inventory>/reports)");
    cmd->add_option("--metrics-file", drill_opts.metrics_file,
                    "node_exporter textfile metrics, written atomically");
  };
  auto* drill = add_verb("drill");
  add_playbook_options(drill);
  auto* restore = add_verb("restore");
  add_playbook_options(restore);
  restore->add_flag("--yes", drill_opts.yes,
                    "do not ask for confirmation (required when stdin is not a terminal)");

  std::string help_verb;
  auto* help = add_verb("help");
  help->add_option("verb", help_verb, "the verb to describe");
  // Hidden: what the shell completions (contrib/completion) ask for.
  std::vector<std::string> complete_what;
  auto* complete = app.add_subcommand("__complete", "")->group("");
  complete->add_option("what", complete_what,
                       "verbs | options VERB | values VERB OPTION | stages | steps | playbooks | "
                       "playbook-steps [PLAYBOOK]");

  // Hidden: the man page groundwork(1), written at build time (CMakeLists.txt).
  if (argc == 2 && std::string(argv[1]) == "--man") {
    gw::print_man_page(app, std::cout);
    return gw::kExitOk;
  }
  if (auto problem = verb_problem(app, typed_verb(app, argc, argv))) {
    gw::log_error(*problem);
    return gw::kExitInvalid;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && g.log_format == gw::LogFormat::Json) {
      gw::init_log(g.log_format, g.verbosity);
      gw::log_error(std::string(e.what()) + "; see groundwork --help");
      return gw::kExitInvalid;
    }
    int rc = app.exit(e);
    return rc == 0 ? gw::kExitOk : gw::kExitInvalid;
  }

  gw::init_log(g.log_format, g.verbosity);
  gw::use_shipped_dirs(g);  // installed: share/groundwork/{stages,playbooks} when nothing else
  try {
    if (*help) {
      auto shown = gw::print_help(app, help_verb, std::cout);
      if (shown) return gw::kExitOk;
      gw::log_error(shown.error().message);
      return gw::kExitInvalid;
    }
    if (*complete) {
      if (auto names = gw::parse_project_names(complete_what.empty() ? "" : complete_what[0])) {
        gw::print_project_names(g, *names, complete_what.size() > 1 ? complete_what[1] : "",
                                std::cout);
        return gw::kExitOk;
      }
      return gw::print_cli_completion(app, complete_what, std::cout);
    }
    if (*validate) return gw::cmd_validate(g);
    if (*plan) return gw::cmd_plan(g, plan_opts);
    if (*apply || *bootstrap) return gw::cmd_apply(g, run_opts);
    if (*status) return gw::cmd_status(g, status_opts);
    if (*reset) return gw::cmd_reset(g, reset_opts);
    if (*render) return gw::cmd_render(g, render_opts);
    if (*diff) return gw::cmd_diff(g, diff_opts);
    if (*doctor) return gw::cmd_doctor(g);
    if (*drill) return gw::cmd_drill(g, drill_opts, gw::Mode::Drill);
    if (*restore) return gw::cmd_drill(g, drill_opts, gw::Mode::Restore);
  } catch (const std::exception& e) {
    gw::log_error(std::string("internal error: ") + e.what());
    return gw::kExitFailed;
  }
  return gw::kExitInvalid;
}

}  // namespace
