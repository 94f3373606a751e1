// HTTP/1.x message heads and body framing as pure functions, for the forward proxy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace proxyd::http {

// Heads larger than this are refused with 431 (requests) or 502 (responses).
constexpr std::size_t max_head_size = 64 * 1024;

struct Header {
    std::string name;
    std::string value;
};

struct Headers {
    std::vector<Header> fields;
    const std::string* find(std::string_view name) const;  // case-insensitive, first
    // Does a comma-separated header (Connection, Transfer-Encoding) list `token`?
    bool has_token(std::string_view name, std::string_view token) const;
    void remove(std::string_view name);
};

enum class HeadStatus : std::uint8_t { incomplete, ok, bad, too_large };

struct RequestHead {
    std::string method;
    std::string target;
    int minor_version = 1;  // HTTP/1.minor
    Headers headers;
    std::size_t size = 0;  // bytes of the head including the blank line
};

struct ResponseHead {
    int minor_version = 1;
    int status = 0;
    std::string reason;
    Headers headers;
    std::size_t size = 0;
};

HeadStatus parse_request_head(std::string_view buffer, RequestHead& out,
                              std::size_t limit = max_head_size);
HeadStatus parse_response_head(std::string_view buffer, ResponseHead& out,
                               std::size_t limit = max_head_size);

struct Target {
    std::string host;  // without brackets for IPv6
    std::uint16_t port = 0;
    std::string path;  // origin-form ("/x?y"), for absolute URIs
};

// "host:port" or "[v6]:port" (CONNECT). nullopt when malformed or without a port.
std::optional<Target> parse_authority(std::string_view authority, std::uint16_t default_port = 0);
// "http://host[:port][/path]". nullopt for other schemes or malformed URIs.
std::optional<Target> parse_absolute_uri(std::string_view uri);

// "Basic base64(user:password)" → {user, password}.
std::optional<std::pair<std::string, std::string>> parse_basic_credentials(std::string_view value);
// The Basic credentials in the header `name` (Authorization, Proxy-Authorization), if any.
std::optional<std::pair<std::string, std::string>> basic_credentials(const Headers& headers,
                                                                     std::string_view name);
std::optional<std::string> base64_decode(std::string_view text);

// proxycfg::op bit for a method name.
std::uint32_t operation_for_method(std::string_view method);
bool is_token(std::string_view text);

// Tracks where a message body ends in a byte stream without changing it (bodies are
// forwarded as they are, chunked included).
class BodyFramer {
  public:
    enum class Mode : std::uint8_t { none, length, chunked, until_close };
    static BodyFramer none() { return BodyFramer(Mode::none, 0); }
    static BodyFramer length(std::uint64_t n) { return BodyFramer(Mode::length, n); }
    static BodyFramer chunked() { return BodyFramer(Mode::chunked, 0); }
    static BodyFramer until_close() { return BodyFramer(Mode::until_close, 0); }

    // How many of `data`'s bytes belong to the body (the rest is the next message).
    // Sets error() on a malformed chunked encoding.
    std::size_t consume(std::string_view data);
    bool done() const { return done_; }
    bool error() const { return error_; }
    Mode mode() const { return mode_; }

  private:
    BodyFramer(Mode m, std::uint64_t n)
        : mode_(m), remaining_(n), done_(m == Mode::none || (m == Mode::length && n == 0)) {}
    enum class ChunkState : std::uint8_t {
        size,
        size_ext,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer_start,
        trailer_line,
        trailer_lf,
        final_lf
    };
    // The steps of consume(), defined inline in the .cpp so that its per-byte loop
    // stays one function.
    // Counts up to `available` bytes against remaining_; how many it took.
    std::size_t take(std::size_t available);
    // One state of the chunked framing; the bytes it took (0 when it refuses `c`).
    std::size_t chunked_step(char c, std::size_t available);
    bool size_byte(char c);
    std::size_t lf_byte(char c, ChunkState lf_state);
    bool line_break(char c, ChunkState lf_state);
    void end_line(ChunkState lf_state);

    Mode mode_;
    std::uint64_t remaining_;
    bool done_;
    bool error_ = false;
    ChunkState chunk_ = ChunkState::size;
    bool size_digits_ = false;
};

// Framing of a request body (RFC 9112 section 6): chunked, Content-Length or none.
// nullopt when the head is contradictory or invalid (a reason to answer 400).
std::optional<BodyFramer> request_body(const RequestHead& head);
// Framing of a response body given the request method.
std::optional<BodyFramer> response_body(const ResponseHead& head, std::string_view request_method);

// A complete response for an error the proxy itself produces: a short text/plain body,
// the status line and then `detail` (the cause in a sentence), so that a person at a
// browser or curl learns why without the proxy's log.
std::string error_response(int status, std::string_view reason, std::string_view detail = {},
                           std::string_view extra_headers = {}, bool close = true);

}  // namespace proxyd::http
