// Reads a configuration the way 3proxy's readconfig does (docs/language.md, "Lexical level"):
// skipped lines, tokens, `$file` inclusion, `include`, `end`, and the directive table's argument
// counts. Errors are collected and parsing continues at the next line.
#include "proxycfg/parse.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>

#include "bare_words.hpp"
#include "heap.hpp"
#include "lexer.hpp"
#include "proxycfg/directives.hpp"
#include "proxycfg/rules.hpp"
#include "text_util.hpp"

namespace proxycfg {
namespace {

constexpr std::size_t kMaxLineBytes = 65534;        // fgets(buf, 65535) in 3proxy
constexpr std::size_t kMaxTokensPerLine = 4095;     // NPARAMS - 1
constexpr std::size_t kMaxDollarFileBytes = 65534;  // one read() in 3proxy
// Errors in one file before the bytes read so far are checked for binary content (again
// at each doubling of the count).
constexpr std::size_t kErrorsBeforeBinaryCheck = 50;
constexpr int kMaxIncludeDepth = 32;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

class Parser {
  public:
    Parser(ParsedConfig& cfg, const ParseOptions& options) : cfg_(cfg), options_(options) {}

    void run(FileId main) {
        cfg_.main_file = main;
        cfg_.files.push_back({main, {}, false});
        stack_.push_back(canonical_path(cfg_.file(main).path));
        // At most one directive per command line: growing by copying would touch (and
        // fault in) twice the final size, and room for blank and comment lines would be
        // faulted in with the huge pages around it.
        std::size_t lines = command_lines(cfg_.file(main));
        cfg_.directives.reserve(lines);
        advise_huge_pages(cfg_.directives.data(), cfg_.directives.capacity() * sizeof(Directive));
        // The table's pages are faulted in on a second CPU, down from the end, while
        // parsing fills it from the start (a large table only: zeroing them was a quarter
        // of a large parse).
        BlockWarmer warmer(cfg_.directives.data(), lines * sizeof(Directive));
        start_read_ahead(cfg_.file(main));
        parse_file(main, 0);
        read_ahead_.request_stop();  // when `end` stopped the parse early
    }

  private:
    // What the read-ahead found for a line: whether the parser would make it a
    // well-formed directive of bare words with no finding and no side effect, and if so
    // its command and word count. Such a line is added without being lexed again.
    struct Ahead {
        std::uint16_t words = 0;
        DirectiveId id = DirectiveId::unknown;
        bool plain = false;
    };

    // No quote, no '$' (a $file), no word after the first starting with '#' (a trailing
    // suppression comment, or PX013's), at most 3proxy's word count, a known command with
    // a valid argument count, and not include, end or plugin (they act on the parse).
    // parse_file asks only about lines it would hand to parse_line (not blank, comment,
    // indented, too long or with a NUL), so those are not judged here; a trailing CR,
    // which line_text drops, is a separator either way.
    static Ahead read_ahead(std::string_view line) {
        std::size_t words = 0;
        bool plain = true;
        std::string_view command;
        bool bare = for_each_bare_word(line, [&](std::size_t offset, std::size_t length) {
            std::string_view word = line.substr(offset, length);
            if (words++ == 0) command = word;
            else if (word.front() == '#') plain = false;
            if (word.find('$') != std::string_view::npos) plain = false;
        });
        if (!bare || !plain || words == 0 || words > kMaxTokensPerLine) return {};
        const DirectiveInfo* info = find_directive(command);
        if (!info || info->id == DirectiveId::include || info->id == DirectiveId::end ||
            info->id == DirectiveId::plugin)
            return {};
        std::size_t argc = words - 1;
        if (argc < info->min_args || argc > info->max_args) return {};
        return {static_cast<std::uint16_t>(words), info->id, true};
    }

    // For a large main file, a second thread reads its lines (read_ahead) from the end
    // back, a chunk at a time, while the parser goes forward; it publishes the lowest line
    // it has done and stops where the parser has got to. So the two meet wherever their
    // speeds make them meet. The parser uses what is ready when it gets there and reads
    // every other line itself, so the result never depends on timing.
    void start_read_ahead(const SourceFile& file) {
        if (file.text.size() < options_.read_ahead_bytes || file.line_count() < 2) return;
        ahead_first_ = 2;  // line 1 may start with a byte order mark
        ahead_.resize(file.line_count() - 1);
        ahead_low_.store(file.line_count() + 1, std::memory_order_relaxed);
        read_ahead_ = std::jthread([this, &file](std::stop_token stop) {
            constexpr std::uint32_t kChunk = 256;
            std::uint32_t high = file.line_count() + 1;  // lines from `high` on are done
            while (high > ahead_first_ && !stop.stop_requested()) {
                std::uint32_t low = high - std::min(kChunk, high - ahead_first_);
                if (low <= parsed_to_.load(std::memory_order_relaxed)) return;
                for (std::uint32_t ln = low; ln < high; ++ln)
                    ahead_[ln - ahead_first_] = read_ahead(file.line_text(ln));
                ahead_low_.store(low, std::memory_order_release);
                high = low;
            }
        });
    }

    // The read-ahead's verdict on a line of the main file, when it is ready.
    const Ahead* ahead_of(FileId id, std::uint32_t ln) const {
        if (id != cfg_.main_file || ahead_first_ == 0 || ln < ahead_first_ ||
            ln < ahead_low_.load(std::memory_order_acquire))
            return nullptr;
        return &ahead_[ln - ahead_first_];
    }

    // What parse_line does for a plain line, without lexing it.
    void add_plain_directive(FileId id, std::uint32_t ln, std::string_view line,
                             std::uint32_t col_base, const Ahead& ahead) {
        attach_pending_suppressions(id, ln);
        Directive d;
        d.span = line_span(id, ln, line, col_base);
        d.set_line(line.data(), ahead.words);
        d.index = static_cast<std::uint32_t>(cfg_.directives.size());
        d.id = ahead.id;
        cfg_.directives.push_back(d);
    }

    // Lines that can hold a directive; blank, comment and indented lines hold none.
    static std::size_t command_lines(const SourceFile& file) {
        std::size_t n = 0;
        for (std::uint32_t start : file.line_offsets) {
            char c = start < file.text.size() ? file.text[start] : '\n';
            n += c != '#' && c != '\n' && c != '\r' && c != ' ' && c != '\t';
        }
        return n;
    }

    ParsedConfig& cfg_;
    const ParseOptions& options_;
    std::vector<std::string> stack_;  // canonical paths of the include chain
    std::vector<Token> line_tokens_;  // the current line's tokens before they are stored
    // The read-ahead of a large main file (start_read_ahead); the thread is declared after
    // what it uses, so it stops before they go away.
    std::vector<Ahead> ahead_;
    std::uint32_t ahead_first_ = 0;  // the line of ahead_[0]; 0: no read-ahead
    std::atomic<std::uint32_t> ahead_low_{0};  // lines from here on are read ahead
    std::atomic<std::uint32_t> parsed_to_{0};  // where the parser is (roughly)
    std::jthread read_ahead_;
    bool stripped_suppression_ = false;  // the current line ended in a suppression comment
    std::map<std::string, FileId> dollar_files_;          // $file cache: users $f on many lines
    std::map<std::string, std::string> dollar_failures_;  // unreadable $files: why
    bool truncated_ = false;  // an unreadable $file cut the current line short
    std::size_t errors_in_file_ = 0;
    std::vector<LexToken> lexed_;

    void report(Rule rule, SourceSpan span, std::string message, std::vector<Note> notes = {},
                std::vector<FixIt> fixits = {}) {
        Diagnostic d = make_diagnostic(rule, span, std::move(message));
        d.notes = std::move(notes);
        d.fixits = std::move(fixits);
        if (d.severity == Severity::error) ++errors_in_file_;
        cfg_.diagnostics.push_back(std::move(d));
    }

    std::string canonical_path(const std::string& path) const {
        return options_.read_file ? path : proxycfg::canonical_path(path);
    }

    std::optional<FileId> read_source(const std::string& path, ReadError& error, SourceSpan site) {
        if (!options_.read_file) return cfg_.sources->read(path, error, site);
        error = {path, {}};
        std::string text;
        if (!options_.read_file(path, text, error.message)) return std::nullopt;
        return cfg_.sources->add(path, std::move(text), site);
    }

    std::string resolve_path(const std::string& path) const {
        if (path.empty() || path.front() == '/') return path;
        std::filesystem::path base;
        if (!options_.root.empty())
            base = options_.root;
        else
            base = std::filesystem::path(cfg_.file(cfg_.main_file).path).parent_path();
        if (base.empty()) return path;
        return (base / path).string();
    }

    std::vector<Note> chain_notes(SourceSpan site) const {
        std::vector<Note> notes;
        if (!site.valid()) return notes;
        notes.push_back({site, "included from here"});
        for (const auto& s : cfg_.sources->include_chain(site.file)) {
            notes.push_back({s, "included from here"});
        }
        return notes;
    }

    void parse_file(FileId id, int depth) {
        std::size_t saved_errors = errors_in_file_;
        errors_in_file_ = 0;
        const SourceFile& file = cfg_.file(id);
        std::string_view text = file.text;

        if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
            report(Rule::PX014, {id, 1, 1, 3},
                   "file starts with a UTF-8 byte order mark; 3proxy reads it as part of the "
                   "first directive",
                   {}, {{{id, 1, 1, 3}, "", "remove the byte order mark"}});
        }
        if (text.find('\n') == std::string_view::npos &&
            std::count(text.begin(), text.end(), '\r') > 1) {
            report(Rule::PX018, {id, 1, 1, 0},
                   "file uses CR-only (old Mac) line endings; 3proxy reads the whole file as "
                   "one line");
            errors_in_file_ = saved_errors;
            return;
        }
        if (looks_binary(text)) {
            report(Rule::PX016, {id, 1, 1, 0},
                   "'" + printable(file.path) +
                       "' looks like binary data, not a configuration "
                       "file (NUL and control bytes); not parsed further");
            if (id == cfg_.main_file) cfg_.main_file_binary = true;
            errors_in_file_ = saved_errors;
            return;
        }
        bool ends_with_newline = !text.empty() && text.back() == '\n';
        if (!file.ascii && !utf8_valid(text)) {
            std::uint32_t line = 1, col = 1;
            locate(text, first_invalid_utf8(text), line, col);
            report(Rule::PX023, {id, line, col, 1},
                   "file is not valid UTF-8 (first bad byte here); 3proxy compares raw bytes");
        }

        std::size_t nul_reports = 0;
        std::size_t next_binary_check = kErrorsBeforeBinaryCheck;
        for (std::uint32_t ln = 1; ln <= file.line_count(); ++ln) {
            // Many errors alone do not make a file binary (one mistake repeated is common
            // and is summarised later); only the bytes read so far decide.
            if (errors_in_file_ >= next_binary_check) {
                next_binary_check *= 2;
                if (mostly_binary(text.substr(0, file.line_offsets[ln - 1]))) {
                    report(Rule::PX016, {id, ln, 1, 0},
                           "'" + printable(file.path) +
                               "' reads as binary data (control bytes and invalid UTF-8), "
                               "not a configuration file; not parsed further");
                    if (id == cfg_.main_file) cfg_.main_file_binary = true;
                    break;
                }
            }
            std::size_t begin = file.line_offsets[ln - 1];
            std::size_t end = ln < file.line_count() ? file.line_offsets[ln] : text.size();
            std::string_view line = text.substr(begin, end - begin);
            if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
            if (ln == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
            std::uint32_t col_base = static_cast<std::uint32_t>(line.data() - text.data() - begin);

            if (line.size() > kMaxLineBytes) {
                report(Rule::PX015, {id, ln, static_cast<std::uint32_t>(kMaxLineBytes + 1), 1},
                       "line is " + std::to_string(line.size()) +
                           " bytes long; 3proxy reads at most 65534 bytes per line and parses "
                           "the rest as a new command");
                continue;
            }
            if (auto nul = line.find('\0'); nul != std::string_view::npos) {
                if (nul_reports++ < 3) {
                    report(Rule::PX016, {id, ln, static_cast<std::uint32_t>(nul + 1 + col_base), 1},
                           "NUL byte in the configuration; 3proxy ends the line here");
                }
                continue;
            }
            if (line.empty()) continue;
            if (line.front() == '#') {
                note_comment(id, ln, line, col_base, static_cast<std::uint32_t>(end - begin));
                continue;
            }
            if (is_space(line.front())) {
                note_indented(id, ln, line, col_base);
                continue;
            }
            if (id == cfg_.main_file && ln % 256 == 0)
                parsed_to_.store(ln, std::memory_order_relaxed);
            if (const Ahead* ahead = ahead_of(id, ln); ahead && ahead->plain) {
                add_plain_directive(id, ln, line, col_base, *ahead);
                continue;
            }
            bool last_line = ln == file.line_count();
            if (!parse_line(id, ln, line, col_base, last_line && !ends_with_newline, depth)) break;
        }
        errors_in_file_ = saved_errors;
    }

    // NUL bytes plus many control bytes near the start: an image, an archive, random data.
    static bool looks_binary(std::string_view text) {
        std::string_view head = text.substr(0, 8192);
        std::size_t nul = 0, control = 0;
        for (char ch : head) {
            auto c = static_cast<unsigned char>(ch);
            if (c == 0) ++nul;
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v')
                ++control;
        }
        return nul > 0 && control >= 16 && control * 20 >= head.size();
    }

    // More than one byte in ten is NUL, another control byte, or not valid UTF-8.
    static bool mostly_binary(std::string_view text) {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < text.size();) {
            std::size_t off = first_invalid_utf8(text.substr(i));
            std::size_t end = off == std::string_view::npos ? text.size() : i + off;
            for (; i < end; ++i) {
                auto c = static_cast<unsigned char>(text[i]);
                if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v')
                    ++bad;
            }
            if (off != std::string_view::npos) {
                ++bad;
                ++i;
            }
        }
        return bad * 10 > text.size();
    }

    static void locate(std::string_view text, std::size_t offset, std::uint32_t& line,
                       std::uint32_t& col) {
        line = 1;
        std::size_t last_nl = std::string_view::npos;
        for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                last_nl = i;
            }
        }
        col = static_cast<std::uint32_t>(last_nl == std::string_view::npos ? offset + 1
                                                                           : offset - last_nl);
    }

    // locate() for offsets that only grow, in one pass over the text: a $file of thousands
    // of words would otherwise be rescanned from its start for each one.
    struct Locator {
        std::string_view text;
        std::size_t pos = 0;
        std::size_t line_start = 0;
        std::uint32_t line = 1;
        void at(std::size_t offset, std::uint32_t& l, std::uint32_t& c) {
            for (; pos < offset && pos < text.size(); ++pos) {
                if (text[pos] == '\n') {
                    ++line;
                    line_start = pos + 1;
                }
            }
            l = line;
            c = static_cast<std::uint32_t>(offset - line_start + 1);
        }
    };

    // `# proxyctl: disable=PX101,PX102` applies to the next command line of this file, or
    // opens a block that a later `# proxyctl: enable=` closes. `line_bytes` is the length
    // of the line with its newline: removing that much removes the comment.
    void note_comment(FileId id, std::uint32_t ln, std::string_view line, std::uint32_t col_base,
                      std::uint32_t line_bytes) {
        auto pos = line.find("proxyctl:");
        if (pos == std::string_view::npos) return;
        std::string_view rest = trim(line.substr(pos + 9));
        bool whole_file = false;
        if (starts_with(rest, "disable-file=")) {
            whole_file = true;
            rest.remove_prefix(13);
        } else if (starts_with(rest, "disable=")) {
            rest.remove_prefix(8);
        } else if (starts_with(rest, "enable=")) {
            rest.remove_prefix(7);
            close_blocks(id, ln, column_of(line, rest, col_base), rest);
            return;
        } else {
            return;
        }
        Suppression s;
        s.file = id;
        s.line = ln + 1;
        s.comment_line = ln;
        s.comment = {id, ln, 1, line_bytes};
        s.whole_file = whole_file;
        s.codes = suppressed_codes(id, ln, column_of(line, rest, col_base), rest, &s.code_spans);
        s.block_end.assign(s.codes.size(), 0);
        if (!whole_file) open_blocks_.push_back(cfg_.suppressions.size());
        pending_suppression_.push_back(cfg_.suppressions.size());
        cfg_.suppressions.push_back(std::move(s));
    }
    std::vector<std::size_t> pending_suppression_;
    // The `disable=` comments on lines of their own, in file order: any of them may turn
    // out to open a block when an `enable=` follows.
    std::vector<std::size_t> open_blocks_;

    // `# proxyctl: enable=CODES`: each code ends the block of the nearest `disable=` above
    // it in this file that names the same code and is not closed yet (so blocks nest).
    // `all` closes only a `disable=all`. A code with no such block is PX028.
    void close_blocks(FileId id, std::uint32_t ln, std::uint32_t col, std::string_view list) {
        std::vector<SourceSpan> words;
        std::vector<std::string> codes = suppressed_codes(id, ln, col, list, &words);
        for (std::size_t c = 0; c < codes.size(); ++c) {
            bool closed = false;
            for (auto it = open_blocks_.rbegin(); it != open_blocks_.rend() && !closed; ++it) {
                Suppression& s = cfg_.suppressions[*it];
                if (s.file != id) continue;
                for (std::size_t i = 0; i < s.codes.size(); ++i) {
                    if (s.codes[i] != codes[c] || s.block_end[i] != 0) continue;
                    s.block_end[i] = ln;
                    closed = true;
                    break;
                }
            }
            if (closed) continue;
            report(Rule::PX028, words[c],
                   "'enable=" + codes[c] +
                       "' ends no block: no '# proxyctl: disable=' above it in this file names "
                       "it and is still open");
        }
    }

    static std::uint32_t column_of(std::string_view line, std::string_view part,
                                   std::uint32_t col_base) {
        return static_cast<std::uint32_t>(part.data() - line.data()) + 1 + col_base;
    }

    // The codes of a suppression's comma separated list (up to the first space): codes or
    // rule names in any case, or "all". A word that names no rule suppresses nothing, and
    // says so: otherwise a typo would leave the finding on without a word why.
    // `words`, when given, receives the span of the word each code was read from.
    std::vector<std::string> suppressed_codes(FileId id, std::uint32_t ln, std::uint32_t col,
                                              std::string_view list,
                                              std::vector<SourceSpan>* words = nullptr) {
        std::vector<std::string> codes;
        std::size_t end = 0;
        while (end < list.size() && !is_space(list[end])) ++end;
        std::size_t offset = 0;
        for (auto word : split(list.substr(0, end), ',')) {
            std::uint32_t word_col = col + static_cast<std::uint32_t>(offset);
            offset += word.size() + 1;
            if (word.empty()) continue;
            if (to_lower(word) == "all") {
                codes.emplace_back("all");
            } else if (const RuleInfo* r = lookup_rule(word)) {
                codes.emplace_back(r->code);
            } else {
                report_unknown_rule(id, ln, word_col, word);
                continue;
            }
            if (words)
                words->push_back({id, ln, word_col, static_cast<std::uint32_t>(word.size())});
        }
        return codes;
    }

    void report_unknown_rule(FileId id, std::uint32_t ln, std::uint32_t col,
                             std::string_view word) {
        SourceSpan span{id, ln, col, static_cast<std::uint32_t>(word.size())};
        std::string msg = "'" + printable(word) +
                          "' in this suppression comment is not a rule code or name, so it "
                          "suppresses nothing";
        std::vector<FixIt> fixits;
        if (const RuleInfo* near = closest_rule(word)) {
            // A code is answered with the code, a name with the name, as it was written.
            bool as_code = to_lower(word).starts_with("px");
            std::string_view nearest = as_code ? near->code : near->name;
            msg += "; did you mean '" + std::string(nearest) + "' (" +
                   std::string(as_code ? near->name : near->code) + ")?";
            // Safe: a comment, which 3proxy never reads.
            fixits.push_back(
                {span, std::string(nearest), "replace with '" + std::string(nearest) + "'"});
        } else {
            msg += "; 'proxyctl rules' lists every code and name";
        }
        report(Rule::PX027, span, std::move(msg), {}, std::move(fixits));
    }

    void note_indented(FileId id, std::uint32_t ln, std::string_view line, std::uint32_t col_base) {
        std::size_t start = 0;
        while (start < line.size() && is_space(line[start])) ++start;
        if (start == line.size()) return;
        std::size_t stop = start;
        while (stop < line.size() && !is_space(line[stop])) ++stop;
        std::string_view word = line.substr(start, stop - start);
        if (!find_directive(word)) return;
        SourceSpan span{id, ln, static_cast<std::uint32_t>(start + 1 + col_base),
                        static_cast<std::uint32_t>(word.size())};
        cfg_.indented_directives.push_back(span);
        report(Rule::PX012, span,
               "indented line is ignored: 3proxy treats a line starting with whitespace as a "
               "comment, so this '" +
                   std::string(word) + "' does nothing",
               {},
               {{{id, ln, 1 + col_base, static_cast<std::uint32_t>(start)},
                 "",
                 "remove the indentation"}});
    }

    Token make_token(FileId id, std::uint32_t ln, std::uint32_t col, const LexToken& t,
                     bool from_file) {
        Token tok;
        tok.set_text(t.text);
        tok.set_span({id, ln, col, static_cast<std::uint32_t>(t.raw.size())});
        tok.quoted = t.quoted;
        tok.from_file = from_file;
        tok.has_dollar = t.dollar != std::string_view::npos;
        return tok;
    }

    // Returns false when the file must stop being read (`end`).
    bool parse_line(FileId id, std::uint32_t ln, std::string_view line, std::uint32_t col_base,
                    bool last_line_without_newline, int depth) {
        if (!lex_line(id, ln, line, col_base) || lexed_.empty()) return true;
        strip_inline_suppression(id, ln, line, col_base);
        check_word_count(id, ln, col_base);
        attach_pending_suppressions(id, ln);

        Directive d;
        d.span = line_span(id, ln, line, col_base);
        if (!collect_tokens(id, ln, col_base, last_line_without_newline, depth)) {
            if (truncated_) return true;  // the unreadable $file said so
            report(Rule::PX011, d.span,
                   "nothing is left of this line after $file expansion; 3proxy reports a parse "
                   "error");
            return true;
        }
        if (line_tokens_.size() > Directive::max_words) {
            report(Rule::PX022, d.span,
                   "line has " + std::to_string(line_tokens_.size()) +
                       " words after $file expansion; 3proxy reads at most 4095, and only the "
                       "first " +
                       std::to_string(Directive::max_words) + " are checked");
            line_tokens_.resize(Directive::max_words);
        }
        if (bare_words()) {
            d.set_line(line.data(), line_tokens_.size());
        } else {
            d.set_tokens(store_tokens());
        }
        d.index = static_cast<std::uint32_t>(cfg_.directives.size());
        LexedDirective lexed(d, line_tokens_);
        check_directive(lexed);
        d.id = lexed.id;
        d.well_formed = lexed.well_formed;
        if (d.id == DirectiveId::plugin) cfg_.plugin_seen = true;
        if (has_hash_word()) cfg_.hash_word_directives.push_back(d.index);
        bool stop = d.well_formed && d.id == DirectiveId::end;
        if (stop) note_end(id, ln, lexed.tokens[0]);
        cfg_.directives.push_back(d);
        if (d.well_formed && d.id == DirectiveId::include) {
            const Token& arg = lexed.tokens[1];
            include_file(std::string(arg.text()), arg.span(), depth);
        }
        return !stop;
    }

    // Whether a word after the current line's first, as written and left after a trailing
    // suppression was stripped, starts with '#'. A line the read-ahead calls plain has none.
    bool has_hash_word() const {
        return std::any_of(lexed_.begin() + (lexed_.empty() ? 0 : 1), lexed_.end(),
                           [](const LexToken& t) { return t.raw.starts_with('#'); });
    }

    // Whether the current line's tokens are its bare words, which a LexedDirective splits
    // again from the text: then the directive keeps none (most lines of a large file).
    bool bare_words() const {
        if (stripped_suppression_ || lexed_.size() != line_tokens_.size()) return false;
        for (const auto& t : line_tokens_)
            if (t.quoted || t.from_file || t.has_dollar) return false;
        return true;
    }

    // Lexes `line` into lexed_; false, with the error reported, for a quote left open.
    bool lex_line(FileId id, std::uint32_t ln, std::string_view line, std::uint32_t col_base) {
        lexed_.clear();
        LexError err;
        if (lex(line, LexMode::line, cfg_.arena, lexed_, err)) return true;
        std::uint32_t col = err.offset + 1 + col_base;
        report(Rule::PX003, {id, ln, col, static_cast<std::uint32_t>(line.size() - err.offset)},
               "quote opened here is not closed before the end of the line; 3proxy "
               "rejects the line (Parse error)",
               {},
               {{{id, ln, static_cast<std::uint32_t>(line.size() + 1 + col_base), 0},
                 "\"",
                 "close the quote"}});
        return false;
    }

    // A trailing "# proxyctl: disable=..." comment: drop it from the words and remember it.
    void strip_inline_suppression(FileId id, std::uint32_t ln, std::string_view line,
                                  std::uint32_t col_base) {
        stripped_suppression_ = false;
        for (std::size_t i = 1; i < lexed_.size(); ++i) {
            const auto& t = lexed_[i];
            if (t.quoted || t.raw.empty() || t.raw.front() != '#') continue;
            std::string_view rest = line.substr(t.offset);
            auto p = rest.find("proxyctl:");
            if (p == std::string_view::npos || trim(rest.substr(1, p - 1)).size() != 0) return;
            std::string_view spec = trim(rest.substr(p + 9));
            if (!starts_with(spec, "disable=")) return;
            Suppression s;
            s.file = id;
            s.line = ln;
            s.comment_line = ln;
            s.codes = suppressed_codes(id, ln, column_of(line, spec.substr(8), col_base),
                                       spec.substr(8), &s.code_spans);
            s.block_end.assign(s.codes.size(), 0);
            // From the end of the last word, the spaces before the comment included, to the
            // end of the line (a CRLF's CR stays).
            const auto& last = lexed_[i - 1];
            std::size_t from = last.offset + last.raw.size();
            std::size_t to = line.size();
            while (to > from && line[to - 1] == '\r') --to;
            s.comment = {id, ln, static_cast<std::uint32_t>(from + 1 + col_base),
                         static_cast<std::uint32_t>(to - from)};
            cfg_.suppressions.push_back(std::move(s));
            cfg_.inline_suppressions.push_back(
                {id, ln, t.offset + 1 + col_base, static_cast<std::uint32_t>(rest.size())});
            lexed_.resize(i);
            stripped_suppression_ = true;
            return;
        }
    }

    // 3proxy's NPARAMS: the words past it are dropped without a message.
    void check_word_count(FileId id, std::uint32_t ln, std::uint32_t col_base) {
        if (lexed_.size() <= kMaxTokensPerLine) return;
        report(Rule::PX022, {id, ln, lexed_[kMaxTokensPerLine].offset + 1 + col_base, 1},
               "line has " + std::to_string(lexed_.size()) +
                   " words; 3proxy reads at most 4095 and silently drops the rest");
    }

    // `# proxyctl: disable=` comments above apply to this line, the next command line.
    void attach_pending_suppressions(FileId id, std::uint32_t ln) {
        for (std::size_t index : pending_suppression_) {
            auto& s = cfg_.suppressions[index];
            if (s.file == id) s.line = ln;
        }
        pending_suppression_.clear();
    }

    // The directive's span: the whole line, ending before a CRLF's CR.
    static SourceSpan line_span(FileId id, std::uint32_t ln, std::string_view line,
                                std::uint32_t col_base) {
        std::string_view shown = line;
        while (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
        return {id, ln, 1 + col_base, static_cast<std::uint32_t>(shown.size())};
    }

    // The lexed words as tokens in line_tokens_, `$file` words replaced by the file's
    // tokens; false when nothing is left.
    bool collect_tokens(FileId id, std::uint32_t ln, std::uint32_t col_base,
                        bool last_line_without_newline, int depth) {
        line_tokens_.clear();
        truncated_ = false;
        for (const auto& t : lexed_) {
            std::uint32_t col = t.offset + 1 + col_base;
            if (t.quirk) {
                report(Rule::PX017, {id, ln, col, static_cast<std::uint32_t>(t.raw.size())},
                       "token starts with \"\": 3proxy tokenizes this differently (an empty "
                       "quoted string glues the next whitespace onto the token)");
            }
            if (t.dollar != std::string_view::npos) {
                if (!expand_dollar(id, ln, col, t, last_line_without_newline, depth)) {
                    truncated_ = true;
                    break;
                }
                continue;
            }
            line_tokens_.push_back(make_token(id, ln, col, t, false));
        }
        return !line_tokens_.empty();
    }

    // Looks the command up and checks its argument count; a line 3proxy refuses is
    // reported and marked not well formed.
    void check_directive(LexedDirective& d) {
        const Token& cmd = d.tokens[0];
        std::size_t argc = d.tokens.size() - 1;
        const DirectiveInfo* info = find_directive(cmd.text());
        if (info) d.id = info->id;
        if (!info && cmd.has_dollar && !options_.follow_includes) {
            d.well_formed = false;  // an unexpanded `$file` line: its command is unknown
        } else if (!info) {
            d.well_formed = false;
            unknown_directive(cmd);
        } else if (argc < info->min_args || argc > info->max_args) {
            d.well_formed = false;
            wrong_arity(*info, cmd, argc, d);
        }
    }

    // `end` stops reading the file: say so when lines follow it.
    void note_end(FileId id, std::uint32_t ln, const Token& cmd) {
        if (ln >= cfg_.file(id).line_count()) return;
        report(Rule::PX024, cmd.span(),
               "'end' stops reading " + cfg_.file(id).path + ": the " +
                   std::to_string(cfg_.file(id).line_count() - ln) +
                   " line(s) below it are ignored");
    }

    void unknown_directive(const Token& cmd) {
        if (cfg_.plugin_seen) {
            report(Rule::PX020, cmd.span(),
                   "unknown directive '" + printable(cmd.text()) +
                       "' (it may be defined by a plugin loaded above)");
            return;
        }
        std::string msg = "unknown directive '" + printable(cmd.text()) + "'";
        std::vector<FixIt> fixits;
        if (auto best = closest_directive(cmd.text())) {
            msg += "; did you mean '" + std::string(*best) + "'?";
            // Unsafe (both): a line 3proxy refuses becomes a directive, and the nearest
            // word is a guess.
            fixits.push_back({cmd.span(), std::string(*best),
                              "replace with '" + std::string(*best) + "'", true});
        } else if (cmd.text().find(':') != std::string_view::npos) {
            msg += "; a user specification must follow 'users'";
            fixits.push_back({{cmd.span().file, cmd.span().line, cmd.span().column, 0},
                              "users ",
                              "insert 'users'",
                              true});
        } else {
            msg += " (3proxy: Unknown command)";
        }
        report(Rule::PX001, cmd.span(), std::move(msg), {}, std::move(fixits));
    }

    static std::optional<std::string_view> closest_directive(std::string_view word) {
        std::optional<std::string_view> best;
        std::size_t best_distance = 3;
        std::string lower = to_lower(word);
        for (const auto& d : all_directives()) {
            if (lower == d.name) return d.name;  // wrong case
            std::size_t dist = edit_distance(word, d.name, best_distance);
            if (dist < best_distance && dist * 3 <= std::max<std::size_t>(d.name.size(), 3)) {
                best_distance = dist;
                best = d.name;
            }
        }
        return best;
    }

    // True when every token was written on the directive's own line (no $file expansion),
    // so a fix-it can rewrite the text.
    static bool written_on_one_line(const LexedDirective& d) {
        for (const auto& t : d.tokens)
            if (t.from_file || t.span().file != d.span.file || t.span().line != d.span.line)
                return false;
        return true;
    }

    // force/noforce with words after it: 3proxy rejects the line. With a service word
    // first the author meant two lines, and the fix-it splits them; otherwise it drops the
    // words.
    void toggle_with_arguments(const LexedDirective& d) {
        std::string name(d.name());
        const Token& first = d.args()[0];
        const DirectiveInfo* next = first.quoted ? nullptr : find_directive(first.text());
        bool service = next && next->scope == Scope::service;
        std::string msg = "'" + name +
                          "' takes no arguments: 3proxy reports Unknown command for this " +
                          "line, so no service is started";
        if (service)
            msg += "; put '" + std::string(first.text()) + "' on its own line below '" + name + "'";
        std::vector<FixIt> fixits;
        // Unsafe (both): the refused line becomes a force flag, and a service starts.
        if (written_on_one_line(d)) {
            const Token& cmd = d.tokens[0];
            std::string_view text = cfg_.file(d.span.file).line_text(d.span.line);
            auto line_end = static_cast<std::uint32_t>(text.size() + 1);
            if (service) {
                std::string rest(text.substr(first.span().column - 1));
                fixits.push_back(
                    {{d.span.file, d.span.line, cmd.span().column, line_end - cmd.span().column},
                     name + "\n" + rest,
                     "put '" + name + "' on its own line above the service",
                     true});
            } else {
                std::uint32_t from = cmd.span().column + cmd.span().length;
                fixits.push_back({{d.span.file, d.span.line, from, line_end - from},
                                  "",
                                  "remove the arguments",
                                  true});
            }
        }
        report(Rule::PX103, d.span, std::move(msg), {}, std::move(fixits));
    }

    void wrong_arity(const DirectiveInfo& info, const Token& cmd, std::size_t argc,
                     const LexedDirective& d) {
        std::string expected;
        if (info.min_args == info.max_args) {
            expected = info.min_args == 0 ? "no arguments"
                                          : std::to_string(info.min_args) +
                                                (info.min_args == 1 ? " argument" : " arguments");
        } else if (info.max_args == unlimited_args) {
            expected = "at least " + std::to_string(info.min_args) + " argument" +
                       (info.min_args == 1 ? "" : "s");
        } else {
            expected = std::to_string(info.min_args) + " to " + std::to_string(info.max_args) +
                       " arguments";
        }
        if (info.id == DirectiveId::force || info.id == DirectiveId::noforce)
            return toggle_with_arguments(d);
        std::string msg = "'" + std::string(info.name) + "' takes " + expected + ", got " +
                          std::to_string(argc) +
                          " (3proxy: Unknown command); usage: " + std::string(info.synopsis);
        if ((info.id == DirectiveId::logformat || info.id == DirectiveId::system) && argc > 1) {
            msg += "; quote the whole value";
        }
        SourceSpan span = d.span;
        report(Rule::PX002, span, std::move(msg));
        (void)cmd;
    }

    void include_file(const std::string& path, SourceSpan site, int depth) {
        if (!options_.follow_includes) return;
        std::string resolved = resolve_path(path);
        std::string canon = canonical_path(resolved);
        if (std::find(stack_.begin(), stack_.end(), canon) != stack_.end()) {
            report(Rule::PX010, site, "include cycle: '" + path + "' is already being read",
                   chain_notes(site));
            return;
        }
        if (depth >= kMaxIncludeDepth) {
            report(Rule::PX010, site, "includes nested more than 32 deep", chain_notes(site));
            return;
        }
        ReadError error;
        auto id = read_source(resolved, error, site);
        if (!id) {
            std::vector<Note> notes = chain_notes(site);
            notes.erase(notes.begin());
            report(Rule::PX010, site,
                   "cannot read included file '" + printable(resolved) +
                       "': " + read_failure("include", resolved, error),
                   std::move(notes));
            return;
        }
        cfg_.files.push_back({*id, site, false});
        stack_.push_back(canon);
        parse_file(*id, depth + 1);
        stack_.pop_back();
    }

    // `$file` inside a token: the file's tokens replace it, the text before '$' is glued
    // onto the first of them (docs/language.md, "Lexical level"). False when the file cannot
    // be read: 3proxy then drops the word and every later word of the line. Kept out of
    // line: `$file` words are rare, and inlined into parse_line this pushes the per-line
    // steps out of line.
    [[gnu::noinline]] bool expand_dollar(FileId id, std::uint32_t ln, std::uint32_t col,
                                         const LexToken& t, bool last_line_without_newline,
                                         int depth) {
        (void)depth;
        SourceSpan site{id, ln, col, static_cast<std::uint32_t>(t.raw.size())};
        std::string_view prefix = t.text.substr(0, t.dollar);
        std::string name(t.text.substr(t.dollar + 1));
        if (last_line_without_newline) {
            report(Rule::PX019, site,
                   "$file on the last line of a file without a final newline: 3proxy does not "
                   "expand it and passes '" +
                       name + "' as the argument",
                   {},
                   {{{id, ln, col + static_cast<std::uint32_t>(t.raw.size()), 0},
                     "\n",
                     "end the file with a newline"}});
        }
        if (name.empty()) {
            report(Rule::PX011, site,
                   "'$' with no file name: 3proxy drops this argument; quote a "
                   "literal '$'");
            return true;
        }
        std::string resolved = resolve_path(name);
        FileId fid;
        if (auto it = dollar_files_.find(resolved); it != dollar_files_.end()) {
            fid = it->second;
        } else {
            if (!options_.follow_includes) {
                line_tokens_.push_back(make_token(id, ln, col, t, false));
                return true;
            }
            auto failed = dollar_failures_.find(resolved);
            std::optional<FileId> read;
            if (failed == dollar_failures_.end()) {
                ReadError error;
                read = read_source(resolved, error, site);
                if (!read)
                    failed =
                        dollar_failures_.emplace(resolved, read_failure("$file", resolved, error))
                            .first;
            }
            if (!read) {
                unreadable_dollar_file(site, resolved, failed->second, prefix);
                return false;
            }
            fid = *read;
            dollar_files_.emplace(resolved, fid);
            cfg_.files.push_back({fid, site, true});
        }
        const SourceFile& f = cfg_.file(fid);
        if (f.text.size() > kMaxDollarFileBytes) {
            report(Rule::PX015, site,
                   "$file '" + name + "' is " + std::to_string(f.text.size()) +
                       " bytes; 3proxy reads only the first 65534 and silently drops the rest");
        }
        std::vector<LexToken> inner;
        LexError err;
        if (!lex(f.text, LexMode::included_file, cfg_.arena, inner, err)) {
            std::uint32_t l = 1, c = 1;
            locate(f.text, err.offset, l, c);
            report(Rule::PX003, {fid, l, c, 1},
                   "quote opened here is not closed in $file '" + name + "'", chain_notes(site));
            return true;
        }
        if (inner.empty()) {
            report(Rule::PX011, site,
                   "$file '" + name +
                       "' is empty; 3proxy silently drops this "
                       "argument");
            return true;
        }
        Locator where{f.text};
        for (std::size_t i = 0; i < inner.size(); ++i) {
            std::uint32_t l = 1, c = 1;
            where.at(inner[i].offset, l, c);
            Token tok = make_token(fid, l, c, inner[i], true);
            if (i == 0 && !prefix.empty()) {
                cfg_.arena.push_back(std::string(prefix) + std::string(inner[i].text));
                tok.set_text(cfg_.arena.back());
            }
            line_tokens_.push_back(tok);
        }
        return true;
    }

    // Why an include or a $file cannot be read. Both read exactly one file: a directory or
    // a wildcard pattern gets what to write instead.
    static std::string read_failure(std::string_view what, const std::string& path,
                                    const ReadError& error) {
        std::error_code ec;
        std::string one_each = "write one " + std::string(what) + " per file";
        if (std::filesystem::is_directory(path, ec))
            return "it is a directory, and " + std::string(what) +
                   " reads one file, never a directory's entries (" + one_each + ")";
        if (path.find_first_of("*?[") != std::string::npos)
            return error.message + "; " + std::string(what) +
                   " reads one file and does not expand '*', '?' or '[' (" + one_each + ")";
        return error.message;
    }

    // 3proxy drops the `$file` word and the rest of the line (0.9.4): the line means what
    // its words before the `$file` say, so that is what the later steps see.
    void unreadable_dollar_file(SourceSpan site, const std::string& path, const std::string& why,
                                std::string_view prefix) {
        constexpr std::size_t kWordsShown = 6;
        std::string kept;
        for (std::size_t i = 0; i < line_tokens_.size() && i < kWordsShown; ++i)
            kept += (i == 0 ? "" : " ") + printable(line_tokens_[i].text());
        if (line_tokens_.size() > kWordsShown) kept += " ...";
        std::string msg = "cannot read $file '" + printable(path) + "': " + why +
                          "; 3proxy drops this word and the rest of the line";
        msg += kept.empty() ? ", and nothing is left of the line"
                            : ", which then reads '" + kept + "'";
        if (!prefix.empty()) msg += " (if '$' is literal, quote the token)";
        report(Rule::PX011, site, std::move(msg));
    }

    // Moves the current line's tokens into a chunk with room for all of them. Chunks
    // double from a small first one up to kChunk: a short configuration does not pay for
    // a 1.5 MiB block it never fills.
    std::span<const Token> store_tokens() {
        constexpr std::size_t kFirstChunk = 1 << 8;
        constexpr std::size_t kChunk = 1 << 16;
        auto& chunks = cfg_.token_chunks;
        if (chunks.empty() ||
            chunks.back().capacity() - chunks.back().size() < line_tokens_.size()) {
            std::size_t size =
                chunks.empty() ? kFirstChunk : std::min(kChunk, chunks.back().capacity() * 2);
            chunks.emplace_back();
            chunks.back().reserve(std::max(size, line_tokens_.size()));
        }
        auto& chunk = chunks.back();
        std::size_t first = chunk.size();
        chunk.insert(chunk.end(), line_tokens_.begin(), line_tokens_.end());
        return {chunk.data() + first, line_tokens_.size()};
    }
};

ParseResult parse_loaded(std::shared_ptr<SourceManager> sources, FileId main,
                         const ParseOptions& options) {
    ParseResult result;
    result.config.sources = std::move(sources);
    Parser parser(result.config, options);
    parser.run(main);
    return result;
}

}  // namespace

namespace {

// A configuration that could not be read: one PX000 at its (empty) first line.
ParseResult unreadable(std::shared_ptr<SourceManager> sources, const std::string& path,
                       const std::string& why) {
    ParseResult result;
    result.readable = false;
    FileId fid = sources->add(path, "");
    result.config.sources = std::move(sources);
    result.config.main_file = fid;
    result.config.files.push_back({fid, {}, false});
    result.config.diagnostics.push_back(make_diagnostic(
        Rule::PX000, {fid, 0, 0, 0}, "cannot read '" + printable(path) + "': " + why));
    return result;
}

}  // namespace

ParseResult parse_file(const std::string& path, const ParseOptions& options) {
    auto sources = std::make_shared<SourceManager>(options.map_bytes);
    ReadError error;
    auto id = sources->read(path, error);
    if (!id) return unreadable(std::move(sources), path, error.message);
    return parse_loaded(std::move(sources), *id, options);
}

ParseResult parse_text(std::string name, std::string text, const ParseOptions& options) {
    auto sources = std::make_shared<SourceManager>(options.map_bytes);
    // The refusal a file of this size gets, and for the same reason.
    if (text.size() > SourceManager::max_file_size)
        return unreadable(std::move(sources), name, SourceManager::too_large);
    FileId id = sources->add(std::move(name), std::move(text));
    return parse_loaded(std::move(sources), id, options);
}

}  // namespace proxycfg
