// Syntax traps that parse fine but do not mean what they look like (docs/language.md,
// "Lexical level"): 3proxy's '#' starts a comment only in column 1.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "context.hpp"
#include "proxycfg/directives.hpp"

namespace proxycfg::checks {
namespace {

std::string_view line_text(const Context& ctx, SourceSpan s) {
    return ctx.cfg.file(s.file).line_text(s.line);
}

// True when the token, as written, starts with '#'; quoted '"#"' is an ordinary argument.
bool starts_with_hash(const Context& ctx, const Token& t) {
    if (t.from_file) return false;
    std::string_view text = line_text(ctx, t.span());
    return t.span().column >= 1 && t.span().column - 1 < text.size() &&
           text[t.span().column - 1] == '#';
}

std::size_t word_count(std::string_view s) {
    std::size_t n = 0;
    bool in_word = false;
    for (char c : s) {
        bool space = c == ' ' || c == '\t' || c == '\r';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

std::string words(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " word" : " words");
}

// What the extra words do to the directive's argument count in 3proxy.
std::string arity_effect(const Directive& d, std::size_t argc_without, std::size_t extra) {
    const DirectiveInfo* info = info_of(d);
    if (!info || info->scope == Scope::service) return "";
    std::size_t argc = argc_without + extra;
    if (argc_without <= info->max_args && argc > info->max_args)
        return "; with them '" + std::string(d.name()) +
               "' has too many arguments and 3proxy rejects the line (Unknown command)";
    return "";
}

// Moves the text from `from` to the end of the line onto its own line above, where it is a
// real comment. `prev` is the last token that stays on the line.
void add_move_fixits(const Context& ctx, Diagnostic& diag, const Token& prev, SourceSpan from,
                     std::string description) {
    if (prev.from_file || prev.span().file != from.file || prev.span().line != from.line) return;
    std::string_view text = line_text(ctx, from);
    std::string comment(text.substr(from.column - 1));
    while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t'))
        comment.pop_back();
    std::uint32_t keep_end = prev.span().column + prev.span().length;
    auto line_end = static_cast<std::uint32_t>(text.size() + 1);
    // Unsafe: 3proxy reads those words as arguments now; without them an ACL entry, a user
    // list or a service line reads differently (or is accepted where it was refused).
    diag.fixits.push_back(
        {{from.file, from.line, 1, 0}, comment + "\n", std::move(description), true});
    diag.fixits.push_back({{from.file, from.line, keep_end, line_end - keep_end},
                           "",
                           "remove it from the line",
                           true});
}

void inline_comments(Context& ctx) {
    // The parser lists the lines that have such a word.
    for (std::uint32_t index : ctx.cfg.hash_word_directives) {
        LexedDirective d(ctx.directive(index));
        for (std::size_t k = 1; k < d.tokens.size(); ++k) {
            const Token& t = d.tokens[k];
            if (!starts_with_hash(ctx, t)) continue;
            std::string_view text = line_text(ctx, t.span());
            SourceSpan span{t.span().file, t.span().line, t.span().column,
                            static_cast<std::uint32_t>(text.size() + 1 - t.span().column)};
            std::size_t extra = d.tokens.size() - k;
            std::string msg = "'#' after content is not a comment: 3proxy reads the " +
                              words(extra) + " from '#' on as arguments of '" +
                              std::string(d.name()) + "'" + arity_effect(d, k - 1, extra);
            Diagnostic& diag = ctx.report(Rule::PX013, span, std::move(msg));
            add_move_fixits(ctx, diag, d.tokens[k - 1], span, "move the comment onto its own line");
            break;
        }
    }
}

// The parser strips a trailing "# proxyctl: disable=..." so proxyctl's own findings stay
// right, but 3proxy reads those words as arguments like any other '#' after content.
void inline_suppressions(Context& ctx) {
    if (ctx.cfg.inline_suppressions.empty()) return;
    std::unordered_map<std::uint64_t, const Directive*> by_line;
    for (const auto& d : ctx.cfg.directives) by_line.emplace(line_key(d.span.file, d.span.line), &d);
    for (const SourceSpan& s : ctx.cfg.inline_suppressions) {
        auto it = by_line.find(line_key(s.file, s.line));
        std::string_view text = line_text(ctx, s);
        std::size_t extra = s.column - 1 < text.size() ? word_count(text.substr(s.column - 1)) : 0;
        Diagnostic& diag = ctx.report(
            Rule::PX013, s,
            "'#' after content is not a comment for 3proxy: this proxyctl suppression becomes "
            "arguments of the line; put it on its own line above");
        if (it == by_line.end()) continue;
        LexedDirective d(*it->second);
        if (d.tokens.empty()) continue;
        diag.notes.push_back({d.tokens[0].span(), "3proxy reads the " + words(extra) +
                                                      " of the suppression as arguments of '" +
                                                      std::string(d.name()) + "'" +
                                                      arity_effect(d, d.argc(), extra)});
        add_move_fixits(ctx, diag, d.tokens.back(), s,
                        "move the suppression onto its own line above (it applies to the next "
                        "line)");
    }
}

// 3proxy's `log` reads a target and a rotation letter and ignores any further word, which
// is how a configuration flattened onto one line loses its directives without an error.
void log_arguments(Context& ctx) {
    for (const auto& line : ctx.cfg.directives) {
        if (!line.well_formed || line.id != DirectiveId::log || line.argc() <= 2) continue;
        LexedDirective d(line);
        auto args = d.args();
        std::size_t end = 2;
        while (end < args.size() && !starts_with_hash(ctx, args[end])) ++end;  // PX013's
        if (end == 2) continue;
        const Token& first = args[2];
        const Token& last = args[end - 1];
        bool one_line = true;
        for (std::size_t i = 1; i < end; ++i) {
            const Token& t = args[i];
            one_line &=
                !t.from_file && t.span().file == d.span.file && t.span().line == d.span.line;
        }
        SourceSpan span = d.span;
        if (one_line)
            span = {first.span().file, first.span().line, first.span().column,
                    last.span().column + last.span().length - first.span().column};
        std::string ignored(first.text());
        if (end > 3) ignored += " ...";
        std::string msg = "'log' takes a target and a rotation letter; 3proxy ignores the other " +
                          words(end - 2) + " ('" + ignored + "')";
        bool joined = false;
        for (std::size_t i = 2; i < end; ++i) {
            const DirectiveInfo* info = args[i].quoted ? nullptr : find_directive(args[i].text());
            joined |= info != nullptr;
        }
        if (joined) msg += "; it looks like several lines were joined into one";
        Diagnostic& diag = ctx.report(Rule::PX025, span, std::move(msg));
        if (!one_line || !joined) continue;
        for (std::size_t i = 2; i < end; ++i) {
            if (args[i].quoted || !find_directive(args[i].text())) continue;
            std::uint32_t from = args[i - 1].span().column + args[i - 1].span().length;
            // Unsafe: words 3proxy ignores become directives of their own.
            diag.fixits.push_back({{d.span.file, d.span.line, from, args[i].span().column - from},
                                   "\n",
                                   "start '" + std::string(args[i].text()) + "' on its own line",
                                   true});
        }
    }
}

}  // namespace

void check_syntax(Context& ctx) {
    inline_comments(ctx);
    if (ctx.three_proxy()) inline_suppressions(ctx);
    log_arguments(ctx);
}

}  // namespace proxycfg::checks
