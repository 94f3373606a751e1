#include "control/service_filter.hpp"

#include <catch2/catch.hpp>

using namespace proxyd::control_cmd;

namespace {
proxycfg::Service service(proxycfg::ServiceType type, std::string address, std::uint16_t port,
                          std::string_view label) {  // a literal: the service views it
    proxycfg::Service s;
    s.type = type;
    s.bind_address.value = std::move(address);
    s.port.value = port;
    s.label = label;
    return s;
}

bool matches(std::string_view text, const proxycfg::Service& s) {
    return service_matches(text, parse_service_filter(text), s);
}
}  // namespace

TEST_CASE("a service filter takes the label, TYPE:PORT, or TYPE:ADDRESS:PORT") {
    using proxycfg::ServiceType;
    auto v4 = service(ServiceType::socks, "127.0.0.1", 1080, "socks:127.0.0.1:1080");
    auto v6 = service(ServiceType::socks, "::1", 1080, "socks:[::1]:1080");
    auto any = service(ServiceType::proxy, "", 3128, "proxy:3128");
    auto second = service(ServiceType::proxy, "", 3128, "proxy:3128#2");

    CHECK(matches("socks:127.0.0.1:1080", v4));
    CHECK(matches("socks:1080", v4));
    CHECK(matches("socks:1080", v6));
    CHECK(matches("socks:[::1]:1080", v6));
    CHECK(matches("socks:::1:1080", v6));
    CHECK(matches("socks:0:0:0:0:0:0:0:1:1080", v6));
    CHECK_FALSE(matches("socks:[::1]:1080", v4));
    CHECK_FALSE(matches("socks:1081", v4));
    CHECK_FALSE(matches("proxy:1080", v4));
    CHECK(matches("proxy:3128", any));
    CHECK(matches("proxy:0.0.0.0:3128", any));
    CHECK_FALSE(matches("proxy:127.0.0.1:3128", any));
    CHECK(matches("proxy:3128#2", second));
    CHECK_FALSE(matches("proxy:3128#2", any));
}

TEST_CASE("what is not a filter form can still be a label, and nothing else") {
    CHECK_FALSE(parse_service_filter("socks"));
    CHECK_FALSE(parse_service_filter("nonsense:1080"));
    CHECK_FALSE(parse_service_filter("socks:99999"));
    CHECK_FALSE(parse_service_filter("socks:example.com:1080"));
    REQUIRE(parse_service_filter("tcppm:[2001:db8::1]:25"));
    CHECK(parse_service_filter("tcppm:[2001:db8::1]:25")->port == 25);
}
