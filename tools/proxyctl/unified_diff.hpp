// A unified diff of two texts by lines (Myers' algorithm), as `diff -u` and `git diff`
// print it, for `proxyctl check --diff`.
#pragma once

#include <string>

namespace proxyctl {

// "--- a/PATH", "+++ b/PATH" and hunks with `context` lines around each change; empty when
// the texts are the same. Lines are compared with their line endings, and a last line
// without one is marked "\ No newline at end of file", so patch -p1 and git apply rebuild
// `after` exactly.
std::string unified_diff(const std::string& path, const std::string& before,
                         const std::string& after, std::size_t context = 3);

}  // namespace proxyctl
