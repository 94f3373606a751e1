// Name -> effective definition of a user, for lists of up to millions of users.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace proxycfg {

struct User;

// Open addressing over indices into the definitions vector the table was filled from
// (Model::user_definitions): 8 bytes a slot and usually one probe per lookup, where a
// node-based map costs an allocation and several dependent loads per user. Names live in
// the definitions, so every call that compares names takes them.
class UserTable {
  public:
    static constexpr std::uint32_t npos = UINT32_MAX;

    void reserve(std::size_t names);
    // Makes defs[index] the effective definition of its name (the last one wins, as in
    // 3proxy). Returns the index of the definition it replaces, or npos.
    std::uint32_t assign(const std::vector<User>& defs, std::uint32_t index);
    // assign() for defs[first, last) in order, recording each replacement in the later
    // definition (User::previous). A batch's slots are fetched before they are probed, so
    // a long list waits on overlapping cache misses (as find_many).
    void assign_range(std::vector<User>& defs, std::uint32_t first, std::uint32_t last);
    // Index of the effective definition of `name`, or npos.
    std::uint32_t find(const std::vector<User>& defs, std::string_view name) const;
    // find() for each of `names` into `out` (same size). A lookup in a table of many users
    // waits on three cache misses (slot, definition, name); the names go through them as
    // a pipeline, so the misses of many names overlap.
    void find_many(const std::vector<User>& defs, std::span<const std::string_view> names,
                   std::span<std::uint32_t> out) const;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

  private:
    struct Slot {
        std::uint32_t tag = 0;    // high half of the name's hash
        std::uint32_t index = 0;  // definition index + 1; 0 = empty
    };
    std::vector<Slot> slots_;  // size is a power of two, at most 3/4 full
    std::size_t size_ = 0;

    void grow(const std::vector<User>& defs, std::size_t capacity);
    // Grows the table if `more` names would fill it past 3/4.
    void make_room(const std::vector<User>& defs, std::size_t more);
    // Makes defs[index] (whose name hashes to `hash`) the effective definition of its
    // name; returns the index it replaces, or npos.
    std::uint32_t place(const std::vector<User>& defs, std::uint32_t index, std::uint64_t hash);
    std::size_t probe(const std::vector<User>& defs, std::string_view name,
                      std::uint64_t hash) const;
};

}  // namespace proxycfg
