// Memory set-up for loading very large configurations.
#pragma once

#include <cstddef>

namespace proxycfg {

// Before a load of `file_size` bytes: a large file becomes millions of small blocks, and
// faulting them in 4 KiB pages is a large share of the load time. For large files this
// grows the heap once, backed by transparent huge pages (what glibc.malloc.hugetlb=1
// does), so the load touches few pages. Does nothing for ordinary files.
void prepare_heap_for_load(std::size_t file_size);

// Asks for transparent huge pages for the whole 2 MiB pages inside a large block (the
// file text, the directive table). A hint only; small blocks are left alone.
void advise_huge_pages(const void* data, std::size_t size);

}  // namespace proxycfg
