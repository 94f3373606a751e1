#include "access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace proxyd {

namespace {

void append_number(std::string& out, long value, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*ld", width, value);
    out += buf;
}

void append_field(std::string& out, std::string_view value, std::string_view replace) {
    if (value.empty()) {
        out += '-';
        return;
    }
    for (char c : value) out += replace.find(c) != std::string_view::npos ? '+' : c;
}

}  // namespace

std::string format_log_line(std::string_view format, const LogFields& f) {
    bool gmt = false;
    if (!format.empty() && (format.front() == 'L' || format.front() == 'G')) {
        gmt = format.front() == 'G';
        format.remove_prefix(1);
    }
    std::string_view replace;
    if (!format.empty() && format.front() == '-') {
        auto plus = format.find('+');
        if (plus != std::string_view::npos) {
            replace = format.substr(1, plus - 1);
            format.remove_prefix(plus + 1);
        }
    }
    std::time_t t = std::chrono::system_clock::to_time_t(f.time);
    std::tm tm{};
    if (gmt) {
        ::gmtime_r(&t, &tm);
    } else {
        ::localtime_r(&t, &tm);
    }
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(f.time.time_since_epoch()).count() %
        1000;

    std::string out;
    out.reserve(format.size() + 64);
    for (std::size_t i = 0; i < format.size(); ++i) {
        char c = format[i];
        if (c != '%' || i + 1 == format.size()) {
            out += c;
            continue;
        }
        char k = format[++i];
        switch (k) {
            case '%':
                out += '%';
                break;
            case 'Y':
                append_number(out, tm.tm_year + 1900, 4);
                break;
            case 'y':
                append_number(out, tm.tm_year % 100, 2);
                break;
            case 'm':
                append_number(out, tm.tm_mon + 1, 2);
                break;
            case 'd':
                append_number(out, tm.tm_mday, 2);
                break;
            case 'H':
                append_number(out, tm.tm_hour, 2);
                break;
            case 'M':
                append_number(out, tm.tm_min, 2);
                break;
            case 'S':
                append_number(out, tm.tm_sec, 2);
                break;
            case '.':
                append_number(out, static_cast<long>(ms), 3);
                break;
            case 't':
                append_number(out, static_cast<long>(t), 1);
                break;
            case 'z': {
                char buf[8];
                std::strftime(buf, sizeof buf, "%z", &tm);
                out += gmt ? "+0000" : buf;
                break;
            }
            case 'N':
                append_field(out, f.service, replace);
                break;
            case 'p':
                append_number(out, f.port, 1);
                break;
            case 'E':
                append_number(out, f.error, 1);
                break;
            case 'e':
                append_field(out, f.reason, replace);
                break;
            case 'U':
                append_field(out, f.user, replace);
                break;
            case 'C':
                append_field(out, f.client_ip, replace);
                break;
            case 'c':
                append_number(out, f.client_port, 1);
                break;
            case 'R':
                append_field(out, f.remote_host, replace);
                break;
            case 'r':
                append_number(out, f.remote_port, 1);
                break;
            case 'n':
                append_field(out, f.hostname, replace);
                break;
            case 'I':
                out += std::to_string(f.bytes_in);
                break;
            case 'O':
                out += std::to_string(f.bytes_out);
                break;
            case 'T':
                append_field(out, f.request, replace);
                break;
            case 'i':
                out += std::to_string(f.session_id);
                break;
            default:
                out += '%';
                out += k;
        }
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
