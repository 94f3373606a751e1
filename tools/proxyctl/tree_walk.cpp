#include "tree_walk.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace proxyctl {

namespace fs = std::filesystem;

bool is_config_name(const std::string& name) {
    auto ends_with = [&](const std::string& suffix) {
        return name.size() > suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends_with(".cfg") || ends_with(".conf");
}

std::vector<std::string> config_files_under(
    const std::string& dir,
    const std::function<bool(const std::string& path, bool is_dir)>& excluded) {
    std::vector<std::string> found;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::string name = entry.path().filename().string();
        std::error_code type_ec;
        bool is_dir = entry.is_directory(type_ec) && !entry.is_symlink(type_ec);
        std::string path = entry.path().string();
        if (name.starts_with(".") || excluded(path, is_dir)) {
            if (is_dir) it.disable_recursion_pending();
            continue;
        }
        if (!is_dir && entry.is_regular_file(type_ec) && is_config_name(name))
            found.push_back(std::move(path));
    }
    std::sort(found.begin(), found.end());
    return found;
}

}  // namespace proxyctl
