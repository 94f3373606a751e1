// The users table: last definition wins, growth keeps every name, lookups of absent names.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/model.hpp"
#include "proxycfg/user_table.hpp"

namespace {

using namespace proxycfg;

// Appends definitions of `names` (no secrets) to the model; their texts live in the model.
std::vector<User>& define(Model& m, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) m.add_user(name, "");
    return m.user_definitions;
}

}  // namespace

TEST_CASE("an empty table finds nothing", "[user_table]") {
    std::vector<User> defs;
    UserTable t;
    CHECK(t.empty());
    CHECK(t.find(defs, "alice") == UserTable::npos);
    t.reserve(10);
    CHECK(t.find(defs, "alice") == UserTable::npos);
}

TEST_CASE("a redefinition replaces the earlier one and reports it", "[user_table]") {
    Model m;
    const std::vector<User>& defs = define(m, {"alice", "bob", "alice"});
    UserTable t;
    CHECK(t.assign(defs, 0) == UserTable::npos);
    CHECK(t.assign(defs, 1) == UserTable::npos);
    CHECK(t.assign(defs, 2) == 0);
    CHECK(t.size() == 2);
    CHECK(t.find(defs, "alice") == 2);
    CHECK(t.find(defs, "bob") == 1);
    CHECK(t.find(defs, "carol") == UserTable::npos);
    CHECK(t.find(defs, "") == UserTable::npos);
}

TEST_CASE("growing from no reservation keeps every name", "[user_table]") {
    Model m;
    const std::uint32_t n = 50'000;
    for (std::uint32_t i = 0; i < n; ++i) define(m, {"u" + std::to_string(i)});
    const std::vector<User>& defs = m.user_definitions;
    UserTable t;
    for (std::uint32_t i = 0; i < n; ++i) REQUIRE(t.assign(defs, i) == UserTable::npos);
    CHECK(t.size() == n);
    for (std::uint32_t i = 0; i < n; i += 997) CHECK(t.find(defs, defs[i].name()) == i);
    CHECK(t.find(defs, "u" + std::to_string(n)) == UserTable::npos);
    CHECK(t.find(defs, "U1") == UserTable::npos);  // names are case-sensitive
}

TEST_CASE("a batch lookup answers as one lookup per name", "[user_table]") {
    Model m;
    for (std::uint32_t i = 0; i < 1000; ++i) define(m, {"u" + std::to_string(i)});
    define(m, {"u7"});  // a redefinition: the batch must see the last one
    const std::vector<User>& defs = m.user_definitions;
    UserTable t;
    for (std::uint32_t i = 0; i < defs.size(); ++i) t.assign(defs, i);
    // Present, absent and repeated names, across several batches of the table's size.
    std::vector<std::string> storage;
    for (std::uint32_t i = 0; i < 1100; i += 3) storage.push_back("u" + std::to_string(i));
    storage.insert(storage.end(), {"u7", "", "U7", "u7", "nobody"});
    std::vector<std::string_view> names(storage.begin(), storage.end());
    std::vector<std::uint32_t> out(names.size(), 12345);
    t.find_many(defs, names, out);
    for (std::size_t i = 0; i < names.size(); ++i) CHECK(out[i] == t.find(defs, names[i]));
    CHECK(out[out.size() - 5] == 1000);
    CHECK(out[out.size() - 1] == UserTable::npos);
    // Lists shorter than the lookup's pipeline, and every length around its stages.
    for (std::size_t n = 1; n <= 40; ++n) {
        std::vector<std::uint32_t> part(n, 12345);
        t.find_many(defs, std::span(names).last(n), part);
        for (std::size_t i = 0; i < n; ++i) CHECK(part[i] == out[names.size() - n + i]);
    }

    UserTable empty;
    std::vector<std::uint32_t> none(names.size(), 0);
    empty.find_many(defs, names, none);
    for (auto index : none) CHECK(index == UserTable::npos);
    t.find_many(defs, {}, {});  // nothing to look up
}

TEST_CASE("the model lists effective users in file order", "[user_table]") {
    Model m;
    define(m, {"bob", "alice", "bob"});
    for (std::uint32_t i = 0; i < 3; ++i) {
        std::uint32_t r = m.users.assign(m.user_definitions, i);
        if (r != UserTable::npos) m.user_definitions[i].previous = r;
    }
    CHECK(m.replaced_users() == std::vector<bool>{true, false, false});
    auto users = m.effective_users();
    REQUIRE(users.size() == 2);
    CHECK(users[0] == &m.user_definitions[1]);
    CHECK(users[1] == &m.user_definitions[2]);
    CHECK(m.find_user("bob") == &m.user_definitions[2]);
}

TEST_CASE("assigning a range gives what assigning one by one gives", "[user_table]") {
    // Names repeat (within a batch and across batches); no reservation, so the table grows
    // in the middle of ranges too.
    Model a_model, b_model;
    for (int i = 0; i < 5000; ++i) {
        std::string name = "u" + std::to_string((i * 7919) % 3001);
        define(a_model, {name});
        define(b_model, {name});
    }
    std::vector<User>& one_by_one = a_model.user_definitions;
    std::vector<User>& ranged = b_model.user_definitions;
    UserTable a, b;
    for (std::uint32_t i = 0; i < one_by_one.size(); ++i) {
        std::uint32_t replaced = a.assign(one_by_one, i);
        if (replaced != UserTable::npos) {
            one_by_one[i].previous = replaced;
        }
    }
    b.assign_range(ranged, 0, 7);  // a short range, then the rest in uneven pieces
    b.assign_range(ranged, 7, 2500);
    b.assign_range(ranged, 2500, 5000);
    CHECK(a.size() == b.size());
    CHECK(b.size() == 3001);
    for (std::size_t i = 0; i < ranged.size(); ++i) {
        INFO("definition " << i);
        CHECK(ranged[i].previous == one_by_one[i].previous);
        CHECK(b.find(ranged, ranged[i].name()) == a.find(one_by_one, one_by_one[i].name()));
    }
}
