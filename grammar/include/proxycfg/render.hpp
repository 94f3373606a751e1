// Renders model elements back into configuration syntax, for `show`, `diff` and logs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "proxycfg/model.hpp"

namespace proxycfg {

// "allow alice,bob 10.0.0.0/8 *.example.com 80,443 CONNECT"
std::string render_acl_entry(const AclEntry& e);
// "strong" / "iponly strong"
std::string render_auth(std::span<const AuthMethod> methods);
std::string render_ip_range(const IpRange& r);

}  // namespace proxycfg
