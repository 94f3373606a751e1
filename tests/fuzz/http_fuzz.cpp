// libFuzzer target: the HTTP/1.x request-head parser and the body framing, fed as a
// client's byte stream (pipelined requests included) that arrives in arbitrary pieces.
// Parsing must not depend on how the stream is cut: every piece-wise result is compared
// with the one-shot parse of the same bytes.
//
// Input layout (FuzzedDataProvider): from the end, the head size limit and the stream
// length; the stream from the front; the bytes left over are the piece sizes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http_protocol.hpp"

namespace {

namespace http = proxyd::http;

constexpr int kMaxRequests = 8;

// Everything the session derives from a parsed head.
void use_head(const http::RequestHead& head) {
    (void)http::operation_for_method(head.method);
    if (head.method == "CONNECT") {
        if (auto t = http::parse_authority(head.target)) FUZZ_CHECK(t->port != 0);
    } else if (auto t = http::parse_absolute_uri(head.target)) {
        FUZZ_CHECK(t->port != 0);
    }
    if (const auto* auth = head.headers.find("Proxy-Authorization"))
        (void)http::parse_basic_credentials(*auth);
    http::Headers copy = head.headers;
    (void)copy.has_token("Connection", "close");
    copy.remove("Proxy-Authorization");
    FUZZ_CHECK(copy.find("Proxy-Authorization") == nullptr);
}

// The body framing of `body` consumed in one call, for comparison.
struct Framed {
    std::size_t used;
    bool done;
    bool error;
};

Framed frame_at_once(http::BodyFramer framer, std::string_view body) {
    std::size_t used = framer.consume(body);
    return {used, framer.done(), framer.error()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    const std::size_t limit =
        fdp.ConsumeBool() ? http::max_head_size : fdp.ConsumeIntegralInRange<std::size_t>(0, 512);
    const std::string stream =
        fdp.ConsumeBytesAsString(fdp.ConsumeIntegralInRange<std::size_t>(0, size));
    auto next_piece = [&](std::size_t left) {
        std::size_t n =
            fdp.remaining_bytes() ? fdp.ConsumeIntegralInRange<std::size_t>(1, 128) : left;
        return std::min(n, left);
    };

    // The stream as a response head too (the upstream side uses the same machinery).
    {
        http::ResponseHead response;
        if (http::parse_response_head(stream, response, limit) == http::HeadStatus::ok) {
            FUZZ_CHECK(response.size <= stream.size() && response.status <= 999);
            (void)http::response_body(response, "GET");
            (void)http::response_body(response, "HEAD");
        }
    }

    std::string_view rest = stream;  // not yet handed to the parser
    std::string buffer;              // received and not yet consumed
    for (int requests = 0; requests < kMaxRequests; ++requests) {
        // The head: wait for more until it parses.
        http::RequestHead head;
        http::HeadStatus st = http::parse_request_head(buffer, head, limit);
        while (st == http::HeadStatus::incomplete && !rest.empty()) {
            std::size_t n = next_piece(rest.size());
            buffer.append(rest.substr(0, n));
            rest.remove_prefix(n);
            st = http::parse_request_head(buffer, head, limit);
        }
        // Cut differently (all that is left at once), the same bytes parse the same way.
        std::string whole = buffer + std::string(rest);
        http::RequestHead one_shot;
        http::HeadStatus one_shot_status = http::parse_request_head(whole, one_shot, limit);
        if (st != http::HeadStatus::incomplete) FUZZ_CHECK(one_shot_status == st);
        if (st != http::HeadStatus::ok) break;
        FUZZ_CHECK(head.size > 0 && head.size <= buffer.size());
        FUZZ_CHECK(one_shot.size == head.size && one_shot.method == head.method &&
                   one_shot.target == head.target &&
                   one_shot.headers.fields.size() == head.headers.fields.size());
        use_head(head);
        buffer.erase(0, head.size);

        // The body, in pieces, against the one-shot framing of the same bytes.
        std::optional<http::BodyFramer> framer = http::request_body(head);
        if (!framer) break;                   // the session answers 400 and closes
        if (head.method == "CONNECT") break;  // a tunnel: the rest is not HTTP
        const Framed expected = frame_at_once(*framer, buffer + std::string(rest));
        std::size_t used = 0;
        for (;;) {
            std::size_t n = framer->consume(buffer);
            FUZZ_CHECK(n <= buffer.size());
            used += n;
            buffer.erase(0, n);
            if (framer->done() || framer->error() || rest.empty()) break;
            FUZZ_CHECK(buffer.empty());  // a body takes all it gets until it is done
            std::size_t piece = next_piece(rest.size());
            buffer.append(rest.substr(0, piece));
            rest.remove_prefix(piece);
        }
        FUZZ_CHECK(framer->error() == expected.error);
        if (framer->error()) break;
        FUZZ_CHECK(framer->done() == expected.done);
        if (expected.done) FUZZ_CHECK(used == expected.used);
        if (!framer->done()) break;
    }
    return 0;
}
