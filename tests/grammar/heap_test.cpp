// The heap warmer: it faults in the pages just above the heap's top, no further than its
// reach, and stops at once.
#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "heap.hpp"

namespace {

// AddressSanitizer brings its own allocator: no glibc heap to follow.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kGlibcHeap = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kGlibcHeap = false;
#else
constexpr bool kGlibcHeap = true;
#endif
#else
constexpr bool kGlibcHeap = true;
#endif

// How many of the pages in [begin, end) are resident.
std::size_t resident_pages(char* begin, char* end) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto first = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
    auto last = reinterpret_cast<std::uintptr_t>(end) & ~(page - 1);
    if (last <= first) return 0;
    std::vector<unsigned char> in((last - first) / page);
    REQUIRE(::mincore(reinterpret_cast<void*>(first), last - first, in.data()) == 0);
    std::size_t n = 0;
    for (unsigned char c : in) n += c & 1;
    return n;
}

// Kernels before 5.14 do not know MADV_POPULATE_WRITE.
bool populate_supported() {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    bool ok = ::madvise(p, page, MADV_POPULATE_WRITE) == 0;
    ::munmap(p, page);
    return ok;
}

char* heap_top() {
    return static_cast<char*>(::sbrk(0)) - ::mallinfo2().keepcost;
}

}  // namespace

TEST_CASE("the heap warmer faults in the pages above the heap's top, and no more", "[heap]") {
    if (!kGlibcHeap) {
        WARN("built with AddressSanitizer: its allocator has no glibc heap to warm");
        return;
    }
    constexpr std::size_t kMiB = std::size_t{1} << 20;
    // Grow the heap by 64 MiB it does not use yet, as a large load's preparation does.
    // A block larger than the top makes glibc grow the heap, by the pad on top of it.
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TOP_PAD, 64 << 20);
    void* volatile block = std::malloc(::mallinfo2().keepcost + kMiB);
    ::mallopt(M_TOP_PAD, 128 << 10);  // glibc's default
    char* top = heap_top();
    char* end = static_cast<char*>(::sbrk(0));
    REQUIRE(end - top >= static_cast<std::ptrdiff_t>(48 * kMiB));
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    // Nothing has touched the top beyond its first page yet.
    REQUIRE(resident_pages(top + page, top + 8 * kMiB) == 0);

    bool warmed = false;
    {
        proxycfg::HeapWarmer warmer(std::size_t{1} << 30);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!warmed && std::chrono::steady_clock::now() < deadline) {
            // The warmer keeps 2 MiB ahead of the top.
            warmed = resident_pages(top + page, top + 2 * kMiB) == 2 * kMiB / page - 1;
            if (!warmed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    if (!warmed && !populate_supported()) {
        WARN("kernel without MADV_POPULATE_WRITE: the warmer does nothing");
        std::free(block);
        return;
    }
    CHECK(warmed);
    // Its reach is a few MiB: far above the top nothing was faulted in.
    CHECK(resident_pages(top + 32 * kMiB, top + 48 * kMiB) == 0);
    std::free(block);
}

TEST_CASE("the heap warmer does nothing for an ordinary file", "[heap]") {
    char* top = heap_top();
    char* end = static_cast<char*>(::sbrk(0));
    std::size_t before = resident_pages(top, end);
    {
        proxycfg::HeapWarmer warmer(4096);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(resident_pages(top, end) == before);
}

TEST_CASE("the block warmer faults in a large block from its end", "[heap]") {
    constexpr std::size_t kSize = std::size_t{32} << 20;
    void* raw = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(raw != MAP_FAILED);
    auto* block = static_cast<char*>(raw);
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    REQUIRE(resident_pages(block, block + kSize) == 0);
    bool last_in = false;
    {
        proxycfg::BlockWarmer warmer(block, kSize);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!last_in && std::chrono::steady_clock::now() < deadline) {
            last_in = resident_pages(block + kSize - page, block + kSize) == 1;
            if (!last_in) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    if (!populate_supported()) {
        WARN("kernel without MADV_POPULATE_WRITE: the warmer does nothing");
    } else {
        CHECK(last_in);
        // Nothing it did changed the block's contents.
        CHECK(std::all_of(block, block + kSize, [](char c) { return c == 0; }));
    }
    ::munmap(raw, kSize);
}

TEST_CASE("the block warmer leaves small blocks alone", "[heap]") {
    constexpr std::size_t kSize = std::size_t{1} << 20;
    void* raw = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(raw != MAP_FAILED);
    auto* block = static_cast<char*>(raw);
    {
        proxycfg::BlockWarmer warmer(block, kSize);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(resident_pages(block, block + kSize) == 0);
    ::munmap(raw, kSize);
}
