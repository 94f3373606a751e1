#include "proxycfg/text_pool.hpp"

#include <algorithm>

namespace proxycfg {

char* TextPool::allocate(std::size_t n) {
    if (n <= left_) {
        char* p = free_;
        free_ += n;
        left_ -= n;
        return p;
    }
    if (n > kLargestBlock / 4) {
        blocks_.push_back(std::make_shared_for_overwrite<char[]>(n));
        return blocks_.back().get();
    }
    std::size_t size = std::max(n, std::clamp(block_size_ * 2, kFirstBlock, kLargestBlock));
    blocks_.push_back(std::make_shared_for_overwrite<char[]>(size));
    block_size_ = size;
    free_ = blocks_.back().get() + n;
    left_ = size - n;
    return blocks_.back().get();
}

}  // namespace proxycfg
