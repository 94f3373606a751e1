// Reading and tokenizing a configuration (the PEGTL grammar lives in src/grammar_rules.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "proxycfg/ast.hpp"

namespace proxycfg {

struct ParseOptions {
    // Base directory for relative `include` and `$file` paths. Empty: the directory of
    // the main configuration file (for standard input: the current directory).
    std::string root;
    // When false, include files are not opened (used to lint fragments).
    bool follow_includes = true;
    // When set, `include` and `$file` targets come from here instead of the file system
    // (configurations held in memory): true with `text` filled, or false with `error`
    // ("No such file or directory"). Paths are then compared as written, not resolved.
    std::function<bool(const std::string& path, std::string& text, std::string& error)> read_file;
    // A main file of at least this many bytes has its second half read ahead on another
    // CPU (the result is the same either way; tests lower it).
    std::size_t read_ahead_bytes = std::size_t{16} << 20;
    // Files of at least this many bytes are mapped from the page cache under a read lease
    // instead of copied (SourceManager): faster for large files, and a writer waits
    // until the parse is destroyed. Off by default; proxyctl turns it on for large files.
    // proxyd reads its files into memory: no file changed under a load can fault it.
    std::size_t map_bytes = SIZE_MAX;
};

// Parses a file from disk. A file that cannot be read at all yields a ParsedConfig
// whose diagnostics hold one PX000 error and `readable` false.
struct ParseResult {
    ParsedConfig config;
    bool readable = true;
};

ParseResult parse_file(const std::string& path, const ParseOptions& options = {});
ParseResult parse_text(std::string name, std::string text, const ParseOptions& options = {});

}  // namespace proxycfg
