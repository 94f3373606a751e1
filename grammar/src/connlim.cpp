#include "proxycfg/connlim.hpp"

namespace proxycfg {

std::vector<std::size_t> applicable_connlims(std::span<const ConnLimit> limits,
                                             const AccessRequest& request) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < limits.size(); ++i) {
        if (!acl_entry_matches(limits[i].match, request)) continue;
        if (limits[i].exception) break;
        out.push_back(i);
    }
    return out;
}

}  // namespace proxycfg
