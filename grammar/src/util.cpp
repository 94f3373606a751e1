#include "proxycfg/util.hpp"

#include <climits>
#include <cstdlib>

namespace proxycfg {

std::string canonical_path(const std::string& path) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved)) return resolved;
    return path;
}

bool color_enabled(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return ::isatty(fd) == 1;
}

}  // namespace proxycfg
