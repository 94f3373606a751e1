// The policy evaluator: one pure function decides access for admission, reload
// re-checks, `proxyctl diff` impact and `proxyctl explain`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/model.hpp"

namespace proxycfg {

// A login the auth cache vouches for: proxyd looks it up before evaluating a request, and
// a re-check passes the one the session was admitted with.
struct CachedLogin {
    std::string_view user;
    // The stored secret the login matched when it was cached; empty for a login no
    // password proved (useronly). The cache vouches only while the user still has it.
    std::string_view secret;
    // authcache limit: the user's login is cached for another client address.
    bool other_address = false;
};

struct AccessRequest {
    std::optional<std::string_view> user;  // nullopt: the client gave no username
    std::optional<std::string_view> password;
    IpAddress client;
    std::string_view target_host;             // as requested; empty for an IP literal
    std::optional<IpAddress> target_address;  // resolved (or literal) target
    std::uint16_t port = 0;
    std::uint32_t operation = op::CONNECT;
    int weekday = -1;  // 0 = Sunday .. 6; -1: unknown (time conditions never match)
    std::int32_t seconds_of_day = -1;
    // A stored secret this password is already known to match (the session was admitted
    // with it). When the user's secret is unchanged no hashing is needed: this keeps a
    // reload re-check of many sessions cheap even with expensive crypt hashes.
    std::string_view verified_secret;
    // What the auth cache holds for this client, if anything (the `cache` auth type).
    std::optional<CachedLogin> cached;
};

enum class Verdict : std::uint8_t {
    allowed,
    no_credentials,  // a username/password is required and none was given
    unknown_user,
    bad_password,
    acl_denied,        // a deny entry matched
    acl_no_match,      // non-empty ACL, nothing matched
    unsupported,       // auth method proxyd cannot evaluate (radius, dnsname, plugin)
    cached_elsewhere,  // authcache limit: the user's cached login is from another address
    chain_revoked,     // re-check only: the deciding entry no longer draws the session's parents
    conn_limited,      // a connlim budget is spent (admission only; proxycfg/connlim.hpp)
    quota_exceeded,    // a traffic counter is at its limit (proxycfg/counters.hpp)
};
std::string_view to_string(Verdict v);
// Reason phrase for logs and the reload record ("user removed", "ACL now denies", ...).
std::string_view describe(Verdict v);

struct Decision {
    Verdict verdict = Verdict::acl_no_match;
    const AclEntry* entry = nullptr;  // the deciding ACL entry, if any
    std::size_t entry_index = 0;
    AuthMethod method = AuthMethod::iponly;  // the auth method that decided
    const User* user = nullptr;              // the authenticated user, if any
    bool allowed() const { return verdict == Verdict::allowed; }
};

// What evaluate() did, step by step, for `proxyctl explain`: each auth method tried, in
// order, and each ACL walk. Recording is optional so admission pays nothing for it.
struct AuthStep {
    AuthMethod method = AuthMethod::iponly;
    Verdict verdict = Verdict::allowed;  // this step's own outcome
    bool decided = false;                // the chain stopped here (its verdict is the answer)
    bool acl_checked = false;            // the step walked the ACL
    bool cache_hit = false;              // cache: a cached login was found
    bool cache_user_gone = false;        // cache: its user is gone or has another secret
    std::string user;                    // the name the step authenticated or looked up
    const AclEntry* entry = nullptr;     // the ACL entry its walk stopped at, if any
};
struct EvalTrace {
    std::vector<AuthStep> steps;
};

// Does `password` match the user's stored secret (CL compare, CR via crypt(3))?
bool verify_password(const User& user, std::string_view password);

// Evaluates the service's auth chain and ACL for one request, as 3proxy's doauth does.
// `trace`, when given, records each step (proxycfg/explain.hpp).
Decision evaluate(const Model& model, const Service& service, const AccessRequest& request,
                  EvalTrace* trace = nullptr);

// Whether one ACL entry's fields match the request (its action aside); the user "-" stands
// for a client that gave none.
bool acl_entry_matches(const AclEntry& entry, const AccessRequest& request);

// ACL check only (used by auth types that call it): first match decides.
Decision check_acl(const Service& service, const AccessRequest& request, bool hide_user);

// The parents a connection goes through, in order (docs/language.md, "Parent chains").
// The list is cut into groups whose weights add up to 1000; from each group one parent is
// drawn, with probability weight/1000. A trailing group that falls short of 1000 may draw
// none (the connection then skips it). `roll` returns a uniform number in [0, 1000).
std::vector<const Parent*> pick_chain(std::span<const Parent> parents,
                                      const std::function<int()>& roll);
// Could pick_chain over `parents` have drawn `chain`? Parents are compared by what they
// connect to (type, host, port, login), so a chain drawn under another generation of the
// configuration is judged by the current one.
bool chain_possible(std::span<const Parent> parents, std::span<const Parent* const> chain);

}  // namespace proxycfg
