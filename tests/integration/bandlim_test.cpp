// Bandwidth limits with real clients: curl downloads held to bandlimin's rate, two
// sessions of one limit sharing it, an exception leaving a user unlimited, and a reload
// that lowers the rate slowing a transfer already running.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <vector>

#include "bulk_server.hpp"
#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

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
    // diff tells which open session the reload slows, before it happens.
    auto diff = proxyctl(*s.proxyd, "diff", {"--json"});
    REQUIRE(diff.status == 1);
    auto rates = json::parse(diff.out)["result"]["rate_changes"];
    INFO(diff.out);
    REQUIRE(rates.size() == 1);
    CHECK(rates[0]["user"] == "alice");
    CHECK(rates[0]["to_client_bps"]["before"] == 8000000);
    CHECK(rates[0]["to_client_bps"]["after"] == 2000000);
    CHECK(rates[0]["to_server_bps"]["after"].is_null());
    auto text = proxyctl(*s.proxyd, "diff");
    CHECK(text.out.find("to client 8000000 bit/s -> 2000000 bit/s") != std::string::npos);
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
