// Reloads that would take service away: an emptied or truncated file, a file caught
// while it is being written, and the explicit confirmation that applies a real removal.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct TwoServices {
    TempDir dir;
    EchoServer echo;
    std::uint16_t first = free_port();
    std::uint16_t second = free_port();
    std::optional<Proxyd> proxyd;

    TwoServices() { proxyd.emplace(dir, config(true), std::vector<std::uint16_t>{first, second}); }
    std::string config(bool with_second) const {
        std::string text = "users alice:CL:apw\nauth strong\nallow alice\nsocks -p" +
                           std::to_string(first) + " -i127.0.0.1\n";
        if (with_second) text += "socks -p" + std::to_string(second) + " -i127.0.0.1\n";
        return text;
    }
    std::unique_ptr<Client> session(std::uint16_t port) {
        auto c = std::make_unique<Client>(port);
        REQUIRE(socks5_connect(*c, "alice", "apw", echo.port()));
        REQUIRE(c->send("hi"));
        REQUIRE(c->read(2) == "hi");
        return c;
    }
    json status() {
        auto r = proxyctl(*proxyd, "status", {"--json"});
        REQUIRE(r.status == 0);
        return json::parse(r.out)["result"];
    }
};

bool relays(Client& c) {
    return c.send("ping") && c.read(4) == "ping";
}

bool accepts(std::uint16_t port) {
    Client c(port);
    return c.connected();
}

}  // namespace

TEST_CASE("an emptied configuration is refused on every trigger and no session is lost") {
    TwoServices s;
    auto a = s.session(s.first);
    auto b = s.session(s.second);
    s.dir.write("proxyd.cfg", "");
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out + r.err, Catch::Contains("PX312"));
    // Each signal in turn (two pending at once are taken in signal-number order).
    json st;
    for (auto [sig, trigger] : {std::pair{SIGUSR1, "usr1"}, std::pair{SIGHUP, "hup"}}) {
        s.proxyd->process().signal_and_wait(sig, 0ms);
        for (int i = 0; i < 100; ++i) {
            st = s.status();
            if (st["last_reload"].value("trigger", "") == trigger) break;
            std::this_thread::sleep_for(20ms);
        }
        CHECK(st["last_reload"]["trigger"] == trigger);
        CHECK(st["last_reload"]["result"] == "failed");
    }
    CHECK(st["generation"] == 1);
    CHECK(relays(*a));
    CHECK(relays(*b));
    CHECK(accepts(s.first));
    CHECK(accepts(s.second));
}

TEST_CASE("a file cut before a service in use is refused; --allow-drop applies it") {
    TwoServices s;
    auto a = s.session(s.first);
    auto b = s.session(s.second);
    s.dir.write("proxyd.cfg", s.config(false));
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out + r.err, Catch::Contains("PX313"));
    CHECK_THAT(r.out + r.err, Catch::Contains("would close with 1 live session"));
    CHECK(s.status()["generation"] == 1);
    CHECK(relays(*b));
    CHECK(accepts(s.second));

    r = proxyctl(*s.proxyd, "reload", {"--allow-drop", "--json"});
    CHECK(r.status == 0);
    CHECK(s.status()["generation"] == 2);
    CHECK(relays(*a));
    CHECK_FALSE(accepts(s.second));
}

TEST_CASE("removing a service nobody uses needs no confirmation") {
    TwoServices s;
    auto a = s.session(s.first);
    s.dir.write("proxyd.cfg", s.config(false));
    auto r = proxyctl(*s.proxyd, "reload", {"--json"});
    CHECK(r.status == 0);
    CHECK(s.status()["generation"] == 2);
    CHECK(relays(*a));
}

TEST_CASE("a configuration caught while an editor rewrites it in place is never applied cut") {
    TwoServices s;
    std::string full = s.config(true);
    // The cut keeps the first service: a valid configuration, just not the one meant.
    std::string cut = s.config(false);
    REQUIRE(full.substr(0, cut.size()) == cut);
    std::atomic<bool> stop{false};
    std::thread editor([&] {
        while (!stop) {
            int fd = ::open(s.proxyd->config_path.c_str(), O_WRONLY | O_TRUNC);
            if (fd < 0) return;
            [[maybe_unused]] auto w1 = ::write(fd, cut.data(), cut.size());
            std::this_thread::sleep_for(40ms);
            [[maybe_unused]] auto w2 =
                ::write(fd, full.data() + cut.size(), full.size() - cut.size());
            ::close(fd);
            std::this_thread::sleep_for(150ms);  // whole for long enough to settle
        }
    });
    int reloads = 0;
    bool second_kept = true;
    for (int i = 0; i < 25; ++i) {
        auto r = proxyctl(*s.proxyd, "reload", {"--json"});
        if (r.status == 0) ++reloads;
        second_kept = second_kept && accepts(s.second);
        std::this_thread::sleep_for(37ms);
    }
    stop = true;
    editor.join();
    INFO(reloads << " reloads applied");
    CHECK(reloads > 0);
    CHECK(second_kept);
    // The running configuration is the whole file.
    auto st = s.status();
    CHECK(st["files"][0]["size"] == full.size());
}
