// The metrics renderer: the text exposition format (HELP and TYPE once per family, label
// values escaped), counters that only go up, the open-sessions gauge per generation, and
// how session results map to reasons.
#include "metrics.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "access_log.hpp"

using namespace proxyd;

namespace {

// "name{labels}" -> value text, for every sample line; families by their TYPE lines.
struct Parsed {
    std::map<std::string, std::string> samples;
    std::map<std::string, std::string> types;
    std::map<std::string, int> help_count;
    std::vector<std::string> order;  // family names in order of their TYPE lines
};

Parsed parse(const std::string& text) {
    Parsed p;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# HELP ", 0) == 0) {
            auto name = line.substr(7, line.find(' ', 7) - 7);
            ++p.help_count[name];
        } else if (line.rfind("# TYPE ", 0) == 0) {
            auto rest = line.substr(7);
            auto space = rest.find(' ');
            p.types[rest.substr(0, space)] = rest.substr(space + 1);
            p.order.push_back(rest.substr(0, space));
        } else if (!line.empty()) {
            auto space = line.rfind(' ');
            p.samples[line.substr(0, space)] = line.substr(space + 1);
        }
    }
    return p;
}

std::uint64_t value(const Parsed& p, const std::string& series) {
    auto it = p.samples.find(series);
    INFO(series);
    REQUIRE(it != p.samples.end());
    return std::stoull(it->second);
}

ScrapeInput input(std::vector<std::string> services = {"socks1"}, std::uint64_t generation = 1) {
    ScrapeInput in;
    in.version = "1.2.3";
    in.started_at_ms = 1'700'000'000'500;
    in.generation = generation;
    in.services = std::move(services);
    return in;
}

}  // namespace

TEST_CASE("label values escape backslash, double quote and newline") {
    CHECK(Exposition::escape_label_value(R"(a\b"c)") == R"(a\\b\"c)");
    CHECK(Exposition::escape_label_value("line1\nline2") == "line1\\nline2");
    CHECK(Exposition::escape_label_value("plain label-1.x") == "plain label-1.x");
    // HELP text escapes backslash and newline only; quotes are literal there.
    CHECK(Exposition::escape_help("a\\b \"q\"\nc") == "a\\\\b \"q\"\\nc");

    Exposition e;
    e.family("x_total", "counter", "help");
    e.sample("x_total", {{"service", "evil\"} 1\nx_total{a=\"b"}, {"n", "2"}}, std::uint64_t{7});
    CHECK(e.text() ==
          "# HELP x_total help\n# TYPE x_total counter\n"
          "x_total{service=\"evil\\\"} 1\\nx_total{a=\\\"b\",n=\"2\"} 7\n");
}

TEST_CASE("numbers are written as the exposition format reads them") {
    Exposition e;
    e.sample_double("d", {}, 0.25);
    e.sample_double("i", {}, 1700000000.5);
    e.sample_signed("s", {}, -3);
    e.sample("u", {}, std::uint64_t{18446744073709551615u});
    CHECK(e.text() == "d 0.25\ni 1700000000.5\ns -3\nu 18446744073709551615\n");
}

TEST_CASE("every family has one HELP and one TYPE line before its samples") {
    Metrics m;
    auto& socks = m.service("socks \"main\"");
    ServiceMetrics::bump(socks.accepted, 2);
    m.session_opened("socks \"main\"", 1);
    m.reload_finished("control", "ok", 0.012, 1'700'000'100.0);
    m.control_request("status", true);
    m.dns_lookup();
    auto in = input({"socks \"main\""});
    in.counters.push_back({1, 3, "countin", 1024, 1048576});
    in.config_stale = false;
    auto text = m.render(in);
    auto p = parse(text);

    std::set<std::string> families(p.order.begin(), p.order.end());
    CHECK(families.size() == p.order.size());  // no family twice
    for (const auto& name : p.order) {
        INFO(name);
        CHECK(p.help_count[name] == 1);
        CHECK(name.rfind("proxyd_", 0) == 0);
        if (p.types[name] == "counter") CHECK(name.ends_with("_total"));
    }
    // Every sample belongs to the family declared last before it.
    std::istringstream lines(text);
    std::string line, family;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
        } else if (line.rfind('#', 0) != 0) {
            INFO(line);
            CHECK(line.substr(0, line.find_first_of("{ ")) == family);
        }
    }
    CHECK(text.back() == '\n');

    CHECK(p.types["proxyd_sessions_open"] == "gauge");
    CHECK(p.types["proxyd_connections_accepted_total"] == "counter");
    CHECK(value(p, "proxyd_build_info{version=\"1.2.3\"}") == 1);
    CHECK(p.samples["proxyd_process_start_time_seconds"] == "1700000000.5");
    CHECK(value(p, R"(proxyd_connections_accepted_total{service="socks \"main\""})") == 2);
    CHECK(value(p, R"(proxyd_sessions_open{service="socks \"main\"",generation="1"})") == 1);
    CHECK(value(p, R"(proxyd_reloads_total{trigger="control",result="ok"})") == 1);
    CHECK(p.samples["proxyd_last_reload_duration_seconds"] == "0.012");
    CHECK(p.samples["proxyd_last_reload_timestamp_seconds"] == "1700000100");
    CHECK(value(p, "proxyd_last_reload_success") == 1);
    CHECK(value(p, R"(proxyd_control_requests_total{command="status"})") == 1);
    CHECK(value(p, "proxyd_dns_lookups_total") == 1);
    CHECK(value(p, "proxyd_config_stale") == 0);
    CHECK(value(p, R"(proxyd_traffic_used_bytes{position="1",number="3",kind="countin"})") == 1024);
    CHECK(value(p, R"(proxyd_traffic_limit_bytes{position="1",number="3",kind="countin"})") ==
          1048576);
}

TEST_CASE("counters only go up between scrapes, and a service's stay after it is removed") {
    Metrics m;
    auto& s = m.service("s1");
    auto series = std::string(R"(proxyd_relayed_bytes_total{service="s1",direction="to_client"})");
    auto refused =
        std::string(R"(proxyd_connections_refused_total{service="s1",reason="maxconn"})");
    auto first = parse(m.render(input({"s1"})));
    CHECK(value(first, series) == 0);
    CHECK(value(first, refused) == 0);

    s.add_bytes(Direction::to_client, 1000);
    s.add(Refusal::maxconn);
    auto second = parse(m.render(input({"s1"})));
    CHECK(value(second, series) == 1000);
    CHECK(value(second, refused) == 1);

    // A reload that drops the service: its counters are still there, unchanged.
    s.add_bytes(Direction::to_client, 24);
    auto third = parse(m.render(input({"other"}, 2)));
    CHECK(value(third, series) == 1024);
    CHECK(value(third, refused) == 1);
    CHECK(value(third, R"(proxyd_connections_accepted_total{service="other"})") == 0);
    // The same block is handed out for the same label.
    CHECK(&m.service("s1") == &s);
}

TEST_CASE("open sessions count per service and generation, an old generation's go at zero") {
    Metrics m;
    m.session_opened("s", 1);
    m.session_opened("s", 1);
    m.session_opened("s", 2);
    CHECK(m.open_sessions("s", 1) == 2);
    auto p = parse(m.render(input({"s", "t"}, 2)));
    CHECK(value(p, R"(proxyd_sessions_open{service="s",generation="1"})") == 2);
    CHECK(value(p, R"(proxyd_sessions_open{service="s",generation="2"})") == 1);
    CHECK(value(p, R"(proxyd_sessions_open{service="t",generation="2"})") == 0);

    m.session_closed("s", 1);
    m.session_closed("s", 1);
    m.session_closed("s", 2);
    m.session_closed("s", 7);  // never opened: ignored, never negative
    p = parse(m.render(input({"s", "t"}, 2)));
    CHECK(p.samples.count(R"(proxyd_sessions_open{service="s",generation="1"})") == 0);
    CHECK(value(p, R"(proxyd_sessions_open{service="s",generation="2"})") == 0);
    CHECK(p.samples.count(R"(proxyd_sessions_open{service="s",generation="7"})") == 0);
}

TEST_CASE("a failed reload shows in the counters and the last-reload gauges") {
    Metrics m;
    auto p = parse(m.render(input()));
    CHECK(p.types.count("proxyd_last_reload_success") == 0);  // no reload yet
    m.reload_finished("usr1", "ok", 0.5, 100);
    m.reload_finished("monitor", "failed", 0.25, 200);
    m.reload_finished("monitor", "failed", 0.25, 300);
    p = parse(m.render(input()));
    CHECK(value(p, R"(proxyd_reloads_total{trigger="usr1",result="ok"})") == 1);
    CHECK(value(p, R"(proxyd_reloads_total{trigger="monitor",result="failed"})") == 2);
    CHECK(value(p, "proxyd_last_reload_success") == 0);
    CHECK(p.samples["proxyd_last_reload_timestamp_seconds"] == "300");
}

TEST_CASE("control requests count by command, names clients make up count as unknown") {
    Metrics m;
    m.control_request("status", true);
    m.control_request("status", true);
    m.control_request("x\"}\n", false);
    m.control_request("drop tables", false);
    auto p = parse(m.render(input()));
    CHECK(value(p, R"(proxyd_control_requests_total{command="status"})") == 2);
    CHECK(value(p, R"(proxyd_control_requests_total{command="unknown"})") == 2);
    CHECK(p.samples.size() == parse(m.render(input())).samples.size());
}

TEST_CASE("session results map to refusal, auth failure and close reasons") {
    using proxycfg::Verdict;
    CHECK(refusal_of(Verdict::acl_denied) == Refusal::acl);
    CHECK(refusal_of(Verdict::acl_no_match) == Refusal::acl);
    CHECK(refusal_of(Verdict::bad_password) == Refusal::auth);
    CHECK(refusal_of(Verdict::no_credentials) == Refusal::auth);
    CHECK(refusal_of(Verdict::conn_limited) == Refusal::connlim);
    CHECK(refusal_of(Verdict::quota_exceeded) == Refusal::quota);
    CHECK(auth_failure_of(Verdict::unknown_user) == AuthFailure::unknown_user);
    CHECK(auth_failure_of(Verdict::bad_password) == AuthFailure::bad_password);
    CHECK(auth_failure_of(Verdict::no_credentials) == AuthFailure::no_credentials);
    CHECK_FALSE(auth_failure_of(Verdict::acl_denied));

    CHECK(close_reason_of(result::ok, true, false) == CloseReason::normal);
    CHECK(close_reason_of(result::acl_denied, false, false) == CloseReason::refused);
    CHECK(close_reason_of(result::traffic_quota, false, false) == CloseReason::refused);
    CHECK(close_reason_of(result::traffic_quota, true, false) == CloseReason::quota);
    CHECK(close_reason_of(result::closed_by_operator, true, false) == CloseReason::killed);
    CHECK(close_reason_of(result::closed_by_operator, true, true) == CloseReason::reload_recheck);
    CHECK(close_reason_of(result::idle_timeout, true, false) == CloseReason::idle_timeout);
    CHECK(close_reason_of(result::handshake_timeout, false, false) ==
          CloseReason::handshake_timeout);
    CHECK(close_reason_of(result::shutdown, true, false) == CloseReason::shutdown);
    CHECK(close_reason_of(result::handshake_displaced, false, false) == CloseReason::displaced);
    CHECK(close_reason_of(result::connect_failed, true, false) == CloseReason::error);
    CHECK(label_of(CloseReason::reload_recheck) == "reload_recheck");
    CHECK(label_of(CloseReason::error) == "error");
    CHECK(close_reason_of(result::drain_timeout, true, false) == CloseReason::drain_timeout);
    CHECK(label_of(CloseReason::drain_timeout) == "drain_timeout");
    CHECK(label_of(Refusal::quota) == "quota");
    CHECK(label_of(AuthFailure::bad_password) == "bad_password");
}
