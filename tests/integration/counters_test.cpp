// Traffic counters and quotas with real clients: a quota stopping a running download at
// its limit and refusing the next connection, a spent counter closing the other sessions
// it counts, counts surviving a restart and a reload, a lowered quota closing force
// sessions at the reload, and both directions counted.
#include <csignal>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bulk_server.hpp"
#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

constexpr std::uint64_t mib = 1024 * 1024;

struct CounterSetup {
    TempDir dir;
    BulkServer bulk;
    std::uint16_t port = free_port();
    std::uint16_t lenient_port = free_port();  // a noforce service under the same counters
    std::optional<Proxyd> proxyd;

    explicit CounterSetup(int quota_mib = 1) { start(quota_mib); }
    void start(int quota_mib) {
        proxyd.emplace(dir, config(quota_mib), std::vector<std::uint16_t>{port, lenient_port});
    }
    std::string config(int quota_mib) const {
        return "log " + dir.file("access.log") +
               "\n"
               "users alice:CL:pw bob:CL:pw\nauth strong\n"
               "counter " +
               dir.file("traffic.counters") +
               "\n"
               "countin 1/alice D " +
               std::to_string(quota_mib) +
               " alice\n"
               "allow *\nsocks -p" +
               std::to_string(port) +
               " -i127.0.0.1\n"
               "noforce\nsocks -p" +
               std::to_string(lenient_port) + " -i127.0.0.1\n";
    }
    // The status reply's counters.
    json counters() {
        auto r = proxyctl(*proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"]["counters"];
    }
    std::uint64_t alice_bytes() {
        auto c = counters();
        REQUIRE(c.size() == 1);
        return c[0]["bytes"].get<std::uint64_t>();
    }
    void reload(int quota_mib, json* record = nullptr) {
        std::ofstream(proxyd->config_path) << config(quota_mib);
        auto r = proxyctl(*proxyd, "reload", {"--json"});
        REQUIRE(r.status == 0);
        if (record) *record = json::parse(r.out)["result"];
    }
};

// A session of `user` to an echo server that nobody talks to: it moves no byte.
bool open_idle(Client& client, const std::string& user, const EchoServer& echo) {
    return socks5_connect(client, user, "pw", echo.port());
}

}  // namespace

TEST_CASE("a countin quota stops a running download at its limit and refuses the next one") {
    CounterSetup s;
    auto d = download(s.port, "alice", s.bulk.url(3 * mib));
    INFO("curl exit " << d.status << ", " << d.bytes << " bytes");
    CHECK(d.status != 0);  // cut short
    // The counter counts what reached the client: the HTTP head and the body up to 1 MiB.
    CHECK(d.bytes <= static_cast<double>(mib));
    CHECK(d.bytes >= static_cast<double>(mib) - 512);
    CHECK(s.alice_bytes() == mib);

    Client again(s.port);
    CHECK_FALSE(socks5_connect(again, "alice", "pw", s.bulk.port()));
    // Another user is not held to alice's quota.
    auto b = download(s.port, "bob", s.bulk.url(2 * mib));
    CHECK(b.status == 0);
    CHECK(b.bytes == 2 * mib);

    auto lines = wait_for_lines(s.dir.file("access.log"), 3);
    std::size_t quota_lines = 0;
    for (const auto& l : lines)
        if (l.find(" 10 alice ") != std::string::npos &&
            l.find("traffic quota exceeded") != std::string::npos)
            ++quota_lines;
    INFO(read_file(s.dir.file("access.log")));
    CHECK(quota_lines == 2);  // the download cut short and the connection refused
}

TEST_CASE("a spent counter closes the other sessions it counts, idle or not") {
    CounterSetup s;
    EchoServer echo;
    Client idle(s.port);
    REQUIRE(open_idle(idle, "alice", echo));
    Client other(s.port);
    REQUIRE(socks5_connect(other, "bob", "pw", s.bulk.port()));
    REQUIRE(other.send("STREAM\n"));
    // Another session of the same user spends the quota while this one says nothing.
    auto d = download(s.port, "alice", s.bulk.url(3 * mib));
    CHECK(d.status != 0);
    std::string rest;
    auto t0 = std::chrono::steady_clock::now();
    CHECK(idle.read_until_close(rest, 4s));
    INFO("closed after " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                         << " s");
    // bob's stream goes on.
    CHECK(other.read(64 * 1024, 2s).size() == 64 * 1024);
}

TEST_CASE("a traffic count survives a restart of proxyd") {
    CounterSetup s;
    auto d = download(s.port, "alice", s.bulk.url(300'000));
    REQUIRE(d.status == 0);
    auto before = s.alice_bytes();
    CHECK(before > 300'000);
    // SIGTERM: the count is written on the way out.
    REQUIRE(s.proxyd->process().signal_and_wait(SIGTERM, 5s).has_value());
    auto file = read_file(s.dir.file("traffic.counters"));
    INFO(file);
    CHECK(file.rfind("# ", 0) == 0);
    CHECK(file.find("\nproxyd-counters 1\n") != std::string::npos);
    CHECK(file.find(std::to_string(before) + " ") != std::string::npos);
    CHECK(file.find(" in 1 daily alice\n") != std::string::npos);

    s.start(1);
    CHECK(s.alice_bytes() == before);
    // The quota goes on from there: the next download gets only what is left of it.
    auto rest = download(s.port, "alice", s.bulk.url(3 * mib));
    CHECK(rest.status != 0);
    CHECK(s.alice_bytes() == mib);
    CHECK(rest.bytes <= static_cast<double>(mib - before));
}

TEST_CASE("a reload keeps the count and a lowered quota closes force sessions only") {
    CounterSetup s(2);
    EchoServer echo;
    auto d = download(s.port, "alice", s.bulk.url(1'500'000));
    REQUIRE(d.status == 0);
    auto count = s.alice_bytes();
    Client forced(s.port);
    REQUIRE(open_idle(forced, "alice", echo));
    Client lenient(s.lenient_port);
    REQUIRE(open_idle(lenient, "alice", echo));

    // diff says what the reload would do before it happens.
    std::ofstream(s.proxyd->config_path) << s.config(1);
    auto diff = proxyctl(*s.proxyd, "diff", {"--json"});
    REQUIRE(diff.status == 1);
    auto dj = json::parse(diff.out)["result"];
    bool limit_change = false;
    for (const auto& c : dj["changes"])
        if (c["area"] == "counter" && c["kind"] == "changed" &&
            c["before"].get<std::string>().find("2 MiB") != std::string::npos &&
            c["after"].get<std::string>().find("1 MiB") != std::string::npos)
            limit_change = true;
    INFO(diff.out);
    CHECK(limit_change);
    REQUIRE(dj["impact"].size() == 1);
    CHECK(dj["impact"][0]["reason"] == "traffic quota exceeded");
    CHECK(dj["impact"][0]["user"] == "alice");

    json record;
    s.reload(1, &record);
    INFO(record.dump());
    CHECK(record["sessions"]["closed"] == 1);
    std::string rest;
    CHECK(forced.read_until_close(rest, 3s));
    // noforce: what is open stays open, as for every other reload effect.
    REQUIRE(lenient.send("x"));
    CHECK(lenient.read(1, 1s) == "x");
    CHECK(s.alice_bytes() >= count);
    // New connections meet the new quota.
    Client again(s.port);
    CHECK_FALSE(socks5_connect(again, "alice", "pw", s.bulk.port()));
}

TEST_CASE("countin and countout count their own direction") {
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    Proxyd proxyd(dir,
                  "users alice:CL:pw\nauth strong\n"
                  "countin 0/down D 100 alice\ncountout 0/up D 100 alice\n"
                  "countall 0/both D 100 alice\nnocountall bob\ncountin 0/nobody D 100 bob\n"
                  "allow *\nsocks -p" +
                      std::to_string(port) + " -i127.0.0.1\n",
                  {port});
    {
        Client c(port);
        REQUIRE(socks5_connect(c, "alice", "pw", echo.port()));
        std::string payload(100'000, 'u');
        REQUIRE(c.send(payload));
        CHECK(c.read(payload.size(), 3s).size() == payload.size());
    }
    // The counts move as bytes move; the session's end is not needed.
    json counters;
    for (int i = 0; i < 50; ++i) {
        auto r = proxyctl(proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        counters = json::parse(r.out)["result"]["counters"];
        if (counters.size() == 4 && counters[2]["bytes"] == 200'000) break;
        std::this_thread::sleep_for(50ms);
    }
    INFO(counters.dump());
    REQUIRE(counters.size() == 4);
    CHECK(counters[0]["kind"] == "in");
    CHECK(counters[0]["comment"] == "down");
    CHECK(counters[0]["bytes"] == 100'000);
    CHECK(counters[1]["kind"] == "out");
    CHECK(counters[1]["bytes"] == 100'000);
    CHECK(counters[2]["kind"] == "all");
    CHECK(counters[2]["bytes"] == 200'000);
    CHECK(counters[2]["limit_bytes"] == 100 * mib);
    CHECK(counters[3]["bytes"] == 0);
    CHECK(counters[0]["source"]["line"] == 3);

    auto text = proxyctl(proxyd, "status");
    CHECK(text.out.find("counters (no counter file") != std::string::npos);
    CHECK(text.out.find("  all  0/both  daily  195 KiB of 100 MiB (0%)") != std::string::npos);
}

TEST_CASE("requests the HTTP proxy forwards itself are counted and refused over quota") {
    TempDir dir;
    BulkServer bulk;
    auto port = free_port();
    Proxyd proxyd(dir,
                  "users alice:CL:pw\nauth strong\ncountin 0 D 1 alice\nallow *\nproxy -p" +
                      std::to_string(port) + " -i127.0.0.1\n",
                  {port});
    auto get = [&](std::size_t bytes) {
        return curl({"-o", "/dev/null", "-x", "http://127.0.0.1:" + std::to_string(port),
                     "--proxy-user", "alice:pw", bulk.url(bytes)});
    };
    auto first = get(700'000);
    CHECK(first.http_code == "200");
    // Admitted with 300 kB left: the quota runs out on the way, and the stream stops.
    auto second = get(700'000);
    CHECK(second.status != 0);
    auto status = proxyctl(proxyd, "status", {"--json"});
    auto counters = json::parse(status.out)["result"]["counters"];
    REQUIRE(counters.size() == 1);
    CHECK(counters[0]["bytes"] == mib);  // to the byte
    auto third = get(1000);
    INFO("second " << second.http_code << " third " << third.http_code);
    CHECK(third.http_code == "403");
}
