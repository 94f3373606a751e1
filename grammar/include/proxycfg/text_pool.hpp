// Append-only storage for many small texts that live as long as the model they belong to
// (the users' names and secrets, the ACL entries' lists): one allocation per large block
// rather than one per text.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace proxycfg {

// Blocks never move, so views into them stay valid while the pool grows and when it is
// moved. A copy shares the blocks written so far (nothing written is ever written again)
// and allocates from blocks of its own: copies stay valid and can grow independently,
// even on different threads.
class TextPool {
  public:
    TextPool() = default;
    TextPool(const TextPool& other) : blocks_(other.blocks_), block_size_(other.block_size_) {}
    // A moved-from pool starts over: its free space now belongs to the pool it moved to.
    TextPool(TextPool&& other) noexcept
        : blocks_(std::move(other.blocks_)),
          free_(std::exchange(other.free_, nullptr)),
          left_(std::exchange(other.left_, 0)),
          block_size_(std::exchange(other.block_size_, 0)) {}
    TextPool& operator=(const TextPool& other) {
        if (this != &other) *this = TextPool(other);
        return *this;
    }
    TextPool& operator=(TextPool&& other) noexcept {
        if (this != &other) {
            blocks_ = std::move(other.blocks_);
            free_ = std::exchange(other.free_, nullptr);
            left_ = std::exchange(other.left_, 0);
            block_size_ = std::exchange(other.block_size_, 0);
        }
        return *this;
    }
    ~TextPool() = default;

    // `n` uninitialized bytes (no alignment) that keep their address for as long as this
    // pool or a copy of it lives.
    char* allocate(std::size_t n);

  private:
    // Blocks double from the first size to the largest; a text above a quarter of the
    // largest gets a block of its own, so the current block keeps its free space.
    static constexpr std::size_t kFirstBlock = 4096;
    static constexpr std::size_t kLargestBlock = std::size_t{256} << 10;

    std::vector<std::shared_ptr<char[]>> blocks_;
    char* free_ = nullptr;  // unused tail of this pool's current block (never a shared one)
    std::size_t left_ = 0;
    std::size_t block_size_ = 0;  // size of the last regular block
};

}  // namespace proxycfg
