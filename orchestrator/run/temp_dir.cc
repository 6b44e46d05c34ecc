#include "run/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>

#include "run/proc_table.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

/// Reads decimal digits from the front of `s` up to `sep`, and drops them and `sep`.
template <typename T>
bool take_number(std::string_view& s, char sep, T* out) {
  size_t end = s.find(sep);
  if (end == 0 || end == std::string_view::npos) return false;
  auto r = std::from_chars(s.data(), s.data() + end, *out);
  if (r.ec != std::errc() || r.ptr != s.data() + end) return false;
  s.remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string temp_root() {
  std::error_code ec;
  auto p = fs::temp_directory_path(ec);
  return ec ? std::string("/tmp") : p.string();
}

Result<OwnedTempDir> OwnedTempDir::create(const std::string& prefix) {
  std::string tmpl = (fs::path(temp_root()) / (prefix + "-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(own_start_ticks()) + "-" +
                                               std::to_string(pid_namespace_id()) + "-XXXXXX"))
                         .string();
  if (!::mkdtemp(tmpl.data())) return Error{"cannot create a temporary folder in " + tmpl};
  return OwnedTempDir(tmpl);
}

OwnedTempDir::~OwnedTempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

std::optional<TempDirOwner> temp_dir_owner(const std::string& name, const std::string& prefix) {
  std::string_view s(name);
  if (s.size() <= prefix.size() + 1 || s.substr(0, prefix.size()) != prefix ||
      s[prefix.size()] != '-')
    return std::nullopt;
  s.remove_prefix(prefix.size() + 1);
  TempDirOwner o;
  if (!take_number(s, '-', &o.pid) || o.pid <= 0 || !take_number(s, '-', &o.start_ticks) ||
      !take_number(s, '-', &o.pid_ns))
    return std::nullopt;
  if (s.size() != 6 || s.find('/') != std::string_view::npos) return std::nullopt;  // mkdtemp's
  return o;
}

std::vector<SweptTempDir> sweep_dead_owner_temp_dirs(const std::string& dir,
                                                     const std::string& prefix) {
  std::vector<SweptTempDir> swept;
  const uint64_t ns = pid_namespace_id();
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto owner = temp_dir_owner(it->path().filename().string(), prefix);
    if (!owner || owner->pid_ns != ns) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    if (process_alive(owner->pid, owner->start_ticks)) continue;
    std::error_code ec2;
    fs::remove_all(it->path(), ec2);
    if (!ec2) swept.push_back({it->path().string(), owner->pid});
  }
  return swept;
}

}  // namespace gw
