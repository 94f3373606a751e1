// proxycfg::match_bandlimits: which bandlimin/bandlimout lines hold a session.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "check_text.hpp"
#include "proxycfg/bandlim.hpp"

using proxycfg::AccessRequest;
using proxycfg::IpAddress;

namespace {

AccessRequest request(std::string_view client, std::optional<std::string_view> user = {}) {
    AccessRequest r;
    r.client = IpAddress::parse(client).value();
    r.target_address = IpAddress::parse("198.51.100.7").value();
    r.port = 443;
    r.user = user;
    return r;
}

struct Limits {
    proxycfg::Loaded loaded;
    explicit Limits(std::string cfg) : loaded(testing::check_text(std::move(cfg) + "socks\n")) {}
    const proxycfg::Model& model() const { return loaded.model; }
    proxycfg::BandLimitMatch operator()(const AccessRequest& r) const {
        return proxycfg::match_bandlimits(loaded.model, r);
    }
};

using Indices = std::vector<std::size_t>;

}  // namespace

TEST_CASE("bandlim lines are stored with rate and direction", "[grammar][bandlim]") {
    Limits l("bandlimin 1000000 alice\nbandlimout 64000 * 10.0.0.0/8\nnobandlimin bob\n");
    const auto& b = l.model().globals.bandlimits;
    REQUIRE(b.size() == 3);
    CHECK_FALSE(b[0].out);
    CHECK(b[0].rate == 1000000);
    CHECK(b[0].acl.users() == proxycfg::NameList{"alice"});
    CHECK(b[1].out);
    CHECK(b[1].rate == 64000);
    CHECK(b[2].exception);
    CHECK(b[2].rate == 0);
    CHECK(b[0].key == "in alice");
    CHECK(b[1].key == "out * 10.0.0.0/8");
    CHECK(b[2].key == "noin bob");
    CHECK(b[1].acl_text == "* 10.0.0.0/8");
}

TEST_CASE("a repeated bandlim line is a budget of its own", "[grammar][bandlim]") {
    Limits l("bandlimin 1000000 *\nbandlimin 2000000 *\n");
    const auto& b = l.model().globals.bandlimits;
    REQUIRE(b.size() == 2);
    CHECK(b[0].key != b[1].key);
}

TEST_CASE("a rate below 300 bits per second is an error", "[grammar][bandlim]") {
    auto loaded = testing::check_text("bandlimin 299 *\nbandlimout x *\nbandlimin 300 *\nsocks\n");
    int errors = 0;
    for (const auto& d : loaded.diagnostics)
        if (d.code == "PX021" && d.message.find("bandlim") != std::string::npos) ++errors;
    CHECK(errors == 2);
    REQUIRE(loaded.model.globals.bandlimits.size() == 1);
    CHECK(loaded.model.globals.bandlimits[0].rate == 300);
}

TEST_CASE("every matching limit applies until the first matching exception", "[grammar][bandlim]") {
    Limits l(
        "bandlimin 1000000 alice\n"
        "bandlimin 5000000 *\n"
        "nobandlimin * 127.0.0.1\n"
        "bandlimin 300 *\n"
        "bandlimout 64000 *\n");
    auto m = l(request("192.0.2.1", "alice"));
    CHECK(m.in == Indices{0, 1, 3});
    CHECK(m.out == Indices{4});
    CHECK(proxycfg::lowest_rate(l.model(), m.in) == 300);

    auto bob = l(request("192.0.2.1", "bob"));
    CHECK(bob.in == Indices{1, 3});

    // The exception ends the `in` list only; `out` limits still apply.
    auto local = l(request("127.0.0.1", "alice"));
    CHECK(local.in == Indices{0, 1});
    CHECK(local.out == Indices{4});
}

TEST_CASE("an exception first leaves the user unlimited", "[grammar][bandlim]") {
    Limits l("nobandlimin admin\nbandlimin 1000000 *\nnobandlimout\nbandlimout 8000 *\n");
    auto admin = l(request("192.0.2.1", "admin"));
    CHECK(admin.in.empty());
    CHECK(admin.out.empty());
    CHECK(admin.empty());
    auto other = l(request("192.0.2.1", "alice"));
    CHECK(other.in == Indices{1});
    CHECK(other.out.empty());
}

TEST_CASE("bandlim ACL fields match targets ports and anonymous clients", "[grammar][bandlim]") {
    Limits l(
        "bandlimin 1000000 * * 198.51.100.0/24 443\nbandlimin 2000000 - \nbandlimin 3000000 * * * "
        "80\n");
    auto anon = l(request("192.0.2.1"));
    CHECK(anon.in == Indices{0, 1});
    auto named = l(request("192.0.2.1", "carol"));
    CHECK(named.in == Indices{0});
}

TEST_CASE("no bandlim lines: nothing matches", "[grammar][bandlim]") {
    Limits l("");
    CHECK(l(request("192.0.2.1", "alice")).empty());
    CHECK(l.model().globals.bandlimits.empty());
}
