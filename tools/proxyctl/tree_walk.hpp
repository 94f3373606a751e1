// `proxyctl check DIR`: the configuration files under a directory.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace proxyctl {

// Whether a name is a configuration file a directory walk checks: *.cfg and *.conf.
bool is_config_name(const std::string& name);

// The configuration files under `dir`, sorted by path, each as `dir` joined with its path
// below it. Hidden files and directories (a name starting with '.') are skipped, symbolic
// links to directories are not followed (a loop would never end), and `excluded(path)`
// drops a file or a whole directory. Unreadable directories are left out.
std::vector<std::string> config_files_under(
    const std::string& dir,
    const std::function<bool(const std::string& path, bool is_dir)>& excluded);

}  // namespace proxyctl
