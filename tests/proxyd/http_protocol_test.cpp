#include "http_protocol.hpp"

#include <catch2/catch.hpp>

#include "proxycfg/model.hpp"

using namespace proxyd::http;

TEST_CASE("a request head is split into method, target, version and headers") {
    RequestHead head;
    std::string text =
        "GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\nX-A:  b \r\n\r\nBODY";
    REQUIRE(parse_request_head(text, head) == HeadStatus::ok);
    CHECK(head.method == "GET");
    CHECK(head.target == "http://example.com/x?y");
    CHECK(head.minor_version == 1);
    CHECK(head.size == text.size() - 4);
    REQUIRE(head.headers.find("x-a"));
    CHECK(*head.headers.find("X-A") == "b");
}

TEST_CASE("a request head without its blank line is incomplete") {
    RequestHead head;
    CHECK(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\n", head) == HeadStatus::incomplete);
}

TEST_CASE("a request head ends at its first empty line, LF or CRLF, however it arrives") {
    // A bare-LF head followed by a pipelined CRLF request: the first head must not grow
    // into the second when both arrive in one read.
    std::string first = "GET http://a/ HTTP/1.1\nX: 1\n\n";
    std::string text = first + "GET http://b/ HTTP/1.1\r\n\r\n";
    RequestHead head;
    REQUIRE(parse_request_head(text, head) == HeadStatus::ok);
    CHECK(head.size == first.size());
    CHECK(head.headers.fields.size() == 1);
    RequestHead piece;
    REQUIRE(parse_request_head(first, piece) == HeadStatus::ok);
    CHECK(piece.size == head.size);
    // A CRLF empty line after LF-terminated fields ends the head too.
    REQUIRE(parse_request_head("GET http://a/ HTTP/1.1\nX: 1\n\r\nY: 2\r\n\r\n", head) ==
            HeadStatus::ok);
    CHECK(head.size == 30);
    CHECK(head.headers.fields.size() == 1);
}

TEST_CASE("a request head over the limit is too large") {
    RequestHead head;
    std::string text = "GET / HTTP/1.1\r\nX: " + std::string(70000, 'a');
    CHECK(parse_request_head(text, head) == HeadStatus::too_large);
}

TEST_CASE("an invalid method or version is a bad request") {
    RequestHead head;
    CHECK(parse_request_head("G@T / HTTP/1.1\r\n\r\n", head) == HeadStatus::bad);
    CHECK(parse_request_head("GET / HTTP/2.0\r\n\r\n", head) == HeadStatus::bad);
    CHECK(parse_request_head("GET /\r\n\r\n", head) == HeadStatus::bad);
    CHECK(parse_request_head("GET / HTTP/1.1\r\nno colon\r\n\r\n", head) == HeadStatus::bad);
}

TEST_CASE("a response head gives status and headers") {
    ResponseHead head;
    REQUIRE(parse_response_head("HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\nabc", head) ==
            HeadStatus::ok);
    CHECK(head.status == 404);
    CHECK(head.reason == "Not Found");
    CHECK(head.minor_version == 0);
}

TEST_CASE("CONNECT authorities need a port and accept IPv6 brackets") {
    auto t = parse_authority("example.com:443");
    REQUIRE(t);
    CHECK(t->host == "example.com");
    CHECK(t->port == 443);
    auto v6 = parse_authority("[::1]:8443");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 8443);
    CHECK_FALSE(parse_authority("example.com"));
    CHECK_FALSE(parse_authority("example.com:0"));
    CHECK_FALSE(parse_authority("example.com:99999"));
    CHECK_FALSE(parse_authority("user@example.com:80"));
}

TEST_CASE("absolute URIs give host, port and the origin-form path") {
    auto t = parse_absolute_uri("http://Example.com:8080/a/b?c=d#frag");
    REQUIRE(t);
    CHECK(t->host == "Example.com");
    CHECK(t->port == 8080);
    CHECK(t->path == "/a/b?c=d");
    auto bare = parse_absolute_uri("http://example.com");
    REQUIRE(bare);
    CHECK(bare->port == 80);
    CHECK(bare->path == "/");
    CHECK_FALSE(parse_absolute_uri("/relative"));
    CHECK_FALSE(parse_absolute_uri("ftp://example.com/"));
}

TEST_CASE("Basic proxy credentials are decoded") {
    auto c = parse_basic_credentials("Basic YWxpY2U6c2VjcmV0");
    REQUIRE(c);
    CHECK(c->first == "alice");
    CHECK(c->second == "secret");
    auto colon = parse_basic_credentials("basic Ym9iOnA6dw==");
    REQUIRE(colon);
    CHECK(colon->second == "p:w");
    CHECK_FALSE(parse_basic_credentials("Digest abc"));
    CHECK_FALSE(parse_basic_credentials("Basic !!!"));
}

TEST_CASE("methods map to ACL operations") {
    CHECK(operation_for_method("GET") == proxycfg::op::HTTP_GET);
    CHECK(operation_for_method("POST") == proxycfg::op::HTTP_POST);
    CHECK(operation_for_method("CONNECT") == proxycfg::op::HTTP_CONNECT);
    CHECK(operation_for_method("PATCH") == proxycfg::op::HTTP_OTHER);
}

TEST_CASE("a Content-Length body ends after exactly that many bytes") {
    auto f = BodyFramer::length(5);
    CHECK(f.consume("abc") == 3);
    CHECK_FALSE(f.done());
    CHECK(f.consume("deGET") == 2);
    CHECK(f.done());
}

TEST_CASE("a chunked body ends after the last chunk and trailers") {
    auto f = BodyFramer::chunked();
    std::string body = "5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    CHECK(f.consume(body) == body.size() - 4);
    CHECK(f.done());
    CHECK_FALSE(f.error());
}

TEST_CASE("a chunked body split at every byte still ends in the right place") {
    auto f = BodyFramer::chunked();
    std::string body = "a\r\n0123456789\r\n0\r\n\r\n";
    std::size_t used = 0;
    for (char c : body) used += f.consume(std::string_view(&c, 1));
    CHECK(used == body.size());
    CHECK(f.done());
}

TEST_CASE("a malformed chunk size is an error") {
    auto f = BodyFramer::chunked();
    f.consume("zz\r\n");
    CHECK(f.error());
}

TEST_CASE("a request with both Transfer-Encoding and Content-Length cannot be framed") {
    RequestHead head;
    REQUIRE(
        parse_request_head(
            "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            head) == HeadStatus::ok);
    CHECK_FALSE(request_body(head));
}

TEST_CASE("responses to HEAD and 204/304 have no body; unframed ones run until close") {
    ResponseHead r;
    REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", r) ==
            HeadStatus::ok);
    CHECK(response_body(r, "HEAD")->mode() == BodyFramer::Mode::none);
    CHECK(response_body(r, "GET")->mode() == BodyFramer::Mode::length);
    ResponseHead close;
    REQUIRE(parse_response_head("HTTP/1.0 200 OK\r\n\r\n", close) == HeadStatus::ok);
    CHECK(response_body(close, "GET")->mode() == BodyFramer::Mode::until_close);
}

TEST_CASE("bodies without framing: none takes nothing, until-close everything") {
    auto none = BodyFramer::none();
    CHECK(none.done());
    CHECK(none.consume("abc") == 0);
    auto close = BodyFramer::until_close();
    CHECK(close.consume("abc") == 3);
    CHECK_FALSE(close.done());
    auto empty = BodyFramer::length(0);
    CHECK(empty.done());
    CHECK(empty.consume("abc") == 0);
}

TEST_CASE("a chunked body with bare LF line ends and trailers") {
    auto f = BodyFramer::chunked();
    std::string body = "3 ; x\nabc\n0\nX-T: 1\n\nNEXT";
    CHECK(f.consume(body) == body.size() - 4);
    CHECK(f.done());
    CHECK_FALSE(f.error());
    CHECK(f.consume("more") == 0);
}

TEST_CASE("chunk extensions are skipped, and CRLF and bare LF mix within one body") {
    auto f = BodyFramer::chunked();
    std::string body = "2;a=b\r\nhi\n0\r\nA: 1\r\nB: 2\n\r\n";
    CHECK(f.consume(body) == body.size());
    CHECK(f.done());
}

TEST_CASE("malformed chunked framing stops before the byte it refuses") {
    struct Case {
        std::string_view body;
        std::size_t used;
    };
    // A bad character in a chunk size is taken with the error; a size digit that would
    // overflow, or another byte where a line end belongs, is not.
    const Case cases[] = {
        {"zz\r\n", 1},      {"3x\r\n", 2},    {"3\rX", 2},     {"3\r\nabcX", 6},
        {"3\r\nabc\rX", 7}, {"0\r\nX\rY", 5}, {"0\r\n\rX", 4}, {"10000000000000000\r\n", 16},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        auto f = BodyFramer::chunked();
        CHECK(f.consume(c.body) == c.used);
        CHECK(f.error());
        CHECK_FALSE(f.done());
        CHECK(f.consume("\r\n") == 0);
    }
}

TEST_CASE("a chunk of exactly 2^56 bytes is still accepted") {
    auto f = BodyFramer::chunked();
    CHECK(f.consume("100000000000000\r\nab") == 19);
    CHECK_FALSE(f.error());
    CHECK_FALSE(f.done());
}

TEST_CASE("an error response carries its cause in a text body of the length it declares") {
    std::string r = error_response(502, "Bad Gateway", "connect to 10.0.0.1:80: Connection refused",
                                   "X-Extra: 1\r\n");
    auto end = r.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    std::string body = r.substr(end + 4);
    CHECK(body == "502 Bad Gateway\nconnect to 10.0.0.1:80: Connection refused\n");
    CHECK_THAT(r, Catch::StartsWith("HTTP/1.1 502 Bad Gateway\r\n"));
    CHECK_THAT(r, Catch::Contains("Content-Length: " + std::to_string(body.size()) + "\r\n"));
    CHECK_THAT(r, Catch::Contains("Content-Type: text/plain; charset=utf-8\r\n"));
    CHECK_THAT(r, Catch::Contains("X-Extra: 1\r\nConnection: close\r\n"));
    CHECK_THAT(error_response(400, "Bad Request"), Catch::EndsWith("\r\n\r\n400 Bad Request\n"));
}
