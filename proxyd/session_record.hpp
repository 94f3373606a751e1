// What the daemon knows about one session: enough to log it, list it, and re-check it
// against a new configuration on reload (the credentials it was admitted with, its
// source, target, port and operation).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/net.hpp"

namespace proxyd {

struct SessionRecord {
    std::uint64_t id = 0;
    std::size_t service_index = 0;
    std::string service_label;  // proxycfg::Service::label
    std::string protocol;       // "SOCKS5", "SOCKS4", "PROXY", "TCPPM", "UDPPM", "DNSPR": %N

    // Credentials as the client presented them. Kept only in memory, never logged.
    std::optional<std::string> user;
    std::optional<std::string> password;
    // The stored secret the password matched at admission (AccessRequest::verified_secret).
    std::string verified_secret;

    std::string target_host;   // as requested; empty for an address literal
    std::string request_text;  // first request line / "CONNECT host:port" (%T)

    std::uint64_t bytes_in = 0;   // upstream -> client
    std::uint64_t bytes_out = 0;  // client -> upstream
    std::chrono::system_clock::time_point started;
    Clock::time_point last_activity;
    std::uint64_t generation = 0;  // configuration generation the session was admitted under
    // The bandwidth limits the relay is held to, bits per second (0: none).
    std::uint64_t bandlim_in = 0;   // towards the client
    std::uint64_t bandlim_out = 0;  // towards the server

    // The small fields together (no padding between them): a record lives as long as
    // its session, thousands of them at once.
    proxycfg::IpAddress client_address;
    std::optional<proxycfg::IpAddress> target_address;
    std::uint16_t service_port = 0;
    std::uint16_t client_port = 0;
    std::uint16_t target_port = 0;
    std::uint32_t operation = 0;  // proxycfg::op bits
    // Admitted by the auth cache: user and verified_secret are the cached login's, and a
    // re-check asks whether the configuration still grants that login.
    bool cached_login = false;
    bool admitted = false;  // passed proxycfg::evaluate
    bool nolog = false;     // the ACL entry that decided it says nolog: no log line

    std::string target_text() const;  // "host:port" / "[v6]:port"
    // A target named in the configuration or a login: an address literal goes to
    // target_address (nothing to resolve), a name to target_host.
    void set_target(const std::string& host, std::uint16_t port);
    // The credentials a request presents (none: nullopt). A login other than the last
    // one forgets the secret the last one was verified against.
    void set_credentials(std::optional<std::string> new_user,
                         std::optional<std::string> new_password);
};

// The %N a session of this service type logs until its handshake says more (SOCKS4/5).
std::string_view log_protocol(proxycfg::ServiceType type);

}  // namespace proxyd
