#include "run/redactor.h"

#include <algorithm>
#include <mutex>

namespace gw {

Redactor::Redactor(Redactor&& other) noexcept {
  std::unique_lock<std::shared_mutex> lock(other.mu_);
  values_ = std::move(other.values_);
}

Redactor& Redactor::operator=(Redactor&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  values_ = std::move(other.values_);
  return *this;
}

void Redactor::add(std::string_view secret) {
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.remove_suffix(1);
  if (secret.empty()) return;
  std::vector<std::string_view> lines;
  if (secret.find('\n') == std::string_view::npos) {
    lines.push_back(secret);
  } else {
    size_t start = 0;
    while (start <= secret.size()) {
      size_t nl = secret.find('\n', start);
      std::string_view line = secret.substr(start, nl == std::string_view::npos ? nl : nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() >= 3) lines.push_back(line);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (auto line : lines)
    if (std::find(values_.begin(), values_.end(), line) == values_.end())
      values_.emplace_back(line);
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& v : values_) {
    size_t pos = 0;
    while ((pos = out.find(v, pos)) != std::string::npos) {
      out.replace(pos, v.size(), "***");
      pos += 3;
    }
  }
  return out;
}

bool Redactor::empty() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return values_.empty();
}

size_t Redactor::longest() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return values_.empty() ? 0 : values_.front().size();
}

}  // namespace gw
