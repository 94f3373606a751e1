// Test servers for bulk transfers on 127.0.0.1, and curl downloads through a SOCKS5
// service: what the bandwidth-limit and traffic-counter tests measure.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace harness {

// On 127.0.0.1: "GET /N" gets an HTTP answer of N bytes; "STREAM" gets bytes until the
// client leaves.
class BulkServer {
  public:
    BulkServer() {
        fd_ = listen_on(false, port_);
        if (fd_ < 0) throw std::runtime_error("bulk server: cannot listen");
        acceptor_ = std::thread([this] {
            for (;;) {
                int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) return;  // the listening socket was shut down
                threads_.emplace_back([this, c] { serve(c); });
            }
        });
    }
    ~BulkServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        acceptor_.join();
        for (auto& t : threads_) t.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    std::string url(std::size_t bytes) const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(bytes);
    }

  private:
    void serve(int c) {
        timeval tv{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos && head.find('\n') == std::string::npos) {
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
        }
        while (head.rfind("GET ", 0) == 0 && head.find("\r\n\r\n") == std::string::npos) {
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
        }
        std::string chunk(64 * 1024, 'x');
        if (head.rfind("GET /", 0) == 0) {
            std::size_t total = std::stoul(head.substr(5));
            std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) +
                                "\r\nConnection: close\r\n\r\n";
            send_all(c, reply);
            while (total > 0 && !stop_) {
                std::size_t n = std::min(total, chunk.size());
                if (!send_all(c, chunk.substr(0, n))) break;
                total -= n;
            }
        } else {
            while (!stop_ && send_all(c, chunk)) {
            }
        }
        ::close(c);
    }
    bool send_all(int c, const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            auto n = ::send(c, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EAGAIN && !stop_) continue;  // a slow reader: wait again
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

struct Download {
    int status = -1;
    double bytes = 0;
    double seconds = 0;
    double rate_bits() const { return seconds > 0 ? bytes * 8 / seconds : 0; }
};

// curl through the SOCKS5 service as `user`, the body thrown away: size and time.
inline Download download(std::uint16_t proxy_port, const std::string& user, const std::string& url) {
    auto r = run({CURL_BINARY, "-s", "--max-time", "9", "-o", "/dev/null", "-w",
                  "%{size_download} %{time_total}", "--socks5",
                  "127.0.0.1:" + std::to_string(proxy_port), "--proxy-user", user + ":pw", url});
    Download d;
    d.status = r.status;
    std::istringstream in(r.out);
    in >> d.bytes >> d.seconds;
    return d;
}

}  // namespace harness
