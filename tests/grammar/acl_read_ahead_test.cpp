// allow and deny lines read on a second thread ahead of the resolver: whatever the timing,
// what the replay takes is what it would have read itself.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "acl_read_ahead.hpp"
#include "proxycfg/parse.hpp"
#include "proxycfg/resolve.hpp"

namespace {

using proxycfg::AclEntry;
using proxycfg::AclReadAhead;
using proxycfg::Directive;

// ACL lines of every outcome (kept, refused for a port, an operation or a weight), with
// other directives and a malformed ACL line between them.
std::string acl_config(int lines) {
    std::string text;
    for (int i = 0; i < lines; ++i) {
        std::string n = std::to_string(i);
        switch (i % 7) {
            case 0:
                text += "allow u" + n + ",v" + n + " 10." + std::to_string(i % 250) +
                        ".0.0/16 *.example.com,192.0.2.1 80,443 CONNECT\n";
                break;
            case 1:
                text += "deny * * * " + std::to_string(70000 + i) + "\n";  // bad port
                break;
            case 2:
                text += "allow u" + n + " * * * NOPE\n";  // bad operation
                break;
            case 3:
                text += "flush\nauth strong\n";
                break;
            case 4:
                text += "allow * * * * * 1-5 09:00:00-18:00:00 x" + n + "\n";  // bad weight
                break;
            case 5:
                text += "deny\n";  // malformed: not an ACL line for the read-ahead
                break;
            default:
                text += "allow u" + n + " 192.0.2." + std::to_string(i % 250) +
                        " 2001:db8::/32 1-1023\n";
        }
    }
    return text;
}

// The line read directly, as the replay reads the lines it does not take.
AclReadAhead::Result read_directly(const Directive& d) {
    AclReadAhead::Result r;
    proxycfg::LexedDirective lexed(d);
    r.error = proxycfg::read_acl_fields(lexed, 0, r.entry, nullptr);
    return r;
}

void check_same(const AclReadAhead::Result& a, const AclReadAhead::Result& b) {
    REQUIRE(a.error.has_value() == b.error.has_value());
    if (a.error) {
        CHECK(a.error->rule == b.error->rule);
        CHECK(a.error->span == b.error->span);
        CHECK(a.error->message == b.error->message);
        return;
    }
    const AclEntry& x = a.entry;
    const AclEntry& y = b.entry;
    CHECK(x.users() == y.users());
    CHECK(x.sources() == y.sources());
    CHECK(x.target_addresses() == y.target_addresses());
    CHECK(x.target_hosts() == y.target_hosts());
    CHECK(x.ports() == y.ports());
    CHECK(x.periods() == y.periods());
    CHECK(x.operations == y.operations);
    CHECK(x.weekdays == y.weekdays);
    CHECK(x.weight == y.weight);
}

}  // namespace

TEST_CASE("acl read-ahead: what the replay takes is what it would read", "[acl_read_ahead]") {
    auto parsed = proxycfg::parse_text("big.cfg", acl_config(9000));
    const auto& cfg = parsed.config;
    proxycfg::TextPool pool;
    // Pauses of different lengths let the thread get ahead, fall behind and be caught up.
    for (int pause_every : {0, 3, 97, 1500}) {
        AclReadAhead ahead(cfg, 0, pool);
        REQUIRE(ahead.active());
        if (pause_every == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::size_t taken = 0, lines = 0;
        for (const auto& d : cfg.directives) {
            if (!AclReadAhead::reads(d)) continue;
            ++lines;
            if (pause_every > 0 && lines % static_cast<std::size_t>(pause_every) == 0)
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            AclReadAhead::Result got;
            if (!ahead.take(d.index, got)) continue;
            ++taken;
            check_same(got, read_directly(d));
        }
        INFO("pause every " << pause_every << ": " << taken << " of " << lines << " taken");
        CHECK(lines > 5000);
        // Given 50 ms before the first line, the thread has filled its ring (1,024 lines),
        // and the replay takes most of them.
        if (pause_every == 0) CHECK(taken >= 512);
    }
}

TEST_CASE("acl read-ahead: a short file is read by the replay alone", "[acl_read_ahead]") {
    auto parsed = proxycfg::parse_text("small.cfg", acl_config(70));
    proxycfg::TextPool pool;
    AclReadAhead ahead(parsed.config, 1000, pool);
    CHECK_FALSE(ahead.active());
    AclReadAhead::Result got;
    for (const auto& d : parsed.config.directives)
        if (AclReadAhead::reads(d)) CHECK_FALSE(ahead.take(d.index, got));
}

TEST_CASE("acl read-ahead: stopping early wakes a thread that waits for room", "[acl_read_ahead]") {
    auto parsed = proxycfg::parse_text("big.cfg", acl_config(20000));
    proxycfg::TextPool pool;
    {
        AclReadAhead ahead(parsed.config, 0, pool);
        AclReadAhead::Result got;
        for (const auto& d : parsed.config.directives) {
            if (!AclReadAhead::reads(d)) continue;
            ahead.take(d.index, got);
            break;
        }
        // Long enough for the thread to fill the ring and wait.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }  // the destructor must return (a hang fails the test by its timeout)
    SUCCEED();
}

TEST_CASE("resolve: a file large enough for the read-ahead keeps order and errors",
          "[acl_read_ahead][resolve]") {
    // Above the resolver's threshold for reading ACL lines ahead.
    std::string text = "auth strong\n";
    const int lines = 30000;
    for (int i = 0; i < lines; ++i) {
        if (i % 1000 == 999)
            text += "deny * * * 70000\n";
        else
            text += "allow u" + std::to_string(i) + " 10.0.0.1 * " + std::to_string(i % 60000 + 1) +
                    "\n";
    }
    text += "socks -p1080\n";
    auto parsed = proxycfg::parse_text("big.cfg", text);
    proxycfg::Diagnostics diags;
    auto model = proxycfg::resolve(parsed.config, diags);
    REQUIRE(model.services.size() == 1);
    auto entries = model.services[0].acl.entries();
    REQUIRE(entries.size() == static_cast<std::size_t>(lines - lines / 1000));
    std::size_t k = 0;
    for (int i = 0; i < lines; ++i) {
        if (i % 1000 == 999) continue;
        const AclEntry& e = entries[k++];
        REQUIRE(e.span().line == static_cast<std::uint32_t>(i + 2));
        REQUIRE(e.users().size() == 1);
        REQUIRE(*e.users().begin() == "u" + std::to_string(i));
        REQUIRE((*e.ports().begin()).first == static_cast<std::uint16_t>(i % 60000 + 1));
    }
    REQUIRE(diags.size() == static_cast<std::size_t>(lines / 1000));
    for (std::size_t i = 0; i < diags.size(); ++i) {
        CHECK(diags[i].code == "PX005");
        CHECK(diags[i].span.line == static_cast<std::uint32_t>(1000 * (i + 1) + 1));
    }
}
