// Packed ACL lists read back exactly what was pushed, in order, across growth, copies
// and moves, for every codec, whether the records are inline or on the heap, and whether
// the list was pushed element by element or written at once from a builder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxycfg/model.hpp"
#include "proxycfg/packed_list.hpp"

namespace {

using proxycfg::HostPattern;
using proxycfg::HostPatternCodec;
using proxycfg::HostPatternList;
using proxycfg::IpRange;
using proxycfg::IpRangeCodec;
using proxycfg::IpRangeList;
using proxycfg::NameCodec;
using proxycfg::NameList;
using proxycfg::PackedListBuilder;
using proxycfg::PortRange;
using proxycfg::PortRangeList;
using proxycfg::TimePeriod;
using proxycfg::TimePeriodList;

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

TEST_CASE("a single address takes its bytes once, so a CIDR and an address stay inline") {
    IpRangeList l;
    l.push_back(range("208.116.0.0/16"));
    l.push_back(range("208.116.126.202"));
    CHECK(l.is_inline());
    CHECK(l.bytes() == 6 + 5);
    REQUIRE(l.size() == 2);
    CHECK(same(l[0], range("208.116.0.0/16")));
    CHECK(same(l[1], range("208.116.126.202")));
    CHECK(l[1].first == l[1].last);
    // A one-address range written as a range or as a /32 is the same address.
    IpRangeList v6;
    v6.push_back(range("2001:db8::1/128"));
    v6.push_back(range("10.0.0.5-10.0.0.5"));
    CHECK(v6.bytes() == 17 + 5);
    CHECK(same(v6[0], range("2001:db8::1")));
    CHECK(same(v6[1], range("10.0.0.5")));
}

namespace {

// Lists built from `names` both ways: push by push and at once from a builder.
std::pair<NameList, NameList> both_ways(const std::vector<std::string>& names) {
    NameList pushed;
    PackedListBuilder<NameCodec> b;
    for (const auto& n : names) {
        pushed.push_back(n);
        b.push_back(n);
    }
    return {std::move(pushed), NameList(b)};
}

}  // namespace

TEST_CASE("a packed list is 16 bytes and keeps up to 15 bytes of records inline", "[packed]") {
    STATIC_REQUIRE(sizeof(NameList) == 16);
    STATIC_REQUIRE(sizeof(IpRangeList) == 16);
    STATIC_REQUIRE(sizeof(HostPatternList) == 16);
    STATIC_REQUIRE(NameList::inline_bytes == 15);
    STATIC_REQUIRE(NameList::inline_count == 14);
    NameList l;
    CHECK(l.is_inline());
    CHECK(l.bytes() == 0);
    l.push_back("abcdefghijklmn");  // 1 + 14 bytes: exactly full
    CHECK(l.is_inline());
    CHECK(l.bytes() == 15);
    CHECK(l.front() == "abcdefghijklmn");
    l.push_back("");  // 1 more: to the heap
    CHECK_FALSE(l.is_inline());
    CHECK(l.bytes() == 16);
    CHECK(names_of(l) == std::vector<std::string>{"abcdefghijklmn", ""});
    NameList fifteen{"abcdefghijklmno"};  // 16 bytes in one record
    CHECK_FALSE(fifteen.is_inline());
    CHECK(fifteen.front() == "abcdefghijklmno");
    NameList four{"u10", "u12", "u1", "u13"};  // 4 + 4 + 3 + 4
    CHECK(four.is_inline());
    CHECK(names_of(four) == std::vector<std::string>{"u10", "u12", "u1", "u13"});
    // At most 14 elements inline, however short.
    NameList empties;
    for (int i = 0; i < 14; ++i) empties.push_back("");
    CHECK(empties.is_inline());
    CHECK(empties.size() == 14);
    empties.push_back("");
    CHECK_FALSE(empties.is_inline());
    CHECK(empties.size() == 15);
    CHECK(empties.bytes() == 15);
    l.clear();
    CHECK(l.is_inline());
    CHECK(l.empty());
    CHECK(l.begin() == l.end());
}

TEST_CASE("pushed and built lists hold the same bytes on both sides of the inline limit",
          "[packed]") {
    for (std::size_t n = 0; n <= 300; n += (n < 40 ? 1 : 37)) {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < n; ++i)
            names.push_back(std::string(i % 7, static_cast<char>('a' + i % 26)));
        auto [pushed, built] = both_ways(names);
        INFO(n);
        CHECK(pushed == built);
        CHECK(built.size() == n);
        CHECK(names_of(built) == names);
        CHECK(built.is_inline() ==
              (built.bytes() <= NameList::inline_bytes && n <= NameList::inline_count));
        CHECK(pushed.is_inline() == built.is_inline());
    }
}

TEST_CASE("a builder past its scratch space and appends after existing elements", "[packed]") {
    std::vector<std::string> want;
    PackedListBuilder<NameCodec> b;
    for (int i = 0; i < 200; ++i) {  // well past the builder's 256 bytes on the stack
        want.push_back("name" + std::to_string(i));
        b.push_back(want.back());
    }
    CHECK(b.size() == 200);
    NameList l{"first"};
    l.append(b);
    want.insert(want.begin(), "first");
    CHECK(names_of(l) == want);
    CHECK(l.bytes() == NameList{"first"}.bytes() + b.bytes());
    // An exactly sized block still grows by pushes.
    l.push_back("last");
    want.push_back("last");
    CHECK(names_of(l) == want);
    // A cleared builder starts over; an empty one appends nothing.
    b.clear();
    CHECK(b.empty());
    NameList before = l;
    l.append(b);
    CHECK(l == before);
    b.push_back("x");
    l.append(b);
    CHECK(l.size() == before.size() + 1);
    CHECK(l[l.size() - 1] == "x");
}

TEST_CASE("copies and moves between inline and heap lists", "[packed]") {
    const NameList small{"ab"};
    const NameList big{"alice", "bob", "carol", "dave", "eve"};
    REQUIRE(small.is_inline());
    REQUIRE_FALSE(big.is_inline());

    NameList a = small;
    a = big;  // inline <- heap
    CHECK(a == big);
    CHECK_FALSE(a.is_inline());
    CHECK(a.data() != big.data());  // its own block
    a = small;                      // heap <- inline
    CHECK(a == small);
    CHECK(a.is_inline());

    NameList b = big;
    NameList c = std::move(b);  // a heap block changes hands
    CHECK(c == big);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    CHECK(b.is_inline());
    NameList d = small;
    d = std::move(c);  // inline <- heap, by move
    CHECK(d == big);
    c = NameList(small);  // a moved-from list is usable
    CHECK(c == small);
    d = std::move(c);  // heap <- inline, by move: the block is freed
    CHECK(d == small);
    CHECK(d.is_inline());

    NameList e = big;
    const NameList& alias = e;
    e = alias;  // self-assignment
    CHECK(e == big);
    NameList& same_list = e;
    e = std::move(same_list);  // self-move keeps the list

    CHECK(e == big);

    std::vector<NameList> many(3, big);
    many.push_back(small);
    many.resize(50, small);  // moves on reallocation
    CHECK(many[2] == big);
    CHECK(many[49] == small);
}

TEST_CASE("a list may push its own elements", "[packed]") {
    NameList l{"abcdef"};
    for (int i = 0; i < 10; ++i) l.push_back(l.front());  // inline, then across each growth
    CHECK(l.size() == 11);
    for (auto n : l) CHECK(n == "abcdef");
}

TEST_CASE("equality compares counts and records", "[packed]") {
    CHECK(NameList{} == NameList{});
    CHECK_FALSE(NameList{""} == NameList{});
    CHECK_FALSE(NameList{"", ""} == NameList{""});
    CHECK_FALSE(NameList{"abcdefghijklmnop"} == NameList{"abcdefghijklmnoq"});  // heap
    CHECK_FALSE(NameList{"abc"} == NameList{"abd"});                            // inline
    CHECK(PortRangeList{{1, 2}, {3, 4}} == PortRangeList{{1, 2}, {3, 4}});
    CHECK_FALSE(PortRangeList{{1, 2}, {3, 4}} == PortRangeList{{3, 4}, {1, 2}});
}

TEST_CASE("a list refuses more elements than its count holds", "[packed]") {
    PackedListBuilder<NameCodec> b;
    for (std::size_t i = 0; i < NameList::max_count; ++i) b.push_back("");
    NameList l(b);
    CHECK(l.size() == NameList::max_count);
    CHECK_THROWS_AS(l.push_back(""), std::length_error);
    CHECK(l.size() == NameList::max_count);
    NameList one{""};
    CHECK_THROWS_AS(one.append(b), std::length_error);
    CHECK(one == NameList{""});
}

TEST_CASE("range lists keep short IPv4 lists inline and IPv6 ranges on the heap", "[packed]") {
    IpRangeList v4{range("10.0.0.0/8")};  // 6 bytes: address and prefix length
    CHECK(v4.is_inline());
    CHECK(v4.bytes() == 6);
    CHECK(v4.front().contains(*proxycfg::IpAddress::parse("10.9.9.9")));
    v4.push_back(range("192.168.1.1"));  // 5 bytes: one address
    CHECK(v4.is_inline());
    CHECK(v4.bytes() == 11);
    v4.push_back(range("172.16.0.0/12"));
    CHECK_FALSE(v4.is_inline());
    CHECK(v4.bytes() == 17);
    CHECK(same(v4[1], range("192.168.1.1")));
    CHECK(same(v4[2], range("172.16.0.0/12")));
    IpRangeList v6{range("::1")};  // 17 bytes
    CHECK_FALSE(v6.is_inline());
    CHECK(v6.bytes() == 17);
    CHECK(v6.front().contains(*proxycfg::IpAddress::parse("::1")));
    PackedListBuilder<IpRangeCodec> b;
    b.push_back(range("10.0.0.1-10.0.0.99"));
    b.push_back(range("2001:db8::/32"));
    IpRangeList built(b);
    IpRangeList pushed{range("10.0.0.1-10.0.0.99"), range("2001:db8::/32")};
    CHECK(built == pushed);
    CHECK(same(built[1], range("2001:db8::/32")));
}

TEST_CASE("port and period lists", "[packed]") {
    PortRangeList ports{{80, 80}, {443, 443}, {8000, 8080}};  // 12 bytes: inline
    CHECK(ports.is_inline());
    CHECK(ports.size() == 3);
    CHECK(ports[2].contains(8080));
    CHECK_FALSE(ports[2].contains(8081));
    ports.push_back({1, 1});
    CHECK_FALSE(ports.is_inline());
    CHECK(ports.at(3).first == 1);
    CHECK(ports[0].first == 80);

    TimePeriodList periods{{3600, 7200}};  // 8 bytes: inline
    CHECK(periods.is_inline());
    periods.push_back({0, 60});
    CHECK_FALSE(periods.is_inline());
    CHECK(periods[0].from == 3600);
    CHECK(periods[1].to == 60);
    TimePeriodList copy = periods;
    CHECK(copy == periods);
}

TEST_CASE("host pattern lists keep kind and text", "[packed]") {
    using K = HostPattern::Kind;
    HostPatternList l{{K::suffix, ".example.com.org"}};  // 2 + 16: heap
    CHECK_FALSE(l.is_inline());
    HostPatternList short_one{{K::exact, "abcdefghij"}};  // 2 + 10: inline
    CHECK(short_one.is_inline());
    CHECK(short_one.front().text == "abcdefghij");
    CHECK(short_one.front().kind == K::exact);
    PackedListBuilder<HostPatternCodec> b;
    b.push_back({K::prefix, "www."});
    b.push_back({K::substring, "ampl"});
    b.push_back({K::exact, ""});
    l.append(b);
    REQUIRE(l.size() == 4);
    CHECK(l[0].to_string() == "*.example.com.org");
    CHECK(l[1].to_string() == "www.*");
    CHECK(l[2].to_string() == "*ampl*");
    CHECK(l[3].to_string() == "");
    CHECK(l[0].matches("WWW.Example.com.org."));
    CHECK_FALSE(l[0].matches("example.com.org"));
    CHECK(l[1].matches("www.other.org"));
    CHECK(l[2].matches("example.com"));
    CHECK_FALSE(HostPatternList{{K::exact, "a"}} == HostPatternList{{K::prefix, "a"}});
}

TEST_CASE("parent lists are empty without a block and copy deeply", "[packed]") {
    proxycfg::ParentList l;
    CHECK(l.empty());
    CHECK(l.size() == 0);
    CHECK(l.begin() == l.end());
    CHECK(std::span<const proxycfg::Parent>(l).empty());
    proxycfg::Parent p;
    p.host = "127.0.0.1";
    p.port = 3128;
    l.push_back(p);
    proxycfg::ParentList copy = l;
    copy.push_back(p);
    CHECK(l.size() == 1);
    CHECK(copy.size() == 2);
    CHECK(copy.at(1).port == 3128);
    CHECK_THROWS_AS(l.at(1), std::out_of_range);
    proxycfg::ParentList moved = std::move(copy);
    CHECK(moved.size() == 2);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    l.clear();
    CHECK(l.empty());
}

TEST_CASE("every kind of range reads back as written", "[packed]") {
    // One address, prefix blocks of every byte alignment, and ranges that are not blocks.
    const char* texts[] = {"1.2.3.4",
                           "1.2.3.4/32",
                           "255.255.255.255",
                           "0.0.0.0/0",
                           "0.0.0.0/1",
                           "128.0.0.0/1",
                           "10.0.0.0/8",
                           "10.1.2.3/8",
                           "10.0.0.0/9",
                           "10.128.0.0/9",
                           "1.2.3.0/25",
                           "1.2.3.128/25",
                           "1.2.3.0/31",
                           "255.255.255.0/24",
                           "10.0.0.1-10.0.0.99",
                           "10.0.0.0-10.0.1.255",
                           "10.0.0.0-10.0.1.254",
                           "10.0.0.0-10.255.255.254",
                           "::/0",
                           "::1",
                           "::ffff:0:0/96",
                           "2001:db8::/32",
                           "2001:db8::/33",
                           "2001:db8::/127",
                           "2001:db8::1-2001:db8::5"};
    for (const char* text : texts) {
        INFO(text);
        IpRange r = range(text);
        unsigned char record[64];
        IpRangeCodec::encode(r, record);
        CHECK(IpRangeCodec::length(record) == IpRangeCodec::size(r));
        CHECK(same(IpRangeCodec::decode(record), r));
        IpRangeList l{r, r};  // the second record starts where length() says
        CHECK(same(l[1], r));
    }
    // A CIDR block takes its prefix length, however it was written; other ranges both ends.
    CHECK(IpRangeCodec::size(range("10.0.0.0/8")) == 6);
    CHECK(IpRangeCodec::size(range("10.1.2.3/8")) == 6);
    CHECK(IpRangeCodec::size(range("10.0.0.0-10.0.1.255")) == 6);
    CHECK(IpRangeCodec::size(range("10.0.0.0-10.0.1.254")) == 9);
    CHECK(IpRangeCodec::size(range("0.0.0.0/0")) == 6);
    CHECK(IpRangeCodec::size(range("2001:db8::/32")) == 18);
    CHECK(IpRangeCodec::size(range("2001:db8::1-2001:db8::5")) == 33);
}

TEST_CASE("a CIDR block of every prefix length reads back with its last address", "[packed]") {
    for (int prefix = 0; prefix <= 128; ++prefix) {
        for (const char* base : {"10.200.33.77", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"}) {
            bool v6 = std::string_view(base).find(':') != std::string_view::npos;
            if (!v6 && prefix > 32) continue;
            std::string text = std::string(base) + "/" + std::to_string(prefix);
            INFO(text);
            IpRange r = range(text);
            unsigned char record[64];
            IpRangeCodec::encode(r, record);
            CHECK(IpRangeCodec::length(record) == IpRangeCodec::size(r));
            IpRange back = IpRangeCodec::decode(record);
            CHECK(same(back, r));
            std::size_t w = v6 ? 16 : 4;
            CHECK(IpRangeCodec::size(r) == (prefix == static_cast<int>(8 * w) ? 1 + w : 2 + w));
        }
    }
}

TEST_CASE("names and host patterns of 255 bytes and more take a longer length", "[packed]") {
    std::string a(254, 'a'), b(255, 'b'), c(70000, 'c');
    NameList l{a, b, c, "x"};
    CHECK(l[0] == a);
    CHECK(l[1] == b);
    CHECK(l[2] == std::string(65535, 'c'));  // cut at what a 16-bit length holds
    CHECK(l[3] == "x");
    CHECK(l.bytes() == (1 + 254) + (3 + 255) + (3 + 65535) + (1 + 1));
    using K = HostPattern::Kind;
    HostPatternList h{{K::suffix, b}, {K::prefix, "x"}};
    CHECK(h[0].text == b);
    CHECK(h[0].kind == K::suffix);
    CHECK(h[1].text == "x");
    CHECK(h[1].kind == K::prefix);
}

namespace {

using Lists3 = proxycfg::PackedLists<3>;

Lists3 three(const NameList& a, const IpRangeList& b, const PortRangeList& c) {
    return Lists3({Lists3::Part::of(a), Lists3::Part::of(b), Lists3::Part::of(c)});
}

}  // namespace

TEST_CASE("several lists in one block read back as built", "[packed]") {
    Lists3 none;
    CHECK(none.all_empty());
    CHECK(none.bytes() == 0);
    CHECK(none.get<NameCodec>(0).empty());
    CHECK(none.get<IpRangeCodec>(1).empty());

    // Everything empty takes no block at all; one short list its bytes and 3 more (which
    // lists, its count and its bytes).
    CHECK(three({}, {}, {}).all_empty());
    CHECK(three({}, {}, {}).data() == nullptr);
    Lists3 small = three({"u1"}, {}, {});
    CHECK(small.bytes() == 3 + 3);
    CHECK_FALSE(small.in_pool());
    CHECK(small.get<NameCodec>(0) == NameList{"u1"});
    CHECK(small.get<IpRangeCodec>(1).empty());
    CHECK(small.get<proxycfg::FixedCodec<PortRange>>(2).empty());

    // Only the middle and last lists: the first reads as empty, the others exactly.
    IpRangeList ranges{range("10.0.0.0/8"), range("2001:db8::/32")};
    PortRangeList ports{{80, 80}, {8000, 8080}};
    Lists3 tail = three({}, ranges, ports);
    CHECK(tail.get<NameCodec>(0).empty());
    CHECK(tail.get<IpRangeCodec>(1) == ranges);
    CHECK(tail.get<proxycfg::FixedCodec<PortRange>>(2) == ports);
    CHECK(same(tail.get<IpRangeCodec>(1)[1], range("2001:db8::/32")));

    // A list of more than 127 elements and bytes takes longer counts.
    NameList many;
    std::vector<std::string> want;
    for (int i = 0; i < 300; ++i) {
        want.push_back("name" + std::to_string(i));
        many.push_back(want.back());
    }
    Lists3 big = three(many, ranges, ports);
    std::vector<std::string> got;
    for (auto n : big.get<NameCodec>(0)) got.emplace_back(n);
    CHECK(got == want);
    CHECK(big.get<NameCodec>(0).size() == 300);
    CHECK(big.get<IpRangeCodec>(1) == ranges);
    CHECK(big.get<proxycfg::FixedCodec<PortRange>>(2) == ports);
}

TEST_CASE("a block of lists copies deeply, moves and compares by value", "[packed]") {
    NameList names{"alice", "bob", "carol", "dave"};
    IpRangeList ranges{range("192.168.0.0/16")};
    Lists3 heap = three(names, ranges, {});
    Lists3 copy = heap;
    CHECK(copy == heap);
    CHECK(copy.data() != heap.data());  // its own block
    Lists3 moved = std::move(copy);
    CHECK(moved == heap);
    CHECK(copy.all_empty());  // NOLINT(bugprone-use-after-move): a moved-from block is empty
    CHECK_FALSE(three({"alice"}, ranges, {}) == heap);
    Lists3 small = three({"x"}, {}, {});
    moved = small;
    CHECK(moved == small);
    CHECK(moved.data() != small.data());
    CHECK(moved.get<NameCodec>(0) == NameList{"x"});
}

TEST_CASE("an ACL entry's lists read back as set, and an entry of '*' holds no block", "[packed]") {
    proxycfg::AclEntry e;
    CHECK(e.matches_everything());
    proxycfg::AclFieldLists l;
    l.users = {"alice", "bob"};
    l.sources = {range("10.0.0.0/8")};
    l.target_hosts = {HostPattern{HostPattern::Kind::suffix, "example.com"}};
    l.ports = {{443, 443}};
    l.periods = {TimePeriod{9 * 3600, 18 * 3600}};
    e.set_lists(l);
    CHECK_FALSE(e.matches_everything());
    CHECK(e.users() == l.users);
    CHECK(e.sources() == l.sources);
    CHECK(e.target_addresses().empty());
    CHECK(e.target_hosts() == l.target_hosts);
    CHECK(e.ports() == l.ports);
    CHECK(e.periods() == l.periods);
    CHECK_FALSE(e.any_target());
    proxycfg::AclEntry copy = e;
    CHECK(copy.users() == l.users);
    CHECK(copy.periods()[0].to == 18 * 3600);
    e.set_lists(proxycfg::AclFieldLists{});
    CHECK(e.list_bytes() == 0);
    CHECK(e.matches_everything());
}

TEST_CASE("a block's mark is kept by copies and moves, and costs one byte", "[packed]") {
    IpRangeList ranges{range("10.0.0.0/8")};
    using Part = Lists3::Part;
    Lists3 plain({Part{}, Part::of(ranges), Part{}});
    CHECK_FALSE(plain.marked());
    Lists3 marked({Part{}, Part::of(ranges), Part{}}, nullptr, true);
    CHECK(marked.marked());
    CHECK(marked.bytes() == plain.bytes());
    CHECK(marked.get<IpRangeCodec>(1) == ranges);
    CHECK(marked.get<NameCodec>(0).empty());
    CHECK_FALSE(marked == plain);
    Lists3 copy = marked;
    CHECK(copy.marked());
    Lists3 moved = std::move(copy);
    CHECK(moved.marked());
    // Marked empty lists: a block of the mark alone, and still empty.
    Lists3 empty({Part{}, Part{}, Part{}}, nullptr, true);
    CHECK(empty.marked());
    CHECK(empty.all_empty());
    CHECK(empty.bytes() == 1);
    CHECK(empty.get<NameCodec>(0).empty());
    proxycfg::TextPool pool;
    Lists3 pooled({Part{}, Part::of(ranges), Part{}}, &pool, true);
    CHECK(pooled.in_pool());
    CHECK(pooled.marked());
}

TEST_CASE("lists in a pool read back, and copies of them outlive it", "[packed]") {
    NameList names;
    for (int i = 0; i < 40; ++i) names.push_back("user" + std::to_string(i));
    IpRangeList ranges{range("10.0.0.0/8"), range("192.168.1.0/24")};
    std::vector<Lists3> copies;
    {
        proxycfg::TextPool pool;
        std::vector<Lists3> pooled;
        // Past the first blocks, and a block larger than a quarter of the largest.
        NameList huge;
        for (int i = 0; i < 20000; ++i) huge.push_back("n" + std::to_string(i));
        pooled.emplace_back(std::array{Lists3::Part::of(huge), Lists3::Part{}, Lists3::Part{}},
                            &pool);
        for (int i = 0; i < 2000; ++i)
            pooled.emplace_back(
                std::array{Lists3::Part::of(names), Lists3::Part::of(ranges), Lists3::Part{}},
                &pool);
        // Nothing but empty lists takes nothing from the pool.
        Lists3 none({Lists3::Part{}, Lists3::Part{}, Lists3::Part{}}, &pool);
        CHECK(none.all_empty());
        CHECK_FALSE(none.in_pool());
        CHECK(pooled[0].get<NameCodec>(0) == huge);
        for (const auto& l : pooled) CHECK(l.in_pool());
        for (std::size_t i = 1; i < pooled.size(); ++i) {
            CHECK(pooled[i].get<NameCodec>(0) == names);
            CHECK(pooled[i].get<IpRangeCodec>(1) == ranges);
        }
        copies.push_back(pooled.back());  // owns its block
        Lists3 moved = std::move(pooled[1]);
        CHECK(moved.in_pool());
        CHECK(moved.get<NameCodec>(0) == names);
    }
    REQUIRE(copies.size() == 1);
    CHECK_FALSE(copies[0].in_pool());
    CHECK(copies[0].get<NameCodec>(0) == names);
    CHECK(copies[0].get<IpRangeCodec>(1) == ranges);
}
