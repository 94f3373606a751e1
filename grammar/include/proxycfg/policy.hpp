// The policy evaluator: one pure function decides access for admission, reload
// re-checks, `proxyctl diff` impact and `proxyctl explain`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxycfg/model.hpp"

namespace proxycfg {

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
};

enum class Verdict : std::uint8_t {
    allowed,
    no_credentials,  // a username/password is required and none was given
    unknown_user,
    bad_password,
    acl_denied,    // a deny entry matched
    acl_no_match,  // non-empty ACL, nothing matched
    unsupported,   // auth method proxyd cannot evaluate (radius, dnsname, plugin)
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

// Does `password` match the user's stored secret (CL compare, CR via crypt(3))?
bool verify_password(const User& user, std::string_view password);

// Evaluates the service's auth chain and ACL for one request, as 3proxy's doauth does.
Decision evaluate(const Model& model, const Service& service, const AccessRequest& request);

// ACL check only (used by auth types that call it): first match decides.
Decision check_acl(const Service& service, const AccessRequest& request, bool hide_user);

}  // namespace proxycfg
