// Dialect rules: PX501-PX505 and PX508-PX509 (proxyd), PX506-PX507 and PX510 (3proxy).
#include <catch2/catch.hpp>

#include "check_text.hpp"

using proxycfg::Dialect;
using testing::check_text;
using testing::contains;
using testing::reports;
using testing::with_code;

namespace {

const char* const kSha512 =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq."
    "H91p5hVO1";

}  // namespace

// --- PX501

TEST_CASE("a service type proxyd does not implement is an error in the proxyd dialect",
          "[lint][dialect]") {
    auto l = check_text("socks -i127.0.0.1\ntlspr -i127.0.0.1\n");
    auto d = with_code(l, "PX501");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(d[0].span.column == 1);
    CHECK(d[0].span.length == 5);
    CHECK(d[0].severity == proxycfg::Severity::error);
    CHECK(contains(d[0].message, "'tlspr' service"));
    CHECK(contains(d[0].message, "it serves proxy, socks, tcppm"));
}

TEST_CASE("the served services are implemented and 3proxy services are fine in its dialect",
          "[lint][dialect]") {
    CHECK_FALSE(reports(check_text("socks -i127.0.0.1\nproxy -i127.0.0.1\n"
                                   "tcppm -i127.0.0.1 2525 192.0.2.1 25\n"
                                   "udppm -i127.0.0.1 5353 192.0.2.1 53\n"
                                   "nserver 192.0.2.53\ndnspr -i127.0.0.1\n"),
                        "PX501"));
    CHECK_FALSE(reports(check_text("tlspr -i127.0.0.1\n", Dialect::threeproxy), "PX501"));
}

TEST_CASE("pop3p smtpp and ftppr are implemented and delimchar is honoured in the proxyd dialect",
          "[lint][dialect]") {
    auto l = check_text(
        "delimchar #\npop3p -i127.0.0.1 -h127.0.0.1:2110\nsmtpp -i127.0.0.1\nftppr -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX501"));
    CHECK_FALSE(reports(l, "PX502"));
}

// --- PX502

TEST_CASE("a directive proxyd ignores is an info, not a warning", "[lint][dialect]") {
    // Nothing is wrong for the user: the line is harmless, so it must not fail a check
    // that stops at warnings.
    auto l = check_text("rotate 30\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX502");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(contains(d[0].message, "ignores"));
}

TEST_CASE("nscache and nscache6 are served, not ignored", "[lint][dialect]") {
    auto l = check_text("nscache 65536\nnscache6 1024\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX502"));
}

TEST_CASE("service and writable are harmless no-ops, not ignored directives", "[lint][dialect]") {
    auto l = check_text("service\nwritable\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX502"));
    CHECK_FALSE(
        reports(check_text("rotate 30\nsocks -i127.0.0.1\n", Dialect::threeproxy), "PX502"));
}

// --- PX503

TEST_CASE("a directive proxyd cannot honour is an error", "[lint][dialect]") {
    auto l = check_text("allow *\ndialer /usr/bin/pppd\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX503");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 2);
    CHECK(contains(d[0].message, "cannot honour 'dialer'"));
}

TEST_CASE("implemented directives are honoured", "[lint][dialect]") {
    auto l = check_text("nserver 192.0.2.53\nmaxconn 50\nallow *\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
    CHECK_FALSE(reports(
        check_text("dialer /usr/bin/pppd\nsocks -i127.0.0.1\n", Dialect::threeproxy), "PX503"));
}

TEST_CASE("bandwidth limits are honoured by proxyd", "[lint][dialect]") {
    auto l = check_text(
        "users a:CL:b\nbandlimin 1000000 a\nbandlimout 64000 *\nnobandlimin * 127.0.0.1\n"
        "nobandlimout\nallow *\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
}

TEST_CASE("connlim and noconnlim are honoured", "[lint][dialect]") {
    auto l = check_text(
        "noconnlim * 127.0.0.1\nconnlim 10 0 *\nconnlim 100 60 alice\nallow *\n"
        "socks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
    CHECK_FALSE(reports(l, "PX502"));
}

// --- PX504

TEST_CASE("an NT password is unsupported by proxyd", "[lint][dialect]") {
    auto l = check_text(
        "users bob:NT:8846F7EAEE8FB117AD06BDD830B7586C\nauth strong\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX504");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.column == 7);
    CHECK(contains(d[0].message, "'bob' has an NT: password"));
}

TEST_CASE("NT passwords are fine for 3proxy and CL/CR are fine for proxyd", "[lint][dialect]") {
    CHECK_FALSE(
        reports(check_text("users bob:NT:8846F7EAEE8FB117AD06BDD830B7586C\n", Dialect::threeproxy),
                "PX504"));
    CHECK_FALSE(reports(check_text("users bob:CL:x\n"), "PX504"));
}

// --- PX505

TEST_CASE("auth types proxyd does not implement are reported at the word", "[lint][dialect]") {
    auto l = check_text("auth radius strong\nsocks -i127.0.0.1\nauth dnsname\nproxy -i127.0.0.1\n");
    auto d = with_code(l, "PX505");
    REQUIRE(d.size() == 2);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 6);
    CHECK(contains(d[0].message, "'radius'"));
    CHECK(d[1].span.line == 3);
}

TEST_CASE("none, iponly, useronly, strong and cache are implemented auth types",
          "[lint][dialect]") {
    auto l = check_text(
        "auth iponly strong\nsocks -i127.0.0.1\nauth none\nproxy -i127.0.0.1\n"
        "authcache ip,user 300\nauth cache strong\nsocks -i127.0.0.1 -p1081\n");
    CHECK_FALSE(reports(l, "PX505"));
    CHECK_FALSE(reports(l, "PX503"));
}

// --- PX509

TEST_CASE("parents proxyd serves are not dialect errors", "[lint][dialect]") {
    auto l = check_text(
        "parentretries 2\nallow *\nparent 500 socks5 192.0.2.1 1080\nparent 500 connect+ "
        "192.0.2.2 3128 u p\nparent 1000 socks4 192.0.2.3 1080\nredirect 192.0.2.4 3128\n"
        "parent 1000 tcp 192.0.2.5 80\nproxy -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
    CHECK_FALSE(reports(l, "PX502"));
    CHECK_FALSE(reports(l, "PX509"));
}

TEST_CASE("parent types proxyd does not serve are reported at the type", "[lint][dialect]") {
    auto l = check_text(
        "allow *\nparent 500 socks5 192.0.2.1 1080\nparent 500 socks5b 192.0.2.2 1080\n"
        "parent 1000 pop3 192.0.2.3 110\nsocks -i127.0.0.1\n");
    auto d = with_code(l, "PX509");
    REQUIRE(d.size() == 2);
    CHECK(d[0].span.line == 3);
    CHECK(d[0].span.column == 12);
    CHECK(contains(d[0].message, "parent type 'socks5b'"));
    CHECK(d[1].span.line == 4);
    CHECK(contains(d[1].message, "'pop3'"));
    CHECK_FALSE(reports(l, "PX503"));
    CHECK_FALSE(reports(check_text("allow *\nparent 1000 pop3 192.0.2.3 110\nsocks -i127.0.0.1\n",
                                   Dialect::threeproxy),
                        "PX509"));
}

// --- PX508

TEST_CASE("auth cache in the proxyd dialect says how proxyd's cache follows reloads",
          "[lint][dialect]") {
    auto l = check_text(
        "users alice:CL:a\nauth strong cache\nsocks -i127.0.0.1\n"
        "auth cache\nproxy -i127.0.0.1\n");
    auto d = with_code(l, "PX508");
    REQUIRE(d.size() == 2);  // once per auth line
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(d[0].span.line == 2);
    CHECK(d[0].span.column == 13);
    CHECK(contains(d[0].message, "reload drops"));
    // The 3proxy dialect has PX217 instead.
    auto three = check_text("users alice:CL:a\nauth strong cache\nsocks -i127.0.0.1\n",
                            proxycfg::Dialect::threeproxy);
    CHECK_FALSE(reports(three, "PX508"));
    CHECK(reports(three, "PX217"));
}

// --- authcache

TEST_CASE("authcache types are matched as substrings, with 3proxy's fallbacks", "[resolve]") {
    using B = proxycfg::AuthCacheSettings;
    auto ip_user = check_text("authcache ip,user,limit 300\n").model.globals.authcache.value;
    CHECK(ip_user.type == (B::ip | B::user | B::limit));
    CHECK(ip_user.seconds == 300);
    CHECK(ip_user.to_string() == "ip,user,limit 300s");
    auto defaults = check_text("socks -i127.0.0.1\n").model.globals.authcache.value;
    CHECK(defaults.type == (B::user | B::pass));
    CHECK(defaults.seconds == 600);
    // Unknown words and a bad time: 3proxy's fallbacks, with a warning each.
    auto l = check_text("authcache nothing soon\n");
    CHECK(l.model.globals.authcache.value == defaults);
    auto w = with_code(l, "PX021");
    REQUIRE(w.size() == 2);
    CHECK(w[0].severity == proxycfg::Severity::warning);
    CHECK(w[1].severity == proxycfg::Severity::warning);
    // 0 seconds means the default too.
    CHECK(check_text("authcache user 0\n").model.globals.authcache.value.seconds == 600);
}

// --- PX506

TEST_CASE(
    "3proxy's force re-check ignoring ACL edits is said once, at the first service "
    "with a user ACL",
    "[lint][dialect]") {
    auto l = check_text(R"(users bob:CL:pw
auth strong
force
socks -i127.0.0.1
allow bob
proxy -i127.0.0.1
socks -i127.0.0.1 -p1081
)",
                        Dialect::threeproxy);
    auto d = with_code(l, "PX506");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 6);
    CHECK(d[0].severity == proxycfg::Severity::info);
    CHECK(d[0].notes.at(0).span.line == 5);
}

TEST_CASE("noforce services and source-only ACLs get no force note", "[lint][dialect]") {
    CHECK_FALSE(reports(check_text("users bob:CL:pw\nauth strong\nnoforce\nallow bob\n"
                                   "socks -i127.0.0.1\n",
                                   Dialect::threeproxy),
                        "PX506"));
    CHECK_FALSE(reports(check_text("allow * 10.0.0.0/8\nsocks -i127.0.0.1\n", Dialect::threeproxy),
                        "PX506"));
    CHECK_FALSE(reports(check_text("users bob:CL:pw\nauth strong\nallow bob\nsocks -i127.0.0.1\n"),
                        "PX506"));
}

// --- PX507

TEST_CASE("a $6$ hash never matches in 3proxy", "[lint][dialect]") {
    auto l = check_text("users \"bob:CR:" + std::string(kSha512) +
                            "\"\nauth strong\n"
                            "socks -i127.0.0.1\n",
                        Dialect::threeproxy);
    auto d = with_code(l, "PX507");
    REQUIRE(d.size() == 1);
    CHECK(d[0].span.line == 1);
    CHECK(contains(d[0].message, "$6$ hash"));
}

TEST_CASE("$1$ hashes are fine in 3proxy and $6$ hashes are fine in proxyd", "[lint][dialect]") {
    CHECK_FALSE(reports(
        check_text("users \"bob:CR:$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1\"\n", Dialect::threeproxy),
        "PX507"));
    CHECK_FALSE(reports(check_text("users \"bob:CR:" + std::string(kSha512) + "\"\n"), "PX507"));
}

TEST_CASE("a force service under auth none gets no force note: its ACL is not checked",
          "[lint][dialect]") {
    auto l =
        check_text("auth none\nallow * * example.com\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    CHECK_FALSE(reports(l, "PX506"));
}

TEST_CASE("chroot is served by proxyd", "[lint][dialect]") {
    auto l = check_text("chroot /srv/jail\nauth iponly\nallow *\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
}

TEST_CASE("count lines and the counter file are honoured by proxyd", "[lint][dialect]") {
    auto l = check_text(
        "countin 1/alice D 1024 alice\ncounter /var/lib/proxyd/traffic D /var/log/traffic\n"
        "countout 2 W 10 *\ncountall 0 M 5 * 10.0.0.0/8\nnocountin * 127.0.0.1\nnocountout\n"
        "nocountall admin\nallow *\nsocks -i127.0.0.1\n");
    CHECK_FALSE(reports(l, "PX503"));
    CHECK_FALSE(reports(l, "PX502"));
    // The order 3proxy needs is no concern of proxyd's.
    CHECK_FALSE(reports(l, "PX510"));
}

// --- PX510

TEST_CASE("a count line above the counter line does not get its saved count in 3proxy",
          "[lint][dialect]") {
    auto l = check_text(
        "countin 1/alice D 1024 alice\n"
        "nocountin * 127.0.0.1\n"
        "countout 2 W 10 *\n"
        "countall 3 M 10 *\n"
        "counter /var/lib/3proxy/traffic.3cf\n"
        "countin 4 D 10 *\n"
        "socks -i127.0.0.1\n",
        Dialect::threeproxy);
    auto d = with_code(l, "PX510");
    // Every count line above the counter line, never an exception or a line below it.
    REQUIRE(d.size() == 3);
    CHECK(d[0].severity == proxycfg::Severity::warning);
    CHECK(d[0].span.line == 1);
    CHECK(d[0].span.column == 1);
    CHECK(d[0].span.length == 7);  // the directive word
    CHECK(contains(d[0].message, "'countin' above 'counter'"));
    CHECK(contains(d[0].message, "starts from zero"));
    CHECK(d[1].span.line == 3);
    CHECK(d[1].span.length == 8);
    CHECK(contains(d[1].message, "'countout' above 'counter'"));
    CHECK(d[2].span.line == 4);
    CHECK(contains(d[2].message, "'countall' above 'counter'"));
    for (const auto& each : d) {
        REQUIRE(each.notes.size() == 1);
        CHECK(each.notes[0].span.line == 5);
        CHECK(each.notes[0].span.column == 1);
        CHECK(each.notes[0].message == "the counter file is opened here");
    }
}

TEST_CASE("count lines below the counter line, or no counter line, are fine for 3proxy",
          "[lint][dialect]") {
    // near miss: the same lines with counter first
    auto below = check_text(
        "counter /var/lib/3proxy/traffic.3cf\ncountin 1/alice D 1024 alice\ncountout 2 D 10 *\n"
        "countall 3 D 10 *\nsocks -i127.0.0.1\n",
        Dialect::threeproxy);
    CHECK_FALSE(reports(below, "PX510"));
    // Without a counter file nothing is loaded anyway.
    auto none =
        check_text("countin 1/alice D 1024 alice\nsocks -i127.0.0.1\n", Dialect::threeproxy);
    CHECK_FALSE(reports(none, "PX510"));
    // Only exceptions above the counter line: they have no count to load.
    auto exceptions = check_text(
        "nocountin * 127.0.0.1\nnocountall admin\ncounter /var/lib/3proxy/traffic.3cf\n"
        "countin 1 D 10 *\nsocks -i127.0.0.1\n",
        Dialect::threeproxy);
    CHECK_FALSE(reports(exceptions, "PX510"));
}

TEST_CASE("the proxyd dialect is silent about count lines above the counter line",
          "[lint][dialect]") {
    const char* cfg =
        "countin 1/alice D 1024 alice\ncountall 2 W 10 *\n"
        "counter /var/lib/proxyd/traffic\nsocks -i127.0.0.1\n";
    CHECK_FALSE(reports(check_text(cfg), "PX510"));
    CHECK(reports(check_text(cfg, Dialect::threeproxy), "PX510"));
}
