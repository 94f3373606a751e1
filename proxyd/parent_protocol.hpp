// The handshakes proxyd speaks to a parent proxy (docs/language.md, "Parent chains"): HTTP
// CONNECT, SOCKS5 (RFC 1928, RFC 1929 login) and SOCKS4/4a, as a pure state machine over
// byte buffers. The session writes what output() holds, feeds what it reads, and learns
// when the tunnel to the destination stands, or why the parent refused it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxycfg/net.hpp"

namespace proxyd::parent {

// How proxyd talks to a parent of a given `parent` TYPE.
enum class Kind : std::uint8_t {
    connect,  // connect, connect+, and http when it only opens a tunnel
    socks4,
    socks5,
    tcp,   // no handshake: the parent's port is the destination (port mapping)
    http,  // last hop of an HTTP proxy request: the request itself goes to the parent
};

struct TypeInfo {
    Kind kind = Kind::connect;
    bool send_name = false;  // the `+` forms: the parent resolves the requested name
};
// nullopt: a 3proxy parent type proxyd does not serve (socks4b, pop3, ...).
std::optional<TypeInfo> type_info(std::string_view type);

// Where a hop's handshake asks the parent to connect to.
struct Destination {
    std::string host;                            // the name, when there is one
    std::optional<proxycfg::IpAddress> address;  // the address, when known
    std::uint16_t port = 0;
    std::string text() const;  // "host:port" for messages (an address when there is no name)
};

struct Credentials {
    std::string user;  // empty: none given
    std::string password;
};

std::string base64_encode(std::string_view data);

// Request builders (exposed for the tests; Handshake uses them).
// `by_name`: "CONNECT host:port"; otherwise the address, when there is one.
std::string connect_request(const Destination& to, bool by_name, const Credentials& login);
std::string socks5_greeting(bool with_login);
std::string socks5_login(const Credentials& login);
// `by_name`: ATYP 3 with the host name; otherwise the address (ATYP 1 or 4).
std::string socks5_connect(const Destination& to, bool by_name);
// `by_name`: the SOCKS4a form (address 0.0.0.1 and the name after the user id).
std::string socks4_connect(const Destination& to, bool by_name, std::string_view userid);

class Handshake {
  public:
    enum class State : std::uint8_t { running, done, failed };

    // A hop of `kind` (connect, socks4 or socks5) asked to reach `to`.
    Handshake(TypeInfo type, Destination to, Credentials login);

    // Bytes to send to the parent now; the caller empties it as it writes.
    std::string& output() { return out_; }
    // Consumes what it can of `in` (bytes read from the parent). Bytes after the final
    // reply stay in `in`: they are the destination's.
    State feed(std::string& in);
    State state() const { return state_; }
    // Why the handshake failed, for the log ("refused: SOCKS5 reply 5 (connection refused)").
    const std::string& error() const { return error_; }
    // Failed because the parent said no (as opposed to breaking its protocol).
    bool refused() const { return refused_; }

  private:
    enum class Step : std::uint8_t { http_reply, s5_method, s5_login, s5_reply, s4_reply };
    State fail(std::string why, bool refused);

    TypeInfo type_;
    Destination to_;
    Credentials login_;
    Step step_ = Step::http_reply;
    std::string out_;
    State state_ = State::running;
    std::string error_;
    bool refused_ = false;
};

}  // namespace proxyd::parent
