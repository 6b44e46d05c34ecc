#pragma once
/// The text of `groundwork help`, `groundwork help VERB`, the man page (`groundwork --man`) and the
/// names the shell completions offer: one table (help.cc), rendered several ways.
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace CLI {
class App;
}

namespace gw {

/// One example of a verb: the command line and what it does.
struct HelpExample {
  std::string_view command;
  std::string_view what;
};

/// Everything said about one verb. `summary` is also the verb's line in `--help`.
struct VerbHelp {
  std::string_view name;
  std::string_view args;         // e.g. "[TARGET...]"; empty when the verb takes none
  std::string_view summary;      // one line
  std::string_view description;  // paragraphs separated by a blank line
  std::vector<HelpExample> examples;
};

/// Every verb, in the order `help` lists them.
const std::vector<VerbHelp>& verb_help();

/// The help of verb `name`, or nullptr.
const VerbHelp* find_verb_help(std::string_view name);

/// `groundwork help` (empty `verb`: every verb with its summary) or `groundwork help VERB` (usage,
/// description, options from `app`, examples) to `out`. An unknown verb is an error naming the
/// closest verb, and nothing is printed.
Status print_help(const CLI::App& app, const std::string& verb, std::ostream& out);

/// The man page groundwork(1) in roff (man(7) macros), from the same table and `app`'s options.
void print_man_page(const CLI::App& app, std::ostream& out);

/// What the shell completions ask for (`groundwork __complete WHAT [VERB]`), printed one per line:
/// `verbs`, `options VERB` (the global options too; VERB may be empty), `values VERB OPTION` (the
/// allowed values of an option with a fixed set). Returns 2 for an unknown WHAT, else 0.
int print_cli_completion(const CLI::App& app, const std::vector<std::string>& what,
                         std::ostream& out);

}  // namespace gw
