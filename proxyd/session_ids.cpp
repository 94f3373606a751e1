#include "session_ids.hpp"

#include <atomic>

namespace proxyd {

namespace {
// Relaxed: the ids need to be unique, not ordered with anything else.
std::atomic<std::uint64_t> last_session_id{0};
}  // namespace

std::uint64_t new_session_id() {
    return last_session_id.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace proxyd
