#pragma once
/// A step's log file for a command's output, local (run/process_runner.cc) or remote
/// (run/remote_runner.cc): appended line by line, redacted, nothing of a sensitive step; keeps the
/// last lines for failure reports.
#include <array>
#include <string>
#include <string_view>

#include "model/project.h"
#include "model/terminal_text.h"
#include "run/redactor.h"

namespace gw {

/// Appends `line` (already redacted, with its newline) to the step log at `path`, creating it
/// (0600); false when it could not be written whole.
bool append_log_line(const std::string& path, const std::string& line);

/// The step log: appends output line by line, redacted; owns the fd. Each stream has its own
/// line buffer, so a secret written whole on one stream is never split by the other's output.
class LogSink {
 public:
  enum class Stream { Out = 0, Err = 1 };

  /// `path` empty: no file, only the tail is kept.
  LogSink(const std::string& path, const Redactor* r, Visibility v);
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  /// Takes a chunk of one stream; whole lines go to the file at once.
  void write(Stream s, std::string_view chunk);
  /// Writes what is held back of unfinished lines.
  void flush();
  /// The last 20 lines, each cut to kTerminalLineMax bytes (a 100 MB line keeps 2 KB).
  std::string tail() const { return tail_.str(); }
  /// Why the log file is not complete (it could not be opened, or a write failed, e.g. a full
  /// disk), or empty while it is.
  const std::string& error() const { return error_; }

 private:
  /// Whether a piece of output ends its line or is the head of a line too long to hold back
  /// (the log file gets a newline after it all the same).
  enum class Piece { Whole, LineGoesOn };
  void emit(const std::string& text, Piece piece = Piece::Whole);
  void put(const std::string& s);

  int fd_ = -1;
  std::string path_;
  std::string error_;
  const Redactor* redactor_;
  Visibility visibility_;
  std::array<std::string, 2> pending_;
  LineTail tail_{20, kTerminalLineMax};
};

}  // namespace gw
