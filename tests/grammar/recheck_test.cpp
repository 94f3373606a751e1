#include <catch2/catch.hpp>

#include "check_text.hpp"
#include "proxycfg/model_diff.hpp"
#include "proxycfg/recheck.hpp"

using namespace proxycfg;

namespace {

Model model_of(const std::string& text) {
    auto loaded = testing::check_text(text);
    return std::move(loaded.model);
}

SessionFacts bob_session(const Model& m) {
    SessionFacts s;
    s.service_label = m.services.at(0).label;
    s.request.user = "bob";
    s.request.password = "secret";
    s.request.client = *IpAddress::parse("127.0.0.1");
    s.request.target_host = "example.com";
    s.request.port = 443;
    return s;
}

const char* kBase = R"(users alice:CL:a bob:CL:secret
force
auth strong
allow alice,bob
socks -i127.0.0.1 -p1080
)";

}  // namespace

TEST_CASE("a session of a removed user on a force service is closed with reason 'user removed'",
          "[recheck]") {
    Model before = model_of(kBase);
    Model after = model_of(R"(users alice:CL:a
force
auth strong
allow alice,bob
socks -i127.0.0.1 -p1080
)");
    auto r = recheck_session(before, after, bob_session(before));
    CHECK(r.closes());
    CHECK(r.reason() == "user removed");
}

TEST_CASE("a changed password closes the session; an unchanged one keeps it", "[recheck]") {
    Model before = model_of(kBase);
    Model changed = model_of(R"(users alice:CL:a bob:CL:other
force
auth strong
allow alice,bob
socks -i127.0.0.1 -p1080
)");
    CHECK(recheck_session(before, changed, bob_session(before)).reason() == "password changed");
    auto same = recheck_session(before, before, bob_session(before));
    CHECK_FALSE(same.closes());
    CHECK(same.outcome == RecheckOutcome::kept_allowed);
}

TEST_CASE("an ACL that no longer names the user closes the session", "[recheck]") {
    Model before = model_of(kBase);
    Model after = model_of(R"(users alice:CL:a bob:CL:secret
force
auth strong
allow alice
socks -i127.0.0.1 -p1080
)");
    auto r = recheck_session(before, after, bob_session(before));
    CHECK(r.closes());
    CHECK(r.verdict == Verdict::acl_no_match);
}

TEST_CASE("noforce services keep their sessions whatever changed", "[recheck]") {
    Model before = model_of(kBase);
    Model after = model_of(R"(users alice:CL:a
noforce
auth strong
allow alice
socks -i127.0.0.1 -p1080
)");
    auto r = recheck_session(before, after, bob_session(before));
    CHECK_FALSE(r.closes());
    CHECK(r.outcome == RecheckOutcome::kept_noforce);
}

TEST_CASE("a removed force service closes its sessions, a removed noforce service drains them",
          "[recheck]") {
    Model before = model_of(kBase);
    Model other = model_of(R"(users alice:CL:a bob:CL:secret
auth strong
socks -i127.0.0.1 -p1081
)");
    CHECK(recheck_session(before, other, bob_session(before)).reason() == "service removed");
    Model before_noforce = model_of(R"(users bob:CL:secret
noforce
auth strong
socks -i127.0.0.1 -p1080
)");
    auto r = recheck_session(before_noforce, other, bob_session(before_noforce));
    CHECK_FALSE(r.closes());
    CHECK(r.outcome == RecheckOutcome::drain_service_removed);
}

TEST_CASE("the model diff names removed users, changed passwords and ACL edits without secrets",
          "[diff]") {
    Model before = model_of(kBase);
    Model after = model_of(R"(users alice:CL:new carol:CL:c
noforce
auth strong
allow alice
socks -i127.0.0.1 -p1080
tcppm -i127.0.0.1 2525 127.0.0.1 25
)");
    auto changes = diff_models(before, after);
    auto has = [&](std::string_view area, std::string_view subject, ModelChange::Kind k) {
        return std::any_of(changes.begin(), changes.end(), [&](const ModelChange& c) {
            return c.area == area && c.subject == subject && c.kind == k;
        });
    };
    CHECK(has("user", "bob", ModelChange::Kind::removed));
    CHECK(has("user", "alice", ModelChange::Kind::changed));
    CHECK(has("user", "carol", ModelChange::Kind::added));
    CHECK(has("force", "socks:127.0.0.1:1080", ModelChange::Kind::changed));
    CHECK(has("acl", "socks:127.0.0.1:1080", ModelChange::Kind::added));
    CHECK(has("acl", "socks:127.0.0.1:1080", ModelChange::Kind::removed));
    CHECK(has("listener", "tcppm 127.0.0.1:2525", ModelChange::Kind::added));
    for (const auto& c : changes) {
        CHECK(c.before.find("new") == std::string::npos);
        CHECK(c.after.find("new") == std::string::npos);
    }
    CHECK(diff_models(before, before).empty());
}

TEST_CASE("the model diff shows a changed parent, without its password", "[diff]") {
    Model before = model_of("allow *\nparent 1000 socks5 192.0.2.1 1080 u secretpw\nsocks\n");
    Model after = model_of("allow *\nparent 1000 socks5 192.0.2.2 1080 u secretpw\nsocks\n");
    auto changes = diff_models(before, after);
    REQUIRE_FALSE(changes.empty());
    bool shown = false;
    for (const auto& c : changes) {
        CHECK(c.area == "acl");
        CHECK((c.before + c.after).find("secretpw") == std::string::npos);
        shown = shown || c.after.find("parent 1000 socks5 192.0.2.2 1080 u") != std::string::npos;
    }
    CHECK(shown);
}

TEST_CASE("a session admitted through an entry with parents is re-checked like any other",
          "[recheck]") {
    const char* with_parent = R"(users alice:CL:a bob:CL:secret
auth strong
allow alice,bob
parent 1000 socks5 192.0.2.1 1080
socks -i127.0.0.1 -p1080
)";
    Model before = model_of(std::string("force\n") + with_parent);
    Model denied = model_of(R"(users alice:CL:a bob:CL:secret
force
auth strong
allow alice
parent 1000 socks5 192.0.2.1 1080
socks -i127.0.0.1 -p1080
)");
    CHECK_FALSE(recheck_session(before, before, bob_session(before)).closes());
    CHECK(recheck_session(before, denied, bob_session(before)).closes());
    Model before_noforce = model_of(std::string("noforce\n") + with_parent);
    Model denied_noforce = model_of(R"(users alice:CL:a bob:CL:secret
noforce
auth strong
allow alice
parent 1000 socks5 192.0.2.1 1080
socks -i127.0.0.1 -p1080
)");
    CHECK_FALSE(
        recheck_session(before_noforce, denied_noforce, bob_session(before_noforce)).closes());
}

#include "proxycfg/hash.hpp"

TEST_CASE("file hashes are SHA-256 in lower-case hex", "[diff]") {
    CHECK(proxycfg::sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(proxycfg::sha256_hex("").size() == 64);
}

namespace {

const char* kParents = R"(force
auth iponly
allow *
parent 500 socks5 127.0.0.1 1081
parent 500 socks5 127.0.0.1 1082
parent 1000 connect 127.0.0.1 3128 u p
socks -i127.0.0.1 -p1080
)";

// The chain a session drew: parents of `m`'s first ACL entry, by index.
std::vector<const Parent*> drawn(const Model& m, std::initializer_list<std::size_t> which) {
    std::vector<const Parent*> out;
    for (auto i : which) out.push_back(&m.services.at(0).acl.entries()[0].parents.at(i));
    return out;
}

}  // namespace

TEST_CASE("chain_possible: one parent of each full group, in order", "[recheck][parent]") {
    Model m = model_of(kParents);
    const auto& parents = m.services.at(0).acl.entries()[0].parents;
    CHECK(chain_possible(parents, drawn(m, {0, 2})));
    CHECK(chain_possible(parents, drawn(m, {1, 2})));
    CHECK_FALSE(chain_possible(parents, drawn(m, {0, 1, 2})));  // two of one group
    CHECK_FALSE(chain_possible(parents, drawn(m, {2, 0})));     // out of order
    CHECK_FALSE(chain_possible(parents, drawn(m, {0})));        // a full group skipped
    CHECK_FALSE(chain_possible(parents, {}));
    CHECK(chain_possible({}, {}));
    CHECK_FALSE(chain_possible({}, drawn(m, {0})));
}

TEST_CASE("chain_possible: a group short of 1000 may draw nothing", "[recheck][parent]") {
    Model m = model_of(R"(auth iponly
allow *
parent 300 socks5 127.0.0.1 1081
socks -i127.0.0.1 -p1080
)");
    const auto& parents = m.services.at(0).acl.entries()[0].parents;
    CHECK(chain_possible(parents, {}));
    CHECK(chain_possible(parents, drawn(m, {0})));
}

TEST_CASE("a force re-check closes a session whose parents the new entry does not draw",
          "[recheck][parent]") {
    Model before = model_of(kParents);
    auto chain = drawn(before, {0, 2});
    SessionFacts s = bob_session(before);
    s.chain = std::span<const Parent* const>(chain);
    // Equal parents in a new generation: kept.
    Model same = model_of(std::string(kParents) + "# edited\n");
    CHECK(recheck_session(before, same, s).outcome == RecheckOutcome::kept_allowed);
    // The connect parent's password changed: the chain is no longer the configured one.
    std::string changed = kParents;
    changed.replace(changed.find("u p"), 3, "u q");
    auto r = recheck_session(before, model_of(changed), s);
    CHECK(r.closes());
    CHECK(r.verdict == Verdict::chain_revoked);
    CHECK(r.reason() == "parent chain no longer granted");
    // Parents removed: a session through them is closed; a direct one is kept.
    Model direct = model_of("force\nauth iponly\nallow *\nsocks -i127.0.0.1 -p1080\n");
    CHECK(recheck_session(before, direct, s).closes());
    SessionFacts plain = bob_session(before);
    plain.chain = std::span<const Parent* const>();
    CHECK_FALSE(recheck_session(before, direct, plain).closes());
    // ... and the other way round: a direct session where parents are now required.
    CHECK(recheck_session(direct, before, plain).closes());
    // Unknown chain (still in its handshake): judged on the ACL alone.
    CHECK_FALSE(recheck_session(before, direct, bob_session(before)).closes());
}
