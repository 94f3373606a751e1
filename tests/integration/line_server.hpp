// A scripted line-protocol server on 127.0.0.1 (a fake POP3, SMTP or FTP server): it
// greets each connection, records every line it receives (without CR LF) and answers
// each with what the script returns. The script gets the connection's socket too, for
// protocols that do more than answer (FTP data connections). Every wait has a deadline.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace harness {

class LineServer {
  public:
    // The answer to a line; `close` ends the connection after it is sent.
    struct Answer {
        std::string text;
        bool close = false;
    };
    using Script = std::function<Answer(const std::string& line, int fd)>;

    LineServer(std::string greeting, Script script)
        : greeting_(std::move(greeting)), script_(std::move(script)) {
        fd_ = listen_on(false, port_);
        thread_ = std::thread([this] { run(); });
    }
    ~LineServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    LineServer(const LineServer&) = delete;
    LineServer& operator=(const LineServer&) = delete;

    std::uint16_t port() const { return port_; }
    int connections() const { return connections_.load(); }
    // The lines received so far, once there are at least `count` (or after `timeout`).
    std::vector<std::string> lines(std::size_t count = 0,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return lines_.size() >= count; });
        return lines_;
    }

  private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            ++connections_;
            serve(c);
            ::close(c);
        }
    }
    void serve(int c) {
        send_all(c, greeting_);
        std::string in;
        while (!stop_) {
            pollfd p{c, POLLIN, 0};
            int ready = ::poll(&p, 1, 50);
            if (ready < 0) return;
            if (ready == 0) continue;
            char buf[4096];
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) return;
            in.append(buf, static_cast<std::size_t>(n));
            for (auto nl = in.find('\n'); nl != std::string::npos; nl = in.find('\n')) {
                std::string line = in.substr(0, nl);
                in.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                {
                    std::lock_guard lock(mutex_);
                    lines_.push_back(line);
                }
                changed_.notify_all();
                Answer a = script_(line, c);
                send_all(c, a.text);
                if (a.close) return;
            }
        }
    }
    static void send_all(int c, const std::string& text) {
        std::size_t off = 0;
        while (off < text.size()) {
            auto n = ::send(c, text.data() + off, text.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;
            off += static_cast<std::size_t>(n);
        }
    }

    std::string greeting_;
    Script script_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
    std::thread thread_;
};

}  // namespace harness
