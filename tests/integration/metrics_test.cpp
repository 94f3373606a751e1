// `proxyctl metrics` against a real proxyd: a refused and an accepted connection through a
// socks service, a reload, then the counters, gauges and reasons as the exposition shows
// them; and promtool's own check of that text when promtool is installed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

struct MetricsSetup {
    TempDir dir;
    HttpServer http;
    std::uint16_t port = free_port();
    std::string label = "socks:127.0.0.1:" + std::to_string(port);
    std::optional<Proxyd> proxyd;

    MetricsSetup() { proxyd.emplace(dir, config(), std::vector<std::uint16_t>{port}); }
    std::string config(const std::string& extra = {}) const {
        return "log " + dir.file("access.log") +
               "\n"
               "users alice:CL:secret\nauth strong\nallow alice\n" +
               extra + "socks -p" + std::to_string(port) + " -i127.0.0.1\n";
    }
    std::string via(const std::string& login) const {
        return login + "@127.0.0.1:" + std::to_string(port);
    }
    std::string url(const std::string& host = "127.0.0.1") const {
        return "http://" + host + ":" + std::to_string(http.port()) + "/file.txt";
    }
    std::string metrics_text() {
        auto r = proxyctl(*proxyd, "metrics");
        INFO(r.err);
        REQUIRE(r.status == 0);
        return r.out;
    }
};

// Sample lines by their "name{labels}".
std::map<std::string, std::string> samples(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#') {
            auto space = line.rfind(' ');
            out[line.substr(0, space)] = line.substr(space + 1);
        }
    return out;
}

double value(const std::map<std::string, std::string>& s, const std::string& series) {
    INFO(series);
    auto it = s.find(series);
    REQUIRE(it != s.end());
    return std::stod(it->second);
}

// Sessions end a moment after the client sees the close: waits for the gauge to settle.
std::map<std::string, std::string> once_closed(MetricsSetup& s, const std::string& open_series) {
    auto deadline = std::chrono::steady_clock::now() + 3s;
    auto now = samples(s.metrics_text());
    while (value(now, open_series) != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        now = samples(s.metrics_text());
    }
    return now;
}

bool have_promtool() {
    return run({"/bin/sh", "-c", "command -v promtool"}).status == 0;
}

}  // namespace

TEST_CASE("proxyctl metrics counts accepted, refused, relayed and reloaded") {
    MetricsSetup s;
    const std::string service = "service=\"" + s.label + "\"";
    const std::string accepted_series = "proxyd_connections_accepted_total{" + service + "}";
    const std::string normal_series =
        "proxyd_sessions_closed_total{" + service + ",reason=\"normal\"}";
    const std::string open_series = "proxyd_sessions_open{" + service + ",generation=\"1\"}";
    // The harness's own probe of the port is a connection too: counts are taken from here.
    auto base = once_closed(s, open_series);

    auto refused = curl({"--socks5", s.via("alice:wrong"), s.url()});
    CHECK(refused.status != 0);
    // By name, so proxyd looks it up (through /etc/hosts).
    auto accepted = curl({"--socks5-hostname", s.via("alice:secret"), s.url("localhost")});
    CHECK(accepted.status == 0);
    CHECK(accepted.body == "hello /file.txt\n");

    auto before = once_closed(s, open_series);
    CHECK(value(before, accepted_series) - value(base, accepted_series) == 2);
    CHECK(value(before, "proxyd_connections_refused_total{" + service + ",reason=\"auth\"}") == 1);
    CHECK(value(before, "proxyd_connections_refused_total{" + service + ",reason=\"maxconn\"}") ==
          0);
    CHECK(value(before, "proxyd_auth_failures_total{" + service + ",reason=\"bad_password\"}") ==
          1);
    CHECK(value(before, "proxyd_auth_failures_total{" + service + ",reason=\"unknown_user\"}") ==
          0);
    CHECK(value(before, "proxyd_sessions_closed_total{" + service + ",reason=\"refused\"}") == 1);
    CHECK(value(before, normal_series) - value(base, normal_series) == 1);
    // The HTTP response (headers and body) went to the client; the request to the server.
    CHECK(value(before, "proxyd_relayed_bytes_total{" + service + ",direction=\"to_client\"}") >
          16);
    CHECK(value(before, "proxyd_relayed_bytes_total{" + service + ",direction=\"to_server\"}") >
          20);
    CHECK(value(before, "proxyd_dns_lookups_total") >= 1);
    CHECK(value(before, "proxyd_config_generation") == 1);
    CHECK(value(before, "proxyd_config_stale") == 0);
    CHECK(before.count("proxyd_last_reload_success") == 0);
    CHECK(value(before, "proxyd_build_info{version=\"" PROXY_VERSION "\"}") == 1);
    auto start = value(before, "proxyd_process_start_time_seconds");
    auto now_s = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
    CHECK(start <= now_s + 1);
    CHECK(start > now_s - 120);

    // An edit on disk shows as stale until the reload that applies it.
    std::this_thread::sleep_for(20ms);  // a distinct mtime even on coarse clocks
    std::ofstream(s.proxyd->config_path) << s.config("# edited\n");
    CHECK(value(samples(s.metrics_text()), "proxyd_config_stale") == 1);
    auto reload = proxyctl(*s.proxyd, "reload", {"--json"});
    REQUIRE(reload.status == 0);

    auto after = samples(s.metrics_text());
    CHECK(value(after, "proxyd_config_generation") == 2);
    CHECK(value(after, "proxyd_config_stale") == 0);
    CHECK(value(after, "proxyd_reloads_total{trigger=\"control\",result=\"ok\"}") == 1);
    CHECK(value(after, "proxyd_last_reload_success") == 1);
    CHECK(value(after, "proxyd_last_reload_duration_seconds") > 0);
    CHECK(value(after, "proxyd_last_reload_duration_seconds") < 10);
    CHECK(value(after, "proxyd_last_reload_timestamp_seconds") >= start);
    CHECK(value(after, "proxyd_sessions_open{" + service + ",generation=\"2\"}") == 0);
    // Counters carry over the reload.
    CHECK(value(after, accepted_series) == value(before, accepted_series));
    CHECK(value(after, "proxyd_control_requests_total{command=\"reload\"}") == 1);
    CHECK(value(after, "proxyd_control_requests_total{command=\"metrics\"}") >= 3);

    // A refused reload: counted as failed, the last-reload gauge drops to 0.
    std::ofstream(s.proxyd->config_path) << "users alice:CL:secret\nfrobnicate 1\n";
    CHECK(proxyctl(*s.proxyd, "reload").status == 1);
    auto failed = samples(s.metrics_text());
    CHECK(value(failed, "proxyd_reloads_total{trigger=\"control\",result=\"failed\"}") == 1);
    CHECK(value(failed, "proxyd_last_reload_success") == 0);
    CHECK(value(failed, "proxyd_config_stale") == 1);

    // --json: the reply envelope with the same text.
    auto j = proxyctl(*s.proxyd, "metrics", {"--json"});
    REQUIRE(j.status == 0);
    auto reply = json::parse(j.out);
    CHECK(reply["ok"] == true);
    CHECK(reply["result"]["text"].get<std::string>().find("# TYPE proxyd_sessions_open gauge\n") !=
          std::string::npos);
}

TEST_CASE("an open session shows in the gauge of its generation, and killing it is counted") {
    MetricsSetup s;
    EchoServer echo;
    Client client(s.port);
    REQUIRE(socks5_connect(client, "alice", "secret", echo.port()));
    REQUIRE(client.send("ping"));
    CHECK(client.read(4) == "ping");
    const std::string service = "service=\"" + s.label + "\"";
    auto open = samples(s.metrics_text());
    CHECK(value(open, "proxyd_sessions_open{" + service + ",generation=\"1\"}") == 1);

    auto ids = proxyctl(*s.proxyd, "sessions", {"--json"});
    REQUIRE(ids.status == 0);
    auto list = json::parse(ids.out)["result"]["sessions"];
    REQUIRE(list.size() == 1);
    auto id = std::to_string(list[0]["id"].get<std::uint64_t>());
    REQUIRE(proxyctl(*s.proxyd, "kill", {id}).status == 0);
    auto closed = once_closed(s, "proxyd_sessions_open{" + service + ",generation=\"1\"}");
    CHECK(value(closed, "proxyd_sessions_closed_total{" + service + ",reason=\"killed\"}") == 1);
}

TEST_CASE("promtool accepts the metrics proxyd serves") {
    if (!have_promtool()) {
        WARN("promtool is not installed (Debian package prometheus): check skipped");
        return;
    }
    MetricsSetup s;
    auto r = curl({"--socks5", s.via("alice:nope"), s.url()});
    CHECK(r.status != 0);
    CHECK(proxyctl(*s.proxyd, "reload").status == 0);
    auto file = s.dir.write("metrics.prom", s.metrics_text());
    auto check = run({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"});
    INFO(check.out + check.err);
    CHECK(check.status == 0);
}
