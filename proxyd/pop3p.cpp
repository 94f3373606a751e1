#include "pop3p.hpp"

#include "access_log.hpp"

namespace proxyd {

namespace {

// POP3 command lines are at most 255 bytes (RFC 2449); a login with a host fits well.
constexpr std::size_t max_line = 512;
constexpr std::uint16_t pop3_port = 110;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && is_command(text.substr(0, prefix.size()), prefix);
}

}  // namespace

void Pop3Session::on_start() {
    send_client("+OK Proxy\r\n");
}

void Pop3Session::refuse(std::string_view reply, int code, std::string_view reason) {
    reply_and_close(reply, code, reason);
}

void Pop3Session::on_client_event() {
    // Once USER is taken, later bytes stay in the socket for the relay to read.
    if (phase_ != Phase::handshake || got_user_) return;
    auto r = read_client(in_, max_line);
    if (r == ReadResult::eof || r == ReadResult::error) {
        if (!heard_ && in_.empty()) {
            close_silently();
        } else {
            close(result::protocol_error, "client closed before USER");
        }
        return;
    }
    if (!in_.empty()) heard_ = true;
    while (auto line = take_line(in_)) {
        if (is_command(*line, "USER")) {
            take_user(line->size() > 5 ? line->substr(5) : std::string());
            return;
        }
        if (is_command(*line, "QUIT")) {
            refuse("+OK\r\n", result::ok, "QUIT before USER");
            return;
        }
        send_client("-ERR need USER first\r\n");
    }
    if (in_.size() >= max_line)
        refuse("-ERR line too long\r\n", result::protocol_error, "POP3 line too long");
}

void Pop3Session::take_user(const std::string& argument) {
    got_user_ = true;
    std::string error;
    auto login = parse_conn_login(argument, login_rules(*config_->model, *service_), error);
    if (!login) {
        refuse("-ERR " + error + "\r\n", result::protocol_error, error);
        return;
    }
    server_user_ = login->user;
    record_login(*login, pop3_port, record_);
    resolve_target();
}

void Pop3Session::on_resolved(const std::string& error) {
    admit_and_connect(error, [this](std::string_view what, int code, std::string reason) {
        refuse("-ERR " + std::string(what) + "\r\n", code, reason);
    });
}

void Pop3Session::on_connect_failed(int code, int err) {
    refuse("-ERR cannot connect to server\r\n", code, upstream_failure(err));
}

void Pop3Session::on_connected() {
    // The server greets first; USER goes only to a server that said +OK.
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().string_long()), result::idle_timeout);
    on_upstream_event();
}

void Pop3Session::on_upstream_event() {
    if (phase_ != Phase::custom) return;
    auto r = read_from(upstream_.get(), up_in_, max_line);
    if (r == ReadResult::eof || r == ReadResult::error) {
        refuse("-ERR server closed the connection\r\n", result::upstream_error,
               "server closed before its greeting");
        return;
    }
    auto greeting = take_line(up_in_);
    if (!greeting) {
        if (up_in_.size() >= max_line)
            refuse("-ERR bad server greeting\r\n", result::upstream_error,
                   "server greeting too long");
        return;
    }
    // A greeting of "+OK Proxy" is a proxy (maybe this one) in front of itself: a loop.
    if (!starts_with_nocase(*greeting, "+OK") ||
        starts_with_nocase(
            std::string_view(*greeting).substr(std::min<std::size_t>(4, greeting->size())),
            "PROXY")) {
        refuse("-ERR bad server greeting\r\n", result::upstream_error,
               "server greeting: " + greeting->substr(0, 64));
        return;
    }
    // The client already has a greeting (the proxy's); the server's is not repeated.
    start_relay("USER " + server_user_ + "\r\n" + std::exchange(in_, {}),
                std::exchange(up_in_, {}));
}

}  // namespace proxyd
