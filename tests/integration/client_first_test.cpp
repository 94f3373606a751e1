// The services whose client speaks first (socks, proxy): their listeners defer accepts
// until the first bytes arrive, a new session reads them at once, and the relay starts
// without asking the client again. Late and silent clients, bytes pipelined behind a
// handshake, and a target's last bytes and close must all come through as before.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "harness.hpp"

using namespace harness;

namespace {

std::string open_config(const std::string& extra, std::uint16_t socks, std::uint16_t proxy) {
    return extra + "auth iponly\nallow *\nsocks -p" + std::to_string(socks) +
           " -i127.0.0.1\nproxy -p" + std::to_string(proxy) + " -i127.0.0.1\n";
}

std::string socks5_request(std::uint16_t target_port) {
    std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    req += static_cast<char>(target_port >> 8);
    req += static_cast<char>(target_port & 0xff);
    return req;
}

std::string connect_request(std::uint16_t target_port) {
    auto target = "127.0.0.1:" + std::to_string(target_port);
    return "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
}

// The CONNECT answer's head, read up to its blank line.
std::string read_head(Client& c) {
    std::string head;
    while (head.size() < 1024 && !head.ends_with("\r\n\r\n")) {
        auto byte = c.read(1, 3s);
        if (byte.empty()) break;
        head += byte;
    }
    return head;
}

bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[256];
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Accepts connections and answers each with `greeting` and an immediate close: the
// target's last bytes and its FIN arrive together at the relay.
class SayAndClose {
  public:
    explicit SayAndClose(std::string greeting) : greeting_(std::move(greeting)) {
        fd_ = listen_on(false, port_);
        thread_ = std::thread([this] {
            for (;;) {
                int c = accept_with_stop(fd_, stop_);
                if (c < 0) return;
                ::send(c, greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
                ::close(c);
            }
        });
    }
    ~SayAndClose() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    std::string greeting_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

double accepted_total(const Proxyd& p, std::uint16_t port) {
    auto r = proxyctl(p, "metrics");
    REQUIRE(r.status == 0);
    std::string series =
        "proxyd_connections_accepted_total{service=\"socks:127.0.0.1:" + std::to_string(port) +
        "\"} ";
    auto at = r.out.find(series);
    REQUIRE(at != std::string::npos);
    return std::stod(r.out.substr(at + series.size()));
}

}  // namespace

TEST_CASE("a SOCKS5 greeting and a CONNECT request that come after a silent second are served") {
    TempDir dir;
    EchoServer echo;
    auto socks = free_port(), proxy = free_port();
    Proxyd p(dir, open_config("", socks, proxy), {socks, proxy});
    // Past the deferred accept's second: the kernel hands the connection over unasked.
    Client s(socks), h(proxy);
    REQUIRE(s.connected());
    REQUIRE(h.connected());
    std::this_thread::sleep_for(1500ms);
    CHECK(socks5_connect(s, "", "", echo.port()));
    CHECK(s.send("late"));
    CHECK(s.read(4) == "late");
    REQUIRE(h.send(connect_request(echo.port())));
    CHECK_THAT(read_head(h), Catch::StartsWith("HTTP/1.1 200"));
    CHECK(h.send("late"));
    CHECK(h.read(4) == "late");
}

TEST_CASE("a connection that stays silent is closed at the handshake deadline and logged") {
    TempDir dir;
    auto socks = free_port(), proxy = free_port();
    // The third timeouts value bounds the handshake: 2 s here, counted from the accept,
    // which comes about a second after the connect for a client that says nothing.
    Proxyd p(dir,
             open_config("log " + dir.file("access.log") +
                             "\nlogformat \"L%E %e\"\ntimeouts 1 5 2 60 180 1800 15 60\n",
                         socks, proxy),
             {socks, proxy});
    Client s(socks);
    REQUIRE(s.connected());
    auto t0 = std::chrono::steady_clock::now();
    CHECK(closed_by_peer(s.fd(), 6s));
    auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(elapsed >= 1800ms);
    CHECK(elapsed < 5s);
    auto lines = wait_for_lines(dir.file("access.log"), 1);
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "91 handshake timeout");
}

TEST_CASE("a connection is not a session until its first bytes arrive") {
    TempDir dir;
    EchoServer echo;
    auto socks = free_port(), proxy = free_port();
    Proxyd p(dir, open_config("", socks, proxy), {socks, proxy});
    std::this_thread::sleep_for(200ms);  // the harness's probe of the port has been counted
    double base = accepted_total(p, socks);
    Client c(socks);
    REQUIRE(c.connected());
    std::this_thread::sleep_for(300ms);
    // Well within the deferred accept's second: the kernel still holds the connection.
    CHECK(accepted_total(p, socks) == base);
    CHECK(socks5_connect(c, "", "", echo.port()));
    CHECK(accepted_total(p, socks) == base + 1);
    CHECK(c.send("ping"));
    CHECK(c.read(4) == "ping");
}

TEST_CASE("bytes pipelined behind a SOCKS5 or CONNECT handshake reach the target") {
    TempDir dir;
    EchoServer echo;
    auto socks = free_port(), proxy = free_port();
    Proxyd p(dir, open_config("", socks, proxy), {socks, proxy});
    SECTION("SOCKS5: greeting, request and payload in one write") {
        Client c(socks);
        REQUIRE(c.send(std::string("\x05\x01\x00", 3) + socks5_request(echo.port()) + "early"));
        CHECK(c.read(2) == std::string("\x05\x00", 2));
        CHECK(c.read(10).substr(0, 2) == std::string("\x05\x00", 2));
        CHECK(c.read(5) == "early");
    }
    SECTION("CONNECT: request and payload in one write") {
        Client c(proxy);
        REQUIRE(c.send(connect_request(echo.port()) + "early"));
        CHECK_THAT(read_head(c), Catch::StartsWith("HTTP/1.1 200"));
        CHECK(c.read(5) == "early");
    }
    SECTION("SOCKS5: payload sent right behind the request, before the reply, at varied delays") {
        for (int delay_us : {0, 50, 200, 1000, 5000}) {
            Client c(socks);
            REQUIRE(c.send(std::string("\x05\x01\x00", 3)));
            REQUIRE(c.read(2) == std::string("\x05\x00", 2));
            REQUIRE(c.send(socks5_request(echo.port())));
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
            REQUIRE(c.send("early"));
            INFO("payload " << delay_us << " us behind the request");
            CHECK(c.read(10).substr(0, 2) == std::string("\x05\x00", 2));
            CHECK(c.read(5) == "early");
        }
    }
    SECTION("CONNECT: payload sent right behind the request, at varied delays") {
        for (int delay_us : {0, 50, 200, 1000, 5000}) {
            Client c(proxy);
            REQUIRE(c.send(connect_request(echo.port())));
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
            REQUIRE(c.send("early"));
            INFO("payload " << delay_us << " us behind the request");
            CHECK_THAT(read_head(c), Catch::StartsWith("HTTP/1.1 200"));
            CHECK(c.read(5) == "early");
        }
    }
}

TEST_CASE("a target's last bytes and its close reach the client through SOCKS5 and CONNECT") {
    TempDir dir;
    SayAndClose target("last words");
    auto socks = free_port(), proxy = free_port();
    Proxyd p(dir, open_config("", socks, proxy), {socks, proxy});
    for (int i = 0; i < 10; ++i) {
        Client s(socks);
        REQUIRE(socks5_connect(s, "", "", target.port()));
        std::string got;
        CHECK(s.read_until_close(got, 3s));
        CHECK(got == "last words");
        Client h(proxy);
        REQUIRE(h.send(connect_request(target.port())));
        CHECK_THAT(read_head(h), Catch::StartsWith("HTTP/1.1 200"));
        got.clear();
        CHECK(h.read_until_close(got, 3s));
        CHECK(got == "last words");
    }
}

TEST_CASE("a port a reload passes from socks to tcppm accepts at once again and back") {
    TempDir dir;
    EchoServer echo;
    SayAndClose greeter("220 hello\r\n");  // a server that speaks first
    auto port = free_port();
    auto socks_text = "auth iponly\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
    auto tcppm_text = "tcppm -i127.0.0.1 " + std::to_string(port) + " 127.0.0.1 " +
                      std::to_string(greeter.port()) + "\n";
    Proxyd p(dir, socks_text, {port});
    auto reload_with = [&](const std::string& text) {
        std::ofstream(p.config_path) << text;
        auto r = proxyctl(p, "reload");
        INFO(r.out << r.err);
        REQUIRE(r.status == 0);
    };
    reload_with(tcppm_text);
    {
        // The client waits for the greeting: a deferred accept would hold it for a second.
        Client c(port);
        REQUIRE(c.connected());
        auto t0 = std::chrono::steady_clock::now();
        CHECK(c.read(11, 3s) == "220 hello\r\n");
        CHECK(std::chrono::steady_clock::now() - t0 < 700ms);
    }
    reload_with(socks_text);
    Client c(port);
    CHECK(socks5_connect(c, "", "", echo.port()));
    CHECK(c.send("ping"));
    CHECK(c.read(4) == "ping");
}

TEST_CASE("bytes behind urgent data sent with the SOCKS5 request reach the target") {
    TempDir dir;
    EchoServer echo;
    auto socks = free_port(), proxy = free_port();
    Proxyd p(dir, open_config("", socks, proxy), {socks, proxy});
    // A read stops short at the urgent mark with bytes still queued: that short read must
    // not pass for the last one before the relay starts. The urgent byte itself is not
    // relayed (proxyd does not read out of band).
    for (int i = 0; i < 20; ++i) {
        Client c(socks);
        REQUIRE(c.send(std::string("\x05\x01\x00", 3)));
        REQUIRE(c.read(2) == std::string("\x05\x00", 2));
        REQUIRE(c.send(socks5_request(echo.port())));
        REQUIRE(::send(c.fd(), "!", 1, MSG_OOB | MSG_NOSIGNAL) == 1);
        REQUIRE(c.send("after"));
        INFO("attempt " << i);
        CHECK(c.read(10).substr(0, 2) == std::string("\x05\x00", 2));
        CHECK(c.read(5, 2s) == "after");
    }
}
