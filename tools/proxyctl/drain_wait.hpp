// proxyctl reload --wait-drained: after a reload, polls proxyd's status until no session
// counts under a generation older than the one the reload brought (see
// control::PinnedGeneration), the timeout passes, or the user interrupts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxycontrol/protocol.hpp"

namespace proxyctl {

struct DrainWait {
    enum class Outcome : std::uint8_t { drained, timed_out, interrupted, failed };
    Outcome outcome = Outcome::failed;
    std::int64_t waited_ms = 0;
    std::vector<control::PinnedGeneration> pinned;  // what still pinned at the end
    std::string error;                              // why it failed
};

// Waits for the generations before `generation` to drain, asking every `interval`;
// nullopt `timeout`: as long as it takes. SIGINT and SIGTERM end the wait (interrupted)
// instead of the process: they are blocked meanwhile and taken synchronously.
DrainWait wait_drained(const std::string& socket_path, std::uint64_t generation,
                       std::optional<std::chrono::milliseconds> timeout,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(100));

// "generation 3: 2 sessions, superseded 5m ago, closed in 25m" for each, joined by "; ".
std::string describe_pinned(const std::vector<control::PinnedGeneration>& pinned);

// The "drained" member of reload --json: {"drained", "waited_ms", "pinned_generations"}.
nlohmann::json drain_member(const DrainWait& wait);

}  // namespace proxyctl
