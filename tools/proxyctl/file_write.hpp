// Replacing a file's contents atomically, for the commands that rewrite configuration files
// in place (fmt --write, check --fix).
#pragma once

#include <string>

namespace proxyctl {

// Writes `text` to a new file in the same directory, syncs it and renames it over `path`,
// so a reader (or proxyd reloading) never sees half a file. The mode and owner are kept,
// and through a symlink the link itself. On failure `error` says why and `path` is as it
// was.
bool replace_file(const std::string& path, const std::string& text, std::string& error);

}  // namespace proxyctl
