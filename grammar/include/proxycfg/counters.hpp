// Which traffic counters (`countin`, `countout`, `countall`) a session is counted in. As
// in 3proxy the global list is walked in file order and every matching counter applies;
// a matching `nocountin` ends the countin lines, `nocountout` the countout lines and
// `nocountall` every kind. Counting and quotas are the daemon's job
// (proxyd/traffic_counters.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxycfg {

// Indices into model.globals.counters of the counters that apply to `request`, in file
// order (never an exception).
std::vector<std::size_t> applicable_counters(const Model& model, const AccessRequest& request);

// Whether a counter of this kind counts bytes towards the client / towards the server.
inline bool counts_to_client(TrafficCounter::Kind k) { return k != TrafficCounter::Kind::out; }
inline bool counts_to_server(TrafficCounter::Kind k) { return k != TrafficCounter::Kind::in; }

}  // namespace proxycfg
