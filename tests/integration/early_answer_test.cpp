// An origin that answers before it has read the request body (413 and close, or 413
// instead of 100 Continue): the client gets that answer through the proxy, never a 502,
// and the log line has the exchange's code.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "harness.hpp"

using namespace harness;

namespace {

constexpr std::string_view refusal =
    "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
    "Connection: close\r\n\r\ntoo large";

// Reads a request head (and whatever part of the body came with it), answers 413 and
// closes: the rest of the body is never read, so the close resets the connection.
class EarlyAnswerOrigin {
  public:
    EarlyAnswerOrigin() {
        listen_fd_ = listen_on(false, port_);
        if (listen_fd_ < 0) throw std::runtime_error("cannot listen");
        thread_ = std::thread([this] { serve(); });
    }
    ~EarlyAnswerOrigin() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    EarlyAnswerOrigin(const EarlyAnswerOrigin&) = delete;
    EarlyAnswerOrigin& operator=(const EarlyAnswerOrigin&) = delete;
    std::uint16_t port() const { return port_; }
    int answered() const { return answered_; }
    int expecting() const { return expecting_; }

  private:
    void serve() {
        while (!stop_) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            std::string head;
            auto deadline = std::chrono::steady_clock::now() + 5s;
            while (head.find("\r\n\r\n") == std::string::npos &&
                   std::chrono::steady_clock::now() < deadline) {
                pollfd c{fd, POLLIN, 0};
                if (::poll(&c, 1, 100) <= 0) continue;
                char buf[4096];
                auto n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) break;
                head.append(buf, static_cast<std::size_t>(n));
            }
            if (head.find("\r\n\r\n") != std::string::npos) {
                if (head.find("Expect: 100-continue\r\n") != std::string::npos) ++expecting_;
                if (::send(fd, refusal.data(), refusal.size(), MSG_NOSIGNAL) ==
                    static_cast<ssize_t>(refusal.size()))
                    ++answered_;
            }
            ::close(fd);
        }
    }

    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
    std::atomic<int> expecting_{0};
    std::thread thread_;
};

struct EarlyAnswerSetup {
    TempDir dir;
    EarlyAnswerOrigin origin;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::string body = dir.file("body.bin");
    std::optional<Proxyd> proxyd;

    EarlyAnswerSetup() {
        std::ofstream(body, std::ios::binary) << std::string(4 << 20, 'b');
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %E %U %T\"\nusers alice:CL:secret\n" +
                           "auth strong\nallow alice\nproxy -p" + std::to_string(port) +
                           " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{port});
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(origin.port()) + "/up"; }
    CurlResult post(const std::string& expect) const {
        return curl({"--proxy", "http://alice:secret@127.0.0.1:" + std::to_string(port), "-H",
                     expect, "--data-binary", "@" + body, url()});
    }
    // Every answer was the origin's 413, and every log line says the exchange went fine.
    void check_all_relayed(const std::map<std::string, int>& codes, int tries) {
        std::string seen;
        for (const auto& [answer, n] : codes) seen += answer + ": " + std::to_string(n) + "; ";
        CHECK(seen == "413 too large: " + std::to_string(tries) + "; ");
        // Lines counted the same way: one per exchange, all with result 0.
        auto lines = wait_for_lines(log, static_cast<std::size_t>(tries));
        std::map<std::string, int> logged;
        for (const auto& line : lines) ++logged[line];
        std::string log_seen;
        for (const auto& [line, n] : logged) log_seen += line + ": " + std::to_string(n) + "; ";
        CHECK(log_seen ==
              "PROXY 0 alice POST " + url() + " HTTP/1.1: " + std::to_string(tries) + "; ");
    }
};

}  // namespace

TEST_CASE("an origin that answers 413 before reading the body is relayed, never a 502") {
    EarlyAnswerSetup s;
    constexpr int tries = 200;
    std::map<std::string, int> codes;
    for (int i = 0; i < tries; ++i) {
        auto r = s.post("Expect:");  // no 100-continue: the body follows the head at once
        ++codes[r.http_code + " " + r.body +
                (r.status == 0 ? "" : " curl " + std::to_string(r.status))];
    }
    CHECK(s.origin.answered() == tries);
    s.check_all_relayed(codes, tries);
}

TEST_CASE("an origin that answers 413 instead of 100 Continue is relayed and logged with 0") {
    EarlyAnswerSetup s;
    constexpr int tries = 20;
    std::map<std::string, int> codes;
    for (int i = 0; i < tries; ++i) {
        auto r = s.post("Expect: 100-continue");
        ++codes[r.http_code + " " + r.body +
                (r.status == 0 ? "" : " curl " + std::to_string(r.status))];
    }
    CHECK(s.origin.expecting() == tries);
    s.check_all_relayed(codes, tries);
}
