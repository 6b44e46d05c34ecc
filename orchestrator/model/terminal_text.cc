#include "model/terminal_text.h"

#include "model/json_text.h"

namespace gw {

namespace {

void append_hex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

/// How many bytes at the end of `s` are the start of a UTF-8 sequence that is not complete (a
/// cut there would split a character): 0 to 3.
size_t incomplete_tail(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return len > back ? back : 0;
  }
  return 0;
}

/// The first `max` bytes of `s`, less a character the cut would split.
std::string_view head(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  std::string_view h = s.substr(0, max);
  return h.substr(0, h.size() - incomplete_tail(h));
}

std::string cut_marker(uint64_t bytes) {
  return "\xE2\x80\xA6 [cut " + with_thousands(bytes) + " bytes]";
}

}  // namespace

std::string with_thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string escape_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        append_hex(out, c);
      else
        out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) {  // not UTF-8: a raw 0x9b is a CSI on some terminals
      append_hex(out, c);
      ++i;
      continue;
    }
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {  // C1 control
      append_hex(out, c);
      append_hex(out, static_cast<unsigned char>(s[i + 1]));
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string cut_long_lines(std::string_view s, size_t max) {
  std::string out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    size_t end = nl == std::string_view::npos ? s.size() : nl;
    std::string_view line = s.substr(start, end - start);
    if (line.size() > max) {
      std::string_view kept = head(line, max);
      out.append(kept);
      out += cut_marker(line.size() - kept.size());
    } else {
      out.append(line);
    }
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

std::string terminal_text(std::string_view s, size_t max_line) {
  return escape_terminal(cut_long_lines(s, max_line));
}

void LineTail::append(std::string_view text) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view part = text.substr(0, nl);
    if (cut_ == 0 && current_.size() + part.size() <= line_max_) {
      current_.append(part);
    } else if (cut_ == 0) {  // the line just outgrew the limit: keep its head, count the rest
      size_t before = current_.size();
      current_.append(part.substr(0, line_max_ - before));
      current_.resize(current_.size() - incomplete_tail(current_));
      cut_ = before + part.size() - current_.size();
    } else {
      cut_ += part.size();
    }
    if (nl == std::string_view::npos) return;
    end_line();
    text.remove_prefix(nl + 1);
  }
}

void LineTail::end_line() {
  if (cut_ > 0) current_ += cut_marker(cut_);
  lines_.push_back(std::move(current_));
  current_.clear();
  cut_ = 0;
  while (lines_.size() > max_lines_) lines_.pop_front();
}

std::string LineTail::str() const {
  std::string out;
  for (const auto& l : lines_) out += l + "\n";
  if (!current_.empty() || cut_ > 0) {
    out += current_;
    if (cut_ > 0) out += cut_marker(cut_);
    out += "\n";
  }
  return out;
}

}  // namespace gw
