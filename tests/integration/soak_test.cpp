// Soak: many clients opening and closing SOCKS5 sessions while reloads arrive every
// 100 ms, alternating valid, invalid and truncated files. Nothing the configuration allows
// may be refused or reset, long sessions on a noforce service survive every reload, the
// control socket keeps answering, and no descriptor or memory is left behind.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

constexpr auto soak_time = 30s;
constexpr int clients = 64;
constexpr int long_sessions = 8;

std::string config(std::uint16_t port, const std::string& log, int variant) {
    std::string head = "log " + log + "\nlogformat \"L%E %U %e\"\nmaxconn 1000\n";
    std::string users =
        variant % 2 == 0 ? "users alice:CL:apw\n" : "users alice:CL:apw carol:CL:c\n";
    std::string body =
        "auth strong\nallow alice\nnoforce\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
    return head + users + body;
}

}  // namespace

TEST_CASE("64 clients for 30 s under reloads every 100 ms: nothing allowed is refused or lost") {
    raise_fd_limit();
    TempDir dir;
    EchoServer echo;
    auto port = free_port();
    std::string log = dir.file("access.log");
    Proxyd p(dir, config(port, log, 0), {port});
    pid_t pid = p.process().pid();

    std::vector<std::unique_ptr<Client>> kept;
    for (int i = 0; i < long_sessions; ++i) {
        kept.push_back(std::make_unique<Client>(port));
        REQUIRE(socks5_connect(*kept.back(), "alice", "apw", echo.port()));
    }

    std::atomic<bool> stop{false};
    std::atomic<long> sessions{0};
    std::atomic<long> failures{0};
    std::mutex failure_mutex;
    std::vector<std::string> failure_notes;
    auto note = [&](std::string what) {
        if (++failures <= 5) {
            std::lock_guard lock(failure_mutex);
            failure_notes.push_back(std::move(what));
        }
    };
    std::vector<std::thread> workers;
    for (int w = 0; w < clients; ++w) {
        workers.emplace_back([&, w] {
            std::string payload = "soak " + std::to_string(w);
            while (!stop) {
                Client c(port);
                if (!c.connected()) {
                    note("connection refused");
                } else if (!socks5_connect(c, "alice", "apw", echo.port())) {
                    note("handshake failed or reset");
                } else if (!c.send(payload) || c.read(payload.size()) != payload) {
                    note("relay failed");
                } else {
                    ++sessions;
                }
            }
        });
    }

    // Reloads: valid (two alternating user lists), invalid, truncated before the service.
    std::atomic<long> reloads_applied{0};
    std::atomic<long> reloads_refused{0};
    std::atomic<long> wrong_results{0};
    std::atomic<long> control_failures{0};
    std::size_t rss_warm = 0;
    std::size_t fds_before = open_fds(pid);
    auto t0 = std::chrono::steady_clock::now();
    for (int round = 0; std::chrono::steady_clock::now() - t0 < soak_time; ++round) {
        std::string text;
        bool valid = false;
        switch (round % 4) {
            case 0:
            case 2:
                text = config(port, log, round / 4);
                valid = true;
                break;
            case 1:
                text = config(port, log, 0) + "frobnicate now\n";
                break;
            case 3: {
                std::string whole = config(port, log, 0);
                text = whole.substr(0, whole.find("auth strong"));
                break;
            }
        }
        // Atomically replaced, as the runbook says: the truncation is in the content.
        std::string tmp = dir.write("proxyd.cfg.new", text);
        std::rename(tmp.c_str(), p.config_path.c_str());
        auto r = proxyctl(p, "reload", {"--json"});
        if (r.status == 0) {
            ++reloads_applied;
        } else if (r.status == 1) {
            ++reloads_refused;
        } else {
            ++control_failures;
        }
        if ((r.status == 0) != valid) ++wrong_results;
        if (!rss_warm && std::chrono::steady_clock::now() - t0 > 5s) rss_warm = rss_kib(pid);
        std::this_thread::sleep_for(100ms);
    }
    stop = true;
    for (auto& t : workers) t.join();

    INFO("sessions " << sessions << ", reloads applied " << reloads_applied << ", refused "
                     << reloads_refused);
    for (const auto& n : failure_notes) WARN(n);
    if (failures > 0) {
        // What proxyd logged for the sessions that did not end with code 0.
        std::map<std::string, int> outcomes;
        std::istringstream in(read_file(log));
        for (std::string line; std::getline(in, line);)
            if (line.rfind("0 ", 0) != 0) ++outcomes[line];
        for (const auto& [line, n] : outcomes) WARN(n << " x " << line);
    }
    CHECK(failures == 0);
    CHECK(sessions > 1000);
    CHECK(wrong_results == 0);
    CHECK(control_failures == 0);
    // Each round waits 100 ms, plus the reload itself (slower under sanitizers).
    CHECK(reloads_applied >= 20);
    CHECK(reloads_refused >= 20);
    // The long sessions were kept through every reload (noforce).
    for (auto& c : kept) {
        CHECK(c->send("still"));
        CHECK(c->read(5) == "still");
    }
    kept.clear();
    // Every session's descriptors are released once it ends; memory settles.
    std::size_t fds_after = 0;
    for (int i = 0; i < 100; ++i) {
        fds_after = open_fds(pid);
        if (fds_after <= fds_before) break;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(fds_after <= fds_before);
    std::size_t rss_end = rss_kib(pid);
    INFO("RSS warm " << rss_warm << " KiB, end " << rss_end << " KiB");
#ifndef PROXY_SANITIZED
    // (AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.)
    CHECK(rss_end < rss_warm + 16 * 1024);
#endif
    CHECK(proxyctl(p, "status", {"--json"}).status == 0);
}
