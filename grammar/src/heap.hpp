// Memory set-up for loading very large configurations.
#pragma once

#include <cstddef>
#include <thread>

namespace proxycfg {

// Before a load of `file_size` bytes: a large file becomes millions of small blocks, and
// faulting them in 4 KiB pages is a large share of the load time. For large files this
// grows the heap once, backed by transparent huge pages (what glibc.malloc.hugetlb=1
// does), so the load touches few pages. Does nothing for ordinary files.
void prepare_heap_for_load(std::size_t file_size);

// Asks for transparent huge pages for the whole 2 MiB pages inside a large block (the
// file text, the directive table). A hint only; small blocks are left alone.
void advise_huge_pages(const void* data, std::size_t size);

// While it lives (a large load), a second thread faults in the heap just ahead of where
// the allocations have reached: zeroing fresh pages is a large share of loading a large
// file, and this way it runs on another CPU while the first one parses and resolves. It
// follows the heap's top rather than a guess of the final size, so it never brings in
// more than a few MiB that the load would not have touched. Inactive for ordinary files
// and where the system cannot prefault (MADV_POPULATE_WRITE, Linux 5.14).
class HeapWarmer {
  public:
    explicit HeapWarmer(std::size_t file_size);
    HeapWarmer(const HeapWarmer&) = delete;
    HeapWarmer& operator=(const HeapWarmer&) = delete;
    ~HeapWarmer() = default;  // the jthread stops and joins

    // Stops early, when what is left of the load allocates little.
    void stop() { thread_ = {}; }

  private:
    std::jthread thread_;
};

// Faults in a large block that the caller is about to fill from its start (a file being
// read into it) on a second thread, from the block's end down: the two meet in the middle,
// so two CPUs share the zeroing of its fresh pages. Stops when destroyed. Does nothing for
// small blocks.
class BlockWarmer {
  public:
    BlockWarmer(void* data, std::size_t size);
    BlockWarmer(const BlockWarmer&) = delete;
    BlockWarmer& operator=(const BlockWarmer&) = delete;
    ~BlockWarmer() = default;  // the jthread stops and joins

  private:
    std::jthread thread_;
};

}  // namespace proxycfg
