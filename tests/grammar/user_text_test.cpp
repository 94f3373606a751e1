// Users' names and secrets live in the model's text pool: they survive moves and copies of
// the model, and the longest a configuration can hold come back exactly.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "proxycfg/lint.hpp"
#include "proxycfg/model.hpp"
#include "temp_dir.hpp"

namespace {

using testing::TempDir;

namespace fs = std::filesystem;
using namespace proxycfg;

// Enough users that the resolver defines them on its second thread.
constexpr int kUsers = 30000;

std::string many_users() {
    std::string text;
    for (int i = 0; i < kUsers; ++i)
        text += "users u" + std::to_string(i) + ":CL:p" + std::to_string(i) + "\n";
    return text + "users u7:CR:again\n";
}

void check_many_users(const Model& m) {
    REQUIRE(m.user_definitions.size() == kUsers + 1);
    REQUIRE(m.users.size() == kUsers);
    for (int i = 0; i < kUsers; i += 101) {
        const User* u = m.find_user("u" + std::to_string(i));
        REQUIRE(u);
        CHECK(u->name() == "u" + std::to_string(i));
        CHECK(u->secret() == "p" + std::to_string(i));
        CHECK(u->type == PasswordType::cl);
    }
    REQUIRE(m.find_user("u7"));
    CHECK(m.find_user("u7")->secret() == "again");
    CHECK(m.find_user("u7")->type == PasswordType::cr);
    CHECK(m.user_definitions[7].secret() == "p7");
    CHECK(m.replaced_users()[7]);
}

}  // namespace

TEST_CASE("a user definition is at most 40 bytes", "[users][model]") {
    STATIC_REQUIRE(sizeof(User) <= 40);
}

TEST_CASE("users keep their names and secrets when the model is moved or copied",
          "[users][model]") {
    auto loaded = std::make_unique<Loaded>(load_config_text("test.cfg", many_users()));
    check_many_users(loaded->model);

    Model copy = loaded->model;
    Model moved = std::move(loaded->model);
    loaded.reset();  // the original model, and the sources it was read from, are gone
    check_many_users(copy);
    check_many_users(moved);

    Model assigned;
    assigned.add_user("someone", "else");
    assigned = copy;
    copy = Model{};
    check_many_users(assigned);
    check_many_users(moved);
}

TEST_CASE("copies of a model add users independently", "[users][model]") {
    Model a;
    a.add_user("alice", "a").type = PasswordType::cl;
    Model b = a;
    // Both go on writing after the copy: neither overwrites what the other reads.
    for (int i = 0; i < 2000; ++i) {
        a.add_user("a" + std::to_string(i), "x");
        b.add_user("b" + std::to_string(i), "y");
    }
    CHECK(a.user_definitions[0].name() == "alice");
    CHECK(a.user_definitions[0].secret() == "a");
    CHECK(b.user_definitions[0].name() == "alice");
    CHECK(b.user_definitions[0].type == PasswordType::cl);
    for (int i = 0; i < 2000; i += 37) {
        CHECK(a.user_definitions[1 + i].name() == "a" + std::to_string(i));
        CHECK(a.user_definitions[1 + i].secret() == "x");
        CHECK(b.user_definitions[1 + i].name() == "b" + std::to_string(i));
        CHECK(b.user_definitions[1 + i].secret() == "y");
    }
}

TEST_CASE("names and secrets up to a token's size are stored exactly", "[users][model]") {
    Model m;
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65534}, User::max_size}) {
        INFO(size);
        std::string name(size, 'n'), secret(size, 's');
        if (size > 0) {
            name.back() = 'N';
            secret.back() = 'S';
        }
        const User& as_name = m.add_user(name, "pw");
        CHECK(as_name.name() == name);
        CHECK(as_name.secret() == "pw");
        const User& as_secret = m.add_user("bob", secret);
        CHECK(as_secret.name() == "bob");
        CHECK(as_secret.secret() == secret);
        const User& both = m.add_user(name, secret);
        CHECK(both.name() == name);
        CHECK(both.secret() == secret);
    }
    // Longer is refused, never cut short, and adds nothing.
    const std::size_t defined = m.user_definitions.size();
    const std::string too_long(User::max_size + 1, 'x');
    CHECK_THROWS_AS(m.add_user(too_long, ""), std::length_error);
    CHECK_THROWS_AS(m.add_user("bob", too_long), std::length_error);
    CHECK(m.user_definitions.size() == defined);
}

TEST_CASE("users from a long line and from a $file round-trip", "[users][model]") {
    TempDir dir;
    // A whole $file word of the largest token size, one split into name and secret, and
    // an unknown type, which keeps its letters in the secret.
    const std::string word(User::max_size, 'w');
    const std::string name = "n" + std::string(40000, 'n');
    const std::string secret = std::string(User::max_size - name.size() - 4, 's');
    const std::string odd = "odd" + std::string(1000, 'o');
    dir.write("passwd", "short:CL:pw\n" + word + "\n" + name + ":CR:" + secret + "\n" + odd +
                            ":Zz:" + secret + "\n");
    // A line just under 3proxy's limit.
    const std::string line_name = "l" + std::string(30000, 'l');
    const std::string line_secret = std::string(35000, 'p') + "end";
    Loaded l = load_config(
        dir.write("main.cfg", "users $passwd\nusers " + line_name + ":CL:" + line_secret + "\n"));
    REQUIRE(l.model.user_definitions.size() == 5);

    const User* w = l.model.find_user(word);
    REQUIRE(w);
    CHECK(w->name() == word);
    CHECK(w->secret().empty());
    CHECK(w->type == PasswordType::sys);
    const User* u = l.model.find_user(name);
    REQUIRE(u);
    CHECK(u->name() == name);
    CHECK(u->secret() == secret);
    CHECK(u->type == PasswordType::cr);
    const User* unknown = l.model.find_user(odd);
    REQUIRE(unknown);
    CHECK(unknown->type == PasswordType::unknown);
    CHECK(unknown->secret() == "Zz:" + secret);
    const User* from_line = l.model.find_user(line_name);
    REQUIRE(from_line);
    CHECK(from_line->secret() == line_secret);
    CHECK(from_line->type == PasswordType::cl);
    REQUIRE(l.model.find_user("short"));
    CHECK(l.model.find_user("short")->secret() == "pw");
}

TEST_CASE("a definition keeps its span and type in 32 bytes", "[grammar][users]") {
    Model m;
    User& u = m.add_user("bob", "pw");
    u.type = PasswordType::unknown;  // the largest value shares a word with the line
    SourceSpan far{7, User::max_line, 65535, 65535};
    u.set_span(far);
    CHECK(u.span() == far);
    CHECK(u.type == PasswordType::unknown);
    u.type = PasswordType::cl;
    CHECK(u.span() == far);
    CHECK_THROWS_AS(u.set_span({0, User::max_line + 1, 1, 1}), std::length_error);
    CHECK_THROWS_AS(u.set_span({0, 1, 65536, 1}), std::length_error);
    CHECK_THROWS_AS(u.set_span({0, 1, 1, 65536}), std::length_error);
    CHECK(u.span() == far);
    CHECK(u.name() == "bob");
    CHECK(u.secret() == "pw");
}
