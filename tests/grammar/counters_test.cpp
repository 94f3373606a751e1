// Traffic counters in the model: countin/countout/countall and their exceptions, the
// counter file, which lines a session is counted in, and what a reload changes.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "check_text.hpp"
#include "proxycfg/counters.hpp"
#include "proxycfg/model_diff.hpp"

using namespace proxycfg;
using testing::check_text;
using testing::contains;
using testing::with_code;

namespace {

using Kind = TrafficCounter::Kind;
using Indices = std::vector<std::size_t>;
constexpr std::uint64_t MiB = 1024 * 1024;

AccessRequest request(std::optional<std::string_view> user, std::string_view client) {
    AccessRequest r;
    r.user = user;
    r.client = IpAddress::parse(client).value();
    r.target_address = IpAddress::parse("198.51.100.7").value();
    r.port = 443;
    return r;
}

const std::vector<TrafficCounter>& counters_of(const Loaded& l) {
    return l.model.globals.counters;
}

const ModelChange* find_change(const std::vector<ModelChange>& changes, std::string_view area,
                               std::string_view subject) {
    for (const auto& c : changes)
        if (c.area == area && c.subject == subject) return &c;
    return nullptr;
}

}  // namespace

// --- parsing

TEST_CASE("count lines keep kind, N, comment, period, limit in bytes and ACL text",
          "[grammar][counters]") {
    auto l = check_text(
        "countin 1/alice D 1024 alice\n"
        "countout 2 w 5 * 10.0.0.0/8\n"
        "countall 3/team X 1 alice,bob * * 80,443\n"
        "nocountin * 127.0.0.1\n"
        "nocountout\n"
        "nocountall bob\n"
        "socks\n");
    INFO(testing::summary(l));
    const auto& c = counters_of(l);
    REQUIRE(c.size() == 6);

    CHECK(c[0].kind == Kind::in);
    CHECK_FALSE(c[0].exception);
    CHECK(c[0].number == 1);
    CHECK(c[0].comment == "alice");
    CHECK(c[0].period == CounterPeriod::daily);
    CHECK(c[0].limit == 1024 * MiB);
    CHECK(c[0].acl.users() == proxycfg::NameList{"alice"});
    CHECK(c[0].acl_text == "alice");
    CHECK(c[0].key == "in 1 daily alice");
    CHECK(c[0].acl.span().line == 1);

    CHECK(c[1].kind == Kind::out);
    CHECK(c[1].number == 2);
    CHECK(c[1].comment.empty());
    CHECK(c[1].period == CounterPeriod::weekly);  // a lower-case letter reads the same
    CHECK(c[1].limit == 5 * MiB);
    CHECK(c[1].acl.users().empty());
    CHECK(c[1].acl.sources().size() == 1);
    CHECK(c[1].acl_text == "* 10.0.0.0/8");
    CHECK(c[1].key == "out 2 weekly * 10.0.0.0/8");

    CHECK(c[2].kind == Kind::all);
    CHECK(c[2].comment == "team");
    CHECK(c[2].period == CounterPeriod::never);  // an unknown letter never resets
    CHECK(c[2].limit == MiB);
    CHECK(c[2].acl.users() == proxycfg::NameList{"alice", "bob"});
    CHECK(c[2].acl.ports().size() == 2);
    CHECK(c[2].key == "all 3 never alice,bob * * 80,443");
    CHECK(c[2].acl.span().line == 3);

    CHECK(c[3].exception);
    CHECK(c[3].kind == Kind::in);
    CHECK(c[3].number == 0);
    CHECK(c[3].limit == 0);
    CHECK(c[3].acl_text == "* 127.0.0.1");
    CHECK(c[3].key == "noin * 127.0.0.1");
    CHECK(c[4].exception);
    CHECK(c[4].kind == Kind::out);
    CHECK(c[4].acl_text.empty());
    CHECK(c[4].key == "noout");
    CHECK(c[5].kind == Kind::all);
    CHECK(c[5].key == "noall bob");
    CHECK(c[5].acl.span().line == 6);

    CHECK(with_code(l, "PX021").empty());
}

TEST_CASE("every TYPE letter in either case, anything else never resets", "[grammar][counters]") {
    struct Case {
        const char* type;
        CounterPeriod period;
    };
    const Case cases[] = {
        {"C", CounterPeriod::minutely}, {"c", CounterPeriod::minutely},
        {"H", CounterPeriod::hourly},   {"h", CounterPeriod::hourly},
        {"D", CounterPeriod::daily},    {"d", CounterPeriod::daily},
        {"W", CounterPeriod::weekly},   {"w", CounterPeriod::weekly},
        {"M", CounterPeriod::monthly},  {"m", CounterPeriod::monthly},
        {"Y", CounterPeriod::annually}, {"y", CounterPeriod::annually},
        {"N", CounterPeriod::never},    {"Q", CounterPeriod::never},
        {"0", CounterPeriod::never},    {"Day", CounterPeriod::daily},
    };
    for (const auto& c : cases) {
        INFO(c.type);
        auto l = check_text(std::string("countall 7 ") + c.type + " 10 *\nsocks\n");
        REQUIRE(counters_of(l).size() == 1);
        CHECK(counters_of(l)[0].period == c.period);
        CHECK(counters_of(l)[0].key == "all 7 " + std::string(to_string(c.period)) + " *");
    }
}

TEST_CASE("repeated count lines are counters of their own, numbered in the key",
          "[grammar][counters]") {
    auto l = check_text(
        "countin 1 D 10 alice\n"
        "countin 1 D 20 alice\n"
        "countin 1 D 10 alice,bob\n"
        "countin 1 d 30 alice\n"
        "nocountin\nnocountin\n"
        "socks\n");
    const auto& c = counters_of(l);
    REQUIRE(c.size() == 6);
    CHECK(c[0].key == "in 1 daily alice");
    // LIMIT is not part of the key: the second line reads the same.
    CHECK(c[1].key == "in 1 daily alice#1");
    // A longer ACL that starts with the same text is another line, not a repeat.
    CHECK(c[2].key == "in 1 daily alice,bob");
    CHECK(c[3].key == "in 1 daily alice#2");
    CHECK(c[4].key == "noin");
    CHECK(c[5].key == "noin#1");
}

TEST_CASE("a zero or non-numeric LIMIT or N is PX021 at the word, and the line is dropped",
          "[grammar][counters]") {
    SECTION("LIMIT 0") {
        auto l = check_text("countin 1 D 0 *\nsocks\n");
        auto d = testing::only(l, "PX021");
        CHECK(d.span.line == 1);
        CHECK(d.span.column == 13);
        CHECK(d.span.length == 1);
        CHECK(contains(d.message, "countin LIMIT '0'"));
        CHECK(contains(d.message, "positive number of MiB"));
        CHECK(counters_of(l).empty());
    }
    SECTION("LIMIT x") {
        auto l = check_text("socks\ncountout 2/c H x alice\n");
        auto d = testing::only(l, "PX021");
        CHECK(d.span.line == 2);
        CHECK(d.span.column == 16);
        CHECK(contains(d.message, "countout LIMIT 'x'"));
        CHECK(counters_of(l).empty());
    }
    SECTION("LIMIT negative") {
        auto l = check_text("countall 1 D -5 *\nsocks\n");
        CHECK(testing::only(l, "PX021").span.column == 14);
        CHECK(counters_of(l).empty());
    }
    SECTION("N abc") {
        auto l = check_text("allow *\ncountall abc D 10 *\nsocks\n");
        auto d = testing::only(l, "PX021");
        CHECK(d.span.line == 2);
        CHECK(d.span.column == 10);
        CHECK(d.span.length == 3);
        CHECK(contains(d.message, "countall N 'abc'"));
        CHECK(contains(d.message, "/COMMENT"));
        CHECK(counters_of(l).empty());
    }
    SECTION("N abc with a comment, and a negative N") {
        auto l = check_text("countin abc/x D 10 *\ncountin -1 D 10 *\nsocks\n");
        auto d = with_code(l, "PX021");
        REQUIRE(d.size() == 2);
        CHECK(d[0].span.line == 1);
        CHECK(contains(d[0].message, "'abc/x'"));
        CHECK(d[1].span.line == 2);
        CHECK(counters_of(l).empty());
    }
    SECTION("the good lines around a bad one stay") {
        auto l = check_text("countin 1 D 10 *\ncountin 2 D 0 *\ncountin 3 D 10 *\nsocks\n");
        REQUIRE(counters_of(l).size() == 2);
        CHECK(counters_of(l)[0].number == 1);
        CHECK(counters_of(l)[1].number == 3);
    }
}

TEST_CASE("counter FILE TYPE REPORT, and FILE alone or with TYPE only: no report",
          "[grammar][counters]") {
    auto full = check_text("counter /var/lib/proxyd/traffic M /var/log/traffic.%Y-%m\nsocks\n");
    const auto& f = full.model.globals.counter_file;
    CHECK(f.span.line == 1);
    CHECK(f.value.path == "/var/lib/proxyd/traffic");
    CHECK(f.value.report_period == CounterPeriod::monthly);
    CHECK(f.value.report == "/var/log/traffic.%Y-%m");

    // 3proxy reads TYPE and REPORT only as a pair.
    auto two = check_text("socks\ncounter /var/lib/proxyd/traffic D\n");
    CHECK(two.model.globals.counter_file.span.line == 2);
    CHECK(two.model.globals.counter_file.value.path == "/var/lib/proxyd/traffic");
    CHECK(two.model.globals.counter_file.value.report_period == CounterPeriod::never);
    CHECK(two.model.globals.counter_file.value.report.empty());

    auto one = check_text("counter traffic.cnt\nsocks\n");
    CHECK(one.model.globals.counter_file.value.path == "traffic.cnt");
    CHECK(one.model.globals.counter_file.value.report.empty());

    auto none = check_text("socks\n");
    CHECK_FALSE(none.model.globals.counter_file.span.valid());
    CHECK(none.model.globals.counter_file.value.path.empty());

    // The last counter line is the one kept.
    auto last = check_text("counter /a\ncounter /b w /r\nsocks\n");
    CHECK(last.model.globals.counter_file.value.path == "/b");
    CHECK(last.model.globals.counter_file.value.report_period == CounterPeriod::weekly);
    CHECK(last.model.globals.counter_file.span.line == 2);
}

// --- applicable_counters

TEST_CASE("every matching count line applies in file order until its exception",
          "[grammar][counters]") {
    auto l = check_text(
        "countin 1 D 10 alice\n"     // 0
        "countall 2 D 10 *\n"        // 1
        "countout 3 D 10 *\n"        // 2
        "nocountin * 127.0.0.1\n"    // 3: ends countin lines only
        "countin 4 D 10 *\n"         // 4
        "nocountout bob\n"           // 5: ends countout lines only
        "countout 5 D 10 *\n"        // 6
        "countall 6 D 10 *\n"        // 7
        "nocountall * 10.0.0.0/8\n"  // 8: ends everything
        "countin 7 D 10 *\n"         // 9
        "countall 8 D 10 *\n"        // 10
        "countout 9 D 10 *\n"        // 11
        "socks\n");
    INFO(testing::summary(l));
    const Model& m = l.model;
    REQUIRE(m.globals.counters.size() == 12);

    CHECK(applicable_counters(m, request("alice", "192.0.2.1")) ==
          Indices{0, 1, 2, 4, 6, 7, 9, 10, 11});
    // nocountin: the countin lines below it stop, countall and countout go on.
    CHECK(applicable_counters(m, request("alice", "127.0.0.1")) == Indices{0, 1, 2, 6, 7, 10, 11});
    // nocountout: the countout lines below it stop.
    CHECK(applicable_counters(m, request("bob", "192.0.2.1")) == Indices{1, 2, 4, 7, 9, 10});
    // Both exceptions: only countall lines go on below them.
    CHECK(applicable_counters(m, request("bob", "127.0.0.1")) == Indices{1, 2, 7, 10});
    // nocountall ends every kind, countall included.
    CHECK(applicable_counters(m, request("alice", "10.1.2.3")) == Indices{0, 1, 2, 4, 6, 7});
    CHECK(applicable_counters(m, request("bob", "10.1.2.3")) == Indices{1, 2, 4, 7});
}

TEST_CASE("count lines match users and sources; '-' is a client without a user",
          "[grammar][counters]") {
    auto l = check_text(
        "countin 1 D 10 alice,bob\n"
        "countin 2 D 10 * 192.0.2.0/24\n"
        "countin 3 D 10 -\n"
        "countout 4 D 10 carol 198.51.100.0/24\n"
        "socks\n");
    const Model& m = l.model;
    CHECK(applicable_counters(m, request("alice", "192.0.2.9")) == Indices{0, 1});
    CHECK(applicable_counters(m, request("bob", "203.0.113.1")) == Indices{0});
    CHECK(applicable_counters(m, request(std::nullopt, "192.0.2.9")) == Indices{1, 2});
    CHECK(applicable_counters(m, request(std::nullopt, "203.0.113.1")) == Indices{2});
    CHECK(applicable_counters(m, request("carol", "198.51.100.3")) == Indices{3});
    CHECK(applicable_counters(m, request("carol", "203.0.113.1")).empty());
}

TEST_CASE("an exception first exempts; a non-matching exception changes nothing",
          "[grammar][counters]") {
    auto l = check_text(
        "nocountall admin\nnocountin * 127.0.0.1\ncountin 1 D 10 *\ncountout 2 D 10 *\n"
        "countall 3 D 10 *\nsocks\n");
    const Model& m = l.model;
    CHECK(applicable_counters(m, request("admin", "192.0.2.1")).empty());
    CHECK(applicable_counters(m, request("guest", "192.0.2.1")) == Indices{2, 3, 4});
    CHECK(applicable_counters(m, request("guest", "127.0.0.1")) == Indices{3, 4});
    // No count lines: nothing applies.
    CHECK(applicable_counters(check_text("socks\n").model, request("guest", "192.0.2.1")).empty());
}

TEST_CASE("which directions a counter kind counts", "[grammar][counters]") {
    CHECK(counts_to_client(Kind::in));
    CHECK_FALSE(counts_to_server(Kind::in));
    CHECK_FALSE(counts_to_client(Kind::out));
    CHECK(counts_to_server(Kind::out));
    CHECK(counts_to_client(Kind::all));
    CHECK(counts_to_server(Kind::all));
}

// --- diff_models

TEST_CASE("the model diff lists counter, bandlim and connlim lines by key", "[grammar][diff]") {
    auto before = check_text(
        "countin 1 D 10 alice\n"
        "countout 2 D 10 *\n"
        "nocountall admin\n"
        "bandlimin 1000000 alice\n"
        "bandlimout 64000 *\n"
        "connlim 10 0 *\n"
        "connlim 5 60 bob\n"
        "counter /var/lib/a\n"
        "socks\n");
    auto after = check_text(
        "countin 1/new D 20 alice\n"
        "countall 3 H 5 *\n"
        "nocountall admin\n"
        "bandlimin 2000000 alice\n"
        "bandlimout 64000 *\n"
        "connlim 3 0 *\n"
        "counter /var/lib/b D /var/log/r\n"
        "socks\n");
    INFO(testing::summary(before) + testing::summary(after));
    auto changes = diff_models(before.model, after.model);

    const ModelChange* c = find_change(changes, "counter", "in 1 daily alice");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::changed);
    CHECK(c->before == "limit 10 MiB");
    CHECK(c->after == "limit 20 MiB, comment 'new'");
    CHECK(c->span.line == 1);

    c = find_change(changes, "counter", "all 3 hourly *");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::added);
    CHECK(c->before.empty());
    CHECK(c->after == "limit 5 MiB");
    CHECK(c->span.line == 2);

    c = find_change(changes, "counter", "out 2 daily *");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::removed);
    CHECK(c->before == "limit 10 MiB");
    CHECK(c->after.empty());
    CHECK_FALSE(c->span.valid());

    // An unchanged exception and an unchanged bandlim are not listed.
    CHECK_FALSE(find_change(changes, "counter", "noall admin"));
    CHECK_FALSE(find_change(changes, "bandlim", "out *"));

    c = find_change(changes, "bandlim", "in alice");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::changed);
    CHECK(c->before == "1000000 bps");
    CHECK(c->after == "2000000 bps");
    CHECK(c->span.line == 4);

    c = find_change(changes, "connlim", "connlim 0 *");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::changed);
    CHECK(c->before == "10 per concurrent");
    CHECK(c->after == "3 per concurrent");
    CHECK(c->span.line == 6);

    c = find_change(changes, "connlim", "connlim 60 bob");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::removed);
    CHECK(c->before == "5 per 60s");

    c = find_change(changes, "global", "counter");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::changed);
    CHECK(c->before == "/var/lib/a");
    CHECK(c->after == "/var/lib/b daily report /var/log/r");
    CHECK(c->span.line == 7);

    std::size_t limit_changes = 0;
    for (const auto& ch : changes)
        if (ch.area == "counter" || ch.area == "bandlim" || ch.area == "connlim") ++limit_changes;
    CHECK(limit_changes == 6);

    CHECK(diff_models(before.model, before.model).empty());
}

TEST_CASE(
    "the model diff: an added exception, an added bandlim and connlim, a dropped counter file",
    "[grammar][diff]") {
    auto before = check_text("counter /var/lib/a W /var/log/w\nsocks\n");
    auto after = check_text("nocountin bob\nbandlimout 8000 bob\nconnlim 2 0 *\nsocks\n");
    auto changes = diff_models(before.model, after.model);

    const ModelChange* c = find_change(changes, "counter", "noin bob");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::added);
    CHECK(c->after == "exception");

    c = find_change(changes, "bandlim", "out bob");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::added);
    CHECK(c->after == "8000 bps");

    c = find_change(changes, "connlim", "connlim 0 *");
    REQUIRE(c);
    CHECK(c->kind == ModelChange::Kind::added);
    CHECK(c->after == "2 per concurrent");

    c = find_change(changes, "global", "counter");
    REQUIRE(c);
    CHECK(c->before == "/var/lib/a weekly report /var/log/w");
    CHECK(c->after.empty());
}

TEST_CASE("a counter whose TYPE or ACL changes is another counter in the diff", "[grammar][diff]") {
    auto before = check_text("countin 1 D 10 alice\nsocks\n");
    auto after = check_text("countin 1 W 10 alice,bob\nsocks\n");
    auto changes = diff_models(before.model, after.model);
    const ModelChange* removed = find_change(changes, "counter", "in 1 daily alice");
    const ModelChange* added = find_change(changes, "counter", "in 1 weekly alice,bob");
    REQUIRE(removed);
    REQUIRE(added);
    CHECK(removed->kind == ModelChange::Kind::removed);
    CHECK(added->kind == ModelChange::Kind::added);
}
