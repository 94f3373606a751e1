#include "smtpp.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "access_log.hpp"
#include "http_protocol.hpp"
#include "parent_protocol.hpp"

namespace proxyd {

namespace {

// SMTP command lines are at most 512 bytes (RFC 5321); AUTH PLAIN with a host fits.
constexpr std::size_t max_line = 1024;
constexpr std::uint16_t smtp_port = 25;

constexpr std::string_view ehlo_reply =
    "250-Proxy\r\n"
    "250-AUTH PLAIN LOGIN\r\n"
    "250-8BITMIME\r\n"
    "250 DSN\r\n";

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && is_command(text.substr(0, prefix.size()), prefix);
}

// The words of a command line after its verb: "AUTH PLAIN xyz" -> {"PLAIN", "xyz"}.
std::pair<std::string, std::string> auth_arguments(const std::string& line) {
    auto rest = line.size() > 5 ? line.substr(5) : std::string();
    auto space = rest.find(' ');
    if (space == std::string::npos) return {rest, {}};
    return {rest.substr(0, space), rest.substr(space + 1)};
}

bool is_continuation(const std::string& line) {
    return line.size() > 3 && line[3] == '-';
}

}  // namespace

void SmtpSession::on_start() {
    send_client("220 Proxy\r\n");
}

void SmtpSession::refuse(std::string_view reply, int code, std::string_view reason) {
    client_step_ = ClientStep::done;
    reply_and_close(reply, code, reason);
}

void SmtpSession::on_client_event() {
    if (phase_ != Phase::handshake || client_step_ == ClientStep::done) return;
    auto r = read_client(in_, max_line);
    if (r == ReadResult::eof || r == ReadResult::error) {
        if (!heard_ && in_.empty()) {
            close_silently();
        } else {
            close(result::protocol_error, "client closed before AUTH");
        }
        return;
    }
    if (!in_.empty()) heard_ = true;
    while (auto line = take_line(in_)) {
        if (!client_line(*line)) return;
    }
    if (in_.size() >= max_line)
        refuse("500 line too long\r\n", result::protocol_error, "SMTP line too long");
}

bool SmtpSession::client_line(const std::string& line) {
    switch (client_step_) {
        case ClientStep::commands:
            break;
        case ClientStep::login_user: {
            auto user = http::base64_decode(line);
            if (!user) {
                refuse("501 bad base64\r\n", result::protocol_error, "bad AUTH LOGIN user");
                return false;
            }
            server_user_ = *user;
            send_client("334 UGFzc3dvcmQ6\r\n");  // "Password:"
            client_step_ = ClientStep::login_password;
            return true;
        }
        case ClientStep::login_password: {
            auto password = http::base64_decode(line);
            if (!password) {
                refuse("501 bad base64\r\n", result::protocol_error, "bad AUTH LOGIN password");
                return false;
            }
            server_password_ = *password;
            take_login(server_user_);
            return false;
        }
        case ClientStep::plain:
            take_plain(line);
            return false;
        case ClientStep::done:
            return false;
    }
    if (is_command(line, "AUTH")) {
        auto [mechanism, initial] = auth_arguments(line);
        if (is_command(mechanism, "PLAIN")) {
            if (!initial.empty()) {
                take_plain(initial);
                return false;
            }
            send_client("334\r\n");
            client_step_ = ClientStep::plain;
            return true;
        }
        if (is_command(mechanism, "LOGIN")) {
            send_client("334 VXNlcm5hbWU6\r\n");  // "Username:"
            client_step_ = ClientStep::login_user;
            return true;
        }
        send_client("504 use AUTH PLAIN or AUTH LOGIN\r\n");
        return true;
    }
    if (is_command(line, "QUIT")) {
        refuse("221 Proxy\r\n", result::ok, "QUIT before AUTH");
        return false;
    }
    if (is_command(line, "HELO")) {
        send_client("250 Proxy\r\n");
        return true;
    }
    if (is_command(line, "EHLO")) {
        send_client(ehlo_reply);
        return true;
    }
    auto rules = login_rules(*config_->model, *service_);
    if (!rules.default_host) {
        send_client("571 need AUTH first\r\n");
        return true;
    }
    // With -h a client may skip AUTH: this command goes to the -h server as it is.
    command_ = line + "\r\n";
    ConnLogin login;
    login.target = *rules.default_host;
    begin(login);
    return false;
}

void SmtpSession::take_plain(const std::string& base64) {
    // RFC 4616: authzid NUL authcid NUL passwd; like 3proxy, only an empty authzid.
    auto decoded = http::base64_decode(base64);
    if (!decoded || decoded->size() < 2 || (*decoded)[0] != '\0') {
        refuse("501 bad AUTH PLAIN\r\n", result::protocol_error, "bad AUTH PLAIN");
        return;
    }
    auto second = decoded->find('\0', 1);
    std::string user = decoded->substr(1, second == std::string::npos ? second : second - 1);
    if (second != std::string::npos) server_password_ = decoded->substr(second + 1);
    take_login(user);
}

void SmtpSession::take_login(const std::string& text) {
    client_step_ = ClientStep::done;
    std::string error;
    auto login = parse_conn_login(text, login_rules(*config_->model, *service_), error);
    if (!login) {
        refuse("571 " + error + "\r\n", result::protocol_error, error);
        return;
    }
    begin(*login);
}

void SmtpSession::begin(const ConnLogin& login) {
    client_step_ = ClientStep::done;
    server_user_ = login.user;
    record_login(login, smtp_port, record_);
    // Without AUTH (-h) there is no login to show: the target alone.
    if (server_user_.empty()) record_.request_text = record_.target_text();
    resolve_target();
}

void SmtpSession::on_resolved(const std::string& error) {
    admit_and_connect(error, [this](std::string_view what, int code, std::string reason) {
        refuse("571 " + std::string(what) + "\r\n", code, reason);
    });
}

void SmtpSession::on_connect_failed(int code, int err) {
    refuse("571 cannot connect to server\r\n", code, upstream_failure(err));
}

void SmtpSession::on_connected() {
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().string_long()), result::idle_timeout);
    on_upstream_event();
}

void SmtpSession::send_upstream(const std::string& line) {
    to_server_ += line;
    while (!to_server_.empty()) {
        auto n = ::send(upstream_.get(), to_server_.data(), to_server_.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // EAGAIN: the rest goes on the next event (or with the relay); errors show
                     // there
        }
        record_.bytes_out += static_cast<std::uint64_t>(n);
        to_server_.erase(0, static_cast<std::size_t>(n));
    }
}

void SmtpSession::on_upstream_event() {
    if (phase_ != Phase::custom) return;
    send_upstream({});
    auto r = read_from(upstream_.get(), up_in_, max_line);
    if (r == ReadResult::eof || r == ReadResult::error) {
        refuse("571 server closed the connection\r\n", result::upstream_error,
               "server closed during the login");
        return;
    }
    while (auto line = take_line(up_in_)) {
        if (!server_line(*line)) return;
    }
    if (up_in_.size() >= max_line)
        refuse("571 bad server reply\r\n", result::upstream_error, "server line too long");
}

bool SmtpSession::server_line(const std::string& line) {
    auto refuse_reply = [&](std::string_view what) {
        refuse("571 server refused the login\r\n", result::upstream_error,
               std::string(what) + ": " + line.substr(0, 64));
        return false;
    };
    switch (server_step_) {
        case ServerStep::greeting: {
            if (is_continuation(line)) return true;
            // "220 Proxy" is a proxy (maybe this one) in front of itself: a loop.
            if (!line.starts_with("220") ||
                starts_with_nocase(
                    std::string_view(line).substr(std::min<std::size_t>(4, line.size())),
                    "PROXY")) {
                refuse("571 bad server greeting\r\n", result::upstream_error,
                       "server greeting: " + line.substr(0, 64));
                return false;
            }
            sockaddr_storage local{};
            socklen_t len = sizeof local;
            std::string me = "127.0.0.1";
            if (::getsockname(upstream_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
                if (auto a = address_of(local, nullptr)) me = a->to_string();
            send_upstream("EHLO [" + me + "]\r\n");
            server_step_ = ServerStep::ehlo;
            return true;
        }
        case ServerStep::ehlo:
            if (line.find("LOGIN") != std::string::npos) offers_login_ = true;
            if (line.find("PLAIN") != std::string::npos) offers_plain_ = true;
            if (is_continuation(line)) return true;
            if (!command_.empty()) {
                send_upstream(command_);
                finish();
                return false;
            }
            if (server_user_.empty() || !server_password_ || server_password_->empty() ||
                !(offers_login_ || offers_plain_)) {
                // As 3proxy: the client is told it is in, and talks to the server unlogged.
                send_client("235 auth required\r\n");
                finish();
                return false;
            }
            if (offers_login_) {
                send_upstream("AUTH LOGIN\r\n");
                server_step_ = ServerStep::login_user;
            } else {
                send_upstream("AUTH PLAIN\r\n");
                server_step_ = ServerStep::plain;
            }
            return true;
        case ServerStep::login_user:
            if (!line.starts_with("334")) return refuse_reply("AUTH LOGIN refused");
            send_upstream(parent::base64_encode(server_user_) + "\r\n");
            server_step_ = ServerStep::login_password;
            return true;
        case ServerStep::login_password:
            if (!line.starts_with("334")) return refuse_reply("AUTH LOGIN user refused");
            send_upstream(parent::base64_encode(*server_password_) + "\r\n");
            finish();  // the server's verdict on the login is the client's answer
            return false;
        case ServerStep::plain: {
            if (!line.starts_with("334")) return refuse_reply("AUTH PLAIN refused");
            std::string token;
            token += '\0';
            token += server_user_;
            token += '\0';
            token += *server_password_;
            send_upstream(parent::base64_encode(token) + "\r\n");
            finish();
            return false;
        }
    }
    return false;
}

void SmtpSession::finish() {
    start_relay(std::exchange(to_server_, {}) + std::exchange(in_, {}), std::exchange(up_in_, {}));
}

}  // namespace proxyd
