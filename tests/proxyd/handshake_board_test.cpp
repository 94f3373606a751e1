// Which handshake gives way when a service is full (HandshakeBoard::pick).
#include "handshake_board.hpp"

#include <catch2/catch.hpp>

using proxyd::Clock;
using proxyd::HandshakeBoard;
using namespace std::chrono_literals;

namespace {

proxycfg::IpAddress ip(const char* text) {
    return *proxycfg::IpAddress::parse(text);
}

HandshakeBoard::Entry entry(std::uint64_t id, const char* source, Clock::time_point at,
                            std::size_t service = 0) {
    return {nullptr, id, service, ip(source), at};
}

}  // namespace

TEST_CASE("a young handshake never gives way to a newcomer", "[handshake]") {
    HandshakeBoard board;
    auto now = Clock::now();
    board.add(entry(1, "10.0.0.1", now - 500ms));
    CHECK_FALSE(board.pick(0, ip("10.0.0.2"), now));
}

TEST_CASE("the oldest handshake over a second old gives way, and only once", "[handshake]") {
    HandshakeBoard board;
    auto now = Clock::now();
    board.add(entry(1, "10.0.0.1", now - 3s));
    board.add(entry(2, "10.0.0.2", now - 2s));
    board.add(entry(3, "10.0.0.3", now - 2s, 1));  // another service
    auto first = board.pick(0, ip("10.0.0.9"), now);
    REQUIRE(first);
    CHECK(first->first.session_id == 1);
    CHECK(first->second == HandshakeBoard::Reason::dragging);
    auto second = board.pick(0, ip("10.0.0.9"), now);
    REQUIRE(second);
    CHECK(second->first.session_id == 2);
    CHECK_FALSE(board.pick(0, ip("10.0.0.9"), now));
}

TEST_CASE("a finished handshake is no longer a candidate", "[handshake]") {
    HandshakeBoard board;
    auto now = Clock::now();
    board.add(entry(1, "10.0.0.1", now - 3s));
    board.remove(1);
    board.remove(1);  // twice is harmless
    CHECK_FALSE(board.pick(0, ip("10.0.0.9"), now));
}

TEST_CASE("a source over its share gives way first, to itself and to others, at any age",
          "[handshake]") {
    HandshakeBoard board;
    auto now = Clock::now();
    board.add(entry(1, "10.0.0.1", now - 5s));  // an old handshake of someone else
    for (std::uint64_t i = 0; i < HandshakeBoard::per_source_share; ++i)
        board.add(entry(100 + i, "10.6.6.6", now - 10ms));
    auto own = board.pick(0, ip("10.6.6.6"), now);
    REQUIRE(own);
    CHECK(own->first.session_id == 100);
    CHECK(own->second == HandshakeBoard::Reason::source_over_share);
    board.add(entry(200, "10.6.6.6", now));
    auto other = board.pick(0, ip("10.0.0.2"), now);
    REQUIRE(other);
    CHECK(other->first.session_id == 101);  // the flooder's oldest, not the old bystander
    // Below its share again, the flooder's handshakes are young: the bystander's goes.
    auto next = board.pick(0, ip("10.0.0.2"), now);
    REQUIRE(next);
    CHECK(next->first.session_id == 1);
}
