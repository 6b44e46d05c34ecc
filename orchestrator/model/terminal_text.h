#pragma once
/// Text from outside (a step's output, argv, captured values, messages quoting them) on its way to
/// a terminal: control sequences are shown, not obeyed, and a huge line is cut, so a command
/// cannot clear the screen, retitle the window, write the clipboard (OSC 52) or flood stderr.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace gw {

/// The longest line printed from outside text, in bytes (before escaping); the rest is cut.
inline constexpr size_t kTerminalLineMax = 2000;

/// Escapes every byte a terminal would act on as `\xNN`: C0 control characters except newline and
/// tab, DEL, the C1 controls (U+0080–U+009F, e.g. the one-byte CSI) and bytes that are not part
/// of well-formed UTF-8. Other text, multi-byte characters included, is unchanged.
std::string escape_terminal(std::string_view s);

/// Cuts each line longer than `max` bytes after `max` bytes (at a character boundary) and appends
/// `… [cut 99,999,000 bytes]`.
std::string cut_long_lines(std::string_view s, size_t max = kTerminalLineMax);

/// Both: what may be printed of outside text. Use it for everything that reaches a terminal.
std::string terminal_text(std::string_view s, size_t max_line = kTerminalLineMax);

/// "1,234,567".
std::string with_thousands(uint64_t n);

/// The last lines of a stream of text, each kept to at most `line_max` bytes (the rest of a
/// line is counted and shown as `… [cut N bytes]`): bounded memory whatever the stream.
class LineTail {
 public:
  LineTail(size_t lines, size_t line_max) : max_lines_(lines), line_max_(line_max) {}
  /// Adds text; a newline ends the current line.
  void append(std::string_view text);
  /// The kept lines, each ending in a newline (an unfinished last line included).
  std::string str() const;

 private:
  void end_line();
  size_t max_lines_;
  size_t line_max_;
  std::deque<std::string> lines_;
  std::string current_;
  uint64_t cut_ = 0;  // bytes of the current line not kept
};

}  // namespace gw
