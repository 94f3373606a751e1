// One mistake repeated on hundreds of lines is one finding to fix, not hundreds to read:
// past the first few of a kind, the rest become a note on the last one shown.
#include "repeats.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "proxycfg/lint.hpp"

namespace proxycfg {
namespace {

// Whether out[a] comes before out[b] once sorted: sort_diagnostics keeps findings that
// tie in the order they were made.
bool before(const Diagnostics& out, std::size_t a, std::size_t b) {
    return output_before(out[a], out[b]) || (!output_before(out[b], out[a]) && a < b);
}

// The message with its particulars blanked. An apostrophe inside a word (3proxy's) is not
// a quote.
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

RepeatKind repeat_kind(const Diagnostic& d) {
    return {d.span.file, d.code, message_shape(d.message)};
}

void RepeatFold::settle(Diagnostics& out) {
    for (; settled_ < out.size(); ++settled_) {
        const Diagnostic& d = out[settled_];
        auto [at, fresh] =
            ids_.try_emplace(repeat_kind(d), static_cast<std::uint32_t>(kinds_.size()));
        if (fresh) kinds_.emplace_back();
        kind_of_.push_back(at->second);
        Kind& k = kinds_[at->second];
        k.kept.push_back(static_cast<std::uint32_t>(settled_));
        if (k.kept.size() <= keep_) continue;
        auto last = std::max_element(k.kept.begin(), k.kept.end(),
                                     [&](auto a, auto b) { return before(out, a, b); });
        out[*last] = Diagnostic{};  // gives its texts back now; the slot goes in compact()
        kind_of_[*last] = dropped;
        k.kept.erase(last);
        ++k.folded;
        ++holes_;
    }
    // Closing the gaps costs a pass over the findings, so it waits until they are half
    // of them: the list stays within twice what is kept.
    if (holes_ >= 64 && holes_ * 2 >= out.size()) compact(out);
}

void RepeatFold::compact(Diagnostics& out) {
    std::size_t live = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (kind_of_[i] == dropped) continue;
        if (live != i) {
            out[live] = std::move(out[i]);
            kind_of_[live] = kind_of_[i];
        }
        ++live;
    }
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(live), out.end());
    kind_of_.resize(live);
    for (auto& k : kinds_) k.kept.clear();
    for (std::size_t i = 0; i < live; ++i)
        kinds_[kind_of_[i]].kept.push_back(static_cast<std::uint32_t>(i));
    settled_ = live;
    holes_ = 0;
}

void RepeatFold::finish(Diagnostics& out) {
    settle(out);
    if (holes_ > 0) {
        compact(out);
        out.shrink_to_fit();
    }
    for (const auto& k : kinds_)
        if (k.folded > 0) out[k.kept.front()].repeats_folded += k.folded;
}

void summarise_repeats(Diagnostics& diags, std::size_t keep) {
    struct Kind {
        std::size_t shown = 0;       // findings kept so far
        std::size_t last_shown = 0;  // index in `kept` of the last one kept
        std::size_t omitted = 0;
        std::size_t folded = 0;  // left out before (RepeatFold)
        SourceSpan first_omitted;
    };
    std::map<RepeatKind, Kind> kinds;
    Diagnostics kept;
    kept.reserve(diags.size());
    for (auto& d : diags) {
        Kind& k = kinds[repeat_kind(d)];
        k.folded += std::exchange(d.repeats_folded, 0);
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
            {k.first_omitted, "and " + std::to_string(k.omitted + k.folded) + " more like this (" +
                                  std::get<1>(key) +
                                  ") in this file, not shown; the next "
                                  "one is here"});
    }
    diags = std::move(kept);
}

}  // namespace proxycfg
