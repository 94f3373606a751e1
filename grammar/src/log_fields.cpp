#include "proxycfg/log_fields.hpp"

#include <algorithm>

namespace proxycfg {
namespace {

constexpr LogField kProxydFields[] = {
    {'Y', "year, four digits"},
    {'y', "year, two digits"},
    {'m', "month, two digits"},
    {'d', "day of the month, two digits"},
    {'H', "hour, two digits"},
    {'M', "minute, two digits"},
    {'S', "second, two digits"},
    {'.', "milliseconds, three digits"},
    {'t', "seconds since the epoch"},
    {'z', "offset from UTC, +HHMM"},
    {'N', "service name"},
    {'p', "service port"},
    {'E', "error code, 0 for success"},
    {'e', "reason text of the error"},
    {'U', "user name"},
    {'C', "client address"},
    {'c', "client port"},
    {'R', "remote (target) address"},
    {'r', "remote port"},
    {'n', "requested host name"},
    {'T', "request text (an HTTP request line)"},
    {'I', "bytes received from the client"},
    {'O', "bytes sent to the client"},
    {'i', "session id"},
};

// 3proxy's manual: time letters, %o (month name), %U %N %p %E %C %c %R %r %Q %q %e %n %I %O
// %h %T, and %D (duration).
constexpr std::string_view kThreeproxyLetters = "YymodHMSt.zUNpECcRrQqenIOhTD";

}  // namespace

std::span<const LogField> proxyd_log_fields() {
    return kProxydFields;
}

bool proxyd_log_field(char letter) {
    return std::any_of(std::begin(kProxydFields), std::end(kProxydFields),
                       [&](const LogField& f) { return f.letter == letter; });
}

bool threeproxy_log_field(char letter) {
    return kThreeproxyLetters.find(letter) != std::string_view::npos;
}

std::string proxyd_log_field_list() {
    std::string out;
    for (const auto& f : kProxydFields) {
        if (!out.empty()) out += ' ';
        out += '%';
        out += f.letter;
    }
    return out;
}

std::string_view log_format_body(std::string_view format) {
    if (!format.empty() && (format.front() == 'L' || format.front() == 'G'))
        format.remove_prefix(1);
    if (!format.empty() && format.front() == '-') {
        auto plus = format.find('+');
        if (plus != std::string_view::npos) format.remove_prefix(plus + 1);
    }
    return format;
}

}  // namespace proxycfg
