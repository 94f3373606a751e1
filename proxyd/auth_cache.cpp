#include "auth_cache.hpp"

#include "proxycfg/hash.hpp"

namespace proxyd {

namespace {

using proxycfg::AuthCacheSettings;

// The key 3proxy hashes: the address unless `limit` (which keeps one address per user
// and so must find the user's entry from any address), the user, the password and the
// ACL, as the type says. Hashed, so no password is kept in the clear. nullopt when the
// request lacks a part the key needs.
std::optional<std::string> key_of(const AuthCacheSettings& s, const proxycfg::Service& service,
                                  const proxycfg::AccessRequest& r) {
    std::string key;
    if (s.has(AuthCacheSettings::ip) && !s.has(AuthCacheSettings::limit)) {
        key.append(reinterpret_cast<const char*>(r.client.bytes.data()), r.client.bytes.size());
        key += r.client.family == proxycfg::IpAddress::Family::v6 ? '6' : '4';
    }
    key += '\0';
    if (s.has(AuthCacheSettings::user)) {
        if (!r.user) return std::nullopt;
        key += *r.user;
    }
    key += '\0';
    if (s.has(AuthCacheSettings::pass)) {
        if (!r.password) return std::nullopt;
        key += *r.password;
    }
    key += '\0';
    if (s.has(AuthCacheSettings::acl)) key += service.label;
    return proxycfg::sha256_hex(key);
}

}  // namespace

std::optional<AuthCache::Login> AuthCache::find(const AuthCacheSettings& settings,
                                                const proxycfg::Service& service,
                                                const proxycfg::AccessRequest& request,
                                                Clock::time_point now) {
    auto key = key_of(settings, service, request);
    if (!key) return std::nullopt;
    std::lock_guard lock(mutex_);
    if (keyed_by_ != settings) return std::nullopt;
    auto it = entries_.find(*key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires <= now) {
        entries_.erase(it);
        return std::nullopt;
    }
    const Entry& e = it->second;
    Login login{e.user, e.secret, false};
    if (settings.has(AuthCacheSettings::ip) && settings.has(AuthCacheSettings::limit))
        login.other_address = e.client != request.client;
    return login;
}

void AuthCache::remember(const AuthCacheSettings& settings, const proxycfg::Service& service,
                         const proxycfg::AccessRequest& request, std::string_view user,
                         std::string_view secret, Clock::time_point now) {
    auto key = key_of(settings, service, request);
    if (!key) return;
    std::lock_guard lock(mutex_);
    if (keyed_by_ != settings) {
        // Keys made under other settings would never match again.
        entries_.clear();
        keyed_by_ = settings;
    }
    entries_[*key] = {std::string(user), std::string(secret), request.client,
                      now + std::chrono::seconds(settings.seconds)};
    // Expired entries are dropped when met, and in a sweep once the table has grown by
    // half since the last one, so logins nobody repeats cannot pile up.
    if (++inserts_since_sweep_ > entries_.size() / 2 + 64) sweep_expired(now);
}

bool AuthCache::granted(const Entry& e, const proxycfg::Model& model) const {
    if (e.secret.empty()) return true;  // no password proved it: nothing to withdraw
    const proxycfg::User* u = model.find_user(e.user);
    return u != nullptr && u->secret() == e.secret;
}

std::size_t AuthCache::drop_ungranted(const proxycfg::Model& model) {
    std::lock_guard lock(mutex_);
    if (keyed_by_ && *keyed_by_ != model.globals.authcache.value) {
        std::size_t n = entries_.size();
        entries_.clear();
        keyed_by_.reset();
        return n;
    }
    return std::erase_if(entries_, [&](const auto& kv) { return !granted(kv.second, model); });
}

std::size_t AuthCache::count_ungranted(const proxycfg::Model& model) const {
    std::lock_guard lock(mutex_);
    if (keyed_by_ && *keyed_by_ != model.globals.authcache.value) return entries_.size();
    std::size_t n = 0;
    for (const auto& [key, e] : entries_)
        if (!granted(e, model)) ++n;
    return n;
}

std::size_t AuthCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void AuthCache::sweep_expired(Clock::time_point now) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
    inserts_since_sweep_ = 0;
}

}  // namespace proxyd
