// Order and sticky-state rules (docs/language.md, "Positional state"). PX108 and
// PX110 need the ACL replay and are reported by the resolver.
#include <optional>
#include <string>

#include "context.hpp"
#include "proxycfg/directives.hpp"

namespace proxycfg::checks {
namespace {

// Malformed service lines count: the author meant a service there, so the directives above
// it are not "after the last service".
bool begins_service(const Directive& d) {
    const DirectiveInfo* info = info_of(d);
    if (info && info->scope == Scope::service) return true;
    if ((d.id == DirectiveId::force || d.id == DirectiveId::noforce) && d.argc() > 0) {
        const DirectiveInfo* next = find_directive(LexedDirective(d).args()[0].text());
        return next && next->scope == Scope::service;
    }
    return false;
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

// PX106, PX113.
void after_last_service(Context& ctx, const Directive& last_service) {
    bool earlier_log = false;
    for (std::uint32_t i = 0; i < last_service.index; ++i)
        earlier_log |= ctx.directive(i).well_formed && ctx.directive(i).id == DirectiveId::log;
    const auto& all = ctx.cfg.directives;
    for (std::size_t i = last_service.index + 1; i < all.size(); ++i) {
        const Directive& d = all[i];
        const DirectiveInfo* info = info_of(d);
        if (!d.well_formed || !info || info->scope != Scope::snapshot) continue;
        std::string_view name = d.name();
        if (d.id == DirectiveId::force || d.id == DirectiveId::noforce) continue;  // force.cpp
        // For 3proxy, writable opens the file for its web admin wherever it stands.
        if (d.id == DirectiveId::writable && ctx.three_proxy()) continue;
        if (d.id == DirectiveId::flush) {
            ctx.report(Rule::PX113, d.span,
                       "'flush' after the last service line (" + line_of(last_service.span) +
                           ") does nothing: no service below it starts with the emptied ACL")
                .notes.push_back({last_service.span, "last service line"});
            continue;
        }
        // The log file is global (the last `log FILE` wins for every service), so a trailing
        // `log` matters once an earlier one switched logging on; PX304 covers that case.
        if (d.id == DirectiveId::log && earlier_log) continue;
        std::string msg = quoted(name) + " after the last service line (" +
                          line_of(last_service.span) +
                          ") has no effect: only service lines below it copy it";
        if (d.id == DirectiveId::stacksize || d.id == DirectiveId::logdump)
            msg +=
                " (3proxy keeps the value across a reload, so it reaches only the next "
                "load's first services)";
        ctx.report(Rule::PX106, d.span, std::move(msg))
            .notes.push_back({last_service.span, "last service line"});
    }
}

// PX107: 3proxy copies the whole ACL list into each service, so without `flush` a service
// also gets every entry written for the services above it.
void acl_leaks(Context& ctx) {
    const auto& services = ctx.model.services;
    for (std::size_t i = 1; i < services.size(); ++i) {
        const Service& prev = services[i - 1];
        const Service& s = services[i];
        auto entries = s.acl.entries();
        std::size_t leaked = 0;
        while (leaked < entries.size() && entries[leaked].directive < prev.directive) ++leaked;
        std::size_t own = entries.size() - leaked;
        // A service with no entries of its own shares the ACL above on purpose: writing
        // one rule set for `socks` and `proxy` together is the common idiom.
        if (leaked == 0 || own == 0) continue;
        std::string count = std::to_string(leaked) + " ACL entr" + (leaked == 1 ? "y" : "ies");
        std::string msg = "service '" + std::string(s.label) + "' inherits " + count + " from '" +
                          std::string(prev.label) + "' (" + line_of(prev.span) +
                          "): no flush between them";
        msg += ", checked before its own " + std::to_string(own);
        Diagnostic& diag = ctx.report(Rule::PX107, s.span, std::move(msg));
        diag.notes.push_back({entries[0].span(), "first inherited entry"});
        if (prev.directive + 1 < ctx.cfg.directives.size()) {
            const Directive& next = ctx.directive(prev.directive + 1);
            // Unsafe: the service's requests are then checked against another ACL.
            diag.fixits.push_back({{next.span.file, next.span.line, 1, 0},
                                   "flush\n",
                                   "start a new ACL after " + quoted(prev.label),
                                   true});
        }
    }
}

void process_order(Context& ctx, const Directive* first_service) {
    const Directive* daemon = nullptr;
    const Directive* first_nscache = nullptr;
    const auto& all = ctx.cfg.directives;
    for (const auto& d : all) {
        if (!d.well_formed) continue;
        if (d.id == DirectiveId::daemon && !daemon) daemon = &d;
        if ((d.id == DirectiveId::nscache || d.id == DirectiveId::nscache6) && !first_nscache)
            first_nscache = &d;
    }
    if (daemon && first_service && first_service->index < daemon->index) {
        std::size_t above = 0;
        for (std::uint32_t i = 0; i < daemon->index; ++i) above += begins_service(all[i]) ? 1 : 0;
        ctx.report(Rule::PX109, daemon->span,
                   "'daemon' after " + std::to_string(above) + " service line" +
                       (above == 1 ? "" : "s") +
                       ": the fork drops the threads of services started before it, which then "
                       "accept connections but never answer")
            .notes.push_back({first_service->span, "first service line"});
    }
    for (const auto& d : all) {
        if (!d.well_formed) continue;
        if (d.id == DirectiveId::pidfile && daemon && d.index < daemon->index) {
            Diagnostic& diag =
                ctx.report(Rule::PX111, d.span,
                           "'pidfile' before 'daemon' (" + line_of(daemon->span) +
                               ") records the pid of the parent, which exits after the fork");
            diag.notes.push_back({daemon->span, "daemon forks here"});
            // Safe when it moves over no service line: only the recorded pid changes. Over
            // one, the service then starts after the fork and answers (PX109): unsafe.
            bool over_service = false;
            for (std::uint32_t i = d.index; i < daemon->index; ++i)
                over_service = over_service || begins_service(all[i]);
            diag.fixits.push_back({{d.span.file, d.span.line, 1, 0},
                                   "daemon\n",
                                   "move 'daemon' above 'pidfile'",
                                   over_service});
            diag.fixits.push_back(
                {whole_line(ctx, daemon->span), "", "remove the later 'daemon'", over_service});
        }
        if (d.id == DirectiveId::nsrecord && (!first_nscache || d.index < first_nscache->index)) {
            std::string msg =
                "'nsrecord' before any nscache is ignored: 3proxy has no cache "
                "table to put it in";
            if (!first_nscache) msg += ", and this file has no nscache line";
            Diagnostic& diag = ctx.report(Rule::PX112, d.span, std::move(msg));
            if (first_nscache)
                diag.notes.push_back({first_nscache->span, "the cache is created here"});
        }
    }
}

}  // namespace

void check_order(Context& ctx) {
    const Directive* first_service = nullptr;
    const Directive* last_service = nullptr;
    for (const auto& d : ctx.cfg.directives) {
        if (!begins_service(d)) continue;
        if (!first_service) first_service = &d;
        last_service = &d;
    }
    // A file without services may be a fragment that others include: placement is theirs.
    if (last_service) after_last_service(ctx, *last_service);
    acl_leaks(ctx);
    process_order(ctx, first_service);
}

}  // namespace proxycfg::checks
