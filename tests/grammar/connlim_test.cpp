// connlim / noconnlim: what the resolver stores and which limits a request falls under.
#include <catch2/catch.hpp>

#include "check_text.hpp"
#include "proxycfg/connlim.hpp"

using namespace proxycfg;
using testing::check_text;
using testing::reports;

namespace {

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

AccessRequest request(std::optional<std::string_view> user, std::string_view client,
                      std::string_view target, std::uint16_t port,
                      std::uint32_t operation = op::CONNECT) {
    AccessRequest r;
    r.user = user;
    r.client = ip(client);
    r.target_address = ip(target);
    r.port = port;
    r.operation = operation;
    return r;
}

std::vector<std::size_t> applies(const Model& m, const AccessRequest& r) {
    return applicable_connlims(m.globals.connlims, r);
}

using Indices = std::vector<std::size_t>;

}  // namespace

TEST_CASE("connlim lines become one global list in file order", "[grammar][connlim]") {
    auto l = check_text(
        "connlim 10 0 *\nallow *\nsocks -i127.0.0.1\nnoconnlim * 10.0.0.0/8\n"
        "flush\nconnlim 5 60 alice,bob * * 80,443 CONNECT\nproxy -i127.0.0.1\n");
    const auto& limits = l.model.globals.connlims;
    REQUIRE(limits.size() == 3);
    CHECK_FALSE(limits[0].exception);
    CHECK(limits[0].rate == 10);
    CHECK(limits[0].period == 0);
    CHECK(limits[0].match.span().line == 1);
    CHECK(limits[1].exception);
    CHECK(limits[1].match.sources().size() == 1);
    CHECK(limits[2].rate == 5);
    CHECK(limits[2].period == 60);
    CHECK(limits[2].match.users() == proxycfg::NameList{"alice", "bob"});
    CHECK(limits[2].match.ports().size() == 2);
    CHECK(limits[2].match.operations == op::CONNECT);
    // flush empties the ACL, never the limits.
    CHECK(l.model.services.at(1).acl.empty());
}

TEST_CASE("a connlim key names its budget without the rate", "[grammar][connlim]") {
    auto a = check_text("connlim 10 0 *\nconnlim 10 0 *\nconnlim 10 60 *\nsocks\n");
    auto b = check_text("connlim 3 0 *\nsocks\n");
    const auto& la = a.model.globals.connlims;
    REQUIRE(la.size() == 3);
    // Two identical lines are two budgets, as in 3proxy.
    CHECK(la[0].key != la[1].key);
    CHECK(la[0].key != la[2].key);
    // A reload that only changes the rate keeps the count.
    CHECK(b.model.globals.connlims.at(0).key == la[0].key);
}

TEST_CASE("a connlim rate or period that is not a number is PX021", "[grammar][connlim]") {
    CHECK(reports(check_text("connlim ten 0 *\nsocks\n"), "PX021", 1));
    CHECK(reports(check_text("connlim 10 -1 *\nsocks\n"), "PX021", 1));
    CHECK(check_text("connlim ten 0 *\nsocks\n").model.globals.connlims.empty());
    CHECK(reports(check_text("connlim 10 0 * 10.0.0.300\nsocks\n"), "PX004", 1));
}

TEST_CASE("every matching connlim applies until a matching noconnlim", "[grammar][connlim]") {
    auto l = check_text(
        "connlim 100 0 *\n"               // 0: everyone
        "noconnlim * 127.0.0.2\n"         // 1: this client escapes the rest
        "connlim 2 0 alice\n"             // 2
        "connlim 5 60 * * * 80\n"         // 3: port 80 only
        "connlim 1 0 * * 192.0.2.0/24\n"  // 4: one target network
        "connlim 3 0 * * * * HTTP_GET\n"  // 5
        "allow *\nsocks\n");
    const Model& m = l.model;
    CHECK(applies(m, request("alice", "127.0.0.1", "127.0.0.9", 80)) == Indices{0, 2, 3});
    CHECK(applies(m, request("bob", "127.0.0.1", "127.0.0.9", 22)) == Indices{0});
    CHECK(applies(m, request(std::nullopt, "127.0.0.1", "192.0.2.7", 22)) == Indices{0, 4});
    // The exception stops the walk, but the limits above it still apply.
    CHECK(applies(m, request("alice", "127.0.0.2", "127.0.0.9", 80)) == Indices{0});
    CHECK(applies(m, request("carol", "127.0.0.1", "127.0.0.9", 8080, op::HTTP_GET)) ==
          Indices{0, 5});
}

TEST_CASE("a noconnlim first exempts from every limit", "[grammar][connlim]") {
    auto l = check_text("noconnlim admin\nconnlim 1 0 *\nallow *\nsocks\n");
    CHECK(applies(l.model, request("admin", "127.0.0.1", "127.0.0.9", 80)).empty());
    CHECK(applies(l.model, request("guest", "127.0.0.1", "127.0.0.9", 80)) == Indices{1});
    // "-" stands for a client that named no user, as in ACLs.
    auto anon = check_text("connlim 1 0 -\nallow *\nsocks\n");
    CHECK(applies(anon.model, request(std::nullopt, "127.0.0.1", "127.0.0.9", 80)) == Indices{0});
    CHECK(applies(anon.model, request("guest", "127.0.0.1", "127.0.0.9", 80)).empty());
}
