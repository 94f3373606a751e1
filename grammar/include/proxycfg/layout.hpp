// The canonical layout of a configuration file, for `proxyctl fmt`: the same directives in
// the same order with the same meaning, written one way. Works on one file's text; include
// targets and $file contents are separate files and are not touched.
#pragma once

#include <string>
#include <string_view>

namespace proxycfg {

struct LayoutOptions {
    // A blank line after each run of service lines, so every block of settings and the
    // services that copy them read as a paragraph.
    bool separate_blocks = false;
};

// What changes (docs/language.md, "Lexical level", says why each is safe):
//  * words of a command line are separated by one space; leading and trailing blanks go;
//  * a quoted word that needs no quotes loses them, one that does is written "..." with
//    "" for a literal quote; words with a '$', and the "" quirk, are kept as written;
//  * trailing blanks go from comments and from skipped (indented) lines, which are
//    otherwise kept as written;
//  * runs of empty lines become one; none at the start or the end; the file ends with a
//    newline, in the line ending of its first line.
// Kept as written: a line with an unterminated quote, a line longer than 3proxy reads at
// once, the missing final newline after a last-line $FILE, and a whole file with a bare
// CR (3proxy reads it as one line).
std::string canonical_layout(std::string_view text, const LayoutOptions& options = {});

}  // namespace proxycfg
