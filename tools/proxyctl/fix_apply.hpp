// Applying fix-its to text: the pure part of `proxyctl check --fix` and `--diff`, which
// knows nothing of files on disk.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxycfg/diagnostic.hpp"
#include "proxycfg/source.hpp"

namespace proxyctl {

// Bytes [offset, offset + length) of one file become `replacement`.
struct TextEdit {
    std::size_t offset = 0;
    std::size_t length = 0;
    std::string replacement;
};

// The fix-its of one diagnostic in byte offsets: applied together or not at all.
struct Fix {
    std::vector<std::pair<proxycfg::FileId, TextEdit>> edits;  // in the diagnostic's order
    bool unsafe = false;
    std::string code;         // the diagnostic's, for messages
    proxycfg::SourceSpan at;  // the diagnostic's
};

// The first place a fix touches: its file and byte offset.
std::pair<proxycfg::FileId, std::size_t> first_position(const Fix& f);

// The fix of a diagnostic, or nullopt when it has none or a fix-it cannot be placed: no
// position, a file that is not in `sources`, a span past the end of its file, or two
// fix-its of its own that overlap.
std::optional<Fix> fix_of(const proxycfg::SourceManager& sources, const proxycfg::Diagnostic& d);

// Which fixes to apply, by index into `fixes`: in order of position (the first edit's file
// and offset), leaving out the unsafe ones unless allowed and any that overlaps one picked
// before it.
struct Selection {
    std::vector<std::size_t> picked;
    std::vector<std::size_t> overlapping;  // left out: overlaps a picked fix
    std::vector<std::size_t> unsafe;       // left out: unsafe and not allowed
};
Selection select_fixes(const std::vector<Fix>& fixes, bool unsafe_allowed);

// Applies edits that do not overlap, in any order, to one file's text. Insertions at the
// same offset keep their order. A text with CRLF line endings gets CRLF in the inserted
// lines too, and a text that ended with a line break still does.
std::string apply_edits(std::string_view text, std::vector<TextEdit> edits);

// All of the above for one set of diagnostics: the new text of each file that changes.
struct FixResult {
    std::map<proxycfg::FileId, std::string> texts;
    std::vector<Fix> applied;
    std::vector<Fix> unsafe;       // left out: not allowed
    std::vector<Fix> overlapping;  // left out: overlaps an applied one
};
FixResult apply_fixes(const proxycfg::SourceManager& sources, const proxycfg::Diagnostics& diags,
                      bool unsafe_allowed);

}  // namespace proxyctl
