// Packed ACL lists read back exactly what was pushed, in order, across growth, copies
// and moves, for names and for IPv4 and IPv6 ranges mixed in one list.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxycfg/packed_list.hpp"

namespace {

using proxycfg::IpRange;
using proxycfg::IpRangeList;
using proxycfg::NameList;

std::vector<std::string> names_of(const NameList& l) {
    std::vector<std::string> out;
    for (auto n : l) out.emplace_back(n);
    return out;
}

IpRange range(std::string_view text) {
    auto r = proxycfg::parse_ip_range(text);
    REQUIRE(r);
    return *r;
}

bool same(const IpRange& a, const IpRange& b) {
    return a.first == b.first && a.last == b.last && a.host_bits_set == b.host_bits_set;
}

}  // namespace

TEST_CASE("a name list keeps its names in order, empty names included") {
    NameList l;
    CHECK(l.empty());
    CHECK(l.begin() == l.end());
    std::vector<std::string> want;
    // Past several doublings of the block.
    for (int i = 0; i < 100; ++i) {
        std::string n = i % 10 == 0 ? "" : "user" + std::to_string(i);
        l.push_back(n);
        want.push_back(n);
    }
    CHECK(l.size() == 100);
    CHECK(names_of(l) == want);
    CHECK(l.front() == "");
    CHECK(l[7] == "user7");
    CHECK(l.at(99) == "user99");
    CHECK_THROWS_AS(l.at(100), std::out_of_range);
    CHECK(std::find(l.begin(), l.end(), "user42") != l.end());
    CHECK(std::find(l.begin(), l.end(), "user420") == l.end());
}

TEST_CASE("name lists compare, copy and move by value") {
    NameList a{"alice", "bob"};
    NameList b = a;
    CHECK(a == b);
    CHECK(b == NameList{"alice", "bob"});
    CHECK_FALSE(a == NameList{"alice"});
    CHECK_FALSE(a == NameList{"bob", "alice"});
    CHECK_FALSE(NameList{"ab", "c"} == NameList{"a", "bc"});
    b.push_back("carol");
    CHECK(names_of(a) == std::vector<std::string>{"alice", "bob"});
    NameList c = std::move(b);
    CHECK(names_of(c) == std::vector<std::string>{"alice", "bob", "carol"});
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    a = c;
    CHECK(a == c);
    a.clear();
    CHECK(a.empty());
    CHECK(a == NameList{});
}

TEST_CASE("a range list stores IPv4 and IPv6 ranges and their host-bit flag") {
    std::vector<IpRange> want = {range("10.1.2.3/8"),    range("192.168.0.1"),
                                 range("2001:db8::/32"), range("10.0.0.1-10.0.0.99"),
                                 range("::1"),           range("0.0.0.0/0")};
    IpRangeList l;
    for (const auto& r : want) l.push_back(r);
    REQUIRE(l.size() == want.size());
    std::size_t i = 0;
    for (const IpRange& r : l) {
        INFO(i);
        CHECK(same(r, want[i]));
        ++i;
    }
    CHECK(l[0].host_bits_set);
    CHECK_FALSE(l[1].host_bits_set);
    CHECK(l[2].contains(*proxycfg::IpAddress::parse("2001:db8:ffff::1")));
    CHECK_FALSE(l[2].contains(*proxycfg::IpAddress::parse("10.0.0.1")));
    CHECK(l[5].is_everything());
    IpRangeList copy = l;
    CHECK(copy == l);
    CHECK_FALSE(copy == IpRangeList{range("10.1.2.3/8")});
}
