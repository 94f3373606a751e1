// The auth cache (`auth ... cache`, `authcache TYPES [SECONDS]`): logins that succeeded by
// another auth type, remembered for the configured time and keyed as 3proxy keys them
// (the client's address, the user, the password, the service's ACL, as `authcache` says).
// One per daemon, shared by every worker and carried from generation to generation.
//
// Unlike 3proxy's, it never outlives what the configuration grants: a reload drops the
// logins of users it removed or whose password it changed (docs/design.md, "Where proxyd
// differs from 3proxy"), and the policy checks every cached login against the running
// users and ACL when it is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "event_loop.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxyd {

class AuthCache {
  public:
    // A cached login, owned: the request that uses it views these strings.
    struct Login {
        std::string user;
        std::string secret;  // the user's stored secret when it was cached; "" for useronly
        bool other_address = false;
        proxycfg::CachedLogin view() const { return {user, secret, other_address}; }
    };

    // The login cached for `request` on `service`, nullopt when there is none (or the
    // request lacks a part of the key, such as a password under `authcache user,pass`).
    std::optional<Login> find(const proxycfg::AuthCacheSettings& settings,
                              const proxycfg::Service& service,
                              const proxycfg::AccessRequest& request, Clock::time_point now);

    // Remembers a login that another auth type admitted: 3proxy does so whenever the
    // client named a user (and, when the key includes it, gave a password).
    void remember(const proxycfg::AuthCacheSettings& settings, const proxycfg::Service& service,
                  const proxycfg::AccessRequest& request, std::string_view user,
                  std::string_view secret, Clock::time_point now);

    // The logins `model` no longer grants (user removed, password changed), and all of them
    // when its authcache settings key logins differently: dropped, or only counted.
    std::size_t drop_ungranted(const proxycfg::Model& model);
    std::size_t count_ungranted(const proxycfg::Model& model) const;

    std::size_t size() const;

  private:
    struct Entry {
        std::string user;
        std::string secret;
        proxycfg::IpAddress client;
        Clock::time_point expires;
    };

    bool granted(const Entry& e, const proxycfg::Model& model) const;
    void sweep_expired(Clock::time_point now);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;  // key: SHA-256 of the key parts
    std::optional<proxycfg::AuthCacheSettings> keyed_by_;
    std::size_t inserts_since_sweep_ = 0;
};

}  // namespace proxyd
