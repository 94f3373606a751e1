// Shared by the rule families in this directory: what a rule sees and how it reports.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "../repeats.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/rules.hpp"

namespace proxycfg::checks {

struct Context {
    const ParsedConfig& cfg;
    const Model& model;
    const LintOptions& options;
    Diagnostics& out;
    Diagnostic scratch{};  // receives findings below options.min_severity
    RepeatFold* fold = nullptr;  // folds repeats as they are made, when set

    // Adds a diagnostic with the rule's default severity; add notes/fix-its to the result.
    Diagnostic& report(Rule rule, SourceSpan span, std::string message);

    bool three_proxy() const { return options.dialect == Dialect::threeproxy; }
    // Index of the last service directive, or -1 when the file has none.
    long last_service_directive() const;
    const Directive& directive(std::uint32_t index) const { return cfg.directives[index]; }
};

// A file and line as one key, for maps from lines to what is on them.
inline std::uint64_t line_key(FileId file, std::uint32_t line) {
    return (std::uint64_t{file} << 32) | line;
}

// The table row of a parsed directive, by the id the parser stored; nullptr when unknown.
inline const DirectiveInfo* info_of(const Directive& d) {
    return d.id == DirectiveId::unknown ? nullptr : &directive_info(d.id);
}

// "line 12", for messages that point at another line of the same file.
inline std::string line_of(SourceSpan s) {
    return "line " + std::to_string(s.line);
}

// The whole line including its terminator, so deleting it leaves no blank line.
inline SourceSpan whole_line(const Context& ctx, SourceSpan s) {
    const SourceFile& f = ctx.cfg.file(s.file);
    std::size_t begin = f.line_offsets[s.line - 1];
    std::size_t end = s.line < f.line_count() ? f.line_offsets[s.line] : f.text.size();
    return {s.file, s.line, 1, static_cast<std::uint32_t>(end - begin)};
}

// Whether an ACL entry can match a request that carries no username: it names no users,
// or lists '-', which is what 3proxy compares a hidden username (auth iponly) as.
inline bool matches_without_username(const AclEntry& e) {
    auto users = e.users();
    return users.empty() || std::find(users.begin(), users.end(), "-") != users.end();
}

// Whether the list of users is incomplete, so a name missing from it proves nothing: a
// users `$file` left unexpanded or unreadable, or a missing `include` (users.cpp).
bool has_unexpanded_user_file(const Context& ctx);

// One function per rule family; each lives in its own file.
// A note at the service's auth line (`set_here`), or at the service itself when it has none
// (`defaulted`, which should say that 3proxy's default is iponly).
inline void note_auth_origin(Diagnostic& d, const Service& s, std::string_view set_here,
                             std::string_view defaulted) {
    d.notes.push_back({s.auth_origin(), std::string(s.auth.span.valid() ? set_here : defaulted)});
}

void check_syntax(Context& ctx);  // syntax.cpp   PX013, ...
void check_force(Context& ctx);   // force.cpp    PX101-PX105
void check_order(Context& ctx);   // order.cpp    PX106-PX113
void check_users(Context& ctx);   // users.cpp    PX201, PX203, PX206-PX208, PX211, PX215
// acl.cpp, in four steps (the first two are the costliest on large files):
void check_acl_users(Context& ctx);        // PX202
void check_acl_shadowing(Context& ctx);    // PX204, PX205
void check_acl_auth(Context& ctx);         // PX209, PX210, PX212, PX217
void check_acl_field_forms(Context& ctx);  // PX213, PX214 (PX216 is the resolver's)
void check_network(Context& ctx);          // network.cpp  PX301-PX310, PX312
void check_dialect(Context& ctx);          // dialect.cpp  PX501-PX510
void check_logformat(Context& ctx);        // logformat.cpp PX511

}  // namespace proxycfg::checks
