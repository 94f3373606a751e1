// libFuzzer target: the SOCKS4/4a/5 handshake parsers fed as a client's byte stream that
// arrives in arbitrary pieces, walked through the same steps as the session.
//
// Input layout (FuzzedDataProvider): from the end, a flag for the method the proxy picks
// (user/password or none) and the stream length; the stream from the front; the bytes
// left over are the sizes of the pieces it arrives in.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "socks_protocol.hpp"

namespace {

using proxyd::socks::Bytes;
using proxyd::socks::Parsed;
using proxyd::socks::Status;

enum class Step { first_byte, greeting, user_password, request5, request4, done };

// A parse of the whole buffer and of the prefixes it depends on must agree: a message
// that parses is not complete one byte earlier, and parses the same on its own.
template <typename T, typename F>
Parsed<T> parse_checked(F parse, Bytes in) {
    Parsed<T> p = parse(in);
    if (p.status == Status::ok) {
        FUZZ_CHECK(p.consumed > 0 && p.consumed <= in.size());
        Parsed<T> exact = parse(in.first(p.consumed));
        FUZZ_CHECK(exact.status == Status::ok && exact.consumed == p.consumed);
        FUZZ_CHECK(parse(in.first(p.consumed - 1)).status == Status::incomplete);
    }
    return p;
}

// Replies the session would build from what was parsed.
void build_replies(const proxyd::socks::Request& r) {
    (void)r.target_text();
    std::string five =
        proxyd::socks::socks5_reply(proxyd::socks::reply5::succeeded, r.address, r.port);
    FUZZ_CHECK(five.size() >= 10);
    std::string four =
        proxyd::socks::socks4_reply(proxyd::socks::reply4::granted, r.port, r.address);
    FUZZ_CHECK(four.size() == 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    const bool password_method = fdp.ConsumeBool();
    std::vector<std::uint8_t> stream =
        fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, size));

    std::vector<std::uint8_t> in;
    std::size_t fed = 0;
    Step step = Step::first_byte;
    while (step != Step::done) {
        if (fed == stream.size()) break;
        std::size_t piece = fdp.remaining_bytes() ? fdp.ConsumeIntegralInRange<std::size_t>(1, 64)
                                                  : stream.size() - fed;
        piece = std::min(piece, stream.size() - fed);
        in.insert(in.end(), stream.begin() + static_cast<std::ptrdiff_t>(fed),
                  stream.begin() + static_cast<std::ptrdiff_t>(fed + piece));
        fed += piece;

        bool progress = true;
        while (progress && step != Step::done) {
            progress = false;
            Bytes bytes(in.data(), in.size());
            auto consume = [&](std::size_t n) {
                in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
                progress = true;
            };
            switch (step) {
                case Step::first_byte:
                    if (in.empty()) break;
                    step = in[0] == 5 ? Step::greeting : in[0] == 4 ? Step::request4 : Step::done;
                    progress = true;
                    break;
                case Step::greeting: {
                    auto p = parse_checked<proxyd::socks::Greeting>(proxyd::socks::parse_greeting,
                                                                    bytes);
                    if (p.status == Status::error) step = Step::done;
                    if (p.status != Status::ok) break;
                    consume(p.consumed);
                    bool offered =
                        p.value.offers(password_method ? proxyd::socks::method::user_password
                                                       : proxyd::socks::method::no_auth);
                    (void)proxyd::socks::method_reply(offered ? 0 : 0xFF);
                    step = !offered          ? Step::done
                           : password_method ? Step::user_password
                                             : Step::request5;
                    break;
                }
                case Step::user_password: {
                    auto p = parse_checked<proxyd::socks::UserPassword>(
                        proxyd::socks::parse_user_password, bytes);
                    if (p.status == Status::error) step = Step::done;
                    if (p.status != Status::ok) break;
                    FUZZ_CHECK(p.value.user.size() <= 255 && p.value.password.size() <= 255);
                    consume(p.consumed);
                    (void)proxyd::socks::user_password_reply(true);
                    step = Step::request5;
                    break;
                }
                case Step::request5:
                case Step::request4: {
                    auto p = step == Step::request5
                                 ? parse_checked<proxyd::socks::Request>(
                                       proxyd::socks::parse_socks5_request, bytes)
                                 : parse_checked<proxyd::socks::Request>(
                                       proxyd::socks::parse_socks4_request, bytes);
                    if (p.status == Status::error) step = Step::done;
                    if (p.status != Status::ok) break;
                    FUZZ_CHECK(!p.value.host.empty() || p.value.address);  // a target
                    build_replies(p.value);
                    consume(p.consumed);
                    step = Step::done;
                    break;
                }
                case Step::done:
                    break;
            }
        }
    }
    return 0;
}
