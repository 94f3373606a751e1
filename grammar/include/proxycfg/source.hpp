// Source files, positions and spans. Every diagnostic and every model element points
// back at the text that produced it through a SourceSpan.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

struct SourceFile {
    std::string path;                         // as given or as resolved from an include
    std::string text;                         // raw bytes, never modified
    std::vector<std::uint32_t> line_offsets;  // byte offset of each line start
    std::optional<SourceSpan> included_from;  // the include/$file site, if any
    std::int64_t mtime_ns = 0;                // modification time when read
    bool ascii = false;  // every byte was found below 0x80 while the file was read

    std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_offsets.size()); }
    // The text of a 1-based line without its line terminator.
    std::string_view line_text(std::uint32_t line) const;
};

struct ReadError {
    std::string path;
    std::string message;  // e.g. "No such file or directory"
};

// Owns every file read for one configuration load. FileIds index into it and stay valid
// (and the texts stay at the same address) for the manager's lifetime.
class SourceManager {
  public:
    // Reads a regular file. Directories, unreadable and oversized files give a ReadError.
    std::optional<FileId> read(const std::string& path, ReadError& error,
                               std::optional<SourceSpan> included_from = std::nullopt);
    // Registers in-memory text (standard input, tests).
    FileId add(std::string path, std::string text,
               std::optional<SourceSpan> included_from = std::nullopt);

    const SourceFile& file(FileId id) const { return *files_.at(id); }
    std::size_t size() const { return files_.size(); }

    // "a.cfg:3 <- main.cfg:10" style chain of include sites leading to a file.
    std::vector<SourceSpan> include_chain(FileId id) const;

    static constexpr std::size_t max_file_size = 512u * 1024u * 1024u;

  private:
    std::vector<std::unique_ptr<SourceFile>> files_;

    // add() with the text's line starts already found.
    FileId add_indexed(std::string path, std::string text, std::vector<std::uint32_t> line_offsets,
                       std::optional<SourceSpan> included_from);
};

}  // namespace proxycfg
