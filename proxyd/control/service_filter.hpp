// The `sessions` command's service filter: which services a label names. proxyctl passes
// what the operator typed; proxyd matches it here, in one place, against the services it
// runs and the ones its live sessions still belong to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxycfg/model.hpp"

namespace proxyd::control_cmd {

// Accepted forms: the label itself ("socks:127.0.0.1:1080", "socks:[::1]:1080",
// "socks:1080#2"); TYPE:PORT ("socks:1080"), every service of that type on that port
// whatever its address; TYPE:ADDRESS:PORT with an IPv6 address bracketed or not.
struct ServiceFilter {
    std::string text;  // as given: an exact label always matches
    proxycfg::ServiceType type = proxycfg::ServiceType::socks;
    std::optional<proxycfg::IpAddress> address;  // nullopt: any address
    std::uint16_t port = 0;
};

// nullopt when `text` is none of the accepted forms (and so can only be a label).
std::optional<ServiceFilter> parse_service_filter(std::string_view text);

bool service_matches(std::string_view text, const std::optional<ServiceFilter>& filter,
                     const proxycfg::Service& service);

}  // namespace proxyd::control_cmd
