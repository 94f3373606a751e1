#include "control/service_filter.hpp"

#include <charconv>

namespace proxyd::control_cmd {

namespace {

std::optional<std::uint16_t> port_of(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<ServiceFilter> parse_service_filter(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto type = proxycfg::service_type_from(text.substr(0, colon));
    if (!type) return std::nullopt;
    std::string_view rest = text.substr(colon + 1);
    ServiceFilter f;
    f.text = std::string(text);
    f.type = *type;
    if (auto port = port_of(rest)) {
        f.port = *port;
        return f;
    }
    // ADDRESS:PORT; the port is after the last colon, so "::1:1080" reads as [::1]:1080.
    auto last = rest.rfind(':');
    if (last == std::string_view::npos) return std::nullopt;
    auto port = port_of(rest.substr(last + 1));
    std::string_view host = rest.substr(0, last);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    auto address = proxycfg::IpAddress::parse(host);
    if (!port || !address) return std::nullopt;
    f.address = address;
    f.port = *port;
    return f;
}

bool service_matches(std::string_view text, const std::optional<ServiceFilter>& filter,
                     const proxycfg::Service& service) {
    if (service.label == text) return true;
    if (!filter || filter->type != service.type || filter->port != service.port.value) return false;
    if (!filter->address) return true;
    if (service.listens_everywhere()) return filter->address->is_unspecified();
    auto bound = proxycfg::IpAddress::parse(service.bind_address.value);
    return bound && *bound == *filter->address;
}

}  // namespace proxyd::control_cmd
