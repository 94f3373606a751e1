// proxycfg::explain: each step of the access decision, and the line that decides, recorded
// from evaluate() itself.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "check_text.hpp"
#include "proxycfg/explain.hpp"

using proxycfg::ExplainRequest;
using proxycfg::Verdict;
using Json = nlohmann::json;

namespace {

struct Explained {
    proxycfg::Loaded loaded;
    explicit Explained(std::string cfg) : loaded(testing::check_text(std::move(cfg))) {
        REQUIRE_FALSE(loaded.model.services.empty());
    }
    const proxycfg::Service& service(std::size_t i) const { return loaded.model.services.at(i); }
    proxycfg::Explanation operator()(const ExplainRequest& r, std::size_t i = 0) const {
        return proxycfg::explain(loaded.model, service(i), r);
    }
    Json json(const ExplainRequest& r, std::size_t i = 0) const {
        auto e = (*this)(r, i);
        // The offline command's lookup: the line as it was read.
        auto lookup = [this](const proxycfg::SourceSpan& span) {
            return std::string(loaded.parse.config.sources->file(span.file).line_text(span.line));
        };
        return proxycfg::explanation_json(loaded.model, e, r, {}, lookup);
    }
    std::string text(const ExplainRequest& r, std::size_t i = 0) const {
        std::ostringstream out;
        proxycfg::write_explanation_text(out, json(r, i));
        return out.str();
    }
};

ExplainRequest request(std::string_view from, std::string_view to = "198.51.100.7:443") {
    ExplainRequest r;
    r.client = proxycfg::IpAddress::parse(from).value();
    std::string error;
    REQUIRE(proxycfg::parse_target(to, r, error));
    return r;
}

ExplainRequest login(std::string user, std::string password, std::string_view from = "192.0.2.1") {
    ExplainRequest r = request(from);
    r.user = std::move(user);
    r.password = std::move(password);
    return r;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("explain names the first matching entry, its line and its text", "[explain]") {
    Explained x("allow * 10.0.0.0/8\ndeny * 10.1.0.0/16\nsocks\n");
    auto r = request("10.1.2.3");
    auto e = x(r);
    CHECK(e.decision.verdict == Verdict::allowed);
    Json j = x.json(r);
    CHECK(j["allowed"] == true);
    CHECK(j["acl"]["decided_by"]["index"] == 1);
    CHECK(j["acl"]["decided_by"]["line"] == 1);
    CHECK(j["acl"]["decided_by"]["file"] == "test.cfg");
    CHECK(j["acl"]["decided_by"]["text"] == "allow * 10.0.0.0/8");
    CHECK(j["acl"]["entries"] == 2);
    CHECK(contains(x.text(r), "entry 1 (allow) decides: test.cfg:1: allow * 10.0.0.0/8"));

    Explained deny_first("deny * 10.1.0.0/16\nallow * 10.0.0.0/8\nsocks\n");
    Json d = deny_first.json(r);
    CHECK(d["allowed"] == false);
    CHECK(d["verdict"] == "acl_denied");
    CHECK(d["acl"]["decided_by"]["line"] == 1);
    CHECK(d["reason"] == "denied by the ACL entry at test.cfg:1");
}

TEST_CASE("explain reports the default when no entry matches", "[explain]") {
    Explained x("allow * 10.0.0.0/8\nsocks\n");
    Json j = x.json(request("192.0.2.1"));
    CHECK(j["verdict"] == "acl_no_match");
    CHECK(j["acl"]["decided_by"].is_null());
    CHECK(j["acl"]["default"] == "deny");
    CHECK(contains(x.text(request("192.0.2.1")), "a non-empty ACL denies"));

    Explained empty("socks\n");
    Json e = empty.json(request("192.0.2.1"));
    CHECK(e["allowed"] == true);
    CHECK(e["acl"]["entries"] == 0);
    CHECK(e["acl"]["default"] == "allow");
}

TEST_CASE("explain sees the ACL a service captured up to its flush", "[explain]") {
    Explained x("deny *\nsocks -p1080\nallow *\nsocks -p1081\nflush\nallow *\nsocks -p1082\n");
    auto r = request("192.0.2.1");
    Json first = x.json(r, 0);
    CHECK(first["acl"]["entries"] == 1);
    CHECK(first["verdict"] == "acl_denied");
    // Without a flush the second service inherits the first's deny, which comes first.
    Json second = x.json(r, 1);
    CHECK(second["acl"]["entries"] == 2);
    CHECK(second["acl"]["decided_by"]["line"] == 1);
    CHECK(second["allowed"] == false);
    Json third = x.json(r, 2);
    CHECK(third["acl"]["entries"] == 1);
    CHECK(third["acl"]["flush"]["line"] == 5);
    CHECK(third["acl"]["decided_by"]["line"] == 6);
    CHECK(third["allowed"] == true);
}

TEST_CASE("explain: '*' users, sources and targets match anything", "[explain]") {
    Explained x("users bob:CL:pw\nauth strong\nallow * * * *\nsocks\n");
    auto r = login("bob", "pw", "203.0.113.9");
    std::string error;
    REQUIRE(proxycfg::parse_target("anything.example:25", r, error));
    Json j = x.json(r);
    CHECK(j["allowed"] == true);
    CHECK(j["acl"]["decided_by"]["line"] == 3);
    CHECK(j["request"]["to"] == "anything.example:25");
}

TEST_CASE("explain: port lists and ranges", "[explain]") {
    Explained x("allow * * * 80,443,8000-8080\nsocks\n");
    std::string error;
    auto r = request("192.0.2.1", "198.51.100.7:8080");
    CHECK(x(r).decision.allowed());
    REQUIRE(proxycfg::parse_target("198.51.100.7:8081", r, error));
    CHECK(x(r).decision.verdict == Verdict::acl_no_match);
    REQUIRE(proxycfg::parse_target("198.51.100.7:80", r, error));
    CHECK(x(r).decision.allowed());
}

TEST_CASE("explain: weekday and time periods", "[explain]") {
    Explained x("allow * * * * * 1-5 09:00:00-17:00:00\nsocks\n");
    auto r = request("192.0.2.1");
    std::string error;
    CHECK_FALSE(x(r).decision.allowed());  // no time given: a period never matches
    REQUIRE(proxycfg::parse_when("Mon 10:00", r, error));
    CHECK(r.weekday == 1);
    CHECK(r.seconds_of_day == 36000);
    CHECK(x(r).decision.allowed());
    Json j = x.json(r);
    CHECK(j["request"]["weekday"] == "Mon");
    CHECK(j["request"]["time"] == "10:00:00");
    REQUIRE(proxycfg::parse_when("saturday 10:00:30", r, error));
    CHECK(r.weekday == 6);
    CHECK_FALSE(x(r).decision.allowed());
    REQUIRE(proxycfg::parse_when("Fri 17:00", r, error));
    CHECK_FALSE(x(r).decision.allowed());                 // the end is exclusive
    REQUIRE(proxycfg::parse_when("16:59:59", r, error));  // keeps Friday
    CHECK(r.weekday == 5);
    CHECK(x(r).decision.allowed());
}

TEST_CASE("parse_when and parse_target refuse malformed text", "[explain]") {
    ExplainRequest r;
    std::string error;
    CHECK_FALSE(proxycfg::parse_when("25:00", r, error));
    CHECK_FALSE(proxycfg::parse_when("Funday 10:00", r, error));
    CHECK(contains(error, "not a weekday"));
    CHECK_FALSE(proxycfg::parse_when("10", r, error));
    CHECK_FALSE(proxycfg::parse_when("10:00:00:00", r, error));
    CHECK_FALSE(proxycfg::parse_target("example.com", r, error));
    CHECK_FALSE(proxycfg::parse_target("example.com:0", r, error));
    CHECK_FALSE(proxycfg::parse_target("::1:80", r, error));
    REQUIRE(proxycfg::parse_target("[::1]:80", r, error));
    CHECK(r.target_address->to_string() == "::1");
    REQUIRE(proxycfg::parse_target("WWW.Example.COM:80", r, error));
    CHECK(r.target_host == "www.example.com");
    CHECK_FALSE(r.target_address);
}

TEST_CASE("explain: an unknown user and a bad password under strong", "[explain]") {
    Explained x("users bob:CL:pw\nauth strong\nallow bob\nsocks\n");
    Json unknown = x.json(login("mallory", "pw"));
    CHECK(unknown["verdict"] == "unknown_user");
    REQUIRE(unknown["auth"]["steps"].size() == 1);
    CHECK(unknown["auth"]["steps"][0]["outcome"] == "unknown_user");
    CHECK(unknown["acl"]["consulted"] == false);
    CHECK(contains(x.text(login("mallory", "pw")), "unknown user 'mallory'"));

    Json bad = x.json(login("bob", "wrong"));
    CHECK(bad["verdict"] == "bad_password");
    CHECK(bad["auth"]["steps"][0]["detail"] == "wrong password for 'bob'; no method is left");
    CHECK(bad["allowed"] == false);

    Json good = x.json(login("bob", "pw"));
    CHECK(good["allowed"] == true);
    CHECK(good["auth"]["steps"][0]["decided"] == true);
    CHECK(good["auth"]["source"]["line"] == 2);

    Json none = x.json(request("192.0.2.1"));
    CHECK(none["verdict"] == "no_credentials");
}

TEST_CASE("explain: auth none admits without the ACL", "[explain]") {
    Explained x("auth none\ndeny *\nsocks\n");
    Json j = x.json(request("192.0.2.1"));
    CHECK(j["allowed"] == true);
    REQUIRE(j["auth"]["steps"].size() == 1);
    CHECK(j["auth"]["steps"][0]["method"] == "none");
    CHECK(j["acl"]["consulted"] == false);
    CHECK(j["reason"] == "allowed: auth none admits everyone");
}

TEST_CASE("explain: auth iponly ignores the username", "[explain]") {
    Explained x("users bob:CL:pw\nallow bob\nallow * 192.0.2.0/24\nsocks\n");
    auto r = login("bob", "pw");
    Json j = x.json(r);
    REQUIRE(j["auth"]["steps"].size() == 1);
    CHECK(j["auth"]["steps"][0]["method"] == "iponly");
    CHECK(j["auth"]["source"].is_null());  // no auth line: the default
    CHECK(j["acl"]["decided_by"]["line"] == 3);
    CHECK(contains(x.text(r), "default: no auth line, iponly"));
}

TEST_CASE("explain: auth iponly strong falls through with each step shown", "[explain]") {
    Explained x("users bob:CL:pw\nauth iponly strong\nallow bob\nsocks\n");
    Json j = x.json(login("bob", "pw"));
    REQUIRE(j["auth"]["steps"].size() == 2);
    CHECK(j["auth"]["steps"][0]["outcome"] == "acl_no_match");
    CHECK(j["auth"]["steps"][0]["decided"] == false);
    CHECK(j["auth"]["steps"][1]["method"] == "strong");
    CHECK(j["allowed"] == true);
}

TEST_CASE("explain: auth cache hit and miss", "[explain]") {
    Explained x("users alice:CL:a bob:CL:b\nauth cache strong\nallow alice\nsocks\n");
    // Miss: nothing cached for the client; strong decides.
    auto miss = login("alice", "a");
    Json m = x.json(miss);
    REQUIRE(m["auth"]["steps"].size() == 2);
    CHECK(m["auth"]["steps"][0]["cache"] == "miss");
    CHECK(m["auth"]["steps"][0]["detail"] ==
          "cache miss: no login cached for this client; the next method is tried");
    CHECK(m["auth"]["steps"][0]["decided"] == false);
    CHECK(m["auth"]["steps"][1]["method"] == "strong");
    CHECK(m["allowed"] == true);

    // Hit: no credentials, alice's login is cached for this client.
    auto hit = request("192.0.2.1");
    hit.cached_user = "alice";
    hit.cached_secret = "a";
    Json h = x.json(hit);
    REQUIRE(h["auth"]["steps"].size() == 1);
    CHECK(h["auth"]["steps"][0]["cache"] == "hit");
    CHECK(h["auth"]["steps"][0]["user"] == "alice");
    CHECK(h["request"]["cached_login"] == "alice");
    CHECK(h["allowed"] == true);

    // A hit for a user the ACL does not allow decides at once.
    hit.cached_user = "bob";
    hit.cached_secret = "b";
    CHECK(x(hit).decision.verdict == Verdict::acl_no_match);

    // A hit whose password has changed since: the next method is tried.
    hit.cached_user = "alice";
    hit.cached_secret = "old";
    Json changed = x.json(hit);
    CHECK(changed["auth"]["steps"][0]["outcome"] == "bad_password");
    CHECK(
        contains(changed["auth"]["steps"][0]["detail"].get<std::string>(), "password has changed"));
    // The worst failure of the chain is the answer: the changed password outranks strong's
    // missing credentials.
    CHECK(changed["auth"]["steps"][1]["outcome"] == "no_credentials");
    CHECK(changed["verdict"] == "bad_password");
}

TEST_CASE("explain's decision is evaluate's", "[explain]") {
    Explained x("users bob:CL:pw\nauth iponly strong\ndeny * 10.0.0.0/8\nallow bob\nsocks\n");
    for (auto* from : {"10.1.1.1", "192.0.2.1"})
        for (auto* user : {"bob", "eve"}) {
            auto r = login(user, "pw", from);
            auto plain = proxycfg::evaluate(x.loaded.model, x.service(0), r.view());
            auto e = x(r);
            CHECK(e.decision.verdict == plain.verdict);
            CHECK(e.decision.entry == plain.entry);
        }
}

TEST_CASE("explain lists the parents and the limits that apply", "[explain]") {
    Explained x(
        "connlim 5 60 *\nbandlimin 1000000 *\ncountin 3 D 100 *\n"
        "allow * * * 443\nparent 700 connect 192.0.2.50 3128\nparent 300 socks5 192.0.2.51 "
        "1080\nmaxconn 20\nsocks\n");
    auto r = request("192.0.2.1");
    Json j = x.json(r);
    REQUIRE(j["allowed"] == true);
    REQUIRE(j["parents"].size() == 1);
    CHECK(j["parents"][0]["parents"].size() == 2);
    CHECK(j["parents"][0]["parents"][0]["weight"] == 700);
    CHECK(j["parents"][0]["skip_chance"] == 0);
    CHECK(j["limits"]["maxconn"]["limit"] == 20);
    CHECK(j["limits"]["maxconn"]["source"]["line"] == 7);
    REQUIRE(j["limits"]["connlim"].size() == 1);
    CHECK(j["limits"]["connlim"][0]["rate"] == 5);
    CHECK(j["limits"]["bandlim"]["to_client"].size() == 1);
    REQUIRE(j["limits"]["counters"].size() == 1);
    CHECK(j["limits"]["counters"][0]["number"] == 3);
    std::string t = x.text(r);
    CHECK(contains(t, "70% connect 192.0.2.50:3128;"));
    CHECK(contains(t, "connlim: 5 connections per 60s"));
    CHECK(contains(t, "bandwidth to the client: 1 Mbit/s"));
    CHECK(contains(t, "counted in counter 3"));
}

TEST_CASE("choose_service by label, TYPE:PORT, port, or operation", "[explain]") {
    Explained x("socks -p1080\nproxy -p3128\ntcppm 2525 192.0.2.25 25\nadmin -p8081\n");
    auto r = request("192.0.2.1", "192.0.2.25:25");
    auto all = proxycfg::choose_service(x.loaded.model, "", r);
    REQUIRE(all.candidates.size() == 2);  // CONNECT: socks and the mapper to that target
    CHECK(all.service->type == proxycfg::ServiceType::socks);
    CHECK(proxycfg::choose_service(x.loaded.model, "3128", r).service->type ==
          proxycfg::ServiceType::proxy);
    CHECK(proxycfg::choose_service(x.loaded.model, "tcppm:2525", r).service->type ==
          proxycfg::ServiceType::tcppm);
    auto label = x.service(0).label;
    CHECK(proxycfg::choose_service(x.loaded.model, label, r).service == &x.service(0));
    auto none = proxycfg::choose_service(x.loaded.model, "socks:9", r);
    CHECK(none.service == nullptr);
    CHECK(contains(none.error, "the services are"));
    r.operation = proxycfg::op::HTTP_GET;
    auto http = proxycfg::choose_service(x.loaded.model, "", r);
    REQUIRE(http.candidates.size() == 1);
    CHECK(http.service->type == proxycfg::ServiceType::proxy);
}
