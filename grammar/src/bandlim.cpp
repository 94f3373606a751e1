#include "proxycfg/bandlim.hpp"

#include <algorithm>
#include <cstdio>

namespace proxycfg {

BandLimitMatch match_bandlimits(const Model& model, const AccessRequest& request) {
    BandLimitMatch m;
    const auto& limits = model.globals.bandlimits;
    bool in_done = false, out_done = false;
    for (std::size_t i = 0; i < limits.size() && !(in_done && out_done); ++i) {
        const BandLimit& b = limits[i];
        bool& done = b.out ? out_done : in_done;
        if (done || !acl_entry_matches(b.acl, request)) continue;
        if (b.exception) {
            done = true;
            continue;
        }
        (b.out ? m.out : m.in).push_back(i);
    }
    return m;
}

std::uint64_t lowest_rate(const Model& model, const std::vector<std::size_t>& limits) {
    std::uint64_t lowest = 0;
    for (auto i : limits) {
        auto r = model.globals.bandlimits[i].rate;
        if (lowest == 0 || r < lowest) lowest = r;
    }
    return lowest;
}

std::string rate_text(std::uint64_t bps) {
    char buf[32];
    if (bps >= 1000000)
        std::snprintf(buf, sizeof buf, "%.3g Mbit/s", static_cast<double>(bps) / 1e6);
    else if (bps >= 1000)
        std::snprintf(buf, sizeof buf, "%.3g kbit/s", static_cast<double>(bps) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%llu bit/s", static_cast<unsigned long long>(bps));
    return buf;
}

}  // namespace proxycfg
