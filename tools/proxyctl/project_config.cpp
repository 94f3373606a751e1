#include "project_config.hpp"

#include <fnmatch.h>

#include <toml++/toml.h>
#include <filesystem>
#include <system_error>

#include "rule_select.hpp"
#include "suggest.hpp"

namespace proxyctl {

namespace fs = std::filesystem;

namespace {

// A problem at a place in the file: thrown while reading, caught once.
struct ConfigError {
    std::uint32_t line;
    std::string message;
};

std::uint32_t line_of(const toml::node& node) {
    return node.source().begin.line;
}

std::string string_value(const toml::node& node, const std::string& key) {
    if (auto s = node.value<std::string>()) return *s;
    throw ConfigError{line_of(node), "'" + key + "' must be a string"};
}

std::string one_of(const toml::node& node, const std::string& key,
                   const std::vector<std::string>& allowed) {
    std::string value = string_value(node, key);
    for (const auto& a : allowed)
        if (a == value) return value;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
    throw ConfigError{line_of(node),
                      "'" + key + "' is \"" + value + "\"; it must be one of " + list};
}

std::vector<std::string> string_list(const toml::node& node, const std::string& key) {
    const toml::array* array = node.as_array();
    if (!array) throw ConfigError{line_of(node), "'" + key + "' must be an array of strings"};
    std::vector<std::string> out;
    for (const auto& element : *array) out.push_back(string_value(element, key));
    return out;
}

std::set<std::string> rule_list(const toml::node& node, const std::string& key) {
    const toml::array* array = node.as_array();
    if (!array)
        throw ConfigError{line_of(node), "'" + key + "' must be an array of rule codes or names"};
    std::set<std::string> codes;
    for (const auto& element : *array) {
        std::string error;
        auto code = resolve_rule(string_value(element, key), error);
        if (!code) throw ConfigError{line_of(element), error};
        codes.insert(*code);
    }
    return codes;
}

[[noreturn]] void unknown_key(const toml::key& key, const std::vector<std::string>& known) {
    std::string name(key.str());
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw ConfigError{
        key.source().begin.line,
        "unknown key '" + name + "'" + did_you_mean(name, known) + " (known: " + list + ")"};
}

PathOverride read_override(const toml::node& node) {
    const toml::table* table = node.as_table();
    if (!table)
        throw ConfigError{line_of(node), "'overrides' must be an array of tables ([[overrides]])"};
    PathOverride o;
    bool has_files = false;
    for (auto&& [key, value] : *table) {
        if (key == "files") {
            o.files = string_list(value, "files");
            has_files = true;
        } else if (key == "dialect") {
            o.dialect = one_of(value, "dialect", {"proxyd", "3proxy"});
        } else if (key == "disable") {
            o.disable = rule_list(value, "disable");
        } else {
            unknown_key(key, {"files", "dialect", "disable"});
        }
    }
    if (!has_files)
        throw ConfigError{line_of(node),
                          "an [[overrides]] table needs 'files', the globs it applies to"};
    return o;
}

void read_table(const toml::table& table, ProjectConfig& out) {
    for (auto&& [key, value] : table) {
        if (key == "dialect") {
            out.dialect = one_of(value, "dialect", {"proxyd", "3proxy"});
        } else if (key == "severity") {
            out.severity = one_of(value, "severity", {"error", "warning", "info"});
        } else if (key == "fail-on") {
            out.fail_on = one_of(value, "fail-on", {"error", "warning", "info"});
        } else if (key == "werror") {
            auto b = value.value<bool>();
            if (!value.is_boolean() || !b)
                throw ConfigError{line_of(value), "'werror' must be true or false"};
            out.werror = *b;
        } else if (key == "disable") {
            out.disable = rule_list(value, "disable");
        } else if (key == "exclude") {
            out.exclude = string_list(value, "exclude");
        } else if (key == "baseline") {
            std::string file = string_value(value, "baseline");
            out.baseline =
                file.empty() ? "" : (fs::path(out.dir) / file).lexically_normal().string();
        } else if (key == "overrides") {
            const toml::array* array = value.as_array();
            if (!array)
                throw ConfigError{line_of(value),
                                  "'overrides' must be an array of tables ([[overrides]])"};
            for (const auto& element : *array) out.overrides.push_back(read_override(element));
        } else {
            unknown_key(key, {"dialect", "severity", "fail-on", "werror", "disable", "exclude",
                              "baseline", "overrides"});
        }
    }
}

// `path` relative to `dir`, '/'-separated; the path itself when it is not below `dir`.
std::string relative_to(const std::string& dir, const std::string& path) {
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec).lexically_normal();
    fs::path relative = absolute.lexically_relative(dir);
    if (relative.empty() || *relative.begin() == "..")
        return fs::path(path).lexically_normal().generic_string();
    return relative.generic_string();
}

}  // namespace

bool glob_matches(const std::string& pattern_in, const std::string& relative, bool is_dir) {
    std::string pattern = pattern_in;
    bool dir_only = false;
    while (pattern.size() > 1 && pattern.back() == '/') {
        pattern.pop_back();
        dir_only = true;
    }
    bool anchored = pattern.find('/') != std::string::npos;
    if (anchored && pattern.front() == '/') pattern.erase(0, 1);
    // '**' crosses directories: fnmatch without FNM_PATHNAME lets '*' match '/' too.
    int flags = pattern.find("**") != std::string::npos ? 0 : FNM_PATHNAME;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= relative.size()) {
        std::size_t slash = relative.find('/', start);
        parts.push_back(
            relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    std::string prefix;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        prefix += (i == 0 ? "" : "/") + parts[i];
        bool here_is_dir = i + 1 < parts.size() || is_dir;
        if (dir_only && !here_is_dir) continue;
        const std::string& subject = anchored ? prefix : parts[i];
        if (::fnmatch(pattern.c_str(), subject.c_str(), flags) == 0) return true;
    }
    return false;
}

bool ProjectConfig::excluded(const std::string& file, bool is_dir) const {
    if (exclude.empty()) return false;
    std::string relative = relative_to(dir, file);
    for (const auto& pattern : exclude)
        if (glob_matches(pattern, relative, is_dir)) return true;
    return false;
}

std::vector<const PathOverride*> ProjectConfig::overrides_for(const std::string& file) const {
    std::vector<const PathOverride*> out;
    std::string relative = relative_to(dir, file);
    for (const auto& o : overrides)
        for (const auto& pattern : o.files)
            if (glob_matches(pattern, relative, false)) {
                out.push_back(&o);
                break;
            }
    return out;
}

std::optional<std::string> find_project_config(const std::string& start_dir) {
    std::error_code ec;
    fs::path dir = fs::absolute(start_dir.empty() ? "." : start_dir, ec).lexically_normal();
    if (ec) return std::nullopt;
    if (dir.filename().empty() && dir.has_relative_path()) dir = dir.parent_path();
    while (true) {
        fs::path candidate = dir / project_config_name;
        if (fs::is_regular_file(candidate, ec)) return candidate.string();
        if (!dir.has_relative_path()) return std::nullopt;
        dir = dir.parent_path();
    }
}

bool load_project_config(const std::string& path, ProjectConfig& out, std::string& error) {
    out = ProjectConfig{};
    out.path = path;
    std::error_code ec;
    out.dir = fs::absolute(path, ec).lexically_normal().parent_path().string();
    try {
        toml::table table = toml::parse_file(path);
        read_table(table, out);
    } catch (const toml::parse_error& e) {
        error = path + ":" + std::to_string(e.source().begin.line) + ": " +
                std::string(e.description());
        return false;
    } catch (const ConfigError& e) {
        error = path + ":" + std::to_string(e.line) + ": " + e.message;
        return false;
    }
    return true;
}

}  // namespace proxyctl
