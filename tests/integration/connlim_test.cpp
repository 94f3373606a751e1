// connlim / noconnlim with real clients: concurrent and rate budgets shared by every
// worker and every service, the protocol's refusal and log code, the noconnlim exception,
// and counts that survive a reload which keeps the limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct LimitSetup {
    TempDir dir;
    EchoServer echo;
    HttpServer http;
    std::uint16_t port = free_port();
    std::uint16_t http_port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit LimitSetup(const std::string& limits) {
        proxyd.emplace(dir, config(limits), std::vector<std::uint16_t>{port, http_port});
    }
    std::string config(const std::string& limits, const std::string& users = "") const {
        return "log " + log + "\nlogformat \"L%E %C:%c %r %e\"\n" + users + limits +
               "\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\nproxy -p" +
               std::to_string(http_port) + " -i127.0.0.1\n";
    }
    // A SOCKS5 session to the echo server with no authentication: the reply code (0 when
    // admitted, -1 when there was none), the session kept open in `out`.
    int open(std::unique_ptr<Client>& out, const std::string& source = {}) {
        out = std::make_unique<Client>(port, source);
        if (!out->connected() || !out->send(std::string("\x05\x01\x00", 3))) return -1;
        if (out->read(2) != std::string("\x05\x00", 2)) return -1;
        std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
        req += static_cast<char>(echo.port() >> 8);
        req += static_cast<char>(echo.port() & 0xff);
        if (!out->send(req)) return -1;
        std::string reply = out->read(10);
        if (reply.size() != 10) return -1;
        return static_cast<unsigned char>(reply[1]);
    }
    std::unique_ptr<Client> held(const std::string& source = {}) {
        std::unique_ptr<Client> c;
        REQUIRE(open(c, source) == 0);
        REQUIRE(c->send("hi"));
        REQUIRE(c->read(2) == "hi");
        return c;
    }
    int refused_code(const std::string& source = {}) {
        std::unique_ptr<Client> c;
        return open(c, source);
    }
    // Closes `c` and waits for its session's log line: proxyd gives the count back before
    // it writes the line.
    void close(std::unique_ptr<Client>& c) {
        sockaddr_in local{};
        socklen_t len = sizeof local;
        REQUIRE(::getsockname(c->fd(), reinterpret_cast<sockaddr*>(&local), &len) == 0);
        char address[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &local.sin_addr, address, sizeof address);
        std::string mine =
            "0 " + std::string(address) + ":" + std::to_string(ntohs(local.sin_port)) + " ";
        c.reset();
        auto logged = [&] {
            auto all = wait_for_lines(log, 0, 0ms);
            return std::any_of(all.begin(), all.end(),
                               [&](const std::string& l) { return l.rfind(mine, 0) == 0; });
        };
        for (int i = 0; i < 150 && !logged(); ++i) std::this_thread::sleep_for(20ms);
        REQUIRE(logged());
    }
    std::size_t count_lines_with(const std::string& text) const {
        std::size_t n = 0;
        for (const auto& l : wait_for_lines(log, 0, 0ms))
            if (l.find(text) != std::string::npos) ++n;
        return n;
    }
    // The number of lines with `text` once it reaches `want` (or after 3 s): a refused
    // session logs when its client has gone.
    std::size_t wait_for_count(const std::string& text, std::size_t want) const {
        for (int i = 0; i < 150 && count_lines_with(text) < want; ++i)
            std::this_thread::sleep_for(20ms);
        return count_lines_with(text);
    }
};

const std::string refusal = "connection limit reached (connlim)";

}  // namespace

TEST_CASE("connlim PERIOD 0 refuses the connection over the limit until one closes") {
    LimitSetup s("connlim 2 0 *");
    auto a = s.held();
    auto b = s.held();
    CHECK(s.refused_code() == 2);  // SOCKS5: not allowed by ruleset, as 3proxy answers
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("10 127.0.0.1:", 0) == 0);
    CHECK(lines[0].find(" " + std::to_string(s.echo.port()) + " " + refusal) != std::string::npos);
    s.close(a);
    auto c = s.held();  // a's slot
    CHECK(s.refused_code() == 2);
    s.close(b);
    s.close(c);
    auto d = s.held();
    auto e = s.held();
    CHECK(s.refused_code() == 2);
    CHECK(s.wait_for_count(refusal, 3) == 3);
}

TEST_CASE("connlim counts once for every worker and every service") {
    LimitSetup s("connlim 3 0 *");
    auto a = s.held();
    auto b = s.held();
    auto c = s.held();
    // Two workers take connections by the kernel's choice: a count per worker would
    // admit about half of these.
    for (int i = 0; i < 8; ++i) CHECK(s.refused_code() == 2);
    // The HTTP service draws on the same budget: 3proxy's 503.
    auto r = curl({"-x", "127.0.0.1:" + std::to_string(s.http_port),
                   "http://127.0.0.1:" + std::to_string(s.http.port()) + "/x"});
    CHECK(r.http_code == "503");
    s.close(a);
    auto g = curl({"-x", "127.0.0.1:" + std::to_string(s.http_port),
                   "http://127.0.0.1:" + std::to_string(s.http.port()) + "/y"});
    CHECK(g.body == "hello /y\n");
    CHECK(s.wait_for_count(refusal, 9) == 9);
}

TEST_CASE("a connlim rate limit refuses the connection over the rate within its period") {
    LimitSetup s("connlim 2 60 *");
    auto a = s.held();
    s.close(a);
    auto b = s.held();
    s.close(b);
    // Both closed, but two connections already came within the minute.
    CHECK(s.refused_code() == 2);
    CHECK(s.refused_code() == 2);
    CHECK(s.wait_for_count(refusal, 2) == 2);
}

TEST_CASE("noconnlim exempts the clients it matches from the limits below it") {
    LimitSetup s("noconnlim * 127.0.0.5\nconnlim 1 0 *");
    auto a = s.held();
    CHECK(s.refused_code() == 2);
    // 127.0.0.5 is exempt: it is neither limited nor counted.
    auto x = s.held("127.0.0.5");
    auto y = s.held("127.0.0.5");
    CHECK(s.refused_code() == 2);
    s.close(x);
    s.close(y);
    CHECK(s.refused_code() == 2);
    s.close(a);
    auto b = s.held();
    CHECK(s.wait_for_count(refusal, 3) == 3);
}

TEST_CASE("a reload that keeps the connlim keeps the count of live sessions") {
    LimitSetup s("connlim 2 0 *");
    auto a = s.held();
    auto b = s.held();
    // Generation 2: the same limit, another file (a new user, a changed rate).
    s.dir.write("proxyd.cfg", s.config("connlim 2 0 *", "users carol:CL:c\n"));
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(json::parse(r.out)["ok"] == true);
    CHECK(s.refused_code() == 2);
    // a was admitted under generation 1 and gives its count back under generation 2.
    s.close(a);
    auto c = s.held();
    CHECK(s.refused_code() == 2);
    // Raising the rate keeps the count too: one more fits, not three.
    s.dir.write("proxyd.cfg", s.config("connlim 3 0 *"));
    r = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(json::parse(r.out)["ok"] == true);
    auto d = s.held();
    CHECK(s.refused_code() == 2);
    CHECK(s.wait_for_count(refusal, 3) == 3);
}

TEST_CASE("tcppm closes a connection over the connlim without a byte") {
    TempDir dir;
    EchoServer echo;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    // Limited by source so that the harness's own probe (from 127.0.0.1) stays out of it.
    Proxyd proxyd(dir,
                  "log " + log + "\nlogformat \"L%E %C %e\"\nconnlim 1 0 * 127.0.0.7\nallow *\n" +
                      "tcppm -i127.0.0.1 " + std::to_string(port) + " 127.0.0.1 " +
                      std::to_string(echo.port()) + "\n",
                  {port});
    Client a(port, "127.0.0.7");
    REQUIRE(a.send("hi"));
    REQUIRE(a.read(2) == "hi");
    Client b(port, "127.0.0.7");
    std::string got;
    CHECK(b.read_until_close(got));
    CHECK(got.empty());
    // Another source is not limited.
    Client c(port, "127.0.0.8");
    REQUIRE(c.send("hi"));
    CHECK(c.read(2) == "hi");
    bool refused = false;
    for (int i = 0; i < 150 && !refused; ++i) {
        for (const auto& l : wait_for_lines(log, 0, 0ms))
            if (l == "10 127.0.0.7 connection limit reached (connlim)") refused = true;
        if (!refused) std::this_thread::sleep_for(20ms);
    }
    CHECK(refused);
}
