#include "session_record.hpp"

#include "proxycfg/util.hpp"

namespace proxyd {

void SessionRecord::set_target(const std::string& host, std::uint16_t port) {
    if (auto literal = proxycfg::IpAddress::parse(host)) {
        target_address = literal;
    } else {
        target_host = host;
    }
    target_port = port;
}

std::string SessionRecord::target_text() const {
    std::string host = target_host;
    if (host.empty() && target_address) host = target_address->to_string();
    if (host.empty()) return "-";
    return proxycfg::host_port(host, target_port);
}

void SessionRecord::set_credentials(std::optional<std::string> new_user,
                                    std::optional<std::string> new_password) {
    if (new_user != user || new_password != password) verified_secret.clear();
    user = std::move(new_user);
    password = std::move(new_password);
}

std::string_view log_protocol(proxycfg::ServiceType type) {
    switch (type) {
        case proxycfg::ServiceType::proxy:
            return "PROXY";
        case proxycfg::ServiceType::tcppm:
            return "TCPPM";
        case proxycfg::ServiceType::udppm:
            return "UDPPM";
        case proxycfg::ServiceType::dnspr:
            return "DNSPR";
        case proxycfg::ServiceType::pop3p:
            return "POP3P";
        case proxycfg::ServiceType::smtpp:
            return "SMTPP";
        case proxycfg::ServiceType::ftppr:
            return "FTPPR";
        case proxycfg::ServiceType::admin:
            return "ADMIN";
        default:
            return "SOCKS";
    }
}

}  // namespace proxyd
