#include "conn_login.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "proxycfg/util.hpp"

namespace proxyd {

std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port) {
    HostPort out;
    out.port = default_port;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        out.host = std::string(text.substr(1, close - 1));
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else if (auto colon = text.find(':'); colon != std::string_view::npos &&
                                            text.find(':', colon + 1) == std::string_view::npos) {
        out.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (port_text.empty()) return std::nullopt;
    } else {
        out.host = std::string(text);  // a name, or a bare IPv6 literal
    }
    if (out.host.empty()) return std::nullopt;
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return std::nullopt;
        out.port = static_cast<std::uint16_t>(value);
    }
    if (out.port == 0) return std::nullopt;
    return out;
}

std::optional<ConnLogin> parse_conn_login(std::string_view text, const ConnLoginRules& rules,
                                          std::string& error) {
    ConnLogin login;
    if (text.empty()) {
        error = "empty login";
        return std::nullopt;
    }
    std::string_view user = text;
    auto at = text.rfind(rules.delimiter);
    if (at != std::string_view::npos) {
        user = text.substr(0, at);
        auto target = parse_host_port(text.substr(at + 1), rules.default_port);
        if (!target) {
            error = "bad host in login";
            return std::nullopt;
        }
        login.target = std::move(*target);
    } else if (rules.default_host) {
        login.target = *rules.default_host;
    } else {
        error = std::string("login names no host (USER") + rules.delimiter + "HOST)";
        return std::nullopt;
    }
    // PROXYUSER:PROXYPASS:USER: the first two fields are the proxy's, if non-empty.
    if (rules.proxy_credentials) {
        auto first = user.find(':');
        auto second = first == std::string_view::npos ? first : user.find(':', first + 1);
        if (second != std::string_view::npos) {
            if (first > 0) login.proxy_user = std::string(user.substr(0, first));
            if (second > first + 1)
                login.proxy_password = std::string(user.substr(first + 1, second - first - 1));
            user = user.substr(second + 1);
        }
    }
    if (user.empty()) {
        error = "login names no user";
        return std::nullopt;
    }
    login.user = std::string(user);
    return login;
}

ConnLoginRules login_rules(const proxycfg::Model& model, const proxycfg::Service& service) {
    ConnLoginRules rules;
    rules.delimiter = model.globals.login_delimiter();
    rules.default_port = proxycfg::default_port(service.type);
    rules.proxy_credentials = service.need_user != 0;
    if (auto it = service.options.find("-h"); it != service.options.end())
        rules.default_host = parse_host_port(it->second, rules.default_port);
    return rules;
}

std::optional<std::string> take_line(std::string& buffer) {
    auto nl = buffer.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

bool is_command(std::string_view line, std::string_view word) {
    if (line.size() < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(line[i])) != word[i]) return false;
    return line.size() == word.size() || line[word.size()] == ' ';
}

std::string login_request_text(std::string_view user, const HostPort& target,
                               std::uint16_t default_port) {
    std::string at = proxycfg::host_port(target.host, target.port);
    if (target.port == default_port) at.erase(at.rfind(':'));  // the port goes without saying
    return std::string(user) + "@" + at;
}

void record_login(const ConnLogin& login, std::uint16_t default_port, SessionRecord& record) {
    record.user = login.proxy_user;
    record.password = login.proxy_password;
    record.set_target(login.target.host, login.target.port);
    record.operation = proxycfg::op::CONNECT;
    record.request_text = login_request_text(login.user, login.target, default_port);
}

}  // namespace proxyd
