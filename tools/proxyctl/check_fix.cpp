#include "check_fix.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "fix_apply.hpp"

namespace proxyctl {
namespace {

namespace fs = std::filesystem;

// A fix that unlocks another (or overlapped one) is followed by a few more rounds; a fix
// that brings back its own finding stops here rather than growing the file.
constexpr int max_rounds = 4;

std::string key_of(const std::string& path) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    return ec ? path : canonical.string();
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Fixer::FileState& Fixer::state(const std::string& path) {
    std::string key = key_of(path);
    auto [it, added] = files_.try_emplace(key);
    if (added) {
        it->second.path = path;
        order_.push_back(key);
    }
    return it->second;
}

bool Fixer::read(const std::string& path, std::string& text, std::string& error) {
    auto it = files_.find(key_of(path));
    if (it != files_.end() && it->second.changed) {
        text = it->second.current;
        return true;
    }
    return read_config_text(path, text, error);
}

void Fixer::fix(const std::string& name, const proxycfg::LoadOptions& load,
                const std::string* text) {
    using namespace proxycfg;
    LoadOptions options = load;
    options.parse.read_file = [this](const std::string& path, std::string& out,
                                     std::string& error) { return read(path, out, error); };
    std::map<std::string, std::size_t> unsafe;
    std::map<std::string, std::vector<std::string>> overlapping;
    for (int round = 0; round < max_rounds; ++round) {
        std::string main_text;
        std::string error;
        if (text) {
            auto it = files_.find(key_of(name));
            main_text = it != files_.end() && it->second.changed ? it->second.current : *text;
        } else if (!read(name, main_text, error)) {
            return;  // the check that follows reports the file
        }
        Loaded loaded = load_config_text(name, main_text, options);
        Diagnostics diags;
        for (const auto& d : loaded.diagnostics)
            if (wanted_(d)) diags.push_back(d);
        const SourceManager& sources = *loaded.parse.config.sources;
        FixResult result = apply_fixes(sources, diags, unsafe_allowed_);
        auto file_of = [&sources](const Fix& f) -> const std::string& {
            return sources.file(first_position(f).first).path;
        };
        unsafe.clear();
        overlapping.clear();
        for (const auto& f : result.unsafe) ++unsafe[file_of(f)];
        for (const auto& f : result.overlapping)
            overlapping[file_of(f)].push_back(std::to_string(f.at.line) + " (" + f.code + ")");
        if (result.texts.empty()) break;
        for (const auto& f : result.applied) ++state(file_of(f)).applied;
        for (auto& [id, after] : result.texts) {
            const SourceFile& file = sources.file(id);
            FileState& s = state(file.path);
            if (!s.changed) s.original = file.text;
            s.current = std::move(after);
            s.changed = true;
        }
    }
    for (const auto& [path, n] : unsafe) state(path).unsafe = n;
    for (auto& [path, lines] : overlapping) state(path).overlapping = std::move(lines);
}

std::vector<Fixer::Changed> Fixer::changed() const {
    std::vector<Changed> out;
    for (const auto& key : order_) {
        const FileState& s = files_.at(key);
        if (s.changed && s.current != s.original) out.push_back({s.path, s.original, s.current});
    }
    return out;
}

std::vector<std::string> Fixer::report(bool diff, const std::vector<std::string>& unwritten) const {
    std::vector<std::string> out;
    const char* rerun = diff ? "add --unsafe-fixes" : "rerun with --unsafe-fixes";
    for (const auto& key : order_) {
        const FileState& s = files_.at(key);
        if (std::find(unwritten.begin(), unwritten.end(), s.path) != unwritten.end()) continue;
        std::string line;
        if (s.applied > 0) {
            line = (diff ? "would fix " : "fixed ") + plural(s.applied, "finding", "findings") +
                   " in " + s.path;
            if (s.unsafe > 0)
                line += " (" + plural(s.unsafe, "unsafe fix", "unsafe fixes") + " not " +
                        (diff ? "shown: " : "applied: ") + rerun + ")";
        } else if (s.unsafe > 0) {
            line = plural(s.unsafe, "unsafe fix", "unsafe fixes") + " in " + s.path + " not " +
                   (diff ? "shown: " : "applied: ") + rerun;
        }
        if (!line.empty()) out.push_back(line);
        for (const auto& where : s.overlapping)
            out.push_back(s.path + ":" + where +
                          ": fix not applied: it overlaps another fix; run --fix again");
    }
    return out;
}

bool read_config_text(const std::string& path, std::string& text, std::string& error) {
    proxycfg::SourceManager disk;
    proxycfg::ReadError failure;
    auto id = disk.read(path, failure);
    if (!id) {
        error = failure.message;
        return false;
    }
    text = disk.file(*id).text;
    return true;
}

std::string diff_path(const std::string& path) {
    fs::path p = fs::path(path).lexically_normal();
    if (p.is_relative()) return p.string();
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    if (!ec) {
        fs::path relative = p.lexically_relative(cwd);
        if (!relative.empty() && *relative.begin() != "..") return relative.string();
    }
    return p.relative_path().string();
}

}  // namespace proxyctl
