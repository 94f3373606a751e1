// The access decision, as 3proxy's doauth/checkACL make it (docs/language.md, "The access
// decision"), minus its defects: empty passwords and unknown hash types never authenticate.
#include "proxycfg/policy.hpp"

#include <crypt.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace proxycfg {
namespace {

bool entry_matches(const AclEntry& e, const AccessRequest& r, bool hide_user) {
    // Each list is a view found by walking the entry's packed block: take each once.
    if (auto users = e.users(); !users.empty()) {
        std::string_view name = (hide_user || !r.user) ? std::string_view("-") : *r.user;
        if (std::find(users.begin(), users.end(), name) == users.end()) return false;
    }
    if (auto sources = e.sources();
        !sources.empty() && std::none_of(sources.begin(), sources.end(),
                                         [&](const IpRange& s) { return s.contains(r.client); }))
        return false;
    auto hosts = e.target_hosts();
    auto addresses = e.target_addresses();
    if (!hosts.empty() || !addresses.empty()) {
        bool hit = false;
        if (!r.target_host.empty()) {
            hit = std::any_of(hosts.begin(), hosts.end(),
                              [&](const HostPattern& p) { return p.matches(r.target_host); });
        }
        if (!hit && r.target_address) {
            hit = std::any_of(addresses.begin(), addresses.end(),
                              [&](const IpRange& a) { return a.contains(*r.target_address); });
        }
        if (!hit) return false;
    }
    if (auto ports = e.ports(); !ports.empty() && r.port != 0 &&
                                std::none_of(ports.begin(), ports.end(), [&](const PortRange& p) {
                                    return p.contains(r.port);
                                }))
        return false;
    if (e.operations != 0 && (r.operation & e.operations) != r.operation) return false;
    // 3proxy skips an entry with parents for SOCKS BIND and UDPASSOC (operations below the
    // HTTP ones without CONNECT): a parent cannot carry them, they need a plain allow.
    if (!e.parents.empty() && r.operation < op::HTTP_GET && !(r.operation & op::CONNECT))
        return false;
    if (e.weekdays != 0 && (r.weekday < 0 || !(e.weekdays & (1u << r.weekday)))) return false;
    if (auto periods = e.periods(); !periods.empty()) {
        if (r.seconds_of_day < 0) return false;
        auto t = static_cast<std::uint32_t>(r.seconds_of_day);
        if (std::none_of(periods.begin(), periods.end(),
                         [&](const TimePeriod& p) { return p.from <= t && t < p.to; }))
            return false;
    }
    return true;
}

// Ranks failures as 3proxy's return codes do: the highest code wins.
int failure_rank(Verdict v) {
    switch (v) {
        case Verdict::acl_denied:
            return 1;
        case Verdict::acl_no_match:
            return 3;
        case Verdict::no_credentials:
            return 4;
        case Verdict::unknown_user:
            return 5;
        case Verdict::bad_password:
            return 6;
        case Verdict::unsupported:
            return 9;
        case Verdict::cached_elsewhere:
            return 10;
        case Verdict::chain_revoked:
            return 11;
        case Verdict::conn_limited:
            return 12;
        case Verdict::quota_exceeded:
            return 13;
        case Verdict::allowed:
            return 0;
    }
    return 0;
}

}  // namespace

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::allowed:
            return "allowed";
        case Verdict::no_credentials:
            return "no_credentials";
        case Verdict::unknown_user:
            return "unknown_user";
        case Verdict::bad_password:
            return "bad_password";
        case Verdict::acl_denied:
            return "acl_denied";
        case Verdict::acl_no_match:
            return "acl_no_match";
        case Verdict::unsupported:
            return "unsupported";
        case Verdict::cached_elsewhere:
            return "cached_elsewhere";
        case Verdict::chain_revoked:
            return "chain_revoked";
        case Verdict::conn_limited:
            return "conn_limited";
        case Verdict::quota_exceeded:
            return "quota_exceeded";
    }
    return "?";
}

std::string_view describe(Verdict v) {
    switch (v) {
        case Verdict::allowed:
            return "allowed";
        case Verdict::no_credentials:
            return "credentials required";
        case Verdict::unknown_user:
            return "user removed";
        case Verdict::bad_password:
            return "password changed";
        case Verdict::acl_denied:
            return "ACL now denies";
        case Verdict::acl_no_match:
            return "ACL no longer allows";
        case Verdict::unsupported:
            return "auth type not supported";
        case Verdict::cached_elsewhere:
            return "login cached for another address";
        case Verdict::chain_revoked:
            return "parent chain no longer granted";
        case Verdict::conn_limited:
            return "connection limit reached";
        case Verdict::quota_exceeded:
            return "traffic quota exceeded";
    }
    return "?";
}

bool acl_entry_matches(const AclEntry& entry, const AccessRequest& request) {
    return entry_matches(entry, request, false);
}

bool verify_password(const User& user, std::string_view password) {
    switch (user.type) {
        case PasswordType::cl:
            return !user.secret().empty() && user.secret().size() == password.size() &&
                   std::equal(password.begin(), password.end(), user.secret().begin());
        case PasswordType::cr: {
            if (user.secret().empty()) return false;
            auto data = std::make_unique<crypt_data>();
            std::string pw(password);
            std::string setting(user.secret());  // crypt_r needs it NUL-terminated
            const char* out = ::crypt_r(pw.c_str(), setting.c_str(), data.get());
            // libcrypt returns "*0"/"*1" or NULL for an unusable setting.
            return out != nullptr && out[0] != '*' && user.secret() == out;
        }
        default:
            return false;
    }
}

Decision check_acl(const Service& service, const AccessRequest& request, bool hide_user) {
    Decision d;
    auto entries = service.acl.entries();
    if (entries.empty()) {
        d.verdict = Verdict::allowed;  // an empty ACL allows everything
        return d;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!entry_matches(entries[i], request, hide_user)) continue;
        d.entry = &entries[i];
        d.entry_index = i;
        d.verdict = entries[i].action == AclAction::deny ? Verdict::acl_denied : Verdict::allowed;
        return d;
    }
    d.verdict = Verdict::acl_no_match;
    return d;
}

Decision evaluate(const Model& model, const Service& service, const AccessRequest& request,
                  EvalTrace* trace) {
    Decision worst;
    worst.verdict = Verdict::acl_no_match;
    int worst_rank = -1;
    // Records one step when tracing; the step's own verdict, and whether it ended the chain.
    auto note = [&](AuthMethod m, Verdict v, bool decided, bool acl,
                    std::string_view user = {}) -> AuthStep* {
        if (!trace) return nullptr;
        AuthStep step;
        step.method = m;
        step.verdict = v;
        step.decided = decided;
        step.acl_checked = acl;
        step.user = std::string(user);
        trace->steps.push_back(std::move(step));
        return &trace->steps.back();
    };
    auto fail = [&](Verdict v, AuthMethod m) {
        if (failure_rank(v) > worst_rank) {
            worst_rank = failure_rank(v);
            worst = Decision{};
            worst.verdict = v;
            worst.method = m;
        }
    };
    auto given_user = [&] { return request.user.value_or(std::string_view{}); };
    const auto& methods = service.auth.value;
    for (AuthMethod m : methods) {
        switch (m) {
            case AuthMethod::none: {
                Decision d;
                d.verdict = Verdict::allowed;
                d.method = m;
                note(m, d.verdict, true, false);
                return d;
            }
            case AuthMethod::iponly: {
                Decision d = check_acl(service, request, true);
                d.method = m;
                if (auto* s = note(m, d.verdict, d.allowed(), true)) s->entry = d.entry;
                if (d.allowed()) return d;
                if (failure_rank(d.verdict) > worst_rank) {
                    worst_rank = failure_rank(d.verdict);
                    worst = d;
                }
                break;
            }
            case AuthMethod::useronly: {
                if (!request.user || request.user->empty()) {
                    note(m, Verdict::no_credentials, false, false);
                    fail(Verdict::no_credentials, m);
                    break;
                }
                Decision d = check_acl(service, request, false);
                d.method = m;
                d.user = model.find_user(*request.user);
                if (auto* s = note(m, d.verdict, true, true, *request.user)) s->entry = d.entry;
                return d;  // the ACL decides at once
            }
            case AuthMethod::strong: {
                if (!request.user || request.user->empty()) {
                    note(m, Verdict::no_credentials, false, false);
                    fail(Verdict::no_credentials, m);
                    break;
                }
                const User* u = model.find_user(*request.user);
                if (!u) {
                    note(m, Verdict::unknown_user, false, false, given_user());
                    fail(Verdict::unknown_user, m);
                    break;
                }
                std::string_view pw = request.password.value_or(std::string_view{});
                bool known_good = !request.verified_secret.empty() &&
                                  request.verified_secret == u->secret() && request.password;
                if (!known_good && !verify_password(*u, pw)) {
                    note(m, Verdict::bad_password, false, false, given_user());
                    fail(Verdict::bad_password, m);
                    break;
                }
                Decision d = check_acl(service, request, false);
                d.method = m;
                d.user = u;
                if (auto* s = note(m, d.verdict, true, true, given_user())) s->entry = d.entry;
                return d;
            }
            case AuthMethod::cache: {
                // 3proxy: no cached login tries the next type (code 4); one cached for
                // another address under `limit` stops the chain (code 10).
                if (!request.cached) {
                    note(m, Verdict::no_credentials, false, false);
                    fail(Verdict::no_credentials, m);
                    break;
                }
                const CachedLogin& c = *request.cached;
                if (c.other_address) {
                    Decision d;
                    d.verdict = Verdict::cached_elsewhere;
                    d.method = m;
                    if (auto* s = note(m, d.verdict, true, false, c.user)) s->cache_hit = true;
                    return d;
                }
                // Beyond 3proxy: the cache vouches for a login only while the running
                // configuration still grants it, so a removed user or a changed password
                // ends it at once, not when the entry expires.
                const User* u = model.find_user(c.user);
                if (!c.secret.empty() && (!u || u->secret() != c.secret)) {
                    Verdict v = u ? Verdict::bad_password : Verdict::unknown_user;
                    if (auto* s = note(m, v, false, false, c.user)) {
                        s->cache_hit = true;
                        s->cache_user_gone = true;
                    }
                    fail(v, m);
                    break;
                }
                AccessRequest as_cached = request;
                as_cached.user = c.user;
                Decision d = check_acl(service, as_cached, false);
                d.method = m;
                d.user = u;
                if (auto* s = note(m, d.verdict, true, true, c.user)) {
                    s->cache_hit = true;
                    s->entry = d.entry;
                }
                return d;
            }
            case AuthMethod::dnsname:
            case AuthMethod::radius:
            case AuthMethod::plugin:
                note(m, Verdict::unsupported, false, false);
                fail(Verdict::unsupported, m);
                break;
        }
    }
    if (worst_rank < 0) {
        // An empty auth list cannot be written; treat it like iponly.
        Decision d = check_acl(service, request, true);
        if (auto* s = note(AuthMethod::iponly, d.verdict, true, true)) s->entry = d.entry;
        return d;
    }
    return worst;
}

std::vector<const Parent*> pick_chain(std::span<const Parent> parents,
                                      const std::function<int()>& roll) {
    std::vector<const Parent*> chain;
    std::size_t i = 0;
    while (i < parents.size()) {
        // One group: parents up to the one that brings the sum to 1000.
        int r = roll() % 1000;
        if (r < 0) r += 1000;
        int sum = 0;
        const Parent* picked = nullptr;
        for (; i < parents.size() && sum < 1000; ++i) {
            sum += parents[i].weight;
            if (!picked && sum > r) picked = &parents[i];
        }
        if (picked) chain.push_back(picked);
    }
    return chain;
}

bool chain_possible(std::span<const Parent> parents, std::span<const Parent* const> chain) {
    auto same = [](const Parent& a, const Parent& b) {
        return a.type == b.type && a.host == b.host && a.port == b.port && a.user == b.user &&
               a.password == b.password;
    };
    std::size_t hop = 0;
    std::size_t i = 0;
    while (i < parents.size()) {
        // The group pick_chain would draw one parent from (see there).
        int sum = 0;
        bool drawn = false;
        for (; i < parents.size() && sum < 1000; ++i) {
            sum += parents[i].weight;
            drawn = drawn ||
                    (hop < chain.size() && parents[i].weight > 0 && same(parents[i], *chain[hop]));
        }
        if (drawn) {
            ++hop;
        } else if (sum >= 1000) {
            return false;  // the group always draws a parent, and the chain has none of it
        }
    }
    return hop == chain.size();
}

}  // namespace proxycfg
