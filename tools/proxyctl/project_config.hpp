// .proxyctl.toml: a project's defaults for `proxyctl check` (proxyctl(1), FILES).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace proxyctl {

inline constexpr const char* project_config_name = ".proxyctl.toml";

// One [[overrides]] table: settings for the files its globs match.
struct PathOverride {
    std::vector<std::string> files;  // globs, relative to the config file's directory
    std::optional<std::string> dialect;
    std::set<std::string> disable;  // rule codes
};

struct ProjectConfig {
    std::string path;  // the file read
    std::string dir;   // its directory, absolute: paths and globs are relative to it
    std::optional<std::string> dialect;
    std::optional<std::string> severity;
    std::optional<std::string> fail_on;
    std::optional<bool> werror;
    std::set<std::string> disable;  // rule codes
    std::vector<std::string> exclude;
    std::string baseline;  // absolute, or empty
    std::vector<PathOverride> overrides;

    // Whether a directory walk leaves out `file` (or a directory and all below it).
    bool excluded(const std::string& file, bool is_dir) const;
    // The overrides whose globs match `file`, in the order the config gives them.
    std::vector<const PathOverride*> overrides_for(const std::string& file) const;
};

// The nearest .proxyctl.toml in `start_dir` or a directory above it.
std::optional<std::string> find_project_config(const std::string& start_dir);

// Reads `path`; false with `error` as "FILE:LINE: what is wrong" for a syntax error, an
// unknown key or a bad value.
bool load_project_config(const std::string& path, ProjectConfig& out, std::string& error);

// gitignore-style: a pattern without '/' matches any path component ("*.bak.cfg",
// "vendor"); with one, the path from the start ("legacy/*.cfg"), where '**' also matches
// across directories. A trailing '/' matches directories only. A directory that matches
// takes everything below it along. `relative` is '/'-separated, relative to the config.
bool glob_matches(const std::string& pattern, const std::string& relative, bool is_dir);

}  // namespace proxyctl
