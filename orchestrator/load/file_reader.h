#pragma once
/// Reading input files with bounds: only regular files are read, and their size is checked before
/// a byte is read. A FIFO, a device (/dev/zero), a folder, a dangling symlink or a symlink loop is
/// an error naming the file, never a hang or an unbounded read.
#include <cstddef>
#include <string>
#include <string_view>

#include "model/result.h"

namespace gw {

/// Reads the whole file at `path` when it is a regular file of at most `max_bytes` bytes (the
/// check is made with fstat on the opened descriptor, so what is checked is what is read). The
/// error says what the path is instead, without the path itself (callers put the path or location
/// in front): kNoSuchFile, "a FIFO, not a regular file", "a symbolic link loop (…)", "a dangling
/// symbolic link (…)", "larger than 16 MiB (1073741824 bytes)", "Permission denied".
Result<std::string> read_regular_file(const std::string& path, size_t max_bytes);

/// The error of read_regular_file when nothing is at the path.
inline constexpr std::string_view kNoSuchFile = "no such file";

/// "16 MiB", "512 KiB", "100 bytes".
std::string format_size_limit(size_t bytes);

}  // namespace gw
