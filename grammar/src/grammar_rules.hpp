// PEGTL rules for the lexical level of the 3proxy language (docs/language.md, "Lexical level").
// A command line is a list of tokens; a token is a run of bare characters and quoted
// runs; inside quotes "" is a literal quote. `$file` references are recognised when
// tokens are unquoted (see lexer.cpp), not here, because they cut across quoting.
#pragma once

#include <tao/pegtl.hpp>

#include <string_view>

namespace proxycfg::grammar {

namespace pegtl = tao::pegtl;

// Separators inside a configuration line: CR is plain whitespace (only LF ends a line).
struct line_space : pegtl::one<' ', '\t', '\r', '\v', '\f'> {};
// Inside a $file's text, LF separates arguments too.
struct file_space : pegtl::one<' ', '\t', '\r', '\v', '\f', '\n'> {};

struct quote : pegtl::one<'"'> {};
struct escaped_quote : pegtl::two<'"'> {};
struct quoted_char : pegtl::sor<escaped_quote, pegtl::not_one<'"', '\n'>> {};
struct closing_quote : pegtl::one<'"'> {};
struct quoted_run : pegtl::if_must<quote, pegtl::star<quoted_char>, closing_quote> {};
struct bare_run : pegtl::plus<pegtl::not_one<' ', '\t', '\r', '\v', '\f', '\n', '"'>> {};
struct token : pegtl::plus<pegtl::sor<quoted_run, bare_run>> {};

template <typename Space>
struct token_list
    : pegtl::seq<pegtl::star<Space>, pegtl::opt<pegtl::list<token, pegtl::plus<Space>>>,
                 pegtl::star<Space>, pegtl::eof> {};

using command_line = token_list<line_space>;
using included_text = token_list<file_space>;

template <typename Rule>
inline constexpr std::string_view error_message = "syntax error";
template <>
inline constexpr std::string_view error_message<closing_quote> =
    "quote is not closed before the end of the line";

template <typename Rule>
struct control : pegtl::normal<Rule> {
    template <typename Input, typename... States>
    [[noreturn]] static void raise(const Input& in, States&&... /*unused*/) {
        throw pegtl::parse_error(std::string(error_message<Rule>), in);
    }
};

}  // namespace proxycfg::grammar
