// Large files are resolved and linted on two threads: the findings must be the same, in
// the same order, as those of the one-thread path on small files.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "check_text.hpp"

namespace {

// Every finding, none summarised: the test compares them one by one.
proxycfg::Loaded check_text(std::string text) {
    proxycfg::LoadOptions options;
    options.lint.repeat_limit = 0;
    return proxycfg::load_config_text("test.cfg", std::move(text), options);
}

// One block: user definitions (one redefined), an ACL with an unknown user, a shadowed
// entry, a CIDR with host bits and a wildcard domain, and a service on its own port.
constexpr int kBlockLines = 10;
std::string block(int n) {
    std::string p = std::to_string(n);
    p.insert(0, 4 - p.size(), '0');  // one width, so columns agree between blocks
    return "users u" + p + ":CL:a v" + p + ":CL:b u" + p + ":CL:c\n" +
           "flush\n"
           "auth strong\n"
           "allow u" +
           p + " 10.0.0.1/8 * 80\n" + "allow w" + p + " * *example.com 443\n" +
           "allow *\n"
           "deny v" +
           p + "\n" + "socks -p" + std::to_string(20000 + n) + " -i127.0.0.1\n" + "# block " + p +
           "\n" + "\n";
}

// code@line-within-block:column of the per-line findings (file-wide summaries such as
// PX206 are left out: they count over the whole file).
std::vector<std::string> normalized(const proxycfg::Loaded& l) {
    std::vector<std::string> out;
    for (const auto& d : l.diagnostics) {
        if (d.code == "PX206") continue;
        out.push_back(d.code + "@" + std::to_string((d.span.line - 1) % kBlockLines + 1) + ":" +
                      std::to_string(d.span.column));
    }
    return out;
}

}  // namespace

TEST_CASE("a file large enough for two threads gives every block the findings of one",
          "[lint][parallel]") {
    auto small = check_text(block(7));
    auto one = normalized(small);
    REQUIRE(one.size() == 5);  // PX203, PX214, PX202, PX213, PX205

    const int blocks = 2500;  // 25,000 directives: above both thresholds (20,000)
    std::string text;
    for (int n = 0; n < blocks; ++n) text += block(n);
    auto large = check_text(text);
    auto all = normalized(large);
    REQUIRE(all.size() == one.size() * blocks);
    for (int n : {0, 1, 1234, blocks - 1}) {
        std::vector<std::string> part(all.begin() + n * static_cast<long>(one.size()),
                                      all.begin() + (n + 1) * static_cast<long>(one.size()));
        CHECK(part == one);
    }
    REQUIRE(large.model.users.size() == 2u * blocks);
    CHECK(large.model.find_user("u0007")->secret() == "c");
    CHECK(large.model.find_user("v0000")->secret() == "b");
    CHECK(large.model.find_user("w0001") == nullptr);
}
