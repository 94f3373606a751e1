// Users and passwords (docs/language.md, "Users and passwords").
#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "../lexer.hpp"
#include "../text_util.hpp"
#include "context.hpp"

namespace proxycfg::checks {
namespace {

bool needs_password_users(const Service& s) {
    return s.uses(AuthMethod::strong) || s.uses(AuthMethod::cache);
}

bool can_authenticate(const User& u) {
    return u.type == PasswordType::cl || u.type == PasswordType::cr || u.type == PasswordType::nt;
}

// The token a user was defined by (users are defined one per token).
std::optional<Token> token_of(const Context& ctx, const User& u) {
    LexedDirective d(ctx.directive(u.directive));
    for (const auto& t : d.args())
        if (t.span() == u.span()) return t;
    return std::nullopt;
}

bool is_hex_upper(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

bool is_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    });
}

bool crypt_chars(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
               (c >= 'a' && c <= 'z');
    });
}

// Is this a string crypt(3) produces: "$id$...$hash" or a 13-character DES hash?
bool looks_like_crypt(std::string_view v) {
    if (v.size() == 13 && crypt_chars(v)) return true;
    if (v.size() < 4 || v[0] != '$') return false;
    auto parts = split(v.substr(1), '$');
    if (parts.size() < 3 || parts[0].empty() || parts.back().empty()) return false;
    if (!crypt_chars(parts.back())) return false;
    std::string_view id = parts[0];
    std::size_t hash = parts.back().size();
    if (id == "1") return parts.size() == 3 && hash == 22;
    if (id == "5") return hash == 43;
    if (id == "6") return hash == 86;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}

// "1$salt$hash", "6$...", "y$...", "2b$...": the text after an unquoted '$' that shows the
// '$' belongs to a hash and is not a file inclusion.
bool starts_like_crypt_id(std::string_view rest) {
    auto end = rest.find('$');
    if (end == std::string_view::npos || end == 0 || end > 3) return false;
    std::string_view id = rest.substr(0, end);
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}

void check_no_usable_user(Context& ctx) {
    std::size_t defined = 0;
    const auto& defs = ctx.model.user_definitions;
    auto replaced = ctx.model.replaced_users();
    for (std::size_t i = 0; i < defs.size(); ++i) {
        if (replaced[i]) continue;
        if (can_authenticate(defs[i])) return;
        ++defined;
    }
    if (has_unexpanded_user_file(ctx)) return;
    std::set<std::pair<std::uint32_t, std::uint32_t>> reported;  // auth lines
    for (const auto& s : ctx.model.services) {
        if (!needs_password_users(s)) continue;
        // radius and plugins authenticate against something other than `users`.
        if (s.uses(AuthMethod::radius) || s.uses(AuthMethod::plugin)) continue;
        const SourceSpan& at = s.auth_origin();
        if (!reported.insert({at.file, at.line}).second) continue;
        std::string why = defined == 0 ? "no users are defined"
                                       : "the " + std::to_string(defined) +
                                             " defined user(s) have no CL:, CR: or NT: password";
        auto& d = ctx.report(Rule::PX201, at,
                             "auth requires a password but " + why + ", so every client of " +
                                 std::string(s.label) + " is refused");
        d.notes.push_back({s.span, "service " + std::string(s.label) + " uses this auth"});
    }
}

void check_duplicates(Context& ctx) {
    const auto& defs = ctx.model.user_definitions;
    for (const auto& u : defs) {
        if (u.previous == User::no_previous) continue;
        const User& earlier = defs[u.previous];
        auto& d = ctx.report(Rule::PX203, u.span(),
                             "user '" + printable(u.name()) +
                                 "' is defined again; this later definition wins and the one "
                                 "on line " +
                                 std::to_string(earlier.span().line) + " is ignored");
        d.notes.push_back(
            {earlier.span(), "earlier definition of '" + printable(u.name()) + "' (ignored)"});
    }
}

void check_plaintext(Context& ctx) {
    // Info-level: skipped unless asked for, as a users file can hold many thousand users.
    bool plaintext_wanted = ctx.options.min_severity <= Severity::info;
    // One finding per `users` line: a users file with thousands of CL users is one decision.
    // Definitions are in file order, so a line's users are adjacent.
    std::vector<const User*> line;
    auto flush = [&] {
        if (line.empty()) return;
        std::string msg;
        if (line.size() == 1) {
            msg = "user '" + printable(line[0]->name()) + "' has a plaintext CL: password";
        } else {
            msg = std::to_string(line.size()) + " users have plaintext CL: passwords (";
            for (std::size_t i = 0; i < line.size() && i < 3; ++i)
                msg += (i ? ", " : "") + printable(line[i]->name());
            msg += line.size() > 3 ? ", ...)" : ")";
        }
        ctx.report(Rule::PX206, line[0]->span(), std::move(msg));
        line.clear();
    };
    for (const auto& u : ctx.model.user_definitions) {
        if (u.type != PasswordType::cl) continue;
        if (u.secret().empty()) {
            ctx.report(Rule::PX207, u.span(),
                       "user '" + printable(u.name()) +
                           "' has an empty CL: password: 3proxy accepts any password for it");
            continue;
        }
        if (!plaintext_wanted) continue;
        if (!line.empty() && line.front()->directive != u.directive) flush();
        line.push_back(&u);
    }
    flush();
}

void check_malformed(Context& ctx) {
    const Service* strong = nullptr;
    for (const auto& s : ctx.model.services) {
        if (needs_password_users(s)) {
            strong = &s;
            break;
        }
    }
    auto strong_note = [&](Diagnostic& d) {
        d.notes.push_back({strong->auth_origin(), "password authentication required here"});
    };
    for (const auto& u : ctx.model.user_definitions) {
        if (u.type == PasswordType::cl || u.type == PasswordType::cr || u.type == PasswordType::nt)
            continue;
        auto t = token_of(ctx, u);
        if (t && t->has_dollar && !t->from_file) continue;  // an unexpanded $file
        std::string name = printable(u.name());
        if (u.type == PasswordType::sys && u.name().find(':') != std::string::npos) {
            auto& d = ctx.report(
                Rule::PX208, u.span(),
                "'" + name + "' has no password type: 3proxy defines a user literally named '" +
                    name + "' with no password (write NAME:CL:PASSWORD or NAME:CR:HASH)");
            auto colon = u.name().find(':');
            if (t && t->verbatim() && u.name().find(':', colon + 1) == std::string::npos &&
                colon > 0 && colon + 1 < u.name().size()) {
                // Unsafe: defines another user, with a password.
                d.fixits.push_back({t->sub_span(colon, 1), ":CL:", "insert the CL: type", true});
            }
        } else if (u.type == PasswordType::unknown) {
            std::string type(u.secret().substr(0, 2));
            std::string upper = to_upper_ascii(type);
            std::string msg = "user '" + name + "' has unknown password type '" + printable(type) +
                              "', so it can never authenticate";
            bool fixable = upper == "CL" || upper == "CR" || upper == "NT";
            msg += fixable ? "; types are upper case: " + upper : " (expected CL, CR or NT)";
            auto& d = ctx.report(Rule::PX208, u.span(), msg);
            if (fixable && t && t->verbatim()) {
                // Unsafe: a user who could never authenticate then can.
                d.fixits.push_back({t->sub_span(u.name().size() + 1, 2), upper,
                                    "write the type in upper case", true});
            }
        } else if (u.type == PasswordType::sys && u.name().size() > 1 && u.name().front() == '/') {
            // `users /etc/3proxy/passwd`: the '$' of the users-file idiom is missing.
            auto& d = ctx.report(Rule::PX208, u.span(),
                                 "'" + name + "' is a user name, not a file: write users $" + name +
                                     " to read the users from that file");
            if (t && t->verbatim())
                // Unsafe: the users of the file can then authenticate.
                d.fixits.push_back({t->sub_span(0, 0), "$", "read the users from the file", true});
        } else if (strong && (u.type == PasswordType::lm || u.type == PasswordType::sys)) {
            auto& d = ctx.report(
                Rule::PX208, u.span(),
                u.type == PasswordType::lm
                    ? "user '" + name +
                          "' has an LM: hash, which no auth method checks: it cannot pass "
                          "auth strong"
                    : "user '" + name +
                          "' has no password (no NAME:TYPE:PASSWORD form): it cannot pass "
                          "auth strong");
            strong_note(d);
        }
    }
}

void check_hashes(Context& ctx) {
    for (const auto& u : ctx.model.user_definitions) {
        std::string_view secret = u.secret();
        if (u.type == PasswordType::cr && !secret.empty() && looks_like_crypt(secret)) continue;
        std::string name = printable(u.name());
        if (u.type == PasswordType::nt) {
            if (secret.size() == 32 && is_hex_upper(secret)) continue;
            std::string msg = "NT hash of user '" + name + "' ";
            bool lower = secret.size() == 32 && is_hex(secret);
            msg += lower ? "has lower-case hex digits: 3proxy compares upper-case hex and "
                           "never matches it"
                         : "must be 32 upper-case hex digits";
            auto& d = ctx.report(Rule::PX215, u.span(), msg);
            auto t = token_of(ctx, u);
            if (lower && t && t->verbatim()) {
                // Unsafe: a hash that never matched then does.
                d.fixits.push_back({t->sub_span(u.name().size() + 4, 32), to_upper_ascii(secret),
                                    "write the hash in upper case", true});
            }
        } else if (u.type == PasswordType::cr) {
            if (secret.empty()) {
                ctx.report(Rule::PX215, u.span(),
                           "user '" + name +
                               "' has an empty CR: value: 3proxy accepts any password for it");
            } else if (!looks_like_crypt(secret)) {
                ctx.report(Rule::PX215, u.span(),
                           "CR: value of user '" + name + "' ('" + printable(secret) +
                               "') is not a crypt(3) hash such as $1$salt$hash or $6$salt$hash");
            }
        }
    }
}

// An unquoted '$' in a users argument starts a file inclusion. When that
// file is missing the token is dropped, so the parsed directive no longer shows it: read
// the line as written.
void check_unquoted_dollar(Context& ctx) {
    std::deque<std::string> arena;
    std::vector<LexToken> tokens;
    for (const auto& d : ctx.cfg.directives) {
        // Bare words have no '$': every line with one keeps its tokens.
        if (d.id != DirectiveId::users || !d.keeps_tokens()) continue;
        std::string_view line = ctx.cfg.file(d.span.file).line_text(d.span.line);
        if (line.find('$') == std::string_view::npos) continue;
        if (LexedDirective(d).tokens[0].from_file) continue;
        std::uint32_t col_base = d.span.column - 1;
        if (col_base > line.size()) continue;
        line.remove_prefix(col_base);
        tokens.clear();
        LexError err;
        if (!lex(line, LexMode::line, arena, tokens, err)) continue;
        for (std::size_t i = 1; i < tokens.size(); ++i) {
            const LexToken& t = tokens[i];
            if (t.dollar == std::string_view::npos) continue;
            std::string_view before = t.text.substr(0, t.dollar);
            std::string_view after = t.text.substr(t.dollar + 1);
            // `users $/etc/3proxy/passwd` is the intended users-file idiom.
            bool user_spec = before.find(':') != std::string_view::npos;
            if (!user_spec && !starts_like_crypt_id(after)) continue;
            SourceSpan span{d.span.file, d.span.line, t.offset + 1 + col_base,
                            static_cast<std::uint32_t>(t.raw.size())};
            std::string who;
            if (user_spec) who = " user '" + printable(before.substr(0, before.find(':'))) + "'";
            auto& diag =
                ctx.report(Rule::PX211, span,
                           "unquoted '$' in '" + printable(t.text) + "': 3proxy reads '$" +
                               printable(after) + "' as a file to include, so" +
                               (who.empty() ? " this argument" : who) + " silently disappears");
            if (t.raw == t.text && t.raw.find('"') == std::string_view::npos) {
                // Unsafe: the user that disappeared is then defined.
                diag.fixits.push_back(
                    {span, "\"" + std::string(t.raw) + "\"", "quote the argument", true});
            }
        }
    }
}

}  // namespace

// A `users` token whose '$' is left unexpanded (includes not followed), a users $file that
// could not be read (PX011: 3proxy would see no users from it, but the file usually exists
// where the proxy runs), or a missing `include` (PX010, which may be where the users are).
bool has_unexpanded_user_file(const Context& ctx) {
    std::unordered_set<std::uint64_t> unreadable;  // the lines of PX011 findings (rare)
    for (const auto& diag : ctx.cfg.diagnostics) {
        if (diag.is(Rule::PX010)) return true;
        if (diag.is(Rule::PX011)) unreadable.insert(line_key(diag.span.file, diag.span.line));
    }
    for (const auto& line : ctx.cfg.directives) {
        if (line.id != DirectiveId::users) continue;
        if (unreadable.count(line_key(line.span.file, line.span.line))) return true;
        if (!line.keeps_tokens()) continue;  // bare words: no '$'
        LexedDirective d(line);
        for (const auto& t : d.args())
            if (t.has_dollar && !t.from_file) return true;
    }
    return false;
}

void check_users(Context& ctx) {
    check_no_usable_user(ctx);
    check_duplicates(ctx);
    check_plaintext(ctx);
    check_malformed(ctx);
    check_hashes(ctx);
    check_unquoted_dollar(ctx);
}

}  // namespace proxycfg::checks
