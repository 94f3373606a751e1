// maxconn counts the live sessions of a service, whatever generation admitted them: a
// reload that keeps the service keeps its count.
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

std::string config(const std::string& log, std::uint16_t port, const std::string& users) {
    return "log " + log + "\nlogformat \"L%E %e\"\nmaxconn 2\nusers " + users +
           "\nauth iponly\nallow *\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
}

// A client that speaks: the socks listener defers a silent one's accept (and so its
// refusal) for about a second.
bool refused_at_once(std::uint16_t port) {
    Client c(port);
    std::string ignored;
    return c.connected() && c.send(std::string("\x05\x01\x00", 3)) &&
           c.read_until_close(ignored, 1s) && ignored.empty();
}

}  // namespace

TEST_CASE("a reload that keeps a service keeps its maxconn count") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    std::string log = dir.file("access.log");
    Proxyd p(dir, config(log, port, "alice:CL:a"), std::vector<std::uint16_t>{port});
    // The harness's readiness probe may still hold a slot for a moment.
    std::this_thread::sleep_for(200ms);
    Client one(port), two(port);
    REQUIRE(socks5_connect(one, "", "", echo.port()));
    REQUIRE(socks5_connect(two, "", "", echo.port()));

    dir.write("proxyd.cfg", config(log, port, "alice:CL:a bob:CL:b"));
    auto r = proxyctl(p, "reload");
    REQUIRE(r.status == 0);
    auto status = proxyctl(p, "status", {"--json"});
    REQUIRE(nlohmann::json::parse(status.out)["result"]["generation"] == 2);

    // Two sessions of generation 1 still fill the service of generation 2.
    CHECK(refused_at_once(port));
    auto lines = wait_for_lines(log, 1);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back() == "10 maxconn exceeded");

    // One ends: its slot is free for the new generation.
    ::shutdown(one.fd(), SHUT_RDWR);
    wait_for_lines(log, 2);
    Client three(port);
    CHECK(socks5_connect(three, "", "", echo.port()));
}
