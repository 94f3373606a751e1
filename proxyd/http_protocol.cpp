#include "http_protocol.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

#include "proxycfg/model.hpp"

namespace proxyd::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_tchar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Returns the head length (through its first empty line) or 0 if incomplete. Bare LF
// line endings are tolerated (RFC 9112 section 2.2); the earliest empty line of either
// kind ends the head, so where the stream was cut never moves the end.
std::size_t head_end(std::string_view buffer) {
    std::size_t end = std::string_view::npos;
    if (auto pos = buffer.find("\n\r\n"); pos != std::string_view::npos) end = pos + 3;
    if (auto pos = buffer.find("\n\n"); pos != std::string_view::npos) end = std::min(end, pos + 2);
    return end == std::string_view::npos ? 0 : end;
}

bool parse_version(std::string_view v, int& minor) {
    if (v.size() != 8 || v.substr(0, 7) != "HTTP/1.") return false;
    if (!std::isdigit(static_cast<unsigned char>(v[7]))) return false;
    minor = v[7] - '0';
    return true;
}

bool parse_header_lines(std::string_view lines, Headers& out) {
    while (!lines.empty()) {
        auto eol = lines.find('\n');
        std::string_view line = lines.substr(0, eol);
        lines = eol == std::string_view::npos ? std::string_view{} : lines.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        // Obsolete line folding is refused, as RFC 9112 allows a proxy to.
        if (line.front() == ' ' || line.front() == '\t') return false;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        auto name = line.substr(0, colon);
        if (!is_token(name)) return false;
        out.fields.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
    }
    return true;
}

template <typename Head>
HeadStatus locate(std::string_view buffer, std::size_t limit, std::size_t& end) {
    end = head_end(buffer.substr(0, std::min(buffer.size(), limit + 4)));
    if (end == 0) return buffer.size() > limit ? HeadStatus::too_large : HeadStatus::incomplete;
    if (end > limit) return HeadStatus::too_large;
    return HeadStatus::ok;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    if (text.empty() || text.size() > 5) return std::nullopt;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

}  // namespace

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

const std::string* Headers::find(std::string_view name) const {
    for (const auto& f : fields)
        if (iequals(f.name, name)) return &f.value;
    return nullptr;
}

bool Headers::has_token(std::string_view name, std::string_view token) const {
    for (const auto& f : fields) {
        if (!iequals(f.name, name)) continue;
        std::string_view v = f.value;
        while (!v.empty()) {
            auto comma = v.find(',');
            if (iequals(trim(v.substr(0, comma)), token)) return true;
            if (comma == std::string_view::npos) break;
            v.remove_prefix(comma + 1);
        }
    }
    return false;
}

void Headers::remove(std::string_view name) {
    std::erase_if(fields, [&](const Header& h) { return iequals(h.name, name); });
}

HeadStatus parse_request_head(std::string_view buffer, RequestHead& out, std::size_t limit) {
    // Tolerate empty lines before the request line (RFC 9112 section 2.2).
    std::size_t skipped = 0;
    while (skipped < buffer.size() && (buffer[skipped] == '\r' || buffer[skipped] == '\n'))
        ++skipped;
    std::size_t end = 0;
    auto st = locate<RequestHead>(buffer.substr(skipped), limit, end);
    if (st != HeadStatus::ok) return st;
    std::string_view head = buffer.substr(skipped, end);
    auto eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return HeadStatus::bad;
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return HeadStatus::bad;
    auto method = line.substr(0, sp1);
    auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!is_token(method) || target.empty()) return HeadStatus::bad;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return HeadStatus::bad;
    if (!parse_version(line.substr(sp2 + 1), out.minor_version)) return HeadStatus::bad;
    out.method = std::string(method);
    out.target = std::string(target);
    out.headers = {};
    if (!parse_header_lines(head.substr(eol + 1), out.headers)) return HeadStatus::bad;
    out.size = skipped + end;
    return HeadStatus::ok;
}

HeadStatus parse_response_head(std::string_view buffer, ResponseHead& out, std::size_t limit) {
    std::size_t end = 0;
    auto st = locate<ResponseHead>(buffer, limit, end);
    if (st != HeadStatus::ok) return st;
    std::string_view head = buffer.substr(0, end);
    auto eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 12 || !parse_version(line.substr(0, 8), out.minor_version) || line[8] != ' ')
        return HeadStatus::bad;
    auto code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return HeadStatus::bad;
    out.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    out.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string{};
    out.headers = {};
    if (!parse_header_lines(head.substr(eol + 1), out.headers)) return HeadStatus::bad;
    out.size = end;
    return HeadStatus::ok;
}

std::optional<Target> parse_authority(std::string_view authority, std::uint16_t default_port) {
    Target t;
    std::string_view host;
    std::string_view port_text;
    if (authority.empty()) return std::nullopt;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port_text = authority.substr(colon + 1);
        } else {
            host = authority;
        }
        if (host.find(':') != std::string_view::npos) return std::nullopt;
    }
    if (host.empty() || host.find('@') != std::string_view::npos) return std::nullopt;
    for (char c : host)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' &&
            c != ':')
            return std::nullopt;
    if (port_text.empty()) {
        if (default_port == 0) return std::nullopt;
        t.port = default_port;
    } else {
        auto port = parse_port(port_text);
        if (!port) return std::nullopt;
        t.port = *port;
    }
    t.host = std::string(host);
    return t;
}

std::optional<Target> parse_absolute_uri(std::string_view uri) {
    constexpr std::string_view scheme = "http://";
    if (uri.size() < scheme.size() || !iequals(uri.substr(0, scheme.size()), scheme))
        return std::nullopt;
    uri.remove_prefix(scheme.size());
    auto slash = uri.find_first_of("/?#");
    auto authority = uri.substr(0, slash);
    auto t = parse_authority(authority, 80);
    if (!t) return std::nullopt;
    std::string path = slash == std::string_view::npos ? "/" : std::string(uri.substr(slash));
    if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
    if (auto hash = path.find('#'); hash != std::string::npos) path.resize(hash);
    t->path = std::move(path);
    return t;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t padding = 0;
    for (char c : text) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=') {
            ++padding;
            continue;
        } else
            return std::nullopt;
        if (padding) return std::nullopt;  // data after padding
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    if (padding > 2) return std::nullopt;
    return out;
}

std::optional<std::pair<std::string, std::string>> basic_credentials(const Headers& headers,
                                                                     std::string_view name) {
    const auto* value = headers.find(name);
    return value ? parse_basic_credentials(*value) : std::nullopt;
}

std::optional<std::pair<std::string, std::string>> parse_basic_credentials(std::string_view value) {
    value = trim(value);
    auto space = value.find(' ');
    if (space == std::string_view::npos || !iequals(value.substr(0, space), "Basic"))
        return std::nullopt;
    auto decoded = base64_decode(trim(value.substr(space + 1)));
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

std::uint32_t operation_for_method(std::string_view method) {
    namespace op = proxycfg::op;
    if (method == "GET") return op::HTTP_GET;
    if (method == "PUT") return op::HTTP_PUT;
    if (method == "POST") return op::HTTP_POST;
    if (method == "HEAD") return op::HTTP_HEAD;
    if (method == "CONNECT") return op::HTTP_CONNECT;
    return op::HTTP_OTHER;
}

inline std::size_t BodyFramer::take(std::size_t available) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available));
    remaining_ -= n;
    return n;
}

// What follows the line whose LF `lf_state` waits for.
inline void BodyFramer::end_line(ChunkState lf_state) {
    switch (lf_state) {
        case ChunkState::size_lf:
            chunk_ = remaining_ == 0 ? ChunkState::trailer_start : ChunkState::data;
            return;
        case ChunkState::data_lf:
            chunk_ = ChunkState::size;
            size_digits_ = false;
            return;
        case ChunkState::trailer_lf:
            chunk_ = ChunkState::trailer_start;
            return;
        case ChunkState::final_lf:
            done_ = true;
            return;
        default:
            return;
    }
}

// Lines end in CRLF or a bare LF (RFC 9112 section 2.2): a CR waits in `lf_state` for
// its LF, an LF ends the line at once. False for any other byte.
inline bool BodyFramer::line_break(char c, ChunkState lf_state) {
    if (c == '\r')
        chunk_ = lf_state;
    else if (c == '\n')
        end_line(lf_state);
    else
        return false;
    return true;
}

// The LF after a line's CR; any other byte is refused and not taken.
inline std::size_t BodyFramer::lf_byte(char c, ChunkState lf_state) {
    if (c != '\n') {
        error_ = true;
        return 0;
    }
    end_line(lf_state);
    return 1;
}

// One byte of a chunk-size line. False (with error()) only for a digit that would
// overflow: that byte is not taken, while any other bad byte is taken with the error.
inline bool BodyFramer::size_byte(char c) {
    auto u = static_cast<unsigned char>(c);
    if (std::isxdigit(u)) {
        if (remaining_ > (std::uint64_t{1} << 56)) {
            error_ = true;
            return false;
        }
        remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(
                                           std::isdigit(u) ? c - '0' : std::tolower(u) - 'a' + 10);
        size_digits_ = true;
    } else if (!size_digits_) {
        error_ = true;
    } else if (c == ';' || c == ' ' || c == '\t') {
        chunk_ = ChunkState::size_ext;
    } else if (!line_break(c, ChunkState::size_lf)) {
        error_ = true;
    }
    return true;
}

inline std::size_t BodyFramer::chunked_step(char c, std::size_t available) {
    switch (chunk_) {
        case ChunkState::size:
            return size_byte(c) ? 1 : 0;
        case ChunkState::size_ext:
            line_break(c, ChunkState::size_lf);  // the extension itself is skipped
            return 1;
        case ChunkState::data: {
            std::size_t n = take(available);
            if (remaining_ == 0) chunk_ = ChunkState::data_cr;
            return n;
        }
        case ChunkState::data_cr:
            if (line_break(c, ChunkState::data_lf)) return 1;
            error_ = true;
            return 0;
        case ChunkState::trailer_start:
            if (!line_break(c, ChunkState::final_lf)) chunk_ = ChunkState::trailer_line;
            return 1;
        case ChunkState::trailer_line:
            line_break(c, ChunkState::trailer_lf);
            return 1;
        case ChunkState::size_lf:
            return lf_byte(c, ChunkState::size_lf);
        case ChunkState::data_lf:
            return lf_byte(c, ChunkState::data_lf);
        case ChunkState::trailer_lf:
            return lf_byte(c, ChunkState::trailer_lf);
        case ChunkState::final_lf:
            return lf_byte(c, ChunkState::final_lf);
    }
    return 0;
}

std::size_t BodyFramer::consume(std::string_view data) {
    if (done_ || error_) return 0;
    switch (mode_) {
        case Mode::none:
            return 0;
        case Mode::until_close:
            return data.size();
        case Mode::length: {
            std::size_t n = take(data.size());
            done_ = remaining_ == 0;
            return n;
        }
        case Mode::chunked:
            break;
    }
    std::size_t i = 0;
    while (i < data.size() && !done_ && !error_) i += chunked_step(data[i], data.size() - i);
    return i;
}

namespace {

std::optional<std::uint64_t> content_length(const Headers& headers) {
    std::optional<std::uint64_t> result;
    for (const auto& f : headers.fields) {
        if (!iequals(f.name, "Content-Length")) continue;
        std::uint64_t v = 0;
        auto [ptr, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), v);
        if (ec != std::errc{} || ptr != f.value.data() + f.value.size() || f.value.empty())
            return std::numeric_limits<std::uint64_t>::max();  // marker: invalid
        if (result && *result != v) return std::numeric_limits<std::uint64_t>::max();
        result = v;
    }
    return result;
}

}  // namespace

std::optional<BodyFramer> request_body(const RequestHead& head) {
    if (head.headers.find("Transfer-Encoding")) {
        // Anything but a final "chunked" cannot be framed; both headers is a smuggling risk.
        if (!head.headers.has_token("Transfer-Encoding", "chunked") ||
            head.headers.find("Content-Length"))
            return std::nullopt;
        return BodyFramer::chunked();
    }
    auto len = content_length(head.headers);
    if (len == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
    if (len) return BodyFramer::length(*len);
    return BodyFramer::none();
}

std::optional<BodyFramer> response_body(const ResponseHead& head, std::string_view request_method) {
    if (request_method == "HEAD" || head.status / 100 == 1 || head.status == 204 ||
        head.status == 304)
        return BodyFramer::none();
    if (head.headers.find("Transfer-Encoding")) {
        if (head.headers.has_token("Transfer-Encoding", "chunked")) return BodyFramer::chunked();
        return BodyFramer::until_close();
    }
    auto len = content_length(head.headers);
    if (len == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
    if (len) return BodyFramer::length(*len);
    return BodyFramer::until_close();
}

std::string error_response(int status, std::string_view reason, std::string_view detail,
                           std::string_view extra_headers, bool close) {
    std::string body = std::to_string(status) + " " + std::string(reason) + "\n";
    if (!detail.empty()) body += std::string(detail) + "\n";
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    r += "Content-Type: text/plain; charset=utf-8\r\n";
    r += "X-Content-Type-Options: nosniff\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += extra_headers;
    r += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    r += "\r\n";
    r += body;
    return r;
}

}  // namespace proxyd::http
