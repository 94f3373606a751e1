// Parent chains through a real proxyd: to a second proxyd (socks5, socks4, connect,
// http), to microsocks when it is installed, to an HTTP CONNECT proxy run by the test
// (to see the credentials it gets), two hops, a tcp parent, and a dead parent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

std::string port_text(std::uint16_t p) {
    return std::to_string(p);
}

// A minimal HTTP CONNECT proxy on 127.0.0.1: records each request head, connects to the
// asked 127.0.0.1 port, answers 200 and relays until either side closes.
class ConnectProxy {
  public:
    ConnectProxy() {
        listen_fd_ = listen_on(false, port_);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~ConnectProxy() {
        stop_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        acceptor_.join();
        for (auto& t : threads_) t.join();
        ::close(listen_fd_);
    }
    std::uint16_t port() const { return port_; }
    std::vector<std::string> heads() {
        std::lock_guard lock(mutex_);
        return heads_;
    }

  private:
    void accept_loop() {
        while (!stop_) {
            int fd = accept_with_stop(listen_fd_, stop_);
            if (fd < 0) continue;
            threads_.emplace_back([this, fd] { serve(fd); });
        }
    }
    void serve(int fd) {
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 3000) <= 0) break;
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
        }
        {
            std::lock_guard lock(mutex_);
            heads_.push_back(head);
        }
        auto colon = head.find(':');
        auto space = head.find(' ', colon);
        int up = -1;
        if (head.rfind("CONNECT 127.0.0.1:", 0) == 0 && colon != std::string::npos) {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(
                static_cast<std::uint16_t>(std::stoi(head.substr(colon + 1, space - colon - 1))));
            up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(up);
                up = -1;
            }
        }
        std::string reply = up >= 0 ? "HTTP/1.1 200 Connection established\r\nX-Test: 1\r\n\r\n"
                                    : "HTTP/1.1 502 Bad Gateway\r\n\r\n";
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        if (up >= 0) {
            auto rest = head.substr(head.find("\r\n\r\n") + 4);
            if (!rest.empty()) ::send(up, rest.data(), rest.size(), MSG_NOSIGNAL);
            relay(fd, up);
            ::close(up);
        }
        ::close(fd);
    }
    void relay(int a, int b) {
        char buf[16384];
        while (!stop_) {
            pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
            int r = ::poll(p, 2, 200);
            if (r < 0) return;
            for (int i = 0; i < 2; ++i) {
                if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                auto n = ::recv(p[i].fd, buf, sizeof buf, 0);
                if (n <= 0) return;
                ::send(i == 0 ? b : a, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            }
        }
    }
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> heads_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

// A parent that answers every request head with the same bytes, in one send, then holds
// the connection until the other side closes: a CONNECT reply with the target's first
// bytes right behind it.
class CannedParent {
  public:
    explicit CannedParent(std::string answer) : answer_(std::move(answer)) {
        listen_fd_ = listen_on(false, port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~CannedParent() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    void serve() {
        while (!stop_) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            std::string head;
            char buf[4096];
            while (!stop_ && head.find("\r\n\r\n") == std::string::npos) {
                pollfd q{fd, POLLIN, 0};
                if (::poll(&q, 1, 100) <= 0) continue;
                auto n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0) break;
                head.append(buf, static_cast<std::size_t>(n));
            }
            ::send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
            while (!stop_) {
                pollfd q{fd, POLLIN, 0};
                if (::poll(&q, 1, 100) <= 0) continue;
                if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
            }
            ::close(fd);
        }
    }
    std::string answer_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The parent: a second proxyd with a socks and a proxy service, each logging.
struct ParentProxyd {
    TempDir dir;
    std::uint16_t socks_port = free_port();
    std::uint16_t proxy_port = free_port();
    std::string log = dir.file("parent.log");
    std::optional<Proxyd> proxyd;
    explicit ParentProxyd(const std::string& auth = "auth iponly\n") {
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %E %U %n:%r %T\"\nusers pu:CL:pp\n" +
                           auth + "allow *\nsocks -i127.0.0.1 -p" + port_text(socks_port) +
                           "\nproxy -i127.0.0.1 -p" + port_text(proxy_port) + "\n",
                       std::vector<std::uint16_t>{socks_port, proxy_port});
    }
};

// The proxyd under test: a socks and a proxy service whose ACL entry has `parents`.
struct Front {
    TempDir dir;
    std::uint16_t socks_port = free_port();
    std::uint16_t proxy_port = free_port();
    std::string log = dir.file("front.log");
    std::optional<Proxyd> proxyd;
    explicit Front(const std::string& parents, const std::string& extra = {}) {
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %E %U %n:%r %e|%T\"\n" + extra +
                           "auth iponly\nallow *\n" + parents + "socks -i127.0.0.1 -p" +
                           port_text(socks_port) + "\nproxy -i127.0.0.1 -p" +
                           port_text(proxy_port) + "\n",
                       std::vector<std::uint16_t>{socks_port, proxy_port});
    }
    std::string socks() const { return "127.0.0.1:" + port_text(socks_port); }
    std::string proxy() const { return "http://127.0.0.1:" + port_text(proxy_port); }
};

std::string url(const HttpServer& http, const std::string& path = "/p") {
    return "http://127.0.0.1:" + port_text(http.port()) + path;
}

}  // namespace

TEST_CASE("parent socks5: proxyd through a second proxyd") {
    HttpServer http;
    ParentProxyd parent;
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(parent.socks_port) + "\n");
    auto r = curl({"--socks5", front.socks(), url(http)});
    CHECK(r.body == "hello /p\n");
    auto r2 = curl({"-x", front.proxy(), url(http, "/q")});
    CHECK(r2.body == "hello /q\n");
    auto r3 = curl({"-p", "-x", front.proxy(), url(http, "/t")});
    CHECK(r3.body == "hello /t\n");
    auto lines = wait_for_lines(parent.log, 3);
    REQUIRE(lines.size() == 3);
    // The parent got an address (plain socks5): proxyd resolved the target.
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 0 - 127.0.0.1:" + port_text(http.port())));
    auto front_lines = wait_for_lines(front.log, 3);
    CHECK(front_lines.size() == 3);
}

TEST_CASE("parent socks5+ with a login sends the name and the credentials") {
    HttpServer http;
    ParentProxyd parent("auth strong\n");
    Front front("parent 1000 socks5+ 127.0.0.1 " + port_text(parent.socks_port) + " pu pp\n");
    auto r = curl(
        {"--socks5-hostname", front.socks(), "http://localhost:" + port_text(http.port()) + "/n"});
    CHECK(r.body == "hello /n\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 0 pu localhost:" + port_text(http.port())));
}

TEST_CASE("parent socks5 with a wrong login: the client is refused, the log names the parent") {
    HttpServer http;
    ParentProxyd parent("auth strong\n");
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(parent.socks_port) + " pu wrong\n");
    auto r = curl({"-x", front.proxy(), url(http)});
    CHECK(r.http_code == "502");
    auto lines = wait_for_lines(front.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains(" 33 ") &&
                             Catch::Contains("parent 127.0.0.1:" + port_text(parent.socks_port) +
                                             " (socks5): refused: bad login"));
    CHECK(http.connections() == 0);
}

TEST_CASE("parent socks4 and socks4+") {
    HttpServer http;
    ParentProxyd parent;
    SECTION("socks4") {
        Front front("parent 1000 socks4 127.0.0.1 " + port_text(parent.socks_port) + "\n");
        CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
        auto lines = wait_for_lines(parent.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::StartsWith("SOCKS4 0 anonymous 127.0.0.1:"));
    }
    SECTION("socks4+") {
        Front front("parent 1000 socks4+ 127.0.0.1 " + port_text(parent.socks_port) + " bob\n");
        CHECK(curl({"--socks5-hostname", front.socks(),
                    "http://localhost:" + port_text(http.port()) + "/p"})
                  .body == "hello /p\n");
        auto lines = wait_for_lines(parent.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::StartsWith("SOCKS4 0 bob localhost:"));
    }
}

TEST_CASE("parent connect: a CONNECT proxy gets the login as Basic credentials") {
    HttpServer http;
    ConnectProxy cp;
    SECTION("with a login") {
        Front front("parent 1000 connect 127.0.0.1 " + port_text(cp.port()) +
                    " alice wonderland\n");
        CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
        auto heads = cp.heads();
        REQUIRE(heads.size() == 1);
        CHECK(heads[0] == "CONNECT 127.0.0.1:" + port_text(http.port()) +
                              " HTTP/1.0\r\nProxy-Authorization: Basic "
                              "YWxpY2U6d29uZGVybGFuZA==\r\n\r\n");
    }
    SECTION("without a login") {
        Front front("parent 1000 connect 127.0.0.1 " + port_text(cp.port()) + "\n");
        CHECK(curl({"-x", front.proxy(), url(http)}).body == "hello /p\n");
        auto heads = cp.heads();
        REQUIRE(heads.size() == 1);
        CHECK(heads[0] == "CONNECT 127.0.0.1:" + port_text(http.port()) + " HTTP/1.0\r\n\r\n");
    }
}

TEST_CASE("parent connect to a second proxyd's proxy service") {
    HttpServer http;
    ParentProxyd parent("auth strong\n");
    Front front("parent 1000 connect 127.0.0.1 " + port_text(parent.proxy_port) + " pu pp\n");
    CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 0 pu 127.0.0.1:" + port_text(http.port())));
}

TEST_CASE("parent http: the proxy service forwards requests to a parent proxy") {
    HttpServer http;
    ParentProxyd parent("auth strong\n");
    Front front("parent 1000 http 127.0.0.1 " + port_text(parent.proxy_port) + " pu pp\n");
    auto r = curl({"-x", front.proxy(), url(http, "/h")});
    CHECK(r.body == "hello /h\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("PROXY 0 pu 127.0.0.1:" + port_text(http.port())) &&
                             Catch::EndsWith("GET " + url(http, "/h") + " HTTP/1.1"));
    // SOCKS clients through an http parent get a CONNECT tunnel.
    CHECK(curl({"--socks5", front.socks(), url(http, "/s")}).body == "hello /s\n");
}

TEST_CASE("parent user * passes the client's own login on") {
    HttpServer http;
    ParentProxyd parent("auth strong\n");
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(parent.socks_port) + " *\n");
    CHECK(curl({"-x", front.proxy(), "-U", "pu:pp", url(http)}).body == "hello /p\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 0 pu "));
}

TEST_CASE("a two-hop chain: socks5 parent, then a CONNECT proxy") {
    HttpServer http;
    ParentProxyd parent;
    ConnectProxy cp;
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(parent.socks_port) +
                "\nparent 1000 connect 127.0.0.1 " + port_text(cp.port()) + "\n");
    CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    // Hop 1 was asked for hop 2, hop 2 for the target.
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 0 - 127.0.0.1:" + port_text(cp.port())));
    auto heads = cp.heads();
    REQUIRE(heads.size() == 1);
    CHECK_THAT(heads[0], Catch::StartsWith("CONNECT 127.0.0.1:" + port_text(http.port())));
}

TEST_CASE("a tcp parent replaces the target") {
    HttpServer http;
    Front front("parent 1000 tcp 127.0.0.1 " + port_text(http.port()) + "\n");
    // The request names a port nothing listens on: the tcp parent is where it goes.
    auto r = curl({"--socks5", front.socks(), "http://127.0.0.1:" + port_text(free_port()) + "/x"});
    CHECK(r.body == "hello /x\n");
}

TEST_CASE("a dead parent: the client gets its protocol's error, the log names the parent") {
    HttpServer http;
    std::uint16_t dead = free_port();
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(dead) + "\n", "parentretries 2\n");
    Client c(front.socks_port);
    REQUIRE(c.send(std::string("\x05\x01\x00", 3)));
    CHECK(c.read(2) == std::string("\x05\x00", 2));
    std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    req.push_back(static_cast<char>(http.port() >> 8));
    req.push_back(static_cast<char>(http.port() & 0xFF));
    REQUIRE(c.send(req));
    auto reply = c.read(10);
    REQUIRE(reply.size() >= 2);
    CHECK(reply[1] == 5);  // connection refused
    auto r = curl({"-x", front.proxy(), url(http)});
    CHECK(r.http_code == "502");
    auto lines = wait_for_lines(front.log, 2);
    REQUIRE(lines.size() == 2);
    for (const auto& l : lines)
        CHECK_THAT(
            l, Catch::Contains(" 33 ") && Catch::Contains("parent 127.0.0.1:" + port_text(dead) +
                                                          " (socks5): Connection refused"));
    CHECK(http.connections() == 0);
}

TEST_CASE("parent socks5: microsocks") {
    const char* binary = "/usr/bin/microsocks";
    if (!std::filesystem::exists(binary)) {
        WARN("SKIPPED: microsocks is not installed (Debian package microsocks)");
        return;
    }
    HttpServer http;
    TempDir dir;
    std::uint16_t port = free_port();
    Process ms({binary, "-i", "127.0.0.1", "-p", port_text(port)}, dir.file("ms.out"),
               dir.file("ms.err"));
    REQUIRE(wait_for_port(port, 5s));
    Front front("parent 1000 socks5 127.0.0.1 " + port_text(port) + "\n");
    CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    CHECK(curl({"-x", front.proxy(), url(http, "/m")}).body == "hello /m\n");
    ms.signal_and_wait(SIGTERM, 2s);
}

TEST_CASE("weighted parents: every draw reaches the target through one of them") {
    HttpServer http;
    ParentProxyd a;
    ParentProxyd b;
    Front front("parent 500 socks5 127.0.0.1 " + port_text(a.socks_port) +
                "\nparent 500 socks5 127.0.0.1 " + port_text(b.socks_port) + "\n");
    for (int i = 0; i < 12; ++i)
        CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    auto la = wait_for_lines(a.log, 12, 1s);
    auto lb = wait_for_lines(b.log, 12, 1s);
    CHECK(la.size() + lb.size() == 12);
}

TEST_CASE("bytes the target sends right behind the parent's reply reach the client") {
    CannedParent parent("HTTP/1.1 200 Connection established\r\n\r\nBANNER\n");
    Front front("parent 1000 connect 127.0.0.1 " + port_text(parent.port()) + "\n");
    SECTION("SOCKS5 client") {
        Client c(front.socks_port);
        REQUIRE(c.send(std::string("\x05\x01\x00", 3)));
        CHECK(c.read(2) == std::string("\x05\x00", 2));
        REQUIRE(c.send(std::string("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x09", 10)));
        auto reply = c.read(10);
        REQUIRE(reply.size() == 10);
        CHECK(reply[1] == 0);
        CHECK(c.read(7) == "BANNER\n");
    }
    SECTION("HTTP CONNECT client") {
        Client c(front.proxy_port);
        REQUIRE(c.send("CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"));
        std::string expected = "HTTP/1.1 200 Connection established\r\n\r\nBANNER\n";
        CHECK(c.read(expected.size()) == expected);
    }
}

TEST_CASE("parentretries: a failed chain is drawn again") {
    HttpServer http;
    ParentProxyd parent;
    std::uint16_t dead = free_port();
    // Each draw picks the dead parent half the time; 20 tries make a failure negligible.
    Front front("parent 500 socks5 127.0.0.1 " + port_text(dead) +
                    "\nparent 500 socks5 127.0.0.1 " + port_text(parent.socks_port) + "\n",
                "parentretries 20\n");
    for (int i = 0; i < 6; ++i)
        CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    auto lines = wait_for_lines(front.log, 6);
    REQUIRE(lines.size() == 6);
    for (const auto& l : lines) CHECK_THAT(l, Catch::Contains("SOCKS5 0 "));
}

TEST_CASE("parent socks5: microsocks with a login") {
    const char* binary = "/usr/bin/microsocks";
    if (!std::filesystem::exists(binary)) {
        WARN("SKIPPED: microsocks is not installed (Debian package microsocks)");
        return;
    }
    HttpServer http;
    TempDir dir;
    std::uint16_t port = free_port();
    Process ms({binary, "-i", "127.0.0.1", "-p", port_text(port), "-u", "mu", "-P", "mp"},
               dir.file("ms.out"), dir.file("ms.err"));
    REQUIRE(wait_for_port(port, 5s));
    SECTION("the right login") {
        Front front("parent 1000 socks5 127.0.0.1 " + port_text(port) + " mu mp\n");
        CHECK(curl({"--socks5", front.socks(), url(http)}).body == "hello /p\n");
    }
    SECTION("no login: the parent wants one") {
        Front front("parent 1000 socks5 127.0.0.1 " + port_text(port) + "\n");
        auto r = curl({"-x", front.proxy(), url(http)});
        CHECK(r.http_code == "502");
        auto lines = wait_for_lines(front.log, 1);
        REQUIRE(lines.size() == 1);
        CHECK_THAT(lines[0], Catch::Contains("(socks5): refused: it wants a login"));
    }
    ms.signal_and_wait(SIGTERM, 2s);
}

TEST_CASE("redirect: an allow entry whose http parent takes the proxy's requests") {
    HttpServer http;
    ParentProxyd parent;
    TempDir dir;
    std::uint16_t port = free_port();
    std::string log = dir.file("front.log");
    Proxyd front(
        dir,
        "log " + log + "\nlogformat \"L%N %E %n:%r %T\"\nauth iponly\nredirect 127.0.0.1 " +
            port_text(parent.proxy_port) + "\nproxy -i127.0.0.1 -p" + port_text(port) + "\n",
        std::vector<std::uint16_t>{port});
    CHECK(curl({"-x", "http://127.0.0.1:" + port_text(port), url(http, "/r")}).body ==
          "hello /r\n");
    auto lines = wait_for_lines(parent.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::EndsWith("GET " + url(http, "/r") + " HTTP/1.1"));
}

TEST_CASE("tcppm through a socks5 parent") {
    HttpServer http;
    ParentProxyd parent;
    TempDir dir;
    std::uint16_t port = free_port();
    Proxyd front(dir,
                 "auth iponly\nallow *\nparent 1000 socks5 127.0.0.1 " +
                     port_text(parent.socks_port) + "\ntcppm -i127.0.0.1 " + port_text(port) +
                     " 127.0.0.1 " + port_text(http.port()) + "\n",
                 std::vector<std::uint16_t>{port});
    CHECK(curl({"http://127.0.0.1:" + port_text(port) + "/m"}).body == "hello /m\n");
    // The front's readiness probe is a tcppm session too, chained through the parent as
    // well: its line may come before or after curl's, or not yet at all.
    std::string via_parent = "SOCKS5 0 - 127.0.0.1:" + port_text(http.port());
    auto logged = [&](const std::vector<std::string>& lines) {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.rfind(via_parent, 0) == 0; });
    };
    bool found = false;
    for (int i = 0; i < 30 && !found; ++i)  // bounded: 30 polls of at most 100 ms
        found = logged(wait_for_lines(parent.log, 2, 100ms));
    CHECK(found);
}

namespace {

// A SOCKS5 parent that takes its time: it reads the greeting and the request, waits
// `delay`, answers success and then echoes what comes, so everything the client sends
// in the meantime waits in proxyd's client socket while its chain is being built.
class SlowSocksParent {
  public:
    explicit SlowSocksParent(std::chrono::milliseconds delay) : delay_(delay) {
        listen_fd_ = listen_on(false, port_);
        acceptor_ = std::thread([this] {
            while (!stop_) {
                int fd = accept_with_stop(listen_fd_, stop_);
                if (fd >= 0) threads_.emplace_back([this, fd] { serve(fd); });
            }
        });
    }
    ~SlowSocksParent() {
        stop_ = true;
        acceptor_.join();
        for (auto& t : threads_) t.join();
        ::close(listen_fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    // Up to n bytes, each wait bounded; fewer when the peer closes or goes quiet.
    static std::string take(int fd, std::size_t n) {
        std::string got;
        char buf[4096];
        while (got.size() < n) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 3000) <= 0) break;
            auto r = ::recv(fd, buf, std::min(sizeof buf, n - got.size()), 0);
            if (r <= 0) break;
            got.append(buf, static_cast<std::size_t>(r));
        }
        return got;
    }
    void serve(int fd) {
        if (take(fd, 3) == std::string("\x05\x01\x00", 3)) {
            ::send(fd, "\x05\x00", 2, MSG_NOSIGNAL);
            if (take(fd, 10).size() == 10) {
                std::this_thread::sleep_for(delay_);
                ::send(fd, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x09", 10, MSG_NOSIGNAL);
                char buf[16384];
                while (!stop_) {
                    pollfd p{fd, POLLIN, 0};
                    if (::poll(&p, 1, 200) < 0) break;
                    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
                    auto n = ::recv(fd, buf, sizeof buf, 0);
                    if (n <= 0) break;
                    ::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
                }
            }
        }
        ::close(fd);
    }
    std::chrono::milliseconds delay_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace

// tcppm reads nothing before its relay starts: what the client sent while the chain was
// being built, and what it sends later, must both come through without another event
// from the client to prompt them.
TEST_CASE("bytes a tcppm client sends while its parent is still answering reach the target") {
    SlowSocksParent parent(300ms);
    TempDir dir;
    std::uint16_t port = free_port();
    Proxyd front(dir,
                 "auth iponly\nallow *\nparent 1000 socks5 127.0.0.1 " + port_text(parent.port()) +
                     "\ntcppm -i127.0.0.1 " + port_text(port) + " 127.0.0.1 9\n",
                 std::vector<std::uint16_t>{port});
    SECTION("a few bytes, then more after their echo") {
        Client c(port);
        REQUIRE(c.connected());
        REQUIRE(c.send("early"));
        CHECK(c.read(5) == "early");
        REQUIRE(c.send("later"));
        CHECK(c.read(5) == "later");
    }
    SECTION("more than one read's worth") {
        Client c(port);
        REQUIRE(c.connected());
        std::string payload(50000, 'e');
        REQUIRE(c.send(payload));
        CHECK(c.read(payload.size()) == payload);
        REQUIRE(c.send("tail"));
        CHECK(c.read(4) == "tail");
    }
    SECTION("nothing until the relay runs") {
        Client c(port);
        REQUIRE(c.connected());
        std::this_thread::sleep_for(500ms);
        REQUIRE(c.send("late"));
        CHECK(c.read(4) == "late");
    }
}

namespace {

// The proxyd under test for re-checks: a socks service whose `allow *` entry has
// `parents`, with force or noforce.
std::string recheck_config(const std::string& log, std::uint16_t port, const std::string& force,
                           const std::string& parents) {
    return "log " + log + "\nlogformat \"L%N %E %U %n:%r %T\"\n" + force +
           "\nauth iponly\nallow *\n" + parents + "socks -i127.0.0.1 -p" + port_text(port) + "\n";
}

nlohmann::json reload_record(const Proxyd& proxyd) {
    auto r = proxyctl(proxyd, "reload", {"--json"});
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.out)["result"];
}

}  // namespace

TEST_CASE("a force reload closes sessions whose parent the new ACL no longer draws") {
    EchoServer echo;
    ParentProxyd a;
    ParentProxyd b;
    TempDir dir;
    std::uint16_t port = free_port();
    std::string log = dir.file("front.log");
    std::string via_a = "parent 1000 socks5 127.0.0.1 " + port_text(a.socks_port) + "\n";
    std::string via_b = "parent 1000 socks5 127.0.0.1 " + port_text(b.socks_port) + "\n";
    Proxyd front(dir, recheck_config(log, port, "force", via_a), std::vector<std::uint16_t>{port});
    Client through_a(port);
    REQUIRE(socks5_connect(through_a, "x", "y", echo.port()));
    REQUIRE((through_a.send("ping") && through_a.read(4) == "ping"));

    // The same parent, rewritten in an equal line: still granted.
    dir.write("proxyd.cfg", recheck_config(log, port, "force", "# same\n" + via_a));
    auto kept = reload_record(front);
    CHECK(kept["sessions"]["closed"] == 0);
    CHECK((through_a.send("pong") && through_a.read(4) == "pong"));

    // Parent a replaced by parent b: the session through a ends, a new one goes through b.
    dir.write("proxyd.cfg", recheck_config(log, port, "force", via_b));
    auto record = reload_record(front);
    REQUIRE(record["sessions"]["closed_sessions"].size() == 1);
    CHECK(record["sessions"]["closed_sessions"][0]["reason"] == "parent chain no longer granted");
    std::string rest;
    CHECK(through_a.read_until_close(rest, 1s));
    Client through_b(port);
    REQUIRE(socks5_connect(through_b, "x", "y", echo.port()));
    CHECK((through_b.send("ping") && through_b.read(4) == "ping"));

    // No parent at all now: the session through b is not what the configuration says.
    dir.write("proxyd.cfg", recheck_config(log, port, "force", ""));
    auto direct = reload_record(front);
    CHECK(direct["sessions"]["closed"] == 1);
    CHECK(through_b.read_until_close(rest, 1s));
}

TEST_CASE("a noforce reload keeps sessions through a parent the ACL no longer draws") {
    EchoServer echo;
    ParentProxyd a;
    TempDir dir;
    std::uint16_t port = free_port();
    std::string log = dir.file("front.log");
    std::string via_a = "parent 1000 socks5 127.0.0.1 " + port_text(a.socks_port) + "\n";
    Proxyd front(dir, recheck_config(log, port, "noforce", via_a),
                 std::vector<std::uint16_t>{port});
    Client client(port);
    REQUIRE(socks5_connect(client, "x", "y", echo.port()));
    dir.write("proxyd.cfg", recheck_config(log, port, "noforce", ""));
    auto record = reload_record(front);
    CHECK(record["sessions"]["closed"] == 0);
    CHECK((client.send("ping") && client.read(4) == "ping"));
}
