// logformat templates (the `logformat` line and a service's -f option): fields the dialect's
// proxy does not expand are written into every log line literally, and nothing else says so.
#include <string>
#include <vector>

#include "../evict_behind.hpp"
#include "../text_util.hpp"
#include "context.hpp"
#include "proxycfg/directives.hpp"
#include "proxycfg/log_fields.hpp"

namespace proxycfg::checks {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The fields of `format` the dialect does not expand, each once, as written ("%h", "%1-5T").
std::vector<std::string> unknown_fields(std::string_view format, bool three_proxy) {
    std::string_view body = log_format_body(format);
    std::vector<std::string> out;
    auto add = [&](std::string field) {
        for (const auto& f : out)
            if (f == field) return;
        out.push_back(std::move(field));
    };
    for (std::size_t i = 0; i + 1 < body.size(); ++i) {
        if (body[i] != '%') continue;
        std::size_t start = i++;
        char k = body[i];
        if (k == '%') continue;
        if (is_digit(k)) {
            // 3proxy's %N1-N2T: words N1 to N2 of the request text.
            std::size_t j = i;
            while (j < body.size() && (is_digit(body[j]) || body[j] == '-')) ++j;
            bool slice = j < body.size() && body[j] == 'T';
            if (three_proxy && slice) {
                i = j;
                continue;
            }
            add(std::string(body.substr(start, (slice ? j + 1 : i + 1) - start)));
            if (slice) i = j;
            continue;
        }
        bool known = three_proxy ? threeproxy_log_field(k) : proxyd_log_field(k);
        if (!known) add(std::string(body.substr(start, 2)));
    }
    return out;
}

std::string joined(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += i + 1 == fields.size() ? " and " : ", ";
        out += printable(fields[i]);
    }
    return out;
}

void check_template(Context& ctx, const Token& token, std::string_view format) {
    auto fields = unknown_fields(format, ctx.three_proxy());
    if (fields.empty()) return;
    bool one = fields.size() == 1;
    std::string which = std::string(one ? "field " : "fields ") + joined(fields);
    if (ctx.three_proxy()) {
        // 3proxy's list is taken from its manual, which may lag behind its code: say it,
        // without failing a check.
        if (ctx.options.min_severity > Severity::info) return;
        ctx.report(Rule::PX511, token.span(),
                   "logformat " + which + (one ? " is" : " are") +
                       " not in 3proxy's documented fields and may be written literally")
            .severity = Severity::info;
        return;
    }
    ctx.report(Rule::PX511, token.span(),
               "logformat " + which + ": proxyd does not expand " + (one ? "it" : "them") +
                   " and writes " + (one ? "it" : "them") +
                   " into every log line as is; proxyd expands " + proxyd_log_field_list() +
                   " and %% for a percent sign");
}

}  // namespace

void check_logformat(Context& ctx) {
    // Every service line is read: the walk lets a mapped file's pages go behind it.
    EvictBehind evict(ctx.cfg);
    for (const auto& line : ctx.cfg.directives) {
        evict.passed(line);
        if (!line.well_formed) continue;
        if (line.id == DirectiveId::logformat) {
            LexedDirective d(line);
            const Token& t = d.args()[0];
            if (t.has_dollar && !t.from_file) continue;  // an unexpanded $file
            check_template(ctx, t, t.text());
            continue;
        }
        const DirectiveInfo* info = info_of(line);
        if (!info || info->scope != Scope::service) continue;
        LexedDirective d(line);
        for (const auto& t : d.args()) {
            std::string_view v = t.text();
            if (v.size() < 2 || v[0] != '-') break;  // options come first
            if (v[1] == 'f' && !(t.has_dollar && !t.from_file)) check_template(ctx, t, v.substr(2));
        }
    }
    evict.rest();
}

}  // namespace proxycfg::checks
