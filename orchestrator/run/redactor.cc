#include "run/redactor.h"

#include <algorithm>

namespace gw {

void Redactor::add(std::string_view secret) {
  size_t start = 0;
  while (start <= secret.size()) {
    size_t nl = secret.find('\n', start);
    std::string_view line = secret.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() >= 3 && std::find(values_.begin(), values_.end(), line) == values_.end())
      values_.emplace_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& v : values_) {
    size_t pos = 0;
    while ((pos = out.find(v, pos)) != std::string::npos) {
      out.replace(pos, v.size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace gw
