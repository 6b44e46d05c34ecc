#include "run/rendered_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gw {

namespace fs = std::filesystem;

RenderedFiles::~RenderedFiles() {
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Result<std::string> RenderedFiles::write(const FileInput& f, size_t index) {
  std::string name = std::to_string(index) + "-" + fs::path(f.source.str()).filename().string();
  if (dir_.empty()) {
    if (base_.empty()) return Error{f.source + ": no run folder to write the rendered file to"};
    std::error_code ec;
    fs::create_directories(base_, ec);
    if (ec) return Error{base_ + ": cannot create the folder for rendered files: " + ec.message()};
    if (::chmod(base_.c_str(), 0700) != 0)
      return Error{base_ +
                   ": cannot make the folder for rendered files private: " + std::strerror(errno)};
    std::string tmpl = base_ + "/XXXXXX";
    if (!::mkdtemp(tmpl.data()))  // mode 0700
      return Error{base_ +
                   ": cannot create a private folder for rendered files: " + std::strerror(errno)};
    dir_ = tmpl;
  }
  std::string path = dir_ + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot write rendered file: " + std::strerror(errno)};
  const std::string& content = *f.content;
  size_t off = 0;
  int err = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && !err) err = errno;
  if (err) {
    ::unlink(path.c_str());
    return Error{path + ": cannot write rendered file: " + std::strerror(err)};
  }
  return path;
}

}  // namespace gw
