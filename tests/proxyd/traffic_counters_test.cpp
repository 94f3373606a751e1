// Traffic counters of the daemon: period starts, report names, counts kept across reloads
// and restarts, resets and reports at period ends, all on explicit times in UTC.
#include "traffic_counters.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check_text.hpp"
#include "temp_dir.hpp"

using proxycfg::CounterPeriod;
using proxyd::period_start;
using proxyd::report_name;
using proxyd::TrafficCounters;

namespace {

// 2026-11-28 15:42:10 UTC, a Saturday, and the starts of its periods.
constexpr std::int64_t kNow = 1795880530;
constexpr std::int64_t kMinute = 1795880520;  // 15:42:00
constexpr std::int64_t kHour = 1795878000;    // 15:00:00
constexpr std::int64_t kDay = 1795824000;     // 2026-11-28 00:00
constexpr std::int64_t kWeek = 1795392000;    // Monday 2026-11-23 00:00
constexpr std::int64_t kMonth = 1793491200;   // 2026-11-01 00:00
constexpr std::int64_t kYear = 1767225600;    // 2026-01-01 00:00
constexpr std::uint64_t MiB = 1024 * 1024;

// Periods are in local time: each test fixes the zone, and puts the old one back.
class Zone {
  public:
    explicit Zone(const char* tz = "UTC") {
        if (const char* old = std::getenv("TZ")) old_ = old;
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~Zone() {
        if (old_)
            ::setenv("TZ", old_->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
    Zone(const Zone&) = delete;
    Zone& operator=(const Zone&) = delete;

  private:
    std::optional<std::string> old_;
};

using testing::TempDir;

std::shared_ptr<const proxycfg::Model> model_of(std::string text) {
    auto loaded = testing::check_text(std::move(text) + "socks -i127.0.0.1\n");
    INFO(testing::summary(loaded));
    REQUIRE(testing::with_code(loaded, "PX021").empty());
    return std::make_shared<const proxycfg::Model>(std::move(loaded.model));
}

using States = std::vector<std::shared_ptr<proxyd::CounterState>>;

// Makes and commits the states of `model`, as a (re)load does.
States go_live(TrafficCounters& tc, const std::shared_ptr<const proxycfg::Model>& model,
               std::int64_t now) {
    auto states = tc.states_for(*model, now);
    tc.commit(model, states);
    return states;
}

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

}  // namespace

// --- period_start and report_name

TEST_CASE("a period starts at the minute, hour, day, Monday, month or year", "[proxyd][counters]") {
    Zone utc;
    CHECK(period_start(CounterPeriod::never, kNow) == 0);
    CHECK(period_start(CounterPeriod::minutely, kNow) == kMinute);
    CHECK(period_start(CounterPeriod::hourly, kNow) == kHour);
    CHECK(period_start(CounterPeriod::daily, kNow) == kDay);
    CHECK(period_start(CounterPeriod::weekly, kNow) == kWeek);
    CHECK(period_start(CounterPeriod::monthly, kNow) == kMonth);
    CHECK(period_start(CounterPeriod::annually, kNow) == kYear);
    // A start is its own period's start; the second before it is in the period before.
    CHECK(period_start(CounterPeriod::weekly, kWeek) == kWeek);
    CHECK(period_start(CounterPeriod::weekly, kWeek - 1) == kWeek - 7 * 86400);
    CHECK(period_start(CounterPeriod::minutely, kMinute + 59) == kMinute);
    CHECK(period_start(CounterPeriod::minutely, kMinute + 60) == kMinute + 60);
    // Sunday 2026-11-29 10:00 is still in the week that began on Monday the 23rd.
    CHECK(period_start(CounterPeriod::weekly, 1795946400) == kWeek);
}

TEST_CASE("periods follow local time", "[proxyd][counters]") {
    Zone est("EST5");  // UTC-5 all year: 10:42:10 local
    CHECK(period_start(CounterPeriod::daily, kNow) == kDay + 5 * 3600);
    CHECK(period_start(CounterPeriod::hourly, kNow) == kHour);
    CHECK(period_start(CounterPeriod::weekly, kNow) == kWeek + 5 * 3600);
}

TEST_CASE("a report name gets a date suffix per period or its strftime fields filled in",
          "[proxyd][counters]") {
    Zone utc;
    CHECK(report_name("/var/log/traffic", CounterPeriod::minutely, kMinute) ==
          "/var/log/traffic.2026.11.28-15.42");
    CHECK(report_name("/var/log/traffic", CounterPeriod::hourly, kHour) ==
          "/var/log/traffic.2026.11.28-15");
    CHECK(report_name("/var/log/traffic", CounterPeriod::daily, kDay) ==
          "/var/log/traffic.2026.11.28");
    CHECK(report_name("/var/log/traffic", CounterPeriod::weekly, kWeek) ==
          "/var/log/traffic.2026.11.23");
    CHECK(report_name("/var/log/traffic", CounterPeriod::monthly, kMonth) ==
          "/var/log/traffic.2026.11");
    CHECK(report_name("/var/log/traffic", CounterPeriod::annually, kYear) ==
          "/var/log/traffic.2026");
    // With % fields the pattern alone decides, whatever the period.
    CHECK(report_name("/var/log/t-%Y-%m-%d_%H%M", CounterPeriod::daily, kMinute) ==
          "/var/log/t-2026-11-28_1542");
    CHECK(report_name("r%d%%", CounterPeriod::annually, kDay) == "r28%");
}

// --- TrafficCounters

TEST_CASE("a reload keeps the count of a counter whose key stays, whatever its LIMIT",
          "[proxyd][counters]") {
    Zone utc;
    TrafficCounters tc;
    auto a = model_of("countin 1 D 10 alice\ncountout 2 D 10 bob\n");
    auto sa = go_live(tc, a, kNow);
    REQUIRE(sa.size() == 2);
    CHECK(sa[0]->bytes == 0);
    CHECK(sa[0]->period_start == kDay);
    sa[0]->bytes += 5000;
    sa[1]->bytes += 7000;

    // New LIMIT and COMMENT: the same counter. New ACL: a new one, from zero.
    auto b = model_of("countin 1/more D 20 alice\ncountout 2 D 10 bob,carol\nnocountin\n");
    auto sb = tc.states_for(*b, kNow + 5);
    REQUIRE(sb.size() == 3);
    CHECK(sb[0] == sa[0]);
    CHECK(sb[0]->bytes == 5000);
    CHECK(sb[1] != sa[1]);
    CHECK(sb[1]->bytes == 0);
    CHECK(sb[1]->period_start == kDay);
    CHECK(sb[2] == nullptr);  // an exception counts nothing
    tc.commit(b, sb);

    CHECK(tc.model() == b.get());
    auto use = tc.usage();
    REQUIRE(use.size() == 2);
    CHECK(use[0].line == &b->globals.counters[0]);
    CHECK(use[0].line->limit == 20 * MiB);
    CHECK(use[0].bytes == 5000);
    CHECK(use[0].period_start == kDay);
    CHECK(use[1].line->key == "out 2 daily bob,carol");
    CHECK(use[1].bytes == 0);

    // The count is shared: a session of either generation adds to the one count.
    sa[0]->bytes += 1;
    CHECK(tc.usage()[0].bytes == 5001);
}

TEST_CASE("states_for as a dry run leaves the committed generation alone", "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    TrafficCounters tc;
    auto a = model_of("countin 1 D 10 alice\n");
    auto sa = go_live(tc, a, kNow);
    sa[0]->bytes = 100;

    auto b = model_of("countin 1 D 10 alice\ncountall 3 D 10 *\n");
    auto dry = tc.states_for(*b, kNow);
    REQUIRE(dry.size() == 2);
    CHECK(dry[0] == sa[0]);
    dry[1]->bytes = 999;

    CHECK(tc.model() == a.get());
    auto use = tc.usage();
    REQUIRE(use.size() == 1);
    CHECK(use[0].line->key == "in 1 daily alice");
    CHECK(use[0].bytes == 100);
    // The state the dry run made was never kept.
    auto again = tc.states_for(*b, kNow);
    CHECK(again[1] != dry[1]);
    CHECK(again[1]->bytes == 0);
    std::string error;
    REQUIRE(tc.save(dir.file("counters"), kNow, error));
    auto saved = lines_of(dir.file("counters"));
    CHECK(has_line(saved, std::to_string(100) + " " + std::to_string(kDay) + " in 1 daily alice"));
    for (const auto& l : saved) CHECK(l.find("all 3") == std::string::npos);
}

TEST_CASE("saved counts seed a new daemon; N 0 is never saved", "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    const std::string path = dir.file("counters");
    auto m = model_of("countin 1/alice D 10 alice\ncountout 0 D 10 bob\ncountall 5 N 10 *\n");
    std::string error;
    {
        TrafficCounters one;
        auto s = go_live(one, m, kNow);
        s[0]->bytes = 1234;
        s[1]->bytes = 99;
        s[2]->bytes = 777;
        CHECK(one.dirty());
        REQUIRE(one.save(path, kNow, error));
        CHECK(error.empty());
        CHECK_FALSE(one.dirty());
        s[0]->bytes += 1;
        CHECK(one.dirty());
    }
    // Written whole beside the old one and renamed: nothing else is left behind.
    CHECK(dir.entries() == std::vector<std::string>{"counters"});
    auto lines = lines_of(path);
    CHECK(has_line(lines, "proxyd-counters 1"));
    CHECK(has_line(lines, "1234 " + std::to_string(kDay) + " in 1 daily alice"));
    CHECK(has_line(lines, "777 0 all 5 never *"));
    for (const auto& l : lines) CHECK(l.find("bob") == std::string::npos);
    CHECK(std::filesystem::status(path).permissions() ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    SECTION("loaded before the first generation") {
        TrafficCounters two;
        REQUIRE(two.load(path, error));
        auto s = two.states_for(*m, kNow + 60);
        CHECK(s[0]->bytes == 1234);
        CHECK(s[1]->bytes == 0);
        CHECK(s[2]->bytes == 777);
    }
    SECTION("loaded after the first generation is committed") {
        TrafficCounters two;
        auto s = go_live(two, m, kNow + 60);
        REQUIRE(two.load(path, error));
        CHECK(s[0]->bytes == 1234);
        CHECK(s[1]->bytes == 0);
        CHECK(s[2]->bytes == 777);
        CHECK_FALSE(two.dirty());  // what was loaded needs no save
    }
    SECTION("a count saved in an earlier period starts at 0") {
        TrafficCounters two;
        REQUIRE(two.load(path, error));
        auto s = two.states_for(*m, kNow + 86400);
        CHECK(s[0]->bytes == 0);
        CHECK(s[0]->period_start == kDay + 86400);
        CHECK(s[2]->bytes == 777);  // a counter that never resets keeps it
    }
    SECTION("a count saved for another definition is not taken") {
        TrafficCounters two;
        REQUIRE(two.load(path, error));
        auto other = model_of("countin 1/alice W 10 alice\ncountin 1/alice D 10 alice,bob\n");
        auto s = two.states_for(*other, kNow);
        CHECK(s[0]->bytes == 0);
        CHECK(s[1]->bytes == 0);
    }
}

TEST_CASE("a counter a reload drops stays in the file and comes back with its count",
          "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    const std::string path = dir.file("counters");
    std::string error;
    TrafficCounters tc;
    auto both = model_of("countin 1 D 10 alice\ncountin 2 D 10 bob\ncountin 0 D 10 carol\n");
    auto s = go_live(tc, both, kNow);
    s[0]->bytes = 10;
    s[1]->bytes = 4242;
    s[2]->bytes = 55;

    auto alice = model_of("countin 1 D 10 alice\n");
    go_live(tc, alice, kNow + 1);
    REQUIRE(tc.save(path, kNow + 2, error));
    auto lines = lines_of(path);
    CHECK(has_line(lines, "10 " + std::to_string(kDay) + " in 1 daily alice"));
    CHECK(has_line(lines, "4242 " + std::to_string(kDay) + " in 2 daily bob"));
    // N 0 is never written, dropped or not.
    for (const auto& l : lines) CHECK(l.find("carol") == std::string::npos);

    // The same daemon, reloaded with the line again.
    auto back = tc.states_for(*both, kNow + 3);
    CHECK(back[1]->bytes == 4242);

    // A new daemon that reads the file.
    TrafficCounters fresh;
    REQUIRE(fresh.load(path, error));
    auto f = fresh.states_for(*both, kNow + 3);
    CHECK(f[0]->bytes == 10);
    CHECK(f[1]->bytes == 4242);
    CHECK(f[2]->bytes == 0);
}

TEST_CASE("a file that is not a counter file is refused, naming the file and line",
          "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    TrafficCounters tc;
    std::string error;
    const std::string path = dir.file("counters");

    // A missing file is an empty one.
    CHECK(tc.load(dir.file("missing"), error));
    CHECK(error.empty());

    write_file(path, "# some other file\n\nusers alice:CL:secret\n");
    CHECK_FALSE(tc.load(path, error));
    CHECK(error.find(path + ":3: not a proxyd counter file") == 0);
    CHECK(error.find("'proxyd-counters 1'") != std::string::npos);

    error.clear();
    write_file(path, "proxyd-counters 1\n12 0 in 1 never *\n12 abc in 2 never *\n");
    CHECK_FALSE(tc.load(path, error));
    CHECK(error == path + ":3: expected 'BYTES PERIOD_START KEY', found '12 abc in 2 never *'");

    error.clear();
    write_file(path, "proxyd-counters 1\n12 0\n");
    CHECK_FALSE(tc.load(path, error));
    CHECK(error.find(path + ":2: expected") == 0);

    // Nothing of a refused file is taken.
    auto m = model_of("countin 1 N 10 *\n");
    CHECK(tc.states_for(*m, kNow)[0]->bytes == 0);
    // The file is left as it was.
    CHECK(lines_of(path) == std::vector<std::string>{"proxyd-counters 1", "12 0"});
}

TEST_CASE("roll starts a new minute and writes the report of the period that ended",
          "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    TrafficCounters tc;
    std::string error;
    auto m = model_of("counter " + dir.file("counters") + " C " + dir.file("report") +
                      "\ncountin 1/alice C 10 alice\ncountall 2/all N 1 *\nnocountout\n");
    auto s = go_live(tc, m, kNow);
    REQUIRE(s.size() == 3);
    s[0]->bytes = 3000;
    s[1]->bytes = 500;

    CHECK(tc.roll(kNow, error).empty());  // the first roll marks the report period
    CHECK(tc.roll(kMinute + 59, error).empty());
    CHECK(s[0]->bytes == 3000);
    CHECK(s[0]->period_start == kMinute);
    CHECK(error.empty());

    auto written = tc.roll(kMinute + 61, error);
    CHECK(error.empty());
    const std::string report = dir.file("report.2026.11.28-15.42");
    CHECK(written == std::vector<std::string>{report});
    CHECK(s[0]->bytes == 0);
    CHECK(s[0]->period_start == kMinute + 60);
    CHECK(s[1]->bytes == 500);  // never resets
    CHECK(tc.dirty());

    // The report holds the counts of the minute that ended, before the reset.
    auto lines = lines_of(report);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] ==
          "# Traffic report of proxyd: 2026-11-28 15:42:00 +0000 to 2026-11-28 15:43:00 +0000");
    CHECK(lines[1] == "# N\tKIND\tPERIOD\tBYTES\tLIMIT\tCOMMENT\tLINE");
    CHECK(lines[2] == "1\tin\tminutely\t3000\t10485760\talice\t2");
    CHECK(lines[3] == "2\tall\tnever\t500\t1048576\tall\t3");

    // Within the new minute nothing more happens.
    s[0]->bytes = 7;
    CHECK(tc.roll(kMinute + 100, error).empty());
    CHECK(s[0]->bytes == 7);
    CHECK(dir.entries() == std::vector<std::string>{"report.2026.11.28-15.42"});
}

TEST_CASE("without TYPE and REPORT no report is written, but counters still reset",
          "[proxyd][counters]") {
    Zone utc;
    TempDir dir;
    TrafficCounters tc;
    std::string error;
    auto m = model_of("counter " + dir.file("counters") + "\ncountout 1 H 10 *\n");
    auto s = go_live(tc, m, kNow);
    s[0]->bytes = 42;
    CHECK(tc.roll(kNow, error).empty());
    CHECK(tc.roll(kHour + 3600, error).empty());
    CHECK(error.empty());
    CHECK(s[0]->bytes == 0);
    CHECK(s[0]->period_start == kHour + 3600);
    CHECK(dir.entries().empty());
}

TEST_CASE("newly_spent reports a counter's crossing of its limit once", "[proxyd][counters]") {
    Zone utc;
    TrafficCounters tc;
    CHECK_FALSE(tc.newly_spent());  // nothing committed yet
    auto m = model_of("countin 1 C 1 *\nnocountall admin\ncountall 2 N 5 *\n");
    auto s = go_live(tc, m, kNow);
    CHECK_FALSE(tc.newly_spent());

    s[0]->bytes = MiB - 1;
    CHECK_FALSE(tc.newly_spent());
    proxyd::CounterUse use{s[0], MiB, true, false};
    CHECK_FALSE(use.spent());

    s[0]->bytes = MiB;
    CHECK(use.spent());
    CHECK(tc.newly_spent());
    CHECK(s[0]->over);
    CHECK_FALSE(s[2]->over);
    CHECK_FALSE(tc.newly_spent());  // once per crossing
    s[0]->bytes += 100;
    CHECK_FALSE(tc.newly_spent());

    // A new minute starts from zero: the next crossing is reported again.
    std::string error;
    tc.roll(kNow, error);
    tc.roll(kMinute + 60, error);
    CHECK(s[0]->bytes == 0);
    CHECK_FALSE(s[0]->over);
    CHECK_FALSE(tc.newly_spent());
    s[0]->bytes = MiB;
    CHECK(tc.newly_spent());

    // A reload looks again: a spent counter is reported to the new generation too.
    go_live(tc, m, kMinute + 61);
    CHECK(tc.newly_spent());
    CHECK_FALSE(tc.newly_spent());
}
