// The daemon's DNS cache (`nscache N`, `nscache6 N`, `nsrecord NAME ADDRESS`): one per
// daemon, shared by every worker's resolver and carried from generation to generation.
//
// Answers are kept per family, as 3proxy keeps them: `nscache` bounds the names whose IPv4
// addresses are kept, `nscache6` those whose IPv6 addresses are. A name is answered from
// the cache when every family being cached has a live entry for it (an entry may say
// "this name has no address of the family"), so a cached answer lists what a query would
// have, minus the families not cached. An entry lives as long as the shortest TTL of its
// addresses, at most max_ttl; a TTL of 0 is not cached. Failures are not cached: a name
// server that times out or a name that does not exist yet is asked again by the next
// lookup, so an outage heals as soon as the server answers. When a table is full, the
// entry that expires first makes room.
//
// `nsrecord` answers are static: given before any name server is asked, whatever the
// cache sizes, and replaced as a whole by a reload.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event_loop.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/net.hpp"

namespace proxyd {

class DnsCache {
  public:
    // A TTL beyond a day is treated as a day: a record that claims to last for years (or a
    // negative value read as one) must not pin an address until the next restart.
    static constexpr std::chrono::seconds max_ttl{86400};

    struct TimedAddress {
        proxycfg::IpAddress address;
        std::int64_t ttl_seconds = 0;  // as the name server gave it
    };

    // Applies a generation's settings: the table sizes (a smaller one drops the entries
    // that expire first) and the static records (replacing the previous ones).
    void configure(std::size_t v4_names, std::size_t v6_names,
                   const std::vector<proxycfg::Globals::NsRecord>& records);
    void configure(const proxycfg::Model& model) {
        configure(model.globals.nscache.value, model.globals.nscache6.value,
                  model.globals.ns_records);
    }

    // The static answer for `name`, else a live cached one; nullopt: ask a name server.
    std::optional<std::vector<proxycfg::IpAddress>> find(std::string_view name,
                                                         Clock::time_point now);
    bool has_static(std::string_view name) const;
    // Remembers a name server's answer (the addresses of every family it returned).
    void store(std::string_view name, const std::vector<TimedAddress>& answer,
               Clock::time_point now);

    // Names with a cached answer of either family (live or not yet swept).
    std::size_t names() const;
    std::size_t capacity_v4() const;
    std::size_t capacity_v6() const;

  private:
    class Table {
      public:
        struct Entry {
            std::vector<proxycfg::IpAddress> addresses;
            Clock::time_point expires;
            std::multimap<Clock::time_point, std::string>::iterator order;
        };
        std::size_t capacity = 0;
        const Entry* live(const std::string& name, Clock::time_point now);
        void put(const std::string& name, std::vector<proxycfg::IpAddress> addresses,
                 Clock::time_point expires);
        void trim();  // to capacity, earliest expiry first
        bool contains(const std::string& name) const { return entries_.count(name) != 0; }
        std::size_t size() const { return entries_.size(); }
        template <class F>
        void for_each_name(F f) const {
            for (const auto& [name, entry] : entries_) f(name);
        }

      private:
        void erase(std::unordered_map<std::string, Entry>::iterator it);
        std::unordered_map<std::string, Entry> entries_;
        std::multimap<Clock::time_point, std::string> by_expiry_;
    };

    mutable std::mutex mutex_;
    Table v4_;
    Table v6_;
    std::unordered_map<std::string, std::vector<proxycfg::IpAddress>> static_;
};

// The form names are cached under: lower case, without a trailing dot.
std::string dns_cache_key(std::string_view name);

}  // namespace proxyd
