// One mistake repeated on hundreds of lines is one finding to fix, not hundreds to read:
// past the first few of a kind, the rest become a note on the last one shown.
#include <cctype>
#include <map>
#include <tuple>

#include "proxycfg/lint.hpp"

namespace proxycfg {
namespace {

// The message with its particulars blanked: quoted names and numbers (user 'bob' on
// line 7 and user 'eve' on line 9 are the same finding). An apostrophe inside a word
// (3proxy's) is not a quote.
std::string message_shape(std::string_view message) {
    std::string shape;
    shape.reserve(message.size());
    bool in_quote = false;
    for (std::size_t i = 0; i < message.size(); ++i) {
        char c = message[i];
        bool apostrophe = c == '\'' && i > 0 && i + 1 < message.size() &&
                          std::isalnum(static_cast<unsigned char>(message[i - 1])) &&
                          std::isalpha(static_cast<unsigned char>(message[i + 1]));
        if (c == '\'' && !apostrophe) {
            in_quote = !in_quote;
            shape += c;
        } else if (in_quote) {
            continue;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            if (shape.empty() || shape.back() != '#') shape += '#';
        } else {
            shape += c;
        }
    }
    return shape;
}

}  // namespace

void summarise_repeats(Diagnostics& diags, std::size_t keep) {
    struct Kind {
        std::size_t shown = 0;       // findings kept so far
        std::size_t last_shown = 0;  // index in `kept` of the last one kept
        std::size_t omitted = 0;
        SourceSpan first_omitted;
    };
    std::map<std::tuple<FileId, std::string, std::string>, Kind> kinds;
    Diagnostics kept;
    kept.reserve(diags.size());
    for (auto& d : diags) {
        Kind& k = kinds[{d.span.file, d.code, message_shape(d.message)}];
        if (k.shown < keep) {
            ++k.shown;
            k.last_shown = kept.size();
            kept.push_back(std::move(d));
            continue;
        }
        if (k.omitted++ == 0) k.first_omitted = d.span;
    }
    for (const auto& [key, k] : kinds) {
        if (k.omitted == 0) continue;
        kept[k.last_shown].notes.push_back(
            {k.first_omitted, "and " + std::to_string(k.omitted) + " more like this (" +
                                  std::get<1>(key) +
                                  ") in this file, not shown; the next "
                                  "one is here"});
    }
    diags = std::move(kept);
}

}  // namespace proxycfg
