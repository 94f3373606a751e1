#include "proxycfg/source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "heap.hpp"
#include "proxycfg/util.hpp"
#include "text_util.hpp"

namespace proxycfg {
namespace {

// What one read(2) asks for.
constexpr std::size_t kPiece = std::size_t{1} << 16;

}  // namespace

// Line starts of a text, and whether it is all ASCII, found in each piece as it arrives:
// a file's are found while it is read (each piece still in the cache) rather than in a
// pass over it afterwards, and a parse of an ASCII file need not check its UTF-8.
class LineIndexer {
  public:
    explicit LineIndexer(std::size_t expected_bytes) {
        // About one line in 32 bytes; a text of longer lines leaves part of it unused
        // (never touched), shorter ones make it grow.
        offsets_.reserve(expected_bytes / 32 + 1);
        offsets_.push_back(0);
    }
    void add(const char* piece, std::size_t n) {
        const char* p = piece;
        const char* end = piece + n;
        while (p < end) {
            const auto* nl =
                static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if (nl == nullptr) break;
            offsets_.push_back(
                static_cast<std::uint32_t>(seen_ + static_cast<std::size_t>(nl + 1 - piece)));
            p = nl + 1;
        }
        seen_ += n;
        ascii_ = ascii_ && ascii_only({piece, n});
    }
    bool ascii() const { return ascii_; }
    // A newline that ends the text starts no line. The unused part of the estimate is
    // given back: later allocations use it instead of fresh pages.
    std::vector<std::uint32_t> finish() && {
        if (offsets_.size() > 1 && offsets_.back() >= seen_) offsets_.pop_back();
        if (offsets_.capacity() - offsets_.size() > offsets_.size() / 4) offsets_.shrink_to_fit();
        return std::move(offsets_);
    }

  private:
    std::vector<std::uint32_t> offsets_;
    std::size_t seen_ = 0;
    bool ascii_ = true;
};

namespace {

// Maps the regular file open on `fd` under a read lease (see SourceManager), or returns
// false with nothing changed: no lease, or no mapping.
bool map_leased(UniqueFd& fd, Unmapper& unmap, const char*& data, struct stat& st) {
    if (::fcntl(fd.get(), F_SETLEASE, F_RDLCK) != 0) return false;
    auto unlock = [&] {
        ::fcntl(fd.get(), F_SETLEASE, F_UNLCK);
        return false;
    };
    // A lease break signals the descriptor's owner, SIGIO by default, which would end the
    // process. With no owner nobody is signalled: the writer just waits out the lease.
    if (::fcntl(fd.get(), F_SETOWN, 0) != 0) return unlock();
    // Writers are held off from here: the size and bytes are the ones the lease keeps.
    if (::fstat(fd.get(), &st) != 0 || st.st_size <= 0 ||
        static_cast<std::uint64_t>(st.st_size) > SourceManager::max_file_size)
        return unlock();
    auto size = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) return unlock();
    // A file not in the page cache is read ahead while the first pages are parsed.
    ::madvise(p, size, MADV_WILLNEED);
    unmap.size = size;
    data = static_cast<const char*>(p);
    return true;
}

}  // namespace

void Unmapper::operator()(const char* p) const {
    ::munmap(const_cast<char*>(p), size);
}

void SourceText::evict(std::size_t begin, std::size_t end) const {
    if (!mapped_) return;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    begin = (begin + page - 1) / page * page;  // the mapping starts on a page
    end = std::min(end, size()) / page * page;
    // Read-only and never written, so dropping the pages loses nothing.
    if (begin < end) ::madvise(const_cast<char*>(data()) + begin, end - begin, MADV_DONTNEED);
}

std::string_view SourceFile::line_text(std::uint32_t line) const {
    if (line == 0 || line > line_offsets.size()) return {};
    std::size_t begin = line_offsets[line - 1];
    std::size_t end = line < line_offsets.size() ? line_offsets[line] : text.size();
    std::string_view s(text.data() + begin, end - begin);
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
}

std::optional<FileId> SourceManager::read(const std::string& path, ReadError& error,
                                          std::optional<SourceSpan> included_from) {
    error = {path, {}};
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        error.message = std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        error.message = std::strerror(errno);
        return std::nullopt;
    }
    if (S_ISDIR(st.st_mode)) {
        error.message = "is a directory, not a configuration file";
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
        error.message = "is not a regular file";
        return std::nullopt;
    }
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_file_size) {
        error.message = too_large;
        return std::nullopt;
    }
    // Pipes and character devices (/dev/stdin) are read blocking.
    if (!S_ISREG(st.st_mode)) {
        int flags = ::fcntl(fd.get(), F_GETFL);
        ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    }
    auto add_read = [&](SourceText text, LineIndexer&& lines) {
        FileId id = add_indexed(path, std::move(text), std::move(lines), included_from);
        files_.back()->mtime_ns = mtime_ns(st);
        return id;
    };
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) >= map_bytes_) {
        Unmapper unmap;
        const char* data = nullptr;
        if (map_leased(fd, unmap, data, st)) {
            SourceText text;
            text.mapped_ = {data, unmap};
            text.lease_ = std::move(fd);
            prepare_heap_for_load(unmap.size);
            LineIndexer lines(unmap.size);
            // In pieces, as a read would bring them: each one is still in the cache for
            // the second look.
            for (std::size_t at = 0; at < unmap.size; at += kPiece)
                lines.add(data + at, std::min(kPiece, unmap.size - at));
            return add_read(std::move(text), std::move(lines));
        }
    }
    std::string text;
    std::optional<BlockWarmer> warmer;
    if (S_ISREG(st.st_mode)) {
        prepare_heap_for_load(static_cast<std::size_t>(st.st_size));
        text.reserve(static_cast<std::size_t>(st.st_size));
        advise_huge_pages(text.data(), text.capacity());
        warmer.emplace(text.data(), static_cast<std::size_t>(st.st_size));
    }
    LineIndexer lines(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0);
    char buf[kPiece];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            error.message = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        lines.add(buf, static_cast<std::size_t>(n));
        if (text.size() > max_file_size) {
            error.message = too_large;
            return std::nullopt;
        }
    }
    return add_read(std::move(text), std::move(lines));
}

std::string read_standard_input() {
    std::string text;
    char buf[64 * 1024];
    while (text.size() <= SourceManager::max_file_size) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // A non-blocking descriptor handed down by the caller: wait for more.
                pollfd p{STDIN_FILENO, POLLIN, 0};
                ::poll(&p, 1, -1);
                continue;
            }
            throw std::runtime_error(std::string("cannot read standard input: ") +
                                     std::strerror(errno));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

FileId SourceManager::add(std::string path, std::string text,
                          std::optional<SourceSpan> included_from) {
    if (text.size() > max_file_size)
        throw std::length_error(path + " " + too_large + ", the most a configuration may be");
    LineIndexer lines(text.size());
    lines.add(text.data(), text.size());
    return add_indexed(std::move(path), std::move(text), std::move(lines), included_from);
}

FileId SourceManager::add_indexed(std::string path, SourceText text, LineIndexer&& lines,
                                  std::optional<SourceSpan> included_from) {
    auto file = std::make_unique<SourceFile>();
    file->path = std::move(path);
    file->text = std::move(text);
    file->ascii = lines.ascii();
    file->line_offsets = std::move(lines).finish();
    file->included_from = included_from;
    files_.push_back(std::move(file));
    return static_cast<FileId>(files_.size() - 1);
}

std::vector<SourceSpan> SourceManager::include_chain(FileId id) const {
    std::vector<SourceSpan> chain;
    for (std::size_t guard = 0; guard < files_.size() && id < files_.size(); ++guard) {
        const auto& site = files_[id]->included_from;
        if (!site) break;
        chain.push_back(*site);
        id = site->file;
    }
    return chain;
}

}  // namespace proxycfg
