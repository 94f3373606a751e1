#include "heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>

namespace proxycfg {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kLargeFile = std::size_t{16} << 20;
constexpr std::size_t kLargeBlock = std::size_t{8} << 20;
// A load peaks at about ten times the file size; the rest of the pad is never touched
// and costs address space only.
constexpr std::size_t kPadPerFileByte = 12;
constexpr std::size_t kProbe = std::size_t{4} << 20;
// How far ahead of the heap's top the warmer keeps pages faulted in, in what steps and
// how often it looks: a load allocates well under 1 MiB in a look's interval, and each
// look (mallinfo2) holds the allocator's lock for tens of microseconds. What is ahead
// when the load ends counts in its peak memory: 8 MiB cost that much and was no faster.
constexpr std::size_t kWarmAhead = std::size_t{2} << 20;
constexpr std::size_t kWarmStep = std::size_t{2} << 20;
constexpr auto kWarmPoll = std::chrono::milliseconds(2);

// Addresses rounded to a whole unit (a page, a huge page: a power of two).
std::uintptr_t align_down(std::uintptr_t p, std::uintptr_t unit) {
    return p & ~(unit - 1);
}
std::uintptr_t align_up(std::uintptr_t p, std::uintptr_t unit) {
    return align_down(p + unit - 1, unit);
}
std::uintptr_t page_size() {
    return static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
}

// The start of the main heap's unused top, where its next new memory comes from: the
// break minus the top chunk (mallinfo2's keepcost).
char* heap_top() {
    auto* brk = static_cast<char*>(::sbrk(0));
    if (brk == reinterpret_cast<char*>(-1)) return nullptr;
    return brk - ::mallinfo2().keepcost;
}

void warm(std::stop_token stop) {
    const auto page = page_size();
    auto page_down = [page](char* p) {
        return reinterpret_cast<char*>(align_down(reinterpret_cast<std::uintptr_t>(p), page));
    };
    std::mutex m;
    std::condition_variable_any wake;
    char* warmed = nullptr;  // the pages below this are faulted in
    while (!stop.stop_requested()) {
        char* top = heap_top();
        if (top == nullptr) return;
        warmed = std::max(warmed, page_down(top));
        char* want = page_down(std::min(static_cast<char*>(::sbrk(0)), top + kWarmAhead));
        if (warmed < want) {
            auto n = std::min(kWarmStep, static_cast<std::size_t>(want - warmed));
            // Faults the pages in without writing to them: the allocator's data stays as
            // it is. Fails only where the kernel does not know the request.
            if (::madvise(warmed, n, MADV_POPULATE_WRITE) != 0) return;
            warmed += n;
            continue;
        }
        std::unique_lock lock(m);
        wake.wait_for(lock, stop, kWarmPoll, [] { return false; });
    }
}

}  // namespace

void advise_huge_pages(const void* data, std::size_t size) {
    if (size < kLargeBlock) return;
    auto begin = reinterpret_cast<std::uintptr_t>(data);
    std::uintptr_t first = align_up(begin, kHugePage);
    std::uintptr_t last = align_down(begin + size, kHugePage);
    if (last <= first) return;
    // Without THP support the kernel refuses, and the pages stay small.
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

BlockWarmer::BlockWarmer(void* data, std::size_t size) {
    if (size < kLargeBlock) return;
    auto begin = align_up(reinterpret_cast<std::uintptr_t>(data), page_size());
    auto end = align_down(reinterpret_cast<std::uintptr_t>(data) + size, page_size());
    thread_ = std::jthread([begin, end](std::stop_token stop) {
        for (auto at = end; at > begin && !stop.stop_requested();) {
            auto from = at - std::min<std::uintptr_t>(kWarmStep, at - begin);
            if (::madvise(reinterpret_cast<void*>(from), at - from, MADV_POPULATE_WRITE) != 0)
                return;
            at = from;
        }
    });
}

HeapWarmer::HeapWarmer(std::size_t file_size) {
    if (file_size >= kLargeFile) thread_ = std::jthread(warm);
}

void prepare_heap_for_load(std::size_t file_size) {
    if (file_size < kLargeFile) return;
    static std::once_flag once;
    std::call_once(once, [file_size] {
        // Blocks up to 32 MiB (token chunks, segments) come from the prepared heap, and
        // freeing does not give it back in the middle of the load.
        ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
        ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
        // An allocation larger than the heap's free top makes glibc extend the heap, by
        // the top pad on top of the request.
        ::mallopt(M_TOP_PAD, static_cast<int>(std::min<std::size_t>(file_size * kPadPerFileByte,
                                                                    std::size_t{1} << 30)));
        auto* before = static_cast<char*>(::sbrk(0));
        void* volatile probe = std::malloc(kProbe);  // volatile: not elided
        auto* after = static_cast<char*>(::sbrk(0));
        std::free(probe);
        ::mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again
        if (before != reinterpret_cast<char*>(-1) && after > before)
            advise_huge_pages(before, static_cast<std::size_t>(after - before));
    });
}

}  // namespace proxycfg
