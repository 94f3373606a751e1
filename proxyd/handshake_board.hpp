// The sessions of one generation still in their first handshake (accept to admission),
// across every worker, oldest first. When a service is at maxconn, a new client may take
// the slot of one of them (Worker::accept): which one gives way is decided here, under
// one lock, so the choice is the same whichever worker accepted the newcomer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "event_loop.hpp"
#include "proxycfg/net.hpp"

namespace proxyd {

class Worker;

class HandshakeBoard {
  public:
    struct Entry {
        Worker* worker = nullptr;
        std::uint64_t session_id = 0;
        std::size_t service_index = 0;
        proxycfg::IpAddress source;
        Clock::time_point accepted_at;
    };
    enum class Reason : std::uint8_t { source_over_share, dragging };

    // A source running this many handshakes at once is over its share: it gives way first,
    // whatever their age.
    static constexpr std::uint32_t per_source_share = 64;
    // Otherwise only a handshake older than this gives way: a client that has just
    // connected is never cut by the next one.
    static constexpr std::chrono::seconds give_way_after{1};

    void add(const Entry& entry);
    void remove(std::uint64_t session_id);  // no-op when absent (e.g. already picked)

    // The handshake of `service_index` that should give way to a new client from `source`,
    // removed from the board; nullopt when none should.
    std::optional<std::pair<Entry, Reason>> pick(std::size_t service_index,
                                                 const proxycfg::IpAddress& source,
                                                 Clock::time_point now);

  private:
    std::optional<std::pair<Entry, Reason>> take(std::uint64_t seq, Reason reason);
    void forget(std::map<std::uint64_t, Entry>::iterator it);

    std::mutex mutex_;
    std::uint64_t next_seq_ = 0;
    std::map<std::uint64_t, Entry> by_age_;  // accept order
    std::unordered_map<std::uint64_t, std::uint64_t> seq_of_;
    std::map<proxycfg::IpAddress, std::uint32_t> per_source_;
};

}  // namespace proxyd
