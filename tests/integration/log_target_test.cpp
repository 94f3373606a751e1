// A log target that cannot take lines: the loss is reported on stderr (rate-limited, with
// counts), serving goes on, and the recovery is reported too.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

bool echoes(std::uint16_t port, const std::string& text) {
    Client c(port);
    return c.connected() && c.send(text) && c.read(text.size()) == text;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// The stderr of `p` once it contains `what` (or whatever it has after 5 s).
std::string wait_for_stderr(const Proxyd& p, const std::string& what) {
    std::string err;
    for (int i = 0; i < 250; ++i) {
        err = p.stderr_text();
        if (err.find(what) != std::string::npos) break;
        std::this_thread::sleep_for(20ms);
    }
    return err;
}

}  // namespace

TEST_CASE("a full log device is reported on stderr, once per interval, and serving goes on") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd p(dir,
             "log /dev/full\ntcppm -i127.0.0.1 " + std::to_string(port) + " 127.0.0.1 " +
                 std::to_string(echo.port()) + "\n",
             {port});
    for (int i = 0; i < 10; ++i) REQUIRE(echoes(port, "line " + std::to_string(i)));
    auto err = wait_for_stderr(p, "log /dev/full:");
    CHECK_THAT(err, Catch::Contains("proxyd: log /dev/full: cannot write: No space left on device; "
                                    "1 line lost (reported at most every 10 s until it recovers)"));
    // Eleven lines lost (the readiness probe is a session too), not eleven messages.
    CHECK(count(err, "log /dev/full:") <= 2);
    CHECK(echoes(port, "still serving"));
}

TEST_CASE("a log file that cannot be opened is reported, and so is its recovery") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    std::string log = dir.file("logs/access.log");  // the directory does not exist yet
    Proxyd p(dir,
             "log " + log + "\nlogformat \"L%N %E\"\ntcppm -i127.0.0.1 " + std::to_string(port) +
                 " 127.0.0.1 " + std::to_string(echo.port()) + "\n",
             {port});
    REQUIRE(echoes(port, "lost"));
    auto err = wait_for_stderr(p, "log " + log + ":");
    CHECK_THAT(err, Catch::Contains("proxyd: log " + log +
                                    ": cannot open: No such file or directory; 1 line lost"));
    REQUIRE(::mkdir(dir.file("logs").c_str(), 0755) == 0);
    REQUIRE(echoes(port, "kept"));
    err = wait_for_stderr(p, "writing again");
    CHECK_THAT(err, Catch::Contains("proxyd: log " + log + ": writing again; "));
    CHECK_THAT(err, Catch::Contains(" lost in all"));
    // (The line of the first session may come after the directory, too.)
    auto lines = wait_for_lines(log, 1);
    REQUIRE(!lines.empty());
    for (const auto& line : lines) CHECK_THAT(line, Catch::StartsWith("TCPPM "));
}
