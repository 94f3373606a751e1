#include "dns_cache.hpp"

#include <algorithm>
#include <cctype>

namespace proxyd {

std::string dns_cache_key(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return key;
}

const DnsCache::Table::Entry* DnsCache::Table::live(const std::string& name,
                                                    Clock::time_point now) {
    auto it = entries_.find(name);
    if (it == entries_.end()) return nullptr;
    if (it->second.expires <= now) {
        erase(it);
        return nullptr;
    }
    return &it->second;
}

void DnsCache::Table::put(const std::string& name, std::vector<proxycfg::IpAddress> addresses,
                          Clock::time_point expires) {
    if (capacity == 0) return;
    if (auto it = entries_.find(name); it != entries_.end()) erase(it);
    auto order = by_expiry_.emplace(expires, name);
    entries_.emplace(name, Entry{std::move(addresses), expires, order});
    trim();
}

void DnsCache::Table::trim() {
    while (entries_.size() > capacity) erase(entries_.find(by_expiry_.begin()->second));
}

void DnsCache::Table::erase(std::unordered_map<std::string, Entry>::iterator it) {
    by_expiry_.erase(it->second.order);
    entries_.erase(it);
}

void DnsCache::configure(std::size_t v4_names, std::size_t v6_names,
                         const std::vector<proxycfg::Globals::NsRecord>& records) {
    std::lock_guard lock(mutex_);
    v4_.capacity = v4_names;
    v6_.capacity = v6_names;
    v4_.trim();
    v6_.trim();
    static_.clear();
    for (const auto& r : records) static_[dns_cache_key(r.name)].push_back(r.address);
}

std::optional<std::vector<proxycfg::IpAddress>> DnsCache::find(std::string_view name,
                                                               Clock::time_point now) {
    auto key = dns_cache_key(name);
    std::lock_guard lock(mutex_);
    if (auto it = static_.find(key); it != static_.end()) return it->second;
    if (v4_.capacity == 0 && v6_.capacity == 0) return std::nullopt;
    std::vector<proxycfg::IpAddress> out;
    for (Table* table : {&v4_, &v6_}) {
        if (table->capacity == 0) continue;
        const auto* entry = table->live(key, now);
        if (!entry) return std::nullopt;
        out.insert(out.end(), entry->addresses.begin(), entry->addresses.end());
    }
    if (out.empty()) return std::nullopt;
    return out;
}

bool DnsCache::has_static(std::string_view name) const {
    auto key = dns_cache_key(name);
    std::lock_guard lock(mutex_);
    return static_.count(key) != 0;
}

void DnsCache::store(std::string_view name, const std::vector<TimedAddress>& answer,
                     Clock::time_point now) {
    using Family = proxycfg::IpAddress::Family;
    auto clamp = [](std::int64_t ttl) {
        return std::chrono::seconds(std::clamp<std::int64_t>(ttl, 0, max_ttl.count()));
    };
    struct Part {
        std::vector<proxycfg::IpAddress> addresses;
        std::optional<std::chrono::seconds> ttl;  // the shortest of the family's
    };
    Part v4, v6;
    std::optional<std::chrono::seconds> shortest;
    for (const auto& a : answer) {
        Part& part = a.address.family == Family::v6 ? v6 : v4;
        auto ttl = clamp(a.ttl_seconds);
        part.addresses.push_back(a.address);
        part.ttl = part.ttl ? std::min(*part.ttl, ttl) : ttl;
        shortest = shortest ? std::min(*shortest, ttl) : ttl;
    }
    if (!shortest) return;  // no address: a failure, not cached
    auto key = dns_cache_key(name);
    std::lock_guard lock(mutex_);
    if (static_.count(key)) return;
    // A family the answer lacks is remembered as empty for as long as the answer lives.
    for (auto [table, part] : {std::pair{&v4_, &v4}, std::pair{&v6_, &v6}}) {
        auto ttl = part->ttl.value_or(*shortest);
        if (ttl.count() == 0) continue;
        table->put(key, std::move(part->addresses), now + ttl);
    }
}

std::size_t DnsCache::names() const {
    std::lock_guard lock(mutex_);
    std::size_t n = v4_.size();
    v6_.for_each_name([&](const std::string& name) { n += v4_.contains(name) ? 0 : 1; });
    return n;
}

std::size_t DnsCache::capacity_v4() const {
    std::lock_guard lock(mutex_);
    return v4_.capacity;
}

std::size_t DnsCache::capacity_v6() const {
    std::lock_guard lock(mutex_);
    return v6_.capacity;
}

}  // namespace proxyd
