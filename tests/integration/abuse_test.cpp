// proxyd under abuse: hostile control requests, clients that never read their replies,
// too many control connections, and handshakes that trickle in to hold slots.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

std::string socks_config(std::uint16_t port, const std::string& extra = {}) {
    return extra + "auth iponly\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
}

bool send_all(int fd, const std::string& bytes) {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
}

std::string error_code(const std::string& line) {
    auto j = json::parse(line, nullptr, false);
    return j.is_object() && j.contains("error") && j["error"].is_object()
               ? j["error"].value("code", "")
               : line;
}

// SOCKS5 without authentication to the echo server, then one round trip.
bool socks5_echo(Client& c, std::uint16_t target_port) {
    if (!c.send(std::string("\x05\x01\x00", 3)) || c.read(2, 2s) != std::string("\x05\x00", 2))
        return false;
    std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    req.push_back(static_cast<char>(target_port >> 8));
    req.push_back(static_cast<char>(target_port & 0xFF));
    if (!c.send(req) || c.read(10, 2s).substr(0, 2) != std::string("\x05\x00", 2)) return false;
    return c.send("ping") && c.read(4, 2s) == "ping";
}

bool peer_closed(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[512];
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// A non-blocking connection from a chosen loopback source.
int connect_from(const std::string& source, std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

TEST_CASE("a control request nested 30,000 levels deep gets bad_json and proxyd keeps serving") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir, socks_config(port), {port});
    int fd = connect_unix(p.control_path);
    REQUIRE(fd >= 0);
    std::string deep = "{\"command\":\"kill\",\"args\":{\"ids\":" + std::string(30000, '[') +
                       std::string(30000, ']') + "}}\n";
    REQUIRE(deep.size() < 64 * 1024);
    REQUIRE(send_all(fd, deep));
    std::string reply = read_line(fd);
    CHECK(error_code(reply) == "bad_json");
    CHECK_THAT(reply, Catch::Contains("deeper than 16 levels"));
    // Nesting within the limit is parsed and judged by the command as before.
    REQUIRE(send_all(fd, "{\"command\":\"kill\",\"args\":{\"ids\":[[[1]]]}}\n"));
    CHECK(error_code(read_line(fd)) == "bad_args");
    REQUIRE(send_all(fd, "{\"command\":\"status\"}\n"));
    CHECK(json::parse(read_line(fd))["ok"] == true);
    ::close(fd);
    CHECK_FALSE(p.process().wait(0ms));
    Client c(port);
    CHECK(socks5_echo(c, echo.port()));
}

TEST_CASE("a control client that sends requests without reading replies cannot grow proxyd") {
    TempDir dir;
    auto port = free_port();
    Proxyd p(dir, socks_config(port), {port}, 2, {"--control-timeout", "1000"});
    std::size_t rss_before = rss_kib(p.process().pid());
    int fd = connect_unix(p.control_path);
    REQUIRE(fd >= 0);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::string batch;
    for (int i = 0; i < 1000; ++i) batch += "{\"command\":\"status\"}\n";
    std::size_t sent = 0;
    auto until = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < until) {
        auto n = ::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else {
            std::this_thread::sleep_for(5ms);
        }
    }
    INFO("sent " << sent << " bytes of requests");
    // One reply waits for the client; what proxyd does not read stays in socket buffers.
    CHECK(sent < 4u * 1024 * 1024);
    std::size_t rss_after = rss_kib(p.process().pid());
    INFO("RSS " << rss_before << " -> " << rss_after << " KiB");
    CHECK(rss_after < rss_before + 16 * 1024);
    // Another client is answered meanwhile, and the stalled one is dropped after the
    // control timeout.
    auto r = proxyctl(p, "status", {"--json"});
    CHECK(r.status == 0);
    bool dropped = false;
    for (int i = 0; i < 100 && !dropped; ++i) {
        std::this_thread::sleep_for(50ms);
        dropped = ::send(fd, "x", 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN;
    }
    CHECK(dropped);
    ::close(fd);
}

TEST_CASE("control connections beyond 32 are told too_many_connections; others are served") {
    TempDir dir;
    auto port = free_port();
    Proxyd p(dir, socks_config(port), {port});
    std::vector<int> held;
    for (int i = 0; i < 32; ++i) {
        int fd = connect_unix(p.control_path);
        REQUIRE(fd >= 0);
        REQUIRE(send_all(fd, "{\"command\":\"help\"}\n"));
        REQUIRE(json::parse(read_line(fd))["ok"] == true);
        held.push_back(fd);
    }
    int extra = connect_unix(p.control_path);
    REQUIRE(extra >= 0);
    REQUIRE(send_all(extra, "{\"command\":\"status\"}\n"));
    CHECK(error_code(read_line(extra)) == "too_many_connections");
    CHECK(read_line(extra) == "(closed)");
    ::close(extra);
    ::close(held.back());
    held.pop_back();
    // The slot is free once proxyd has seen the close.
    bool served = false;
    for (int i = 0; i < 50 && !served; ++i) {
        int fd = connect_unix(p.control_path);
        REQUIRE(fd >= 0);
        REQUIRE(send_all(fd, "{\"command\":\"status\"}\n"));
        served = json::parse(read_line(fd), nullptr, false).value("ok", false);
        ::close(fd);
        if (!served) std::this_thread::sleep_for(20ms);
    }
    CHECK(served);
    for (int fd : held) ::close(fd);
}

TEST_CASE("a SOCKS handshake trickling a byte at a time is closed at the deadline from accept") {
    TempDir dir;
    auto port = free_port();
    // The third timeouts value bounds the handshake: 2 s here.
    Proxyd p(dir,
             socks_config(port, "log " + dir.file("access.log") +
                                    "\nlogformat \"L%E %e\"\ntimeouts 1 5 2 60 180 1800 15 60\n"),
             {port});
    Client c(port);
    REQUIRE(c.connected());
    auto t0 = std::chrono::steady_clock::now();
    // Greeting announcing 255 methods, sent one byte every 300 ms: never complete in time.
    REQUIRE(c.send(std::string("\x05\xff", 2)));
    bool closed = false;
    while (!closed && std::chrono::steady_clock::now() - t0 < 6s) {
        std::this_thread::sleep_for(300ms);
        closed = !c.send(std::string(1, '\x00')) || peer_closed(c.fd());
    }
    auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(closed);
    CHECK(elapsed >= 1800ms);
    CHECK(elapsed < 3500ms);
    auto lines = wait_for_lines(dir.file("access.log"), 1);
    REQUIRE(!lines.empty());
    CHECK(lines.back() == "91 handshake timeout");
}

TEST_CASE("an HTTP request head trickling in is closed at the deadline, on keep-alive too") {
    TempDir dir;
    HttpServer origin;
    auto port = free_port();
    Proxyd p(dir,
             "timeouts 1 5 2 60 180 1800 15 60\nauth iponly\nallow *\nproxy -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    auto trickle_until_closed = [](Client& c, const std::string& text) {
        auto t0 = std::chrono::steady_clock::now();
        for (char ch : text) {
            if (!c.send(std::string(1, ch)) || peer_closed(c.fd())) break;
            std::this_thread::sleep_for(200ms);
            if (std::chrono::steady_clock::now() - t0 > 6s) break;
        }
        std::string rest;
        c.read_until_close(rest, 2s);
        return std::chrono::steady_clock::now() - t0;
    };
    std::string head = "GET http://127.0.0.1:" + std::to_string(origin.port()) +
                       "/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(40, 'x') +
                       "\r\n\r\n";
    {
        Client c(port);
        auto elapsed = trickle_until_closed(c, head);
        CHECK(elapsed >= 1800ms);
        CHECK(elapsed < 4000ms);
    }
    {
        // A first request served at once; the second trickles.
        Client c(port);
        std::string first = "GET http://127.0.0.1:" + std::to_string(origin.port()) +
                            "/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        REQUIRE(c.send(first));
        CHECK(c.read(12, 2s) == "HTTP/1.1 200");
        std::this_thread::sleep_for(300ms);  // idle between requests does not count
        auto elapsed = trickle_until_closed(c, head);
        CHECK(elapsed >= 1800ms);
        CHECK(elapsed < 4000ms);
    }
}

TEST_CASE("1,000 slowloris clients do not keep a legitimate client out and all meet the deadline") {
    raise_fd_limit();
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir,
             socks_config(port, "log " + dir.file("access.log") +
                                    "\nlogformat \"L%E %C %e\"\nmaxconn 100\n"
                                    "timeouts 1 5 3 60 180 1800 15 60\n"),
             {port});
    // From 250 loopback sources, 4 each: no per-source cap is reached, so it is the
    // displacement of old handshakes at maxconn that lets the legitimate client in.
    std::vector<int> slow;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        int fd = connect_from("127.0.1." + std::to_string(1 + i % 250), port);
        REQUIRE(fd >= 0);
        slow.push_back(fd);
    }
    std::vector<std::optional<std::chrono::steady_clock::time_point>> closed_at(slow.size());
    std::vector<bool> greeted(slow.size());
    // A greeting that announces 255 methods, then one method byte per round: a handshake
    // that is always nearly there.
    auto trickle = [&] {
        for (std::size_t i = 0; i < slow.size(); ++i) {
            if (closed_at[i]) continue;
            if (peer_closed(slow[i])) {
                closed_at[i] = std::chrono::steady_clock::now();
                continue;
            }
            std::string bytes = greeted[i] ? std::string("\x01", 1) : std::string("\x05\xff", 2);
            auto n = ::send(slow[i], bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n > 0) greeted[i] = true;
        }
    };
    // Every slot is held by a handshake that has been trickling for over a second.
    while (std::chrono::steady_clock::now() - t0 < 1500ms) {
        trickle();
        std::this_thread::sleep_for(100ms);
    }
    std::size_t open_before = std::count(closed_at.begin(), closed_at.end(), std::nullopt);
    INFO(open_before << " slowloris connections open");
    CHECK(open_before > 0);
    auto l0 = std::chrono::steady_clock::now();
    Client legit(port);
    REQUIRE(legit.connected());
    CHECK(socks5_echo(legit, echo.port()));
    auto served_in = std::chrono::steady_clock::now() - l0;
    CHECK(served_in < 200ms);
    // Every slowloris connection is gone by the 3 s deadline (plus the sweep's tick).
    while (std::chrono::steady_clock::now() - t0 < 4500ms) {
        trickle();
        std::this_thread::sleep_for(100ms);
    }
    std::size_t still_open = std::count(closed_at.begin(), closed_at.end(), std::nullopt);
    CHECK(still_open == 0);
    for (int fd : slow) ::close(fd);
    // The legitimate session outlives them all.
    CHECK(legit.send("pong"));
    CHECK(legit.read(4) == "pong");
    auto log = read_file(dir.file("access.log"));
    CHECK_THAT(log, Catch::Contains("11 127.0.1."));
    CHECK_THAT(log, Catch::Contains("91 127.0.1."));
}

TEST_CASE("one source flooding handshakes competes with itself, not with other sources") {
    raise_fd_limit();
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir,
             socks_config(port, "log " + dir.file("access.log") +
                                    "\nlogformat \"L%E %C %e\"\nmaxconn 100\n"
                                    "timeouts 1 5 10 60 180 1800 15 60\n"),
             {port});
    std::vector<int> flood;
    for (int i = 0; i < 300; ++i) {
        int fd = connect_from("127.0.2.1", port);
        REQUIRE(fd >= 0);
        flood.push_back(fd);
    }
    // Each starts a greeting it never finishes: a SOCKS listener defers accepts until the
    // first bytes, so a silent connection would not be a handshake yet.
    for (int fd : flood) {
        pollfd w{fd, POLLOUT, 0};
        REQUIRE(::poll(&w, 1, 2000) == 1);
        REQUIRE(send_all(fd, std::string("\x05", 1)));
    }
    // The service is full: the source's later handshakes displaced its own earlier ones.
    std::this_thread::sleep_for(500ms);
    std::size_t open = 0;
    for (int fd : flood) open += peer_closed(fd) ? 0 : 1;
    CHECK(open <= 100);
    CHECK(open >= 64);
    // Another source gets a slot at once, though every handshake is younger than 1 s: the
    // flooding source is over its share and gives way.
    Client other(port, "127.0.2.2");
    REQUIRE(other.connected());
    CHECK(socks5_echo(other, echo.port()));
    for (int fd : flood) ::close(fd);
    CHECK_THAT(read_file(dir.file("access.log")),
               Catch::Contains("11 127.0.2.1 handshake displaced: too many handshakes from this "
                               "source"));
}
