// Session ids: one counter for the whole daemon run, shared by every worker, so an id is
// short enough to type (`proxyctl kill 42`) and names one session until proxyd exits.
#pragma once

#include <cstdint>

namespace proxyd {

// The next id: 1, 2, 3... in the order sessions are created, on any worker.
std::uint64_t new_session_id();

}  // namespace proxyd
