// Listening ports belong to one proxyd: its workers share them, no other process can
// bind them, and a reload hands a port from one service to another without closing it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

std::string tcppm(std::uint16_t port, std::uint16_t target) {
    return "tcppm -i127.0.0.1 " + std::to_string(port) + " 127.0.0.1 " + std::to_string(target) +
           "\n";
}

bool echoes(std::uint16_t port, const std::string& text) {
    Client c(port);
    return c.connected() && c.send(text) && c.read(text.size()) == text;
}

// A plain listening socket on 127.0.0.1 that some other program holds.
class Squatter {
  public:
    Squatter() {
        fd_ = listen_on(false, port_);
        if (fd_ < 0) throw std::runtime_error("cannot listen");
    }
    ~Squatter() { ::close(fd_); }
    Squatter(const Squatter&) = delete;
    Squatter& operator=(const Squatter&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Starts a proxyd that is expected to refuse to start; its exit status and stderr.
RunResult start_refused(const TempDir& dir, const std::string& config) {
    auto path = dir.write("proxyd.cfg", config);
    Process p({PROXYD_BINARY, "--workers", "2", "--control", dir.file("control.sock"), path},
              dir.file("proxyd.out"), dir.file("proxyd.err"));
    auto status = p.wait(10s);
    if (!status) p.signal_and_wait(SIGKILL, 5s);
    return {status.value_or(-999), read_file(dir.file("proxyd.out")),
            read_file(dir.file("proxyd.err"))};
}

}  // namespace

TEST_CASE("a second proxyd on a port the first serves refuses to start; the first goes on") {
    TempDir dir_a, dir_b;
    EchoServer echo;
    auto port = free_port();
    Proxyd a(dir_a, tcppm(port, echo.port()), {port});
    REQUIRE(echoes(port, "before"));

    // Another configuration on the same port: a socks service this time.
    auto b = start_refused(dir_b, "socks -p" + std::to_string(port) + " -i127.0.0.1\n");
    CHECK(b.status == 1);
    CHECK_THAT(b.err, Catch::Contains("cannot listen for socks:127.0.0.1:" + std::to_string(port) +
                                      ": Address already in use (another process listens on "
                                      "127.0.0.1:" +
                                      std::to_string(port) + ")"));
    // Every connection still reaches the first proxyd, none the would-be second one.
    for (int i = 0; i < 20; ++i) REQUIRE(echoes(port, "after " + std::to_string(i)));
    CHECK(!a.process().wait(0ms));
}

TEST_CASE("a reload onto a port another process listens on is refused with PX311") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir, tcppm(port, echo.port()), {port});
    Squatter other;
    dir.write("proxyd.cfg", tcppm(port, echo.port()) + tcppm(other.port(), echo.port()));
    auto r = proxyctl(p, "reload", {"--json"});
    INFO(r.out << r.err);
    CHECK(r.status == 1);
    json error = json::parse(r.out).at("error");
    CHECK(error["code"] == "reload_failed");
    REQUIRE(error["diagnostics"].size() == 1);
    CHECK(error["diagnostics"][0]["code"] == "PX311");
    CHECK(error["diagnostics"][0]["message"] ==
          "cannot listen for tcppm:127.0.0.1:" + std::to_string(other.port()) +
              ": Address already in use (another process listens on 127.0.0.1:" +
              std::to_string(other.port()) + ")");
    auto status = json::parse(proxyctl(p, "status", {"--json"}).out)["result"];
    CHECK(status["generation"] == 1);
    CHECK(status["last_reload"]["result"] == "failed");
    CHECK(echoes(port, "still"));
}

TEST_CASE("a reload onto a port another proxyd serves is refused with PX311") {
    TempDir dir_a, dir_b;
    EchoServer echo;
    auto port_a = free_port(), port_b = free_port();
    Proxyd b(dir_b, tcppm(port_b, echo.port()), {port_b});
    Proxyd a(dir_a, tcppm(port_a, echo.port()), {port_a});
    dir_a.write("proxyd.cfg", tcppm(port_a, echo.port()) + tcppm(port_b, echo.port()));
    auto r = proxyctl(a, "reload", {"--json"});
    INFO(r.out << r.err);
    CHECK(r.status == 1);
    json error = json::parse(r.out).at("error");
    REQUIRE(error["diagnostics"].size() == 1);
    CHECK(error["diagnostics"][0]["code"] == "PX311");
    CHECK_THAT(error["diagnostics"][0]["message"].get<std::string>(),
               Catch::Contains("another process listens on 127.0.0.1:" + std::to_string(port_b)));
    CHECK(json::parse(proxyctl(a, "status", {"--json"}).out)["result"]["generation"] == 1);
    CHECK(echoes(port_a, "a"));
    CHECK(echoes(port_b, "b"));
}

TEST_CASE("a reload hands a port to a service of another type, and back, without closing it") {
    TempDir dir;
    EchoServer echo;
    HttpServer http;
    auto port = free_port();
    auto ps = std::to_string(port);
    Proxyd p(dir, tcppm(port, echo.port()), {port});
    REQUIRE(echoes(port, "tcppm"));

    dir.write("proxyd.cfg", "auth iponly\nallow *\nproxy -p" + ps + " -i127.0.0.1\n");
    auto r = proxyctl(p, "reload", {"--json"});
    REQUIRE(r.status == 0);
    json record = json::parse(r.out)["result"];
    CHECK(record["result"] == "ok");
    // Counted by service type, address and port: the tcppm listener closed, the proxy one
    // opened, on the socket the port already had.
    CHECK(record["listeners"] == json{{"kept", 0}, {"opened", 1}, {"closed", 1}});
    auto c = curl({"--proxy", "http://127.0.0.1:" + ps,
                   "http://127.0.0.1:" + std::to_string(http.port()) + "/moved"});
    CHECK(c.http_code == "200");
    CHECK(c.body == "hello /moved\n");

    dir.write("proxyd.cfg", tcppm(port, echo.port()));
    r = proxyctl(p, "reload", {"--json"});
    REQUIRE(r.status == 0);
    CHECK(json::parse(r.out)["result"]["generation"] == 3);
    CHECK(echoes(port, "tcppm again"));
}

TEST_CASE("without --workers proxyd runs one worker per CPU it may run on") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    auto config = dir.write("proxyd.cfg", tcppm(port, echo.port()));
    // taskset leaves one CPU of the machine's: proxyd counts the CPUs it may use, as
    // nproc does, not the cores the machine has.
    Process pinned(
        {"/usr/bin/taskset", "-c", "0", PROXYD_BINARY, "--control", dir.file("c.sock"), config},
        dir.file("out"), dir.file("err"));
    REQUIRE(wait_for_port(port, 5s));
    CHECK(echoes(port, "pinned"));
    bool logged = false;
    for (int i = 0; i < 100 && !logged; ++i) {
        logged = read_file(dir.file("err")).find(" with 1 worker\n") != std::string::npos;
        if (!logged) std::this_thread::sleep_for(20ms);
    }
    CHECK(logged);
    CHECK(pinned.signal_and_wait(SIGTERM, 5s) == 0);
}
