// Replacing a file's contents so that a reader, or a crash, sees the old file or the new
// one and never a part of either: write beside it, fsync, rename over it.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

namespace proxyd {

bool replace_file(const std::string& path, std::string_view content, mode_t mode,
                  std::string& error);

}  // namespace proxyd
