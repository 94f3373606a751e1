// The misplaced-force family (docs/language.md, "Reload and force in 3proxy"). 3proxy keeps one
// sticky force flag, starting as force; each service line copies it when it is read, and
// the value left at the end of a parse is the starting value of the next reload's parse.
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "proxycfg/directives.hpp"

namespace proxycfg::checks {
namespace {

bool is_toggle(const Directive& d) {
    return d.id == DirectiveId::force || d.id == DirectiveId::noforce;
}

bool is_service_word(const Token& t) {
    const DirectiveInfo* info = find_directive(t.text());
    return !t.quoted && info && info->scope == Scope::service;
}

// `force socks -p3128`: a toggle with a service written on its line.
bool toggle_with_service(const Directive& d) {
    return is_toggle(d) && d.argc() > 0 && is_service_word(LexedDirective(d).args()[0]);
}

// A service line as the author meant it: malformed ones count too, so one typo does not
// turn every toggle above it into "after the last service".
bool starts_service(const Directive& d) {
    // The id is the command word's; only lines that kept their tokens can have it quoted.
    if (d.id != DirectiveId::unknown && directive_info(d.id).scope == Scope::service)
        return !d.keeps_tokens() || !LexedDirective(d).tokens[0].quoted;
    return toggle_with_service(d);
}

// Lines that set up a service block: the ACL, its auth and the per-service settings.
bool sets_up_block(const Directive& d) {
    const DirectiveInfo* info = info_of(d);
    return info && info->scope == Scope::snapshot && !is_toggle(d);
}

// A toggle followed, before the next service line, by block set-up lines (flush, auth,
// allow, ...) opens the next block: it is written for the service below, not the one above.
bool opens_next_block(const Context& ctx, const Directive& toggle) {
    for (std::size_t i = toggle.index + 1; i < ctx.cfg.directives.size(); ++i) {
        const Directive& d = ctx.directive(static_cast<std::uint32_t>(i));
        if (starts_service(d)) return false;
        if (sets_up_block(d)) return true;
    }
    return false;
}

struct Event {
    const Directive* directive;
    bool service;  // otherwise a toggle
    bool force;    // the toggle's value
};

std::string service_name(const Context& ctx, const Directive& d) {
    for (const auto& s : ctx.model.services)
        if (s.directive == d.index) return "'" + std::string(s.label) + "'";
    return "'" +
           std::string(toggle_with_service(d) ? LexedDirective(d).args()[0].text() : d.name()) +
           "'";
}

SourceSpan line_start(SourceSpan s) {
    return {s.file, s.line, 1, 0};
}

// PX102: the fix-it moves the toggle above the service it was written under.
void report_below_service(Context& ctx, const Directive& toggle, const Directive& service,
                          bool trailing, bool flag_before) {
    std::string name(toggle.name());
    bool value = toggle.id == DirectiveId::force;
    std::string msg = "'" + name + "' is written below the service " + service_name(ctx, service) +
                      " (" + line_of(service.span) + ") and does not apply to it: force/noforce " +
                      "only affects service lines after it";
    if (trailing) {
        msg += value == flag_before
                   ? " (that service is " + name + " anyway)"
                   : "; that service runs as " + std::string(flag_before ? "force" : "noforce");
    } else {
        msg += "; it changes the next service instead";
    }
    Diagnostic& diag = ctx.report(Rule::PX102, toggle.span, std::move(msg));
    diag.notes.push_back({service.span, "meant for this service?"});
    // Unsafe: the services around it change between force and noforce.
    diag.fixits.push_back({line_start(service.span), name + "\n",
                           "move '" + name + "' above the service line", true});
    diag.fixits.push_back(
        {whole_line(ctx, toggle.span), "", "remove the misplaced '" + name + "'", true});
}

void report_carry_over(Context& ctx, const std::vector<Event>& events) {
    std::size_t first_toggle = events.size();
    const Event* last_toggle = nullptr;
    const Event* first_noforce = nullptr;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].service) continue;
        if (first_toggle == events.size()) first_toggle = i;
        last_toggle = &events[i];
        if (!events[i].force && !first_noforce) first_noforce = &events[i];
    }
    if (!first_noforce || first_toggle == 0) return;
    std::size_t exposed = 0;
    for (std::size_t i = 0; i < first_toggle; ++i) exposed += events[i].service ? 1 : 0;
    if (exposed == 0) return;
    const Directive& first_service = *events.front().directive;
    std::string count = std::to_string(exposed) + " service line" + (exposed == 1 ? "" : "s");
    std::string msg = count + " above the first force/noforce start with the value the " +
                      "previous load ended with (3proxy does not reset it on reload)";
    Note note;
    if (!last_toggle->force) {
        msg += ": this file ends with noforce, so after the first reload " +
               std::string(exposed == 1 ? "it runs" : "they run") +
               " as noforce and open sessions are no longer re-checked";
        note = {last_toggle->directive->span, "this noforce is carried into the next reload"};
    } else {
        msg += ", and this file uses noforce";
        note = {first_noforce->directive->span, "noforce set here"};
    }
    Diagnostic& diag = ctx.report(Rule::PX105, first_service.span, std::move(msg));
    diag.notes.push_back(std::move(note));
    // Unsafe: after a reload those services re-check open sessions where they did not.
    diag.fixits.push_back({line_start(first_service.span), "force\n",
                           "state the flag explicitly above the first service", true});
}

}  // namespace

void check_force(Context& ctx) {
    std::vector<Event> events;
    for (const auto& d : ctx.cfg.directives) {
        if (is_toggle(d)) {
            // With arguments 3proxy rejects the line (the parser reports it, PX103); the
            // family reads it as the fix-it would rewrite it, so the error does not cascade
            // into wrong findings.
            events.push_back({&d, false, d.id == DirectiveId::force});
            if (toggle_with_service(d)) events.push_back({&d, true, false});
        } else if (starts_service(d)) {
            events.push_back({&d, true, false});
        }
    }
    std::optional<std::size_t> last_service;
    for (std::size_t i = 0; i < events.size(); ++i)
        if (events[i].service) last_service = i;
    // A file without services may be a fragment that others include: placement is theirs.
    if (!last_service) return;

    bool has_noforce = false;
    for (const auto& e : events) has_noforce |= !e.service && !e.force;
    std::vector<bool> reported(ctx.cfg.directives.size(), false);
    bool flag = true;  // 3proxy's initial value
    const Event* prev_toggle = nullptr;
    bool service_since_prev = false;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (e.service) {
            service_since_prev = true;
            continue;
        }
        const Directive& d = *e.directive;
        const Directive* above = d.index > 0 ? &ctx.directive(d.index - 1) : nullptr;
        bool below_service = above && starts_service(*above) && !opens_next_block(ctx, d);
        bool malformed = d.argc() > 0;  // PX103 already
        bool flag_before = flag;
        const Event* earlier = prev_toggle;
        bool adjacent_earlier = earlier && !service_since_prev;
        flag = e.force;
        prev_toggle = &e;
        service_since_prev = false;
        if (malformed) continue;

        if (i > *last_service) {
            if (below_service) {
                report_below_service(ctx, d, *above, true, flag_before);
            } else {
                ctx.report(Rule::PX101, d.span,
                           "'" + std::string(d.name()) + "' after the last service line (" +
                               line_of(events[*last_service].directive->span) +
                               ") has no effect on any service")
                    .notes.push_back({events[*last_service].directive->span, "last service line"});
            }
            reported[d.index] = true;
            continue;
        }
        // In the middle of the file the toggle does set the next service's flag, so only a
        // toggle glued to the line of the service above counts as meant for that service.
        bool glued =
            below_service && above->span.file == d.span.file && above->span.line + 1 == d.span.line;
        if (glued && e.force != flag_before) {
            report_below_service(ctx, d, *above, false, flag_before);
            reported[d.index] = true;
            continue;
        }
        if (!earlier) {
            // The first toggle can matter only through the carry-over of a noforce; a
            // leading `force` is the recommended explicit start and is never flagged.
            if (i > 0 && e.force && !has_noforce)
                ctx.report(Rule::PX104, d.span,
                           "'force' changes nothing: force is 3proxy's initial value and this "
                           "file never says noforce");
            continue;
        }
        if (earlier->directive->argc() > 0) continue;
        const Directive& ed = *earlier->directive;
        if (adjacent_earlier && earlier->force != e.force) {
            if (reported[ed.index]) continue;
            ctx.report(Rule::PX104, ed.span,
                       "'" + std::string(ed.name()) + "' changes nothing: '" +
                           std::string(d.name()) + "' on " + line_of(d.span) +
                           " overrides it before any service line copies it")
                .notes.push_back({d.span, "overridden here"});
            reported[ed.index] = true;
        } else if (earlier->force == e.force) {
            std::string why = adjacent_earlier ? " with no service line between them"
                                               : " and nothing switched it back since";
            ctx.report(Rule::PX104, d.span,
                       "'" + std::string(d.name()) + "' changes nothing: the flag is already " +
                           std::string(d.name()) + " from " + line_of(ed.span) + why)
                .notes.push_back({ed.span, "already set here"});
            reported[d.index] = true;
        }
    }
    report_carry_over(ctx, events);
}

}  // namespace proxycfg::checks
