// The `user@host` logins of pop3p, smtpp and ftppr: the client names the server it wants
// in its login, `[PROXYUSER:PROXYPASS:]USER@HOST[:PORT]`, split at the last delimiter
// (`delimchar`, default '@'). Without a delimiter the service's default host (-h) is
// used. Pure functions, so the parsing is tested without sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxycfg/model.hpp"
#include "session_record.hpp"

namespace proxyd {

struct HostPort {
    std::string host;  // a name or an address literal, without brackets
    std::uint16_t port = 0;
};

// HOST, HOST:PORT, [V6] or [V6]:PORT; nullopt when empty or the port is not 1-65535.
std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port);

struct ConnLogin {
    // Credentials for the proxy itself, from the `PROXYUSER:PROXYPASS:` prefix.
    std::optional<std::string> proxy_user;
    std::optional<std::string> proxy_password;
    std::string user;  // the login the server gets
    HostPort target;
};

struct ConnLoginRules {
    char delimiter = '@';
    std::optional<HostPort> default_host;  // the service's -h
    std::uint16_t default_port = 0;        // the protocol's port
    bool proxy_credentials = true;         // the prefix is read unless the service has -u
};

// Parses a login; nullopt with `error` set when it names no usable host.
std::optional<ConnLogin> parse_conn_login(std::string_view text, const ConnLoginRules& rules,
                                          std::string& error);

// The rules a service logs in by: its -hHOST[:PORT], `delimchar`, -u.
ConnLoginRules login_rules(const proxycfg::Model& model, const proxycfg::Service& service);

// Takes one line (up to and including '\n') off the front of `buffer` and returns it
// without its CR LF; nullopt while no complete line is buffered.
std::optional<std::string> take_line(std::string& buffer);

// Whether `line` starts with the command word `word` (case-insensitively), followed by
// the end of the line or a space.
bool is_command(std::string_view line, std::string_view word);

// "USER@HOST" or "USER@HOST:PORT" (the port only when it is not the protocol's): the
// request text 3proxy logs for these services.
std::string login_request_text(std::string_view user, const HostPort& target,
                               std::uint16_t default_port);

// What a login tells the session record: the proxy credentials, the target, operation
// CONNECT and login_request_text.
void record_login(const ConnLogin& login, std::uint16_t default_port, SessionRecord& record);

}  // namespace proxyd
