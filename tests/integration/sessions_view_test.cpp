// What `proxyctl sessions` shows of live sessions: short ids, bytes in and out as the
// access log counts them, the --service filter's forms, and IPv6 addresses in brackets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct SessionsSetup {
    TempDir dir;
    HttpServer http;
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    SessionsSetup() {
        proxyd.emplace(dir,
                       "log " + log + "\nlogformat \"L%N %C:%c %I %O\"\nauth iponly\nallow *\n" +
                           "socks -p" + std::to_string(port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{port});
    }
    json sessions(std::vector<std::string> args = {}) {
        args.push_back("--json");
        auto r = proxyctl(*proxyd, "sessions", args);
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"]["sessions"];
    }
};

// One HTTP exchange on a SOCKS5 session kept open: `request` goes up, the answer comes back.
std::string exchange(Client& c, const std::string& request) {
    REQUIRE(c.send(request));
    std::string answer = c.read(200, 1s);  // the answer is shorter: read until the wait ends
    REQUIRE_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
    return answer;
}

// A TCP connection from ::1 to [::1]:port; -1 when the host has no IPv6 loopback.
int connect_v6(std::uint16_t port) {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool v6_loopback() {
    std::uint16_t port = 0;
    int fd = listen_on(true, port);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

}  // namespace

TEST_CASE("session ids are a small count from 1, shared by the workers") {
    SessionsSetup s;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(std::make_unique<Client>(s.port));
        REQUIRE(socks5_connect(*clients.back(), "", "", s.http.port()));
    }
    json list = s.sessions();
    REQUIRE(list.size() == 6);
    std::vector<std::uint64_t> ids;
    for (const auto& x : list) ids.push_back(x["id"].get<std::uint64_t>());
    // Distinct across both workers, and small: the harness's readiness probe took an id
    // or two, nothing else did.
    CHECK(ids.front() >= 1);
    CHECK(ids.back() <= 20);
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    auto k = proxyctl(*s.proxyd, "kill", {std::to_string(ids[2])});
    CHECK(k.status == 0);
    CHECK_THAT(k.out, Catch::Contains("killed " + std::to_string(ids[2])));
    CHECK(s.sessions().size() == 5);
}

TEST_CASE("IN is what the server sent and OUT what the client sent, as %I and %O log them") {
    SessionsSetup s;
    Client c(s.port);
    REQUIRE(socks5_connect(c, "", "", s.http.port()));
    const std::string request =
        "GET /a-rather-long-path-to-tell-the-directions-apart HTTP/1.1\r\n"
        "Host: x\r\n\r\n";
    std::string answer = exchange(c, request);
    REQUIRE(answer.size() != request.size());
    json list = s.sessions();
    REQUIRE(list.size() == 1);
    CHECK(list[0]["bytes_out"] == request.size());  // from the client
    CHECK(list[0]["bytes_in"] == answer.size());    // from the server
    auto table = proxyctl(*s.proxyd, "sessions");
    REQUIRE(table.status == 0);
    CHECK_THAT(table.out, Catch::Contains(" IN ") && Catch::Contains(" OUT "));
    auto help = proxyctl(*s.proxyd, "sessions", {"--help"});
    CHECK_THAT(help.out, Catch::Contains("IN is bytes from the server to the client"));
    ::shutdown(c.fd(), SHUT_RDWR);
    auto lines = wait_for_lines(s.log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::EndsWith(" " + std::to_string(answer.size()) + " " +
                                         std::to_string(request.size())));
}

TEST_CASE("sessions --service takes the label or TYPE:PORT and refuses a service that is not") {
    SessionsSetup s;
    Client c(s.port);
    REQUIRE(socks5_connect(c, "", "", s.http.port()));
    std::string port = std::to_string(s.port);
    CHECK(s.sessions({"--service", "socks:127.0.0.1:" + port}).size() == 1);
    CHECK(s.sessions({"--service", "socks:" + port}).size() == 1);  // as proxyctl(1) shows it

    auto unknown = proxyctl(*s.proxyd, "sessions", {"--service", "socks:1"});
    CHECK(unknown.status == 1);
    CHECK_THAT(unknown.err, Catch::Contains("no service 'socks:1'") &&
                                Catch::Contains("socks:127.0.0.1:" + port));
    CHECK(unknown.out.empty());

    // A service that runs but has no sessions now is not a mistake.
    ::shutdown(c.fd(), SHUT_RDWR);
    wait_for_lines(s.log, 1);
    auto none = proxyctl(*s.proxyd, "sessions", {"--service", "socks:" + port});
    CHECK(none.status == 0);
    CHECK(none.out == "no sessions\n");
}

TEST_CASE("an IPv6 client and service are written with brackets around the address") {
    if (!v6_loopback()) {
        WARN("no IPv6 loopback here; skipped");
        return;
    }
    TempDir dir;
    HttpServer http;
    std::uint16_t v4 = free_port(), v6 = free_port();
    std::string log = dir.file("access.log");
    // The harness waits on the IPv4 port; every listener is bound before any serves.
    Proxyd p(dir,
             "log " + log + "\nlogformat \"L%N %C:%c %n:%r\"\nauth iponly\nallow *\nsocks -p" +
                 std::to_string(v4) + " -i127.0.0.1\nsocks -p" + std::to_string(v6) + " -i::1\n",
             std::vector<std::uint16_t>{v4});
    int fd = connect_v6(v6);
    REQUIRE(fd >= 0);
    std::string hp = std::to_string(http.port());
    std::string greeting("\x05\x01\x00", 3);
    std::string request("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    request += static_cast<char>(http.port() >> 8);
    request += static_cast<char>(http.port() & 0xff);
    REQUIRE(::send(fd, greeting.data(), greeting.size(), MSG_NOSIGNAL) == 3);
    char buf[16];
    REQUIRE(::recv(fd, buf, 2, MSG_WAITALL) == 2);
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == 10);
    REQUIRE(::recv(fd, buf, 10, MSG_WAITALL) == 10);
    REQUIRE(buf[1] == 0);

    std::string label = "socks:[::1]:" + std::to_string(v6);
    auto r = proxyctl(p, "sessions", {"--json"});
    REQUIRE(r.status == 0);
    json list = json::parse(r.out)["result"]["sessions"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["service"] == label);
    CHECK_THAT(list[0]["client"].get<std::string>(), Catch::StartsWith("[::1]:"));
    for (const std::string& form :
         {label, "socks:" + std::to_string(v6), "socks:::1:" + std::to_string(v6)}) {
        auto f = proxyctl(p, "sessions", {"--service", form, "--json"});
        CHECK(f.status == 0);
        CHECK(json::parse(f.out)["result"]["sessions"].size() == 1);
    }
    auto show = proxyctl(p, "status");
    CHECK_THAT(show.out + show.err, Catch::Contains(label));
    ::close(fd);
    auto lines = wait_for_lines(log, 1);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("SOCKS5 [::1]:"));
    CHECK_THAT(lines[0], Catch::EndsWith(" 127.0.0.1:" + hp));
}
