#include "proxycfg/counters.hpp"

namespace proxycfg {

std::vector<std::size_t> applicable_counters(const Model& model, const AccessRequest& request) {
    std::vector<std::size_t> out;
    const auto& counters = model.globals.counters;
    bool in_done = false, out_done = false;
    for (std::size_t i = 0; i < counters.size(); ++i) {
        const TrafficCounter& c = counters[i];
        using K = TrafficCounter::Kind;
        if ((c.kind == K::in && in_done) || (c.kind == K::out && out_done)) continue;
        if (!acl_entry_matches(c.acl, request)) continue;
        if (!c.exception) {
            out.push_back(i);
            continue;
        }
        if (c.kind == K::all) break;
        (c.kind == K::in ? in_done : out_done) = true;
    }
    return out;
}

}  // namespace proxycfg
