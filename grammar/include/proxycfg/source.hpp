// Source files, positions and spans. Every diagnostic and every model element points
// back at the text that produced it through a SourceSpan.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/util.hpp"

namespace proxycfg {

using FileId = std::uint32_t;

// A 1-based line and column range within one file. length is in bytes; 0 means a point.
struct SourceSpan {
    FileId file = 0;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::uint32_t length = 0;

    bool valid() const { return line != 0; }
    friend bool operator==(const SourceSpan&, const SourceSpan&) = default;
};

// Unmaps a read-only mapping of `size` bytes.
struct Unmapper {
    std::size_t size = 0;
    void operator()(const char* p) const;
};

// A file's bytes, which neither move nor change while they live: the string the file was
// read into, or the file's own pages in the page cache, mapped read-only while a read
// lease holds writers off (SourceManager::read).
class SourceText {
  public:
    SourceText() = default;
    SourceText(std::string text) : owned_(std::move(text)) {}  // NOLINT: converts like a string

    const char* data() const { return mapped_ ? mapped_.get() : owned_.data(); }
    std::size_t size() const { return mapped_ ? mapped_.get_deleter().size : owned_.size(); }
    bool empty() const { return size() == 0; }
    char operator[](std::size_t i) const { return data()[i]; }
    char back() const { return data()[size() - 1]; }
    std::string_view view() const { return {data(), size()}; }
    operator std::string_view() const { return view(); }  // NOLINT: reads like a string
    friend bool operator==(const SourceText& a, std::string_view b) { return a.view() == b; }

    // Whether the bytes are the file's mapped pages: while these live, the file can be
    // neither opened for writing nor truncated (the writer waits, see SourceManager).
    bool mapped() const { return mapped_ != nullptr; }
    // Lets go of the mapped pages wholly inside [begin, end): the bytes stay the same and
    // come back from the page cache when next read, so a large load's peak memory need
    // not hold every page of a file it has been through. Nothing for a text in memory.
    void evict(std::size_t begin, std::size_t end) const;

  private:
    friend class SourceManager;
    std::string owned_;
    std::unique_ptr<const char, Unmapper> mapped_;
    UniqueFd lease_;  // the descriptor that holds the read lease; closing it ends the lease
};

struct SourceFile {
    std::string path;                         // as given or as resolved from an include
    SourceText text;                          // raw bytes, never modified
    std::vector<std::uint32_t> line_offsets;  // byte offset of each line start
    std::optional<SourceSpan> included_from;  // the include/$file site, if any
    std::int64_t mtime_ns = 0;                // modification time when read
    bool ascii = false;  // every byte was found below 0x80 as the text was indexed

    std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_offsets.size()); }
    // The text of a 1-based line without its line terminator.
    std::string_view line_text(std::uint32_t line) const;
};

struct ReadError {
    std::string path;
    std::string message;  // e.g. "No such file or directory"
};

class LineIndexer;  // source.cpp: line starts, found as a text is read

// Owns every file read for one configuration load. FileIds index into it and stay valid
// (and the texts stay at the same address) for the manager's lifetime.
class SourceManager {
  public:
    // `map_bytes`: a regular file of at least this many bytes is mapped instead of read,
    // if it can take a read lease. Copying a large file into fresh memory costs more than
    // its parse (every new page is zeroed first), while its pages are already in the page
    // cache. The lease makes a writer's open(2) or truncate(2) wait until the text is
    // destroyed (or /proc/sys/fs/lease-break-time runs out), so the bytes cannot change
    // under the parse. A file open for writing elsewhere, another user's file without
    // CAP_LEASE, or a file system without leases is read as usual. The default never maps.
    explicit SourceManager(std::size_t map_bytes = SIZE_MAX) : map_bytes_(map_bytes) {}

    // Reads a regular file. Directories, unreadable and oversized files give a ReadError.
    std::optional<FileId> read(const std::string& path, ReadError& error,
                               std::optional<SourceSpan> included_from = std::nullopt);
    // Registers in-memory text (standard input, tests). Throws std::length_error for a
    // text larger than max_file_size, which read() refuses in a file too (parse_text
    // reports such a text as unreadable instead).
    FileId add(std::string path, std::string text,
               std::optional<SourceSpan> included_from = std::nullopt);

    const SourceFile& file(FileId id) const { return *files_.at(id); }
    std::size_t size() const { return files_.size(); }

    // "a.cfg:3 <- main.cfg:10" style chain of include sites leading to a file.
    std::vector<SourceSpan> include_chain(FileId id) const;

    static constexpr std::size_t max_file_size = 512u * 1024u * 1024u;
    // Why a text over max_file_size is refused, as its messages say it.
    static constexpr const char* too_large = "is larger than 512 MiB";

  private:
    std::vector<std::unique_ptr<SourceFile>> files_;
    std::size_t map_bytes_;

    // Adds a text whose pieces have all been through `lines` (its line starts, and
    // whether it is ASCII).
    FileId add_indexed(std::string path, SourceText text, LineIndexer&& lines,
                       std::optional<SourceSpan> included_from);
};

// Standard input to its end, but no further than just past max_file_size: an endless or
// oversized stream is cut there, and the text's size then says it was too large (which
// parse_text reports), rather than filling memory first. Throws std::runtime_error when
// the input cannot be read.
std::string read_standard_input();

}  // namespace proxycfg
