// Bandwidth limits with real clients: curl downloads held to bandlimin's rate, two
// sessions of one limit sharing it, an exception leaving a user unlimited, and a reload
// that lowers the rate slowing a transfer already running.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

// On 127.0.0.1: "GET /N" gets an HTTP answer of N bytes; "STREAM" gets bytes until the
// client leaves.
class BulkServer {
  public:
    BulkServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0)
            throw std::runtime_error("bulk server: bind");
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
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
Download download(std::uint16_t proxy_port, const std::string& user, const std::string& url) {
    auto r = run({CURL_BINARY, "-s", "--max-time", "9", "-o", "/dev/null", "-w",
                  "%{size_download} %{time_total}", "--socks5",
                  "127.0.0.1:" + std::to_string(proxy_port), "--proxy-user", user + ":pw", url});
    Download d;
    d.status = r.status;
    std::istringstream in(r.out);
    in >> d.bytes >> d.seconds;
    return d;
}

constexpr double limit_bits = 8'000'000;  // 1 MB/s
constexpr std::size_t three_seconds = 3'000'000;

struct LimitSetup {
    TempDir dir;
    BulkServer bulk;
    std::uint16_t port = free_port();
    std::optional<Proxyd> proxyd;

    explicit LimitSetup(std::uint64_t rate = static_cast<std::uint64_t>(limit_bits)) {
        proxyd.emplace(dir, config(rate), std::vector<std::uint16_t>{port});
    }
    std::string config(std::uint64_t rate) const {
        return "users alice:CL:pw bob:CL:pw admin:CL:pw\nauth strong\n"
               "nobandlimin admin\nbandlimin " +
               std::to_string(rate) + " alice,bob\nallow *\nsocks -p" + std::to_string(port) +
               " -i127.0.0.1\n";
    }
    json sessions() {
        auto r = proxyctl(*proxyd, "sessions", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"]["sessions"];
    }
};

}  // namespace

TEST_CASE("bandlimin holds a curl download to its rate") {
    LimitSetup s;
    auto d = download(s.port, "alice", s.bulk.url(three_seconds));
    REQUIRE(d.status == 0);
    CHECK(d.bytes == three_seconds);
    INFO("measured " << d.rate_bits() << " bit/s over " << d.seconds << " s");
    CHECK(d.rate_bits() >= limit_bits * 0.85);
    CHECK(d.rate_bits() <= limit_bits * 1.15);
}

TEST_CASE("two sessions of one bandlimin line share its rate") {
    LimitSetup s;
    // alice twice and bob: one line, one budget (as in 3proxy), whichever worker each
    // session lands on.
    auto a = std::async(std::launch::async,
                        [&] { return download(s.port, "alice", s.bulk.url(three_seconds / 2)); });
    auto b = std::async(std::launch::async,
                        [&] { return download(s.port, "bob", s.bulk.url(three_seconds / 2)); });
    auto da = a.get();
    auto db = b.get();
    REQUIRE(da.status == 0);
    REQUIRE(db.status == 0);
    double bytes = da.bytes + db.bytes;
    double seconds = std::max(da.seconds, db.seconds);
    double rate = bytes * 8 / seconds;
    INFO("sum " << rate << " bit/s; " << da.rate_bits() << " + " << db.rate_bits());
    CHECK(rate >= limit_bits * 0.85);
    CHECK(rate <= limit_bits * 1.15);
    // Each got a share, not the whole rate.
    CHECK(da.rate_bits() < limit_bits * 0.8);
    CHECK(db.rate_bits() < limit_bits * 0.8);
}

TEST_CASE("nobandlimin before a limit leaves its user unlimited") {
    LimitSetup s;
    auto d = download(s.port, "admin", s.bulk.url(three_seconds));
    REQUIRE(d.status == 0);
    CHECK(d.bytes == three_seconds);
    INFO("admin got " << d.rate_bits() << " bit/s");
    // Three seconds' worth at the limit arrives in well under one second.
    CHECK(d.seconds < 1.0);
}

TEST_CASE("a reload lowering bandlimin slows a running transfer at once") {
    LimitSetup s;
    Client client(s.port);
    REQUIRE(socks5_connect(client, "alice", "pw", s.bulk.port()));
    REQUIRE(client.send("STREAM\n"));
    // Bytes per second read over `span`.
    auto measure = [&](std::chrono::milliseconds span) {
        auto start = std::chrono::steady_clock::now();
        std::size_t total = 0;
        while (std::chrono::steady_clock::now() - start < span) {
            auto got = client.read(16 * 1024, 2s);
            REQUIRE(!got.empty());
            total += got.size();
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return static_cast<double>(total) * 8 / seconds;
    };
    measure(300ms);  // past the start
    double before = measure(1000ms);
    INFO("before the reload: " << before << " bit/s");
    CHECK(before >= limit_bits * 0.85);
    CHECK(before <= limit_bits * 1.15);
    auto listed = s.sessions();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["limit_to_client_bps"] == 8000000);
    CHECK(listed[0]["limit_to_server_bps"].is_null());

    constexpr double lowered = 2'000'000;  // 250 kB/s
    std::ofstream(s.proxyd->config_path) << s.config(static_cast<std::uint64_t>(lowered));
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    measure(250ms);  // what was already in the socket buffers
    double after = measure(1500ms);
    INFO("after the reload: " << after << " bit/s");
    CHECK(after >= lowered * 0.85);
    CHECK(after <= lowered * 1.15);
    listed = s.sessions();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["limit_to_client_bps"] == 2000000);
}
