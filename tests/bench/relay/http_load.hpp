// HTTP for the load generator: an origin that answers every request head at once, and
// GET clients that keep their connection to a proxy for request after request.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen.hpp"

namespace loadgen {

// Whether a head has `token` in its `name` header (a comma-separated list); `name` is
// lower-case and compared without case, as header names and these tokens are.
inline bool has_token(std::string_view head, std::string_view name, std::string_view token) {
    auto lower = [](std::string_view s) {
        std::string out(s);
        for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return out;
    };
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
            s.remove_suffix(1);
        return s;
    };
    std::size_t at = head.find('\n');
    while (at != std::string_view::npos && at + 1 < head.size()) {
        std::size_t end = head.find('\n', at + 1);
        auto line = head.substr(at + 1, end == std::string_view::npos ? end : end - at - 1);
        at = end;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || lower(trim(line.substr(0, colon))) != name) continue;
        auto value = lower(line.substr(colon + 1));
        std::string_view rest(value);
        while (!rest.empty()) {
            auto comma = rest.find(',');
            if (trim(rest.substr(0, comma)) == token) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

// Whether the exchange ends its connection: "close" in Connection (or the older
// Proxy-Connection), or HTTP/1.0 without "keep-alive" there.
inline bool closes_connection(std::string_view head, bool http10) {
    if (has_token(head, "connection", "close") || has_token(head, "proxy-connection", "close"))
        return true;
    return http10 && !has_token(head, "connection", "keep-alive") &&
           !has_token(head, "proxy-connection", "keep-alive");
}

// The value of a Content-Length header; -1 when there is none.
inline long content_length(std::string_view head) {
    std::size_t at = 0;
    while ((at = head.find('\n', at)) != std::string_view::npos) {
        ++at;
        constexpr std::string_view kName = "content-length:";
        if (head.size() - at < kName.size()) break;
        bool match = true;
        for (std::size_t i = 0; i < kName.size() && match; ++i)
            match = std::tolower(static_cast<unsigned char>(head[at + i])) == kName[i];
        if (!match) continue;
        std::string digits(head.substr(at + kName.size(), 24));
        return std::strtol(digits.c_str(), nullptr, 10);
    }
    return -1;
}

// ---- origin -----------------------------------------------------------------------

constexpr std::size_t kOriginBody = 100;

// no-store: a caching proxy passes every request on, so each one reaches the origin.
inline std::string origin_response(bool close) {
    std::string r =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
        "Content-Length: " +
        std::to_string(kOriginBody) + "\r\n";
    if (close) r += "Connection: close\r\n";
    r += "\r\n";
    r.append(kOriginBody, 'o');
    return r;
}

struct OriginConn {
    Fd fd;
    std::string in;  // bytes of a request head not yet complete
};

// Answers each complete request head (GETs carry no body), pipelined ones included.
// Returns false when the connection is done with: after an answer that closes it (so
// the origin closes first, and its TIME_WAIT does not hold the proxy's ports), on EOF,
// on an error, or on a head larger than any proxy sends for these requests.
inline bool origin_read(OriginConn& c, std::vector<char>& buf) {
    static const std::string keep = origin_response(false), last = origin_response(true);
    for (;;) {
        auto got = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
        if (got < 0 && errno == EAGAIN) return true;
        if (got <= 0) return false;
        c.in.append(buf.data(), static_cast<std::size_t>(got));
        std::size_t end;
        while ((end = c.in.find("\r\n\r\n")) != std::string::npos) {
            std::string_view head(c.in.data(), end + 2);
            auto line_end = head.find("\r\n");
            bool http10 = head.substr(0, line_end).ends_with("HTTP/1.0");
            bool close = closes_connection(head, http10);
            const auto& r = close ? last : keep;
            // Small answers: the send buffer has room unless the peer stopped reading.
            if (::send(c.fd.get(), r.data(), r.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(r.size()))
                return false;
            if (close) return false;
            c.in.erase(0, end + 4);
        }
        if (c.in.size() > 65536) return false;
    }
}

// ---- keep-alive GET clients ---------------------------------------------------------

struct GetClient {
    Fd fd;
    bool connecting = true;
    bool reused = false;  // a response already came on this connection
    std::string in;
    Clock::time_point deadline;
};

// Each client sends an absolute-URI GET for the origin, reads the whole response, and
// sends the next one on the same connection unless the proxy ends it; then it connects
// again. Counts complete 200 responses.
class GetWorker {
  public:
    GetWorker(const Args& a, int clients, unsigned first_host, const std::atomic<bool>& stop,
              Counts& counts)
        : a_(a), clients_(clients), host_(first_host), stop_(stop), counts_(counts) {
        auto origin = "127.0.0.1:" + std::to_string(a.target);
        request_ = "GET http://" + origin + "/ HTTP/1.1\r\nHost: " + origin +
                   "\r\nUser-Agent: loadgen\r\nAccept: */*\r\n\r\n";
    }

    void run() {
        ep_ = Fd(::epoll_create1(0));
        std::vector<GetClient> cs(static_cast<std::size_t>(clients_));
        for (auto& c : cs) start(c);
        drive(
            ep_.get(), cs, stop_, [this](GetClient& c, std::uint32_t ev) { on_event(c, ev); },
            [this](GetClient& c) { fail(c); });
    }

  private:
    void start(GetClient& c) {
        c.fd = client_socket(a_.source_net, host_++, true);
        c.connecting = true;
        c.reused = false;
        c.in.clear();
        c.deadline = Clock::now() + std::chrono::seconds(10);
        ++counts_.connections;
        auto to = bench::loopback(static_cast<std::uint16_t>(a_.port));
        int r = ::connect(c.fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (r != 0 && errno != EINPROGRESS) return fail(c);
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.ptr = &c;
        ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev);
    }

    void fail(GetClient& c) {
        ++counts_.failed;
        c.fd.reset();  // closing removes it from the epoll set
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no busy loop on a dead proxy
        start(c);
    }

    void send_request(GetClient& c) {
        c.in.clear();
        c.deadline = Clock::now() + std::chrono::seconds(10);
        if (::send(c.fd.get(), request_.data(), request_.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request_.size()))
            fail(c);
    }

    void complete(GetClient& c, bool close) {
        if (!stop_) ++counts_.done;
        c.reused = true;
        if (close) {
            c.fd.reset();
            start(c);
        } else {
            send_request(c);
        }
    }

    void on_event(GetClient& c, std::uint32_t events) {
        if (c.connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) return fail(c);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &c;
            ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
            c.connecting = false;
            return send_request(c);
        }
        char buf[4096];
        auto got = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (got < 0 && errno == EAGAIN) return;
        if (got < 0) return fail(c);
        auto head_end = c.in.find("\r\n\r\n");
        if (got == 0) {
            // A kept connection the proxy closed before answering the next request: a
            // client connects again, as for any idempotent request.
            if (c.in.empty() && c.reused) {
                c.fd.reset();
                return start(c);
            }
            // A body that runs until the close.
            if (head_end != std::string::npos && content_length(c.in) < 0 && status_ok(c.in))
                return complete(c, true);
            return fail(c);
        }
        c.in.append(buf, static_cast<std::size_t>(got));
        head_end = c.in.find("\r\n\r\n");
        if (head_end == std::string::npos) {
            if (c.in.size() > 16384) fail(c);
            return;
        }
        std::string_view head(c.in.data(), head_end + 2);
        if (!status_ok(head)) return fail(c);
        long length = content_length(head);
        if (length < 0) return;  // until the close
        std::size_t total = head_end + 4 + static_cast<std::size_t>(length);
        if (c.in.size() < total) return;
        // Bytes past the response were never asked for: the connection is out of step.
        if (c.in.size() > total) return fail(c);
        complete(c, closes_connection(head, head.starts_with("HTTP/1.0")));
    }

    static bool status_ok(std::string_view head) {
        return head.size() >= 12 && head.starts_with("HTTP/1.") && head.substr(8, 4) == " 200";
    }

    const Args& a_;
    int clients_;
    unsigned host_;
    const std::atomic<bool>& stop_;
    Counts& counts_;
    std::string request_;
    Fd ep_;
};

}  // namespace loadgen
