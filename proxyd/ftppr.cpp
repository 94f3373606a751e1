#include "ftppr.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "access_log.hpp"

namespace proxyd {

namespace {

constexpr std::size_t max_line = 2048;
constexpr std::size_t max_queued_commands = 64;
constexpr std::uint16_t ftp_port = 21;
constexpr std::uint32_t data_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// The last line of a reply: "123 text" or "123" (a "123-" line continues it).
bool is_final(const std::string& line) {
    if (line.size() < 3) return false;
    for (int i = 0; i < 3; ++i)
        if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
    return line.size() == 3 || line[3] != '-';
}

int reply_class(const std::string& line) {
    return line.empty() || !std::isdigit(static_cast<unsigned char>(line[0])) ? 0 : line[0] - '0';
}

std::string verb_of(const std::string& line) {
    std::string verb = line.substr(0, line.find(' '));
    for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return verb;
}

std::string argument_of(const std::string& line) {
    auto space = line.find(' ');
    return space == std::string::npos ? std::string() : line.substr(space + 1);
}

// The numbers of "h1,h2,h3,h4,p1,p2" (PORT, or inside a 227 reply) → the port.
std::optional<std::uint16_t> port_of_six(std::string_view text) {
    unsigned values[6] = {};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 6; ++i) {
        while (p < end && *p == ' ') ++p;
        auto [next, ec] = std::from_chars(p, end, values[i]);
        if (ec != std::errc{} || values[i] > 255) return std::nullopt;
        p = next;
        if (i < 5) {
            if (p >= end || *p != ',') return std::nullopt;
            ++p;
        }
    }
    auto port = values[4] * 256 + values[5];
    if (port == 0) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

// EPRT |af|address|port| and the 229 reply's (|||port|): the last field.
std::optional<std::uint16_t> port_of_extended(std::string_view text) {
    auto close = text.rfind('|');
    if (close == std::string_view::npos || close == 0) return std::nullopt;
    auto open = text.rfind('|', close - 1);
    if (open == std::string_view::npos) return std::nullopt;
    unsigned port = 0;
    auto digits = text.substr(open + 1, close - open - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

// A non-blocking stream socket connecting to address:port → the fd (or an empty one).
UniqueFd dial(const proxycfg::IpAddress& address, std::uint16_t port) {
    bool v6 = address.family == proxycfg::IpAddress::Family::v6;
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage remote;
    auto len = to_sockaddr(address, port, remote);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), len) != 0 && errno != EINPROGRESS)
        return UniqueFd();
    return fd;
}

int socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

}  // namespace

void FtpSession::on_start() {
    send_client("220 Ready\r\n");
}

void FtpSession::refuse(std::string_view reply, int code, std::string_view reason) {
    drop_data();
    reply_and_close(reply, code, reason);
}

// --- the client's control connection

void FtpSession::on_client_event() {
    if (phase_ == Phase::handshake || phase_ == Phase::custom) read_client_lines();
}

void FtpSession::read_client_lines() {
    while (talking() && client_lines_.size() < max_queued_commands) {
        auto r = read_client(in_, in_.size() + 4096);
        if (r == ReadResult::would_block) break;
        if (r == ReadResult::eof || r == ReadResult::error) {
            if (!heard_ && in_.empty() && client_lines_.empty()) {
                close_silently();
            } else {
                drop_data();
                close(result::ok, "client closed");
            }
            return;
        }
        heard_ = true;
        while (auto line = take_line(in_)) client_lines_.push_back(std::move(*line));
        if (in_.size() >= max_line) {
            refuse("500 line too long\r\n", result::protocol_error, "FTP line too long");
            return;
        }
    }
    process_client_lines();
}

void FtpSession::process_client_lines() {
    while (talking() && awaiting_ == Awaiting::nothing && !active_connecting_ &&
           !client_lines_.empty()) {
        std::string line = std::move(client_lines_.front());
        client_lines_.pop_front();
        if (!command(line)) return;
    }
}

bool FtpSession::command(const std::string& line) {
    if (line.empty()) return true;
    const std::string verb = verb_of(line);
    const bool connected = phase_ == Phase::custom;
    if (verb == "QUIT") {
        if (!connected) {
            refuse("221 Bye\r\n", result::ok, "QUIT before login");
            return false;
        }
        send_upstream("QUIT\r\n");
        awaiting_ = Awaiting::quit;
        return true;
    }
    if (verb == "USER") {
        if (phase_ != Phase::handshake) {
            send_client("503 already logged in\r\n");
            return true;
        }
        take_user(argument_of(line));
        return false;
    }
    if (verb == "PASS") {
        if (!connected) {
            send_client("503 login with USER first\r\n");
        } else if (logged_in_) {
            send_client("230 logged in\r\n");  // the server asked for no password
        } else {
            send_upstream("PASS " + argument_of(line) + "\r\n");
            awaiting_ = Awaiting::password;
        }
        return true;
    }
    if (!logged_in_) {
        send_client("530 login with USER and PASS first\r\n");
        return true;
    }
    if (verb == "PASV" || verb == "EPSV") {
        if (verb == "EPSV" && is_command(argument_of(line), "ALL")) {
            send_client("200 OK\r\n");
            return true;
        }
        open_passive(verb == "EPSV");
        return true;
    }
    if (verb == "PORT" || verb == "EPRT") {
        open_active(argument_of(line), verb == "EPRT");
        return true;
    }
    if (verb == "RETR") {
        begin_transfer(line, proxycfg::op::FTP_GET);
        return true;
    }
    if (verb == "STOR" || verb == "APPE" || verb == "STOU") {
        begin_transfer(line, proxycfg::op::FTP_PUT);
        return true;
    }
    if (verb == "LIST" || verb == "NLST" || verb == "MLSD") {
        begin_transfer(line, proxycfg::op::FTP_LIST);
        return true;
    }
    send_upstream(line + "\r\n");
    awaiting_ = Awaiting::reply;
    return true;
}

void FtpSession::take_user(const std::string& argument) {
    std::string error;
    auto login = parse_conn_login(argument, login_rules(*config_->model, *service_), error);
    if (!login) {
        refuse("530 " + error + "\r\n", result::protocol_error, error);
        return;
    }
    server_user_ = login->user;
    record_login(*login, ftp_port, record_);
    awaiting_ = Awaiting::greeting;  // later commands wait for the server
    resolve_target();
}

void FtpSession::on_resolved(const std::string& error) {
    admit_and_connect(error, [this](std::string_view what, int code, std::string reason) {
        refuse("530 " + std::string(what) + "\r\n", code, reason);
    });
}

void FtpSession::on_connect_failed(int code, int err) {
    refuse("530 cannot connect to server\r\n", code, upstream_failure(err));
}

void FtpSession::on_connected() {
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().connection_short()), result::idle_timeout);
    send_client("331 ok\r\n");  // USER is taken; the server's own 331 is not repeated
    on_upstream_event();
    if (talking()) read_client_lines();
}

// --- the server's control connection

void FtpSession::send_upstream(std::string_view text) {
    to_server_.append(text);
    flush_upstream();
}

bool FtpSession::flush_upstream() {
    while (!to_server_.empty() && upstream_) {
        auto n = ::send(upstream_.get(), to_server_.data(), to_server_.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        record_.bytes_out += static_cast<std::uint64_t>(n);
        to_server_.erase(0, static_cast<std::size_t>(n));
    }
    return true;
}

void FtpSession::on_upstream_event() {
    if (phase_ != Phase::custom) return;
    if (!flush_upstream()) {
        refuse("421 server connection failed\r\n", result::io_error, "server write failed");
        return;
    }
    for (;;) {
        auto r = read_from(upstream_.get(), up_in_, up_in_.size() + 4096);
        while (auto line = take_line(up_in_)) {
            server_reply(*line, is_final(*line));
            if (phase_ != Phase::custom) return;  // ended (or lingering on a last reply)
        }
        if (up_in_.size() >= max_line) {
            refuse("421 bad server reply\r\n", result::upstream_error, "server line too long");
            return;
        }
        if (r == ReadResult::data) continue;
        if (r == ReadResult::would_block) return;
        if (awaiting_ == Awaiting::quit) {
            reply_and_close({}, result::ok, "OK");
        } else {
            refuse("421 server closed the connection\r\n", result::upstream_error,
                   "server closed the control connection");
        }
        return;
    }
}

void FtpSession::login_reply(const std::string& line, bool final) {
    if (awaiting_ == Awaiting::password) send_client(line + "\r\n");
    if (!final) return;
    int cls = reply_class(line);
    switch (awaiting_) {
        case Awaiting::greeting:
            if (cls != 2) {
                refuse(line + "\r\n", result::upstream_error,
                       "server greeting: " + line.substr(0, 64));
                return;
            }
            send_upstream("USER " + server_user_ + "\r\n");
            awaiting_ = Awaiting::user;
            return;
        case Awaiting::user:
            if (cls != 2 && cls != 3) {
                refuse(line + "\r\n", result::upstream_error,
                       "server refused USER: " + line.substr(0, 64));
                return;
            }
            logged_in_ = cls == 2;
            break;
        case Awaiting::password:
            if (cls != 2) {
                drop_data();
                reply_and_close({}, result::upstream_error, "server refused the login");
                return;
            }
            logged_in_ = true;
            break;
        default:
            break;
    }
    awaiting_ = Awaiting::nothing;
    process_client_lines();
}

void FtpSession::server_reply(const std::string& line, bool final) {
    switch (awaiting_) {
        case Awaiting::greeting:
        case Awaiting::user:
        case Awaiting::password:
            login_reply(line, final);
            return;
        case Awaiting::nothing:
        case Awaiting::reply:
            send_client(line + "\r\n");
            record_.bytes_in += line.size() + 2;
            if (final && awaiting_ == Awaiting::reply) {
                awaiting_ = Awaiting::nothing;
                process_client_lines();
            }
            return;
        case Awaiting::quit:
            send_client(line + "\r\n");
            if (final) reply_and_close({}, result::ok, "OK");
            return;
        case Awaiting::pasv:
            if (!final) return;
            if (line.starts_with("227") || line.starts_with("229")) {
                connect_server_data(line);
                return;
            }
            send_client("425 the server refused passive mode\r\n");
            log_transfer(result::upstream_error, "server: " + line.substr(0, 64));
            drop_data();
            awaiting_ = Awaiting::nothing;
            process_client_lines();
            return;
        case Awaiting::transfer:
            if (!final || reply_class(line) == 1) {
                send_client(line + "\r\n");
                if (final) saw_preliminary_ = true;
                return;
            }
            if (data_open_ && saw_preliminary_) {
                held_final_ = line;  // the client gets it once its data connection is over
                return;
            }
            end_transfer(true);
            send_client(line + "\r\n");
            log_transfer(reply_class(line) == 2 ? result::ok : result::upstream_error,
                         reply_class(line) == 2 ? "OK" : "server: " + line.substr(0, 64));
            drop_data();
            awaiting_ = Awaiting::nothing;
            process_client_lines();
            return;
    }
}

// --- data connections

void FtpSession::open_passive(bool extended) {
    drop_data();
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(client_.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
        send_client("425 cannot open a data port\r\n");
        return;
    }
    auto address = address_of(local, nullptr);
    if (!address || (!extended && address->family != proxycfg::IpAddress::Family::v4)) {
        send_client("425 use EPSV\r\n");
        return;
    }
    // Listen on the address the client reached the proxy at, as the client will connect there.
    sockaddr_storage bind_to;
    auto bind_len = to_sockaddr(*address, 0, bind_to);
    UniqueFd fd(::socket(bind_to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_to), bind_len) != 0 ||
        ::listen(fd.get(), 1) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bind_to), &bind_len) != 0 ||
        !host_.loop().add(fd.get(), EPOLLIN | EPOLLET, &listener_endpoint_)) {
        send_client("425 cannot open a data port\r\n");
        return;
    }
    std::uint16_t port = 0;
    address_of(bind_to, &port);
    listener_ = std::move(fd);
    mode_ = DataMode::passive;
    if (extended) {
        send_client("229 OK (|||" + std::to_string(port) + "|)\r\n");
    } else {
        const auto& b = address->bytes;
        send_client("227 OK (" + std::to_string(b[0]) + "," + std::to_string(b[1]) + "," +
                    std::to_string(b[2]) + "," + std::to_string(b[3]) + "," +
                    std::to_string(port >> 8) + "," + std::to_string(port & 0xFF) + ")\r\n");
    }
}

void FtpSession::open_active(const std::string& argument, bool extended) {
    drop_data();
    auto port = extended ? port_of_extended(argument) : port_of_six(argument);
    if (!port) {
        send_client("501 bad address\r\n");
        return;
    }
    // Only back to the client itself: the address in the command is not used, so a
    // client cannot aim the proxy at a third host (the FTP bounce attack).
    UniqueFd fd = dial(record_.client_address, *port);
    if (!fd || !host_.loop().add(fd.get(), data_events, &client_data_endpoint_)) {
        send_client("425 cannot connect to your data port\r\n");
        return;
    }
    client_data_ = std::move(fd);
    mode_ = DataMode::active;
    active_connecting_ = true;  // 200 goes out once connected
}

bool FtpSession::acl_allows(std::uint32_t operation, proxycfg::Verdict& verdict) const {
    auto request = access_request(AclClock::now());
    request.operation = operation;
    auto decision = proxycfg::evaluate(*config_->model, *service_, request);
    verdict = decision.verdict;
    return decision.allowed();
}

void FtpSession::begin_transfer(const std::string& line, std::uint32_t operation) {
    transfer_command_ = line;
    transfer_op_ = operation;
    transfer_in_ = transfer_out_ = 0;
    if (mode_ == DataMode::none) {
        send_client("425 use PASV or PORT first\r\n");
        return;
    }
    proxycfg::Verdict verdict{};
    if (!acl_allows(operation, verdict)) {
        drop_data();
        send_client("550 denied by ACL\r\n");
        log_transfer(result_code(verdict), admission_reason(verdict));
        return;
    }
    bool v6 =
        record_.target_address && record_.target_address->family == proxycfg::IpAddress::Family::v6;
    send_upstream(v6 ? "EPSV\r\n" : "PASV\r\n");
    awaiting_ = Awaiting::pasv;
}

void FtpSession::connect_server_data(const std::string& reply) {
    std::optional<std::uint16_t> port;
    if (reply.starts_with("229")) {
        port = port_of_extended(reply);
    } else {
        auto open = reply.find('(');
        auto start = open != std::string::npos ? open + 1 : reply.find_first_of("0123456789", 4);
        if (start != std::string::npos) port = port_of_six(std::string_view(reply).substr(start));
    }
    // The server's control address, whatever address its reply names (as 3proxy does).
    UniqueFd fd;
    if (port && record_.target_address) fd = dial(*record_.target_address, *port);
    if (!fd || !host_.loop().add(fd.get(), data_events, &server_data_endpoint_)) {
        send_client("425 cannot open a data connection to the server\r\n");
        log_transfer(result::connect_failed, "server data port: " + reply.substr(0, 64));
        drop_data();
        awaiting_ = Awaiting::nothing;
        process_client_lines();
        return;
    }
    server_data_ = std::move(fd);
    held_final_.reset();
    data_open_ = true;
    saw_preliminary_ = false;
    send_upstream(transfer_command_ + "\r\n");
    awaiting_ = Awaiting::transfer;
}

void FtpSession::on_data_event(int which, std::uint32_t events) {
    (void)events;
    if (phase_ != Phase::custom) return;
    if (which == 0) {
        if (!listener_) return;
        for (;;) {
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            UniqueFd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                  SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd) return;
            // Only the client itself may connect to its data port.
            auto from = address_of(peer, nullptr);
            if (!from || !(*from == record_.client_address)) continue;
            if (!host_.loop().add(fd.get(), data_events, &client_data_endpoint_)) return;
            client_data_ = std::move(fd);
            listener_.reset();
            client_data_ready_ = true;
            maybe_start_data();
            return;
        }
    }
    if (which == 1) {
        if (!client_data_) return;
        if (active_connecting_) {
            if (int err = socket_error(client_data_.get()); err != 0) {
                drop_data();
                send_client("425 cannot connect to your data port\r\n");
            } else {
                client_data_ready_ = true;
                send_client("200 OK\r\n");
            }
            active_connecting_ = false;
            process_client_lines();
            return;
        }
    }
    if (which == 2 && server_data_ && !server_data_ready_) {
        if (socket_error(server_data_.get()) != 0) {
            // The server answers the transfer command with its own error.
            data_relay_.reset();
            server_data_.reset();
            data_open_ = false;
            return;
        }
        server_data_ready_ = true;
    }
    maybe_start_data();
    if (data_relay_) pump_data();
}

void FtpSession::maybe_start_data() {
    if (data_relay_ || !client_data_ready_ || !server_data_ready_) return;
    data_relay_.emplace(client_data_.get(), server_data_.get(), host_.pipes());
    pump_data();
}

void FtpSession::pump_data() {
    auto before = transfer_in_ + transfer_out_;
    auto status = data_relay_->pump(transfer_out_, transfer_in_);
    if (transfer_in_ + transfer_out_ != before) touch();
    if (status == Relay::Status::open) return;
    // The data connection is over (both ways, or broken): the final reply may go now.
    data_relay_.reset();
    client_data_.reset();
    server_data_.reset();
    client_data_ready_ = server_data_ready_ = false;
    data_open_ = false;
    if (held_final_) {
        std::string line = std::exchange(*held_final_, {});
        held_final_.reset();
        server_reply(line, true);
    }
}

void FtpSession::end_transfer(bool completed) {
    (void)completed;
    record_.bytes_in += transfer_in_;
    record_.bytes_out += transfer_out_;
}

void FtpSession::drop_data() {
    data_relay_.reset();
    listener_.reset();
    client_data_.reset();
    server_data_.reset();
    client_data_ready_ = server_data_ready_ = false;
    active_connecting_ = false;
    mode_ = DataMode::none;
    data_open_ = false;
    saw_preliminary_ = false;
    held_final_.reset();
}

void FtpSession::log_transfer(int code, std::string_view reason) {
    SessionRecord transfer = record_;
    transfer.request_text = transfer_command_;
    transfer.operation = transfer_op_;
    transfer.bytes_in = transfer_in_;
    transfer.bytes_out = transfer_out_;
    write_log_for(transfer, code, reason);
}

}  // namespace proxyd
