// The resolver: 3proxy's positional replay (docs/language.md, "Positional state").
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "check_text.hpp"
#include "proxycfg/parse.hpp"
#include "proxycfg/resolve.hpp"

namespace {

using namespace proxycfg;

struct Resolved {
    ParseResult parse;
    Model model;
    Diagnostics diags;

    const Service& svc(std::size_t i) const { return model.services.at(i); }
    std::vector<const Diagnostic*> with_code(std::string_view code) const {
        std::vector<const Diagnostic*> out;
        for (const auto& d : diags)
            if (d.code == code) out.push_back(&d);
        return out;
    }
    std::string summary() const {
        std::string s;
        for (const auto& d : diags)
            s += d.code + "@" + std::to_string(d.span.line) + ":" + std::to_string(d.span.column) +
                 " " + d.message + "\n";
        return s;
    }
};

Resolved resolve_text(std::string text) {
    Resolved r;
    r.parse = parse_text("test.cfg", std::move(text));
    r.diags = r.parse.config.diagnostics;
    r.model = resolve(r.parse.config, r.diags);
    return r;
}

std::vector<std::uint32_t> acl_lines(const Service& s) {
    std::vector<std::uint32_t> out;
    for (const auto& e : s.acl.entries()) out.push_back(e.span().line);
    return out;
}

using Lines = std::vector<std::uint32_t>;

}  // namespace

// --- defaults and snapshots

TEST_CASE("a service with nothing above it gets 3proxy's defaults", "[grammar][resolve]") {
    auto r = resolve_text("socks\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 1);
    const auto& s = r.svc(0);
    CHECK(s.auth.value == AuthChain{AuthMethod::iponly});
    CHECK_FALSE(s.auth.span.valid());
    CHECK(s.maxconn.value == 100);
    CHECK(s.force().value);
    CHECK(s.acl.empty());
    CHECK(s.port.value == 1080);
    CHECK(s.bind_address.value.empty());
    CHECK(s.listens_everywhere());
    CHECK_FALSE(s.log().enabled);
    CHECK(r.model.globals.timeouts.value.values ==
          std::array<std::uint32_t, 10>{1, 5, 30, 60, 180, 1800, 15, 60, 15, 5});
    CHECK(r.diags.empty());
}

TEST_CASE("default ports per service type", "[grammar][resolve]") {
    auto r = resolve_text("proxy\nsocks\npop3p\nftppr\nadmin\ndnspr\nsmtpp\n");
    std::vector<int> ports;
    for (const auto& s : r.model.services) ports.push_back(s.port.value);
    CHECK(ports == std::vector<int>{3128, 1080, 110, 21, 80, 53, 25});
}

TEST_CASE("a service copies auth, maxconn and force at its line", "[grammar][resolve]") {
    auto r = resolve_text(
        "auth strong\nmaxconn 5\nnoforce\nsocks\nauth none\nmaxconn 7\nforce\nproxy\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 2);
    CHECK(r.svc(0).auth.value == AuthChain{AuthMethod::strong});
    CHECK(r.svc(0).auth.span.line == 1);
    CHECK(r.svc(0).maxconn.value == 5);
    CHECK(r.svc(0).maxconn.span.line == 2);
    CHECK_FALSE(r.svc(0).force().value);
    CHECK(r.svc(0).force().span.line == 3);
    CHECK(r.svc(1).auth.value == AuthChain{AuthMethod::none});
    CHECK(r.svc(1).maxconn.value == 7);
    CHECK(r.svc(1).maxconn.span.line == 6);
    CHECK(r.svc(1).force().value);
    CHECK(r.svc(1).force().span.line == 7);
    CHECK(r.svc(1).span.line == 8);
}

TEST_CASE("changes after a service never reach it", "[grammar][resolve]") {
    auto r = resolve_text("allow bob\nsocks\nauth strong\nmaxconn 3\nnoforce\nallow alice\n");
    const auto& s = r.svc(0);
    CHECK(s.auth.value == AuthChain{AuthMethod::iponly});
    CHECK(s.maxconn.value == 100);
    CHECK(s.force().value);
    CHECK(acl_lines(s) == Lines{1});
}

TEST_CASE("force and noforce are sticky until changed", "[grammar][resolve]") {
    auto r = resolve_text("noforce\nsocks\nproxy -p3129\nforce\ntcppm 2525 mail.example.net 25\n");
    REQUIRE(r.model.services.size() == 3);
    CHECK_FALSE(r.svc(0).force().value);
    CHECK_FALSE(r.svc(1).force().value);
    CHECK(r.svc(1).force().span.line == 1);
    CHECK(r.svc(2).force().value);
    CHECK(r.svc(2).force().span.line == 4);
}

TEST_CASE("without flush the ACL leaks into the next service", "[grammar][resolve]") {
    auto r = resolve_text("allow bob\nsocks\nallow alice\nproxy\n");
    CHECK(acl_lines(r.svc(0)) == Lines{1});
    CHECK(acl_lines(r.svc(1)) == Lines{1, 3});
    CHECK(r.svc(1).acl.entries()[0].users() == proxycfg::NameList{"bob"});
}

TEST_CASE("flush empties the ACL but keeps auth", "[grammar][resolve]") {
    auto r = resolve_text("auth strong\nallow bob\nsocks\nflush\nallow alice\nproxy\n");
    CHECK(acl_lines(r.svc(1)) == Lines{5});
    CHECK(r.svc(1).acl_flush_span().line == 4);
    CHECK(r.svc(1).auth.value == AuthChain{AuthMethod::strong});
    CHECK(r.svc(1).auth.span.line == 1);
    CHECK(acl_lines(r.svc(0)) == Lines{2});
}

TEST_CASE("flush right before a service gives it an empty ACL", "[grammar][resolve]") {
    auto r = resolve_text("allow bob\nflush\nsocks\n");
    CHECK(r.svc(0).acl.empty());
}

TEST_CASE("internal and external are snapshotted; -i and -e override", "[grammar][resolve]") {
    auto r = resolve_text(
        "internal 127.0.0.1\nexternal 192.0.2.1\nsocks\ninternal 10.0.0.1\nproxy\n"
        "socks -p1081 -i10.0.0.2 -e2001:db8::1\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 3);
    CHECK(r.svc(0).bind_address.value == "127.0.0.1");
    CHECK(r.svc(0).bind_address.span.line == 1);
    CHECK(r.svc(0).external_v4().value == "192.0.2.1");
    CHECK(r.svc(1).bind_address.value == "10.0.0.1");
    CHECK(r.svc(2).bind_address.value == "10.0.0.2");
    CHECK(r.svc(2).bind_address.span.line == 6);
    CHECK(r.svc(2).external_v6().value == "2001:db8::1");
    CHECK(r.svc(2).external_v4().value == "192.0.2.1");
    CHECK(r.svc(2).port.value == 1081);
}

TEST_CASE("log is snapshotted: a service above the log line does not log", "[grammar][resolve]") {
    auto r = resolve_text("socks\nlog /var/log/3proxy.log D\nproxy\nsocks -p1081 -l/tmp/s.log\n");
    CHECK_FALSE(r.svc(0).log().enabled);
    CHECK(r.svc(1).log().enabled);
    CHECK(r.svc(1).log().target == "/var/log/3proxy.log");
    CHECK(r.svc(1).log().rotation == "D");
    CHECK(r.svc(1).log().log_span.line == 2);
    CHECK(r.svc(2).log().target == "/tmp/s.log");
}

TEST_CASE("timeouts are global whatever their position", "[grammar][resolve]") {
    auto r = resolve_text("socks\ntimeouts 2 6 31\n");
    CHECK(r.model.globals.timeouts.value.values[0] == 2);
    CHECK(r.model.globals.timeouts.value.values[2] == 31);
    CHECK(r.model.globals.timeouts.value.values[3] == 60);
    CHECK(r.model.globals.timeouts.span.line == 2);
}

TEST_CASE("a timeout out of range is reported", "[grammar][resolve]") {
    auto r = resolve_text("timeouts 1 0\n");
    CHECK(r.with_code("PX306").size() == 1);
}

TEST_CASE("maxconn must be positive", "[grammar][resolve]") {
    for (const char* v : {"0", "-5", "many"}) {
        auto r = resolve_text(std::string("maxconn ") + v + "\nsocks\n");
        INFO(v);
        REQUIRE(r.with_code("PX216").size() == 1);
        CHECK(r.with_code("PX216")[0]->span.column == 9);
        CHECK(r.svc(0).maxconn.value == 100);
    }
}

// --- users

TEST_CASE("users are global: defined after the service still count", "[grammar][resolve]") {
    auto r = resolve_text("auth strong\nsocks\nusers bob:CL:secret\n");
    const User* bob = r.model.find_user("bob");
    REQUIRE(bob);
    CHECK(bob->type == PasswordType::cl);
    CHECK(bob->secret() == "secret");
    CHECK(bob->span().line == 3);
    CHECK(bob->span().column == 7);
}

TEST_CASE("the last definition of a duplicate user wins", "[grammar][resolve]") {
    auto r = resolve_text("users bob:CL:old\nusers alice:CL:a bob:CL:new\n");
    REQUIRE(r.model.find_user("bob"));
    CHECK(r.model.find_user("bob")->secret() == "new");
    CHECK(r.model.find_user("bob")->span().line == 2);
    CHECK(r.model.user_definitions.size() == 3);
    CHECK(r.model.users.size() == 2);
}

TEST_CASE("user specifications follow 3proxy's colon rules", "[grammar][resolve]") {
    auto r =
        resolve_text("users bob:secret \"carol:CR:$1$salt$hash\" dave:NT:0123 erin:Cl:pw frank\n");
    INFO(r.summary());
    REQUIRE(r.model.find_user("bob:secret"));
    CHECK(r.model.find_user("bob:secret")->type == PasswordType::sys);
    REQUIRE(r.model.find_user("carol"));
    CHECK(r.model.find_user("carol")->type == PasswordType::cr);
    CHECK(r.model.find_user("carol")->secret() == "$1$salt$hash");
    CHECK(r.model.find_user("dave")->type == PasswordType::nt);
    CHECK(r.model.find_user("erin")->type == PasswordType::unknown);
    CHECK(r.model.find_user("frank")->type == PasswordType::sys);
}

// --- auth

TEST_CASE("auth takes several types in order", "[grammar][resolve]") {
    auto r = resolve_text("auth iponly strong cache\nsocks\n");
    CHECK(r.svc(0).auth.value ==
          AuthChain{AuthMethod::iponly, AuthMethod::strong, AuthMethod::cache});
}

TEST_CASE("an unknown auth type is PX021; wrong case gets a hint", "[grammar][resolve]") {
    auto r = resolve_text("auth Strong\nsocks\n");
    REQUIRE(r.with_code("PX021").size() == 1);
    CHECK(r.with_code("PX021")[0]->message.find("lower case") != std::string::npos);
    CHECK(r.with_code("PX021")[0]->span.column == 6);
    CHECK(r.svc(0).auth.value == AuthChain{AuthMethod::iponly});
}

TEST_CASE("after a plugin line an unknown auth type is a plugin type", "[grammar][resolve]") {
    auto r = resolve_text("plugin /lib/Ldap.so start\nauth ldap strong\nsocks\n");
    CHECK(r.with_code("PX021").empty());
    const AuthChain& chain = r.svc(0).auth.value;
    CHECK(std::vector<AuthMethod>(chain.begin(), chain.end()) ==
          std::vector<AuthMethod>{AuthMethod::plugin, AuthMethod::strong});
    REQUIRE(chain.plugin_names().size() == 1);
    CHECK(chain.plugin_names()[0] == "ldap");
}

// --- service options

TEST_CASE("tcppm takes LPORT HOST RPORT after its options", "[grammar][resolve]") {
    auto r = resolve_text("tcppm -i127.0.0.1 2525 mail.example.net 25\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 1);
    const auto& s = r.svc(0);
    CHECK(s.type == ServiceType::tcppm);
    CHECK(s.port.value == 2525);
    CHECK(s.port.span.column == 19);
    CHECK(s.map_host == "mail.example.net");
    CHECK(s.map_port == 25);
    CHECK(s.bind_address.value == "127.0.0.1");
}

TEST_CASE("tcppm with a bad port is PX005", "[grammar][resolve]") {
    auto r = resolve_text("tcppm 0 example.net 25\ntcppm 25 example.net x\n");
    CHECK(r.with_code("PX005").size() == 2);
    CHECK(r.model.services.empty());
}

TEST_CASE("'-p 1080' is PX009 with a fix-it joining option and value", "[grammar][resolve]") {
    auto r = resolve_text("socks -p 1080\n");
    auto d = r.with_code("PX009");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.line == 1);
    CHECK(d[0]->span.column == 7);
    CHECK(d[0]->span.length == 7);
    REQUIRE(d[0]->fixits.size() == 1);
    CHECK(d[0]->fixits[0].replacement == "-p1080");
    CHECK(d[0]->fixits[0].span.column == 7);
    CHECK(d[0]->fixits[0].span.length == 7);
    CHECK(r.model.services.empty());  // 3proxy does not start it
}

TEST_CASE("'-i 0.0.0.0' after other options is joined too", "[grammar][resolve]") {
    auto r = resolve_text("proxy -n -p30000 -i 0.0.0.0\n");
    auto d = r.with_code("PX009");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0]->fixits.size() == 1);
    CHECK(d[0]->fixits[0].replacement == "-i0.0.0.0");
}

TEST_CASE("an unknown service option is PX009 at the option", "[grammar][resolve]") {
    auto r = resolve_text("socks -Z\n");
    auto d = r.with_code("PX009");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.column == 7);
    CHECK(r.model.services.empty());
}

TEST_CASE("known flags are kept verbatim", "[grammar][resolve]") {
    auto r = resolve_text("proxy -n -a1 -u2 -64 -s0 -p3128\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 1);
    const auto& s = r.svc(0);
    CHECK(s.anonymous == 2);
    CHECK(s.need_user == 2);
    CHECK(s.ipv6_first);
    CHECK(s.options.count("-n") == 1);
    CHECK(s.options.at("-s") == "0");
}

TEST_CASE("two services on one port get distinct labels", "[grammar][resolve]") {
    auto r = resolve_text("socks\nsocks\n");
    REQUIRE(r.model.services.size() == 2);
    CHECK(r.svc(0).label != r.svc(1).label);
}

// --- ACL fields

TEST_CASE("every ACL field is parsed", "[grammar][resolve]") {
    auto r = resolve_text(
        "allow bob,alice 10.0.0.0/8,192.168.1.1-192.168.1.9 *.example.com,203.0.113.5 "
        "80,8000-8080 CONNECT,HTTP 1-5 09:00:00-18:00:00\nsocks\n");
    INFO(r.summary());
    CHECK(r.diags.empty());
    REQUIRE(r.svc(0).acl.count == 1);
    const auto& e = r.svc(0).acl.entries()[0];
    CHECK(e.action == AclAction::allow);
    CHECK(e.users() == proxycfg::NameList{"bob", "alice"});
    REQUIRE(e.sources().size() == 2);
    CHECK(e.sources()[0].contains(*IpAddress::parse("10.200.1.1")));
    CHECK_FALSE(e.sources()[0].contains(*IpAddress::parse("11.0.0.1")));
    CHECK(e.sources()[1].contains(*IpAddress::parse("192.168.1.5")));
    CHECK_FALSE(e.sources()[1].contains(*IpAddress::parse("192.168.1.10")));
    REQUIRE(e.target_hosts().size() == 1);
    CHECK(e.target_hosts()[0].kind == HostPattern::Kind::suffix);
    REQUIRE(e.target_addresses().size() == 1);
    REQUIRE(e.ports().size() == 2);
    CHECK(e.ports()[0].first == 80);
    CHECK(e.ports()[1].first == 8000);
    CHECK(e.ports()[1].last == 8080);
    CHECK(e.operations == (op::CONNECT | op::HTTP));
    CHECK(e.weekdays == 0b0111110);
    REQUIRE(e.periods().size() == 1);
    CHECK(e.periods()[0].from == 9 * 3600);
    CHECK(e.periods()[0].to == 18 * 3600);
    CHECK(e.span().line == 1);
}

TEST_CASE("IPv6 sources and targets", "[grammar][resolve]") {
    auto r = resolve_text("deny * ::1,2001:db8::/32 fc00::/7\nsocks\n");
    INFO(r.summary());
    CHECK(r.diags.empty());
    const auto& e = r.svc(0).acl.entries()[0];
    REQUIRE(e.sources().size() == 2);
    CHECK(e.sources()[1].contains(*IpAddress::parse("2001:db8:ffff::1")));
    CHECK_FALSE(e.sources()[1].contains(*IpAddress::parse("2001:db9::1")));
    // Families never match across.
    CHECK_FALSE(e.sources()[1].contains(*IpAddress::parse("10.0.0.1")));
    REQUIRE(e.target_addresses().size() == 1);
}

TEST_CASE("CIDR host bits are masked like 3proxy does", "[grammar][resolve]") {
    auto r = resolve_text("allow * 10.1.2.3/8\nsocks\n");
    const auto& src = r.svc(0).acl.entries()[0].sources().at(0);
    CHECK(src.host_bits_set);
    CHECK(src.first == *IpAddress::parse("10.0.0.0"));
    CHECK(src.last == *IpAddress::parse("10.255.255.255"));
}

TEST_CASE("weekdays 0 and 7 are both Sunday", "[grammar][resolve]") {
    auto r = resolve_text("allow * * * * * 0,7,6\nsocks\n");
    CHECK(r.svc(0).acl.entries()[0].weekdays == 0b1000001);
}

TEST_CASE("'*' fields and missing trailing fields mean any", "[grammar][resolve]") {
    auto r = resolve_text("allow * * * * * * *\nallow\nsocks\n");
    for (const auto& e : r.svc(0).acl.entries()) CHECK(e.matches_everything());
}

TEST_CASE("entries are marked for the field forms lint reports", "[grammar][resolve]") {
    auto r = resolve_text(
        "allow * 10.0.0.0/8,192.0.2.7/32 2001:db8::/32,*.example.com,*ampl*,www.*\n"  // none
        "allow * 10.1.2.3/8\n"                                                        // host bits
        "allow * * 2001:db8::1/32\n"                                                  // host bits
        "allow * * *example.com\n"                                                    // '*name'
        "allow * * *\n"
        "socks\n");
    auto entries = r.svc(0).acl.entries();
    REQUIRE(entries.size() == 5);
    CHECK_FALSE(entries[0].unusual_forms());
    CHECK(entries[1].unusual_forms());
    CHECK(entries[2].unusual_forms());
    CHECK(entries[3].unusual_forms());
    CHECK_FALSE(entries[4].unusual_forms());
    CHECK(entries[4].matches_everything());
    proxycfg::AclEntry copy = entries[3];
    CHECK(copy.unusual_forms());
    CHECK(copy.target_hosts().size() == 1);
}

TEST_CASE("hostname patterns follow 3proxy's matching table", "[grammar][resolve]") {
    auto r = resolve_text("allow * * example.com,*.example.com,*example.com,www.*,*ampl*\nsocks\n");
    const auto& h = r.svc(0).acl.entries()[0].target_hosts();
    REQUIRE(h.size() == 5);
    CHECK(h[0].kind == HostPattern::Kind::exact);
    CHECK(h[1].kind == HostPattern::Kind::suffix);
    CHECK(h[3].kind == HostPattern::Kind::prefix);
    CHECK(h[4].kind == HostPattern::Kind::substring);
    // The field forms of docs/language.md, "ACL fields".
    CHECK(h[0].matches("example.com"));
    CHECK(h[0].matches("Example.COM"));
    CHECK(h[0].matches("example.com."));
    CHECK_FALSE(h[0].matches("www.example.com"));
    CHECK(h[1].matches("www.example.com"));
    CHECK_FALSE(h[1].matches("example.com"));
    CHECK_FALSE(h[2].matches("example.com"));  // the host must be strictly longer
    CHECK(h[2].matches("wwwexample.com"));
    CHECK(h[3].matches("www.other.org"));
    CHECK_FALSE(h[3].matches("example.com"));
    CHECK(h[4].matches("wwwexample.com"));
    CHECK_FALSE(h[4].matches("www.other.org"));
}

TEST_CASE("a hostname in the source field is PX004 at that item", "[grammar][resolve]") {
    auto r = resolve_text("allow * 10.0.0.1,localhost\nsocks\n");
    auto d = r.with_code("PX004");
    REQUIRE(d.size() == 1);
    CHECK(d[0]->span.column == 18);
    CHECK(d[0]->span.length == 9);
    CHECK(r.svc(0).acl.empty());  // 3proxy refuses the line
}

TEST_CASE("invalid ports, operations, weekdays and periods", "[grammar][resolve]") {
    struct Case {
        const char* line;
        const char* code;
        std::uint32_t column;
    };
    for (const Case& c :
         {Case{"allow * * * http", "PX005", 13}, Case{"allow * * * 80-70", "PX005", 13},
          Case{"allow * * * 70000", "PX005", 13}, Case{"allow * * * * connect", "PX006", 15},
          Case{"allow * * * * * Mon-Fri", "PX008", 17}, Case{"allow * * * * * 5-1", "PX008", 17},
          Case{"allow * * * * * * 09:00-18:00", "PX007", 19},
          Case{"allow * * * * * * 18:00:00-09:00:00", "PX007", 19},
          Case{"allow * * * * * * 25:00:00-26:00:00", "PX007", 19}}) {
        auto r = resolve_text(std::string(c.line) + "\n");
        INFO(c.line << "\n" << r.summary());
        auto d = r.with_code(c.code);
        REQUIRE(d.size() == 1);
        CHECK(d[0]->span.column == c.column);
    }
}

TEST_CASE("port lists: N or N-M, comma separated, empty items dropped", "[grammar][resolve]") {
    for (const char* ok : {"80", "80,443", "1-1023", ",80,,443,", "0-65535,8080"}) {
        auto r = resolve_text(std::string("allow * * * ") + ok + "\nsocks\n");
        INFO(ok << "\n" << r.summary());
        CHECK(r.with_code("PX005").empty());
        CHECK_FALSE(r.svc(0).acl.entries()[0].ports().empty());
    }
    // The column is that of the first character no port list has, else the field's.
    struct Bad {
        const char* ports;
        std::uint32_t column;
    };
    for (const Bad& b : {Bad{"80-", 13}, Bad{"-80", 13}, Bad{"80--90", 13}, Bad{"1-2-3", 13},
                         Bad{"8a0", 14}, Bad{"80,x", 16}, Bad{"80;443", 15}}) {
        auto r = resolve_text(std::string("allow * * * ") + b.ports + "\nsocks\n");
        INFO(b.ports << "\n" << r.summary());
        auto d = r.with_code("PX005");
        REQUIRE(d.size() == 1);
        CHECK(d[0]->span.column == b.column);
        CHECK(d[0]->message.find("is not a port list") != std::string::npos);
    }
}

TEST_CASE("a lower-case operation gets the upper-case spelling", "[grammar][resolve]") {
    auto r = resolve_text("allow * * * * connect\n");
    REQUIRE(r.with_code("PX006").size() == 1);
    CHECK(r.with_code("PX006")[0]->message.find("CONNECT") != std::string::npos);
}

TEST_CASE("limit directives validate their ACL fields too", "[grammar][resolve]") {
    auto r = resolve_text("bandlimin 10000 * localhost\ncountin 1/x D 100 * 10.0.0.0/8\n");
    CHECK(r.with_code("PX004").size() == 1);
    CHECK(r.with_code("PX004")[0]->span.line == 1);
}

// --- parent, redirect, nolog

TEST_CASE("parent extends the last allow entry", "[grammar][resolve]") {
    auto r = resolve_text("allow *\nparent 1000 socks5 127.0.0.1 9050 u p\nsocks\n");
    INFO(r.summary());
    const auto& e = r.svc(0).acl.entries()[0];
    REQUIRE(e.parents.size() == 1);
    CHECK(e.parents[0].type == "socks5");
    CHECK(e.parents[0].port == 9050);
    CHECK(e.parents[0].user == "u");
    CHECK(e.parents[0].span.line == 2);
}

TEST_CASE("parent after deny, after flush or with no ACL is PX108", "[grammar][resolve]") {
    for (std::string text :
         {"deny *\nparent 1000 http 10.0.0.1 3128\n",
          "allow *\nflush\nparent 1000 http 10.0.0.1 3128\n", "parent 1000 http 10.0.0.1 3128\n"}) {
        auto r = resolve_text(text);
        INFO(text);
        REQUIRE(r.with_code("PX108").size() == 1);
        CHECK(r.with_code("PX108")[0]->span.line == std::count(text.begin(), text.end(), '\n'));
    }
}

TEST_CASE("limits between allow and parent do not break the chain", "[grammar][resolve]") {
    auto r = resolve_text("allow *\nbandlimin 100000 *\nusers a:CL:b\nparent 1000 http h 80\n");
    CHECK(r.with_code("PX108").empty());
}

TEST_CASE("a parent added after a service does not reach that service", "[grammar][resolve]") {
    auto r = resolve_text("allow *\nsocks\nparent 1000 http 10.0.0.1 3128\nproxy\n");
    INFO(r.summary());
    CHECK(r.svc(0).acl.entries()[0].parents.empty());
    CHECK(r.svc(1).acl.entries()[0].parents.size() == 1);
}

TEST_CASE("parent weight, type and port are checked", "[grammar][resolve]") {
    CHECK(resolve_text("allow *\nparent 0 http h 80\n").with_code("PX021").size() == 1);
    CHECK(resolve_text("allow *\nparent 1000 htp h 80\n").with_code("PX021").size() == 1);
    CHECK(resolve_text("allow *\nparent 1000 http h x\n").with_code("PX005").size() == 1);
}

TEST_CASE("redirect is an allow entry with an http parent", "[grammar][resolve]") {
    auto r = resolve_text("redirect 10.0.0.1 3128 * 192.168.0.0/16\nsocks\n");
    INFO(r.summary());
    const auto& e = r.svc(0).acl.entries()[0];
    CHECK(e.action == AclAction::redirect);
    REQUIRE(e.parents.size() == 1);
    CHECK(e.parents[0].type == "http");
    CHECK(e.parents[0].port == 3128);
    CHECK(e.sources().size() == 1);
}

TEST_CASE("parentretries: a count of chains to try, 1 by default", "[grammar][resolve]") {
    CHECK(resolve_text("socks\n").model.globals.parentretries.value == 1);
    auto r = resolve_text("parentretries 3\nsocks\n");
    CHECK(r.model.globals.parentretries.value == 3);
    CHECK(r.diags.empty());
    auto bad = resolve_text("parentretries 0\nsocks\n");
    CHECK(bad.model.globals.parentretries.value == 1);
    REQUIRE(bad.diags.size() == 1);
    CHECK(bad.diags[0].code == "PX021");
}

TEST_CASE("nolog marks the last entry; with no ACL it is PX110", "[grammar][resolve]") {
    auto r = resolve_text("allow *\nnolog\nsocks\n");
    CHECK(r.svc(0).acl.entries()[0].nolog);
    CHECK(resolve_text("nolog\n").with_code("PX110").size() == 1);
    auto w = resolve_text("allow *\nweight 5\nsocks\n");
    CHECK(w.svc(0).acl.entries()[0].weight == 5);
}

TEST_CASE("a model built from a large file shares leaked ACL entries", "[grammar][resolve]") {
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "allow u" + std::to_string(i) + "\nsocks -p" + std::to_string(2000 + i) + "\n";
    auto r = resolve_text(text);
    REQUIRE(r.model.services.size() == 200);
    CHECK(r.svc(199).acl.count == 200);
    CHECK(r.svc(0).acl.count == 1);
    CHECK(r.svc(0).acl.entries()[0].users() == proxycfg::NameList{"u0"});
    CHECK(r.svc(199).acl.entries()[199].span().line == 399);
}

TEST_CASE("files of the model carry path and size", "[grammar][resolve]") {
    auto r = resolve_text("socks\n");
    REQUIRE(r.model.files.size() == 1);
    CHECK(r.model.files[0].path == "test.cfg");
    CHECK(r.model.files[0].size == 6);
}

TEST_CASE("each service option's refusal has its own message", "[grammar][resolve]") {
    auto r = resolve_text(
        "socks -p\n"
        "socks -pabc\n"
        "socks -i\n"
        "socks -e\n"
        "socks -ehost.example\n"
        "socks -a3\n"
        "socks -u1\n"
        "socks -47\n"
        "socks -I\n"
        "socks -p 1080\n"
        "socks -e 192.0.2.1\n");
    CHECK(r.summary() ==
          "PX009@1:7 -p needs a port glued to it: -p1080\n"
          "PX009@2:7 port 'abc' is not 1-65535; 3proxy (and proxyd) silently listen on the "
          "default port 1080 instead\n"
          "PX009@3:7 -i needs an address glued to it: -i127.0.0.1\n"
          "PX009@4:7 -e needs an address glued to it: -e192.0.2.1\n"
          "PX009@5:7 -e needs an IP address, not 'host.example': 3proxy resolves a name once at "
          "start and refuses the service (code 40) when it does not resolve\n"
          "PX009@6:7 -a takes no value, 1 or 2\n"
          "PX009@7:7 -u takes no value or 2\n"
          "PX009@8:7 unknown address family option '-47' (use -4, -6, -46 or -64)\n"
          "PX009@9:7 -I (inetd mode) works only in the standalone binaries, not in a "
          "configuration\n"
          "PX009@10:7 option value must be glued to its letter: write '-p1080', not '-p 1080' "
          "(3proxy: Service not started, code 40)\n"
          "PX009@11:7 option value must be glued to its letter: write '-e192.0.2.1', not "
          "'-e 192.0.2.1' (3proxy: Service not started, code 40)\n");
    CHECK(r.model.services.size() == 1);
}

TEST_CASE("service options set ports, addresses and the service's own log", "[grammar][resolve]") {
    auto r = resolve_text(
        "logformat \"G%N\"\n"
        "tcppm -p1234 -i127.0.0.1 1080 host 80\n"
        "socks -e2001:db8::1 -e192.0.2.1 -l -fL%U -p1081\n"
        "socks -lfile.log -a -u -6 -p1082\n"
        "socks -a2 -46 -p1083\n");
    INFO(r.summary());
    CHECK(r.diags.empty());
    REQUIRE(r.model.services.size() == 4);
    CHECK(r.svc(0).port.value == 1080);
    CHECK(r.svc(0).bind_address.value == "127.0.0.1");
    CHECK(r.svc(1).external_v6().value == "2001:db8::1");
    CHECK(r.svc(1).external_v4().value == "192.0.2.1");
    CHECK(r.svc(1).log().enabled);
    CHECK(r.svc(1).log().format == "L%U");
    CHECK(r.svc(1).port.value == 1081);
    CHECK(r.svc(2).log().target == "file.log");
    CHECK(r.svc(2).log().format == "G%N");
    CHECK(r.svc(2).anonymous == 1);
    CHECK(r.svc(2).need_user == 0);
    CHECK(r.svc(2).ipv6_first);
    CHECK(r.svc(2).options.at("-6").empty());
    CHECK(r.svc(3).anonymous == 3);
    CHECK_FALSE(r.svc(3).ipv6_first);
    CHECK(r.svc(3).options.at("-4") == "6");
    CHECK(r.svc(3).options.at("-a") == "2");
}

TEST_CASE("an ACL line's refused fields are reported where they are", "[grammar][resolve]") {
    auto r = resolve_text(
        "allow * 10.0.0.300\n"
        "allow * * * 99999\n"
        "allow * * * * NOPE\n"
        "allow * * * * * Xday\n"
        "allow * * * * * * 25:00-26:00\n"
        "allow * * * * * * * heavy\n"
        "allow alice,,bob 10.0.0.0/8 example.com 80 CONNECT 1-5 00:00:00-12:00:00 7\n"
        "socks\n");
    CHECK(r.summary() ==
          "PX004@1:9 '10.0.0.300' is not an IP address, range or CIDR (sources cannot be "
          "hostnames; 3proxy: Invalid IP, IP range or CIDR)\n"
          "PX005@2:13 port '99999' is above 65535 (3proxy wraps it)\n"
          "PX006@3:15 unknown operation 'NOPE' (expected CONNECT, BIND, UDPASSOC, HTTP, HTTPS, "
          "HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_HEAD, HTTP_CONNECT, HTTP_OTHER, FTP..., ADMIN, "
          "DNSRESOLVE)\n"
          "PX008@4:17 weekdays 'Xday' must be digits 0-7 (0 and 7 are Sunday), ranges and "
          "commas; 3proxy ignores other characters, so the rule would apply on every day\n"
          "PX007@5:19 time period '25:00-26:00' is not HH:MM:SS-HH:MM:SS; 3proxy ignores a "
          "malformed period and applies the rule at all times\n"
          "PX021@6:21 ACL weight 'heavy' is not a number\n");
    REQUIRE(r.model.services.size() == 1);
    REQUIRE(r.svc(0).acl.count == 1);
    const auto& e = r.svc(0).acl.entries()[0];
    CHECK(e.users() == proxycfg::NameList{"alice", "bob"});
    CHECK(e.weight == 7);
}

TEST_CASE("nsrecord after nscache is a static answer; before it, nothing", "[resolve]") {
    auto m = testing::check_text(
                 "nsrecord early.example 10.0.0.1\nnscache 65536\n"
                 "nsrecord Late.Example 10.0.0.2\nnsrecord v6.example ::1\n")
                 .model;
    REQUIRE(m.globals.ns_records.size() == 2);
    CHECK(m.globals.ns_records[0].name == "late.example");
    CHECK(m.globals.ns_records[0].address == *proxycfg::IpAddress::parse("10.0.0.2"));
    CHECK(m.globals.ns_records[1].address.family == proxycfg::IpAddress::Family::v6);
    auto bad = testing::check_text("nscache 65536\nnsrecord host.example not-an-ip\n");
    CHECK(testing::with_code(bad, "PX021").size() == 1);
    CHECK(bad.model.globals.ns_records.empty());
}

TEST_CASE("chroot: the first line counts; its user and group are checked like setuid's",
          "[grammar][resolve]") {
    CHECK_FALSE(resolve_text("socks\n").model.globals.chroot.span.valid());
    auto r = resolve_text("chroot /srv/jail proxy 65534\nchroot /other\nsocks\n");
    const auto& c = r.model.globals.chroot;
    REQUIRE(c.span.valid());
    CHECK(c.span.line == 1);
    CHECK(c.value.dir == "/srv/jail");
    CHECK(c.value.user == "proxy");
    CHECK(c.value.group == "65534");
    auto bad = resolve_text("chroot /srv/jail 0\nsocks\n");
    CHECK_FALSE(bad.model.globals.chroot.span.valid());
    CHECK(bad.with_code("PX021").size() == 1);
}

TEST_CASE("nscache and nscache6 sizes: the last line wins; under 256 is an error", "[resolve]") {
    auto m = testing::check_text("nscache 1000\nnscache 2048\nnscache6 512\n").model;
    CHECK(m.globals.nscache.value == 2048);
    CHECK(m.globals.nscache.span.line == 2);
    CHECK(m.globals.nscache6.value == 512);
    auto none = testing::check_text("socks -i127.0.0.1\n").model;
    CHECK(none.globals.nscache.value == 0);
    CHECK(none.globals.nscache6.value == 0);
    auto bad = testing::check_text("nscache 255\nnscache6 many\n");
    CHECK(testing::with_code(bad, "PX021").size() == 2);
    CHECK(bad.model.globals.nscache.value == 0);
}

TEST_CASE("a service's ACL lists outlive the model and the parse it came from",
          "[grammar][resolve]") {
    // Long lists go to the resolver's arena; a service copied out of the model keeps them.
    std::string users = "allow ";
    for (int i = 0; i < 50; ++i) users += (i ? "," : "") + std::string("user") + std::to_string(i);
    std::optional<Service> kept;
    std::optional<AclEntry> entry_copy;
    {
        auto r = resolve_text(users + " 10.0.0.0/8,192.168.0.0/16\nsocks\nallow carol\nproxy\n");
        INFO(r.summary());
        REQUIRE(r.model.services.size() == 2);
        kept = r.svc(1);
        entry_copy = r.svc(0).acl.entries()[0];
    }
    REQUIRE(kept->acl.count == 2);
    auto entries = kept->acl.entries();
    CHECK(entries[0].users().size() == 50);
    CHECK(entries[0].users()[49] == "user49");
    CHECK(entries[0].sources().size() == 2);
    CHECK(entries[1].users() == NameList{"carol"});
    CHECK(entry_copy->users()[0] == "user0");
    CHECK(entry_copy->sources()[1].contains(*IpAddress::parse("192.168.3.4")));
}

TEST_CASE("an ACL entry keeps its line's span, after a byte order mark too", "[grammar][resolve]") {
    auto r = resolve_text(
        "\xEF\xBB\xBF"
        "allow u1\nsocks\ndeny *\nproxy\n");
    INFO(r.summary());
    REQUIRE(r.model.services.size() == 2);
    auto first = r.svc(0).acl.entries()[0].span();
    CHECK(first.line == 1);
    CHECK(first.column == 4);  // after the mark's three bytes
    CHECK(first.length == 8);
    auto second = r.svc(1).acl.entries()[1].span();
    CHECK(second.line == 3);
    CHECK(second.column == 1);
    CHECK(second.length == 6);
    CHECK(second.file == first.file);

    AclEntry e;
    e.set_span({70000, 4000000, 63, 65535});  // file ids and lines are not narrowed
    CHECK(e.span() == SourceSpan{70000, 4000000, 63, 65535});
    CHECK_THROWS_AS(e.set_span({0, 1, 64, 1}), std::length_error);
    CHECK_THROWS_AS(e.set_span({0, 1, 1, 65536}), std::length_error);
    STATIC_REQUIRE(sizeof(AclEntry) <= 40);
}
