#pragma once
/// How output looks: colour, log format, verbosity. Set by the CLI, read by the writers.

namespace gw {

enum class Color { Off, On };
enum class LogFormat { Text, Json };
/// Quiet: errors and the final line; Verbose (-v): decisions too; Debug (-vv): everything.
enum class Verbosity { Quiet, Normal, Verbose, Debug };

}  // namespace gw
