// Lets go of a mapped file's pages behind a walk over the directives in file order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "proxycfg/ast.hpp"

namespace proxycfg {

// A walk that reads each line once, in file order (the resolver's replay, a lint over
// every service line), gives back the pages of a mapped file behind it as it goes
// (SourceText::evict): a large load's peak then holds the model and not also the whole
// file. They trail by a margin, for another thread that walks the same lines at its own
// pace; a page read again comes back from the page cache. Nothing for texts in memory.
class EvictBehind {
  public:
    explicit EvictBehind(const ParsedConfig& cfg) : cfg_(cfg), done_(cfg.sources->size(), 0) {}

    void passed(const Directive& d) {
        FileId f = d.span.file;
        if (f >= done_.size() || d.span.line == 0) return;
        const SourceFile& file = cfg_.file(f);
        if (!file.text.mapped() || d.span.line > file.line_count()) return;
        std::size_t at = file.line_offsets[d.span.line - 1];
        if (at < done_[f] + kLag + kStep) return;
        file.text.evict(done_[f], at - kLag);
        done_[f] = at - kLag;
    }
    // At the end of the walk: the rest of every file.
    void rest() {
        for (FileId f = 0; f < done_.size(); ++f) cfg_.file(f).text.evict(done_[f], SIZE_MAX);
    }

  private:
    static constexpr std::size_t kStep = std::size_t{1} << 20;
    static constexpr std::size_t kLag = std::size_t{2} << 20;
    const ParsedConfig& cfg_;
    std::vector<std::size_t> done_;  // per file: the pages below this are let go of
};

}  // namespace proxycfg
