// Baselines: the findings a project has accepted for now, so that a check fails only on
// new ones. A finding is keyed on its code, its file and a fingerprint of its line's text,
// never on a line number: lines added above it do not make it new.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "proxycfg/format.hpp"

namespace proxyctl {

class Baseline {
  public:
    // Reads a file --write-baseline wrote; false with `error` if it cannot.
    bool read(const std::string& path, std::string& error);
    // Takes out of `files` the findings the baseline holds, each entry once; returns how many.
    std::size_t remove_known(std::vector<proxycfg::CheckedFile>& files) const;

  private:
    using Key = std::tuple<std::string, std::string, std::string>;  // code, file, fingerprint
    std::string dir_;
    std::map<Key, std::size_t> counts_;
};

// Writes every finding of `files` to `path` as a baseline; false with `error` if it cannot.
bool write_baseline(const std::string& path, const std::vector<proxycfg::CheckedFile>& files,
                    std::string& error);

}  // namespace proxyctl
