#include "access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

namespace proxyd {

namespace {

void append_number(std::string& out, long value, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*ld", width, value);
    out += buf;
}

// Copied whole, then patched in place: one append, not one per byte.
void append_field(std::string& out, std::string_view value, std::string_view replace) {
    if (value.empty()) {
        out += '-';
        return;
    }
    std::size_t start = out.size();
    out += value;
    if (replace.empty()) return;
    for (std::size_t i = start; i < out.size(); ++i)
        if (replace.find(out[i]) != std::string_view::npos) out[i] = '+';
}

// What comes before a logformat's template: 'L' (local time) or 'G' (GMT) picks the
// clock, "-CHARS+" lists the characters that fields must not contain.
struct FormatPrefix {
    bool gmt = false;
    std::string_view replace;
    std::string_view body;  // the template after the prefix
};

FormatPrefix read_prefix(std::string_view format) {
    FormatPrefix p;
    if (!format.empty() && (format.front() == 'L' || format.front() == 'G')) {
        p.gmt = format.front() == 'G';
        format.remove_prefix(1);
    }
    if (!format.empty() && format.front() == '-') {
        auto plus = format.find('+');
        if (plus != std::string_view::npos) {
            p.replace = format.substr(1, plus - 1);
            format.remove_prefix(plus + 1);
        }
    }
    p.body = format;
    return p;
}

// The line's time, broken down once for all its time letters.
struct LineTime {
    std::time_t t = 0;
    std::tm tm{};
    long ms = 0;
    bool gmt = false;
};

LineTime line_time(std::chrono::system_clock::time_point time, bool gmt) {
    LineTime lt;
    lt.t = std::chrono::system_clock::to_time_t(time);
    if (gmt) {
        ::gmtime_r(&lt.t, &lt.tm);
    } else {
        ::localtime_r(&lt.t, &lt.tm);
    }
    lt.ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() %
        1000);
    lt.gmt = gmt;
    return lt;
}

struct PaddedNumber {
    long value;
    int width;  // zero-padded to this many digits
};

std::optional<PaddedNumber> time_number(char k, const LineTime& time) {
    switch (k) {
        case 'Y':
            return PaddedNumber{time.tm.tm_year + 1900, 4};
        case 'y':
            return PaddedNumber{time.tm.tm_year % 100, 2};
        case 'm':
            return PaddedNumber{time.tm.tm_mon + 1, 2};
        case 'd':
            return PaddedNumber{time.tm.tm_mday, 2};
        case 'H':
            return PaddedNumber{time.tm.tm_hour, 2};
        case 'M':
            return PaddedNumber{time.tm.tm_min, 2};
        case 'S':
            return PaddedNumber{time.tm.tm_sec, 2};
        case '.':
            return PaddedNumber{time.ms, 3};
        case 't':
            return PaddedNumber{static_cast<long>(time.t), 1};
        default:
            return std::nullopt;
    }
}

std::optional<long> session_number(char k, const LogFields& f) {
    switch (k) {
        case 'p':
            return f.port;
        case 'E':
            return f.error;
        case 'c':
            return f.client_port;
        case 'r':
            return f.remote_port;
        default:
            return std::nullopt;
    }
}

// Byte and session counters: unsigned 64-bit, beyond the range of append_number's long.
std::optional<std::uint64_t> session_counter(char k, const LogFields& f) {
    switch (k) {
        case 'I':
            return f.bytes_in;
        case 'O':
            return f.bytes_out;
        case 'i':
            return f.session_id;
        default:
            return std::nullopt;
    }
}

std::optional<std::string_view> session_text(char k, const LogFields& f) {
    switch (k) {
        case 'N':
            return f.service;
        case 'e':
            return f.reason;
        case 'U':
            return f.user;
        case 'C':
            return f.client_ip;
        case 'R':
            return f.remote_host;
        case 'n':
            return f.hostname;
        case 'T':
            return f.request;
        default:
            return std::nullopt;
    }
}

void append_utc_offset(std::string& out, const LineTime& time) {
    char buf[8];
    std::strftime(buf, sizeof buf, "%z", &time.tm);
    out += time.gmt ? "+0000" : buf;
}

// Expands the letter after a '%'.
void append_letter(std::string& out, char k, const LineTime& time, const LogFields& f,
                   std::string_view replace) {
    if (auto n = time_number(k, time)) return append_number(out, n->value, n->width);
    if (auto n = session_number(k, f)) return append_number(out, *n, 1);
    if (auto text = session_text(k, f)) return append_field(out, *text, replace);
    if (auto count = session_counter(k, f)) {
        out += std::to_string(*count);
        return;
    }
    if (k == 'z') return append_utc_offset(out, time);
    out += '%';
    if (k != '%') out += k;  // "%%" is a percent sign; unknown letters are copied as they are
}

// An address right before its port (":%c" after %C, ":%r" after %R or %n): an IPv6 one is
// bracketed, "[::1]:47066", as proxycfg::host_port writes it, so the port stays apart.
bool port_follows(char k, std::string_view rest) {
    if (k == 'C') return rest.starts_with(":%c");
    if (k == 'R' || k == 'n') return rest.starts_with(":%r");
    return false;
}

}  // namespace

std::string format_log_line(std::string_view format, const LogFields& f) {
    FormatPrefix prefix = read_prefix(format);
    LineTime time = line_time(f.time, prefix.gmt);
    std::string_view body = prefix.body;
    std::string out;
    out.reserve(body.size() + 64);
    for (std::size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '%' || i + 1 == body.size()) {
            out += c;
            continue;
        }
        char k = body[++i];
        if (port_follows(k, body.substr(i + 1))) {
            std::string_view host = session_text(k, f).value_or(std::string_view{});
            if (host.find(':') != std::string_view::npos) {
                append_field(out, "[" + std::string(host) + "]", prefix.replace);
                continue;
            }
        }
        append_letter(out, k, time, f, prefix.replace);
    }
    return out;
}

LogFields log_fields_for(const SessionRecord& r, int error, std::string_view reason,
                         std::chrono::system_clock::time_point now) {
    LogFields f;
    f.time = now;
    f.service = r.protocol;
    f.port = r.service_port;
    f.error = error;
    f.reason = reason;
    f.user = r.user ? std::string_view(*r.user) : std::string_view{};
    f.client_ip = r.client_address.to_string();
    f.client_port = r.client_port;
    f.remote_host = r.target_address ? r.target_address->to_string() : r.target_host;
    f.remote_port = r.target_port;
    f.hostname =
        r.target_host.empty() && r.target_address ? r.target_address->to_string() : r.target_host;
    f.bytes_in = r.bytes_in;
    f.bytes_out = r.bytes_out;
    f.request = r.request_text;
    f.session_id = r.id;
    return f;
}

int AccessLog::fd_for(const std::string& target, std::string& error) {
    if (target.empty() || target == "-") return STDOUT_FILENO;
    auto it = files_.find(target);
    if (it == files_.end()) {
        UniqueFd fd(::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
        if (!fd) {
            error = std::string("cannot open: ") + std::strerror(errno);
            return -1;
        }
        it = files_.emplace(target, std::move(fd)).first;
    }
    return it->second.get();
}

void AccessLog::write(const proxycfg::LogSettings& settings, const LogFields& fields) {
    if (!settings.enabled || settings.target == "/dev/null") return;
    std::string line = format_log_line(
        settings.format.empty() ? default_log_format : std::string_view(settings.format), fields);
    line += '\n';
    // "@ident" is syslog in 3proxy; proxyd writes those lines to stdout for the journal.
    std::string target = !settings.target.empty() && settings.target.front() == '@'
                             ? std::string{}
                             : settings.target;
    std::lock_guard lock(mutex_);
    std::string error;
    int fd = fd_for(target, error);
    std::string_view rest = line;
    while (fd >= 0 && !rest.empty()) {
        auto n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // A partial line counts as lost: the reader cannot trust it.
            error = std::string("cannot write: ") +
                    (n < 0 ? std::strerror(errno) : "the target takes no more bytes");
            break;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    std::string name = target.empty() || target == "-" ? std::string("stdout") : target;
    auto report = error.empty() ? losses_.written(name)
                                : losses_.lost(name, error, std::chrono::steady_clock::now());
    if (report) std::fprintf(stderr, "proxyd: %s\n", report->c_str());
}

void AccessLog::reopen() {
    std::lock_guard lock(mutex_);
    files_.clear();
}

}  // namespace proxyd
