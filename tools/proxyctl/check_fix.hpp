// `proxyctl check --fix` and `--diff`: applies the fix-its of a configuration's findings in
// memory, round after round until nothing more changes, then writes the files or prints the
// changes as a unified diff.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "proxycfg/lint.hpp"

namespace proxyctl {

class Fixer {
  public:
    // `wanted`: the findings whose fixes are applied (those check reports).
    Fixer(std::function<bool(const proxycfg::Diagnostic&)> wanted, bool unsafe_allowed)
        : wanted_(std::move(wanted)), unsafe_allowed_(unsafe_allowed) {}

    // Fixes one configuration and the files it includes, in memory; the files of earlier
    // calls are seen as fixed. `name` is the path, or for standard input (`text` given)
    // the name it is reported under.
    void fix(const std::string& name, const proxycfg::LoadOptions& load,
             const std::string* text = nullptr);

    // Each file that changed, in the order first seen.
    struct Changed {
        std::string path;
        std::string before;
        std::string after;
    };
    std::vector<Changed> changed() const;

    // One line per file for standard error: what was fixed (or, with `diff`, shown) and
    // what was not; fixes still overlapping after the last round are named.
    // Files in `unwritten` (paths as changed() gives them) are left out.
    std::vector<std::string> report(bool diff,
                                    const std::vector<std::string>& unwritten = {}) const;

  private:
    struct FileState {
        std::string path;  // as first seen, for messages and the diff
        std::string original;
        std::string current;
        bool changed = false;
        std::size_t applied = 0;
        std::size_t unsafe = 0;  // in the last round
        std::vector<std::string> overlapping;
    };
    bool read(const std::string& path, std::string& text, std::string& error);
    FileState& state(const std::string& path);

    std::function<bool(const proxycfg::Diagnostic&)> wanted_;
    bool unsafe_allowed_;
    std::map<std::string, FileState> files_;  // by canonical path
    std::vector<std::string> order_;
};

// The path shown after a/ and b/ in the diff: relative to the working directory when the
// file is under it, else the absolute path without its leading '/', so `patch -p1` applies
// the diff in the directory check ran in (or in / for the others).
std::string diff_path(const std::string& path);

// A configuration file's text, read with the same checks and limits as a plain load.
bool read_config_text(const std::string& path, std::string& text, std::string& error);

}  // namespace proxyctl
