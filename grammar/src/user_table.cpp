#include "proxycfg/user_table.hpp"

#include <bit>
#include <functional>

#include "proxycfg/model.hpp"

namespace proxycfg {
namespace {

std::uint64_t hash_name(std::string_view name) {
    return std::hash<std::string_view>{}(name);
}

std::uint32_t tag_of(std::uint64_t hash) {
    return static_cast<std::uint32_t>(hash >> 32);
}

std::size_t capacity_for(std::size_t names) {
    return std::bit_ceil(std::max<std::size_t>(16, names + names / 3 + 1));
}

}  // namespace

void UserTable::reserve(std::size_t names) {
    if (capacity_for(names) > slots_.size() && size_ == 0)
        slots_.assign(capacity_for(names), Slot{});
}

// The slot holding `name`, or the empty slot where it would go.
std::size_t UserTable::probe(const std::vector<User>& defs, std::string_view name,
                             std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t tag = tag_of(hash);
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.index == 0 || (s.tag == tag && defs[s.index - 1].name == name)) return i;
    }
}

void UserTable::grow(const std::vector<User>& defs, std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    for (const Slot& s : old) {
        if (s.index == 0) continue;
        std::uint64_t hash = hash_name(defs[s.index - 1].name);
        slots_[probe(defs, defs[s.index - 1].name, hash)] = s;
    }
}

std::uint32_t UserTable::assign(const std::vector<User>& defs, std::uint32_t index) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow(defs, capacity_for(size_ + 1) * 2);
    std::string_view name = defs[index].name;
    std::uint64_t hash = hash_name(name);
    Slot& s = slots_[probe(defs, name, hash)];
    std::uint32_t replaced = s.index == 0 ? npos : s.index - 1;
    if (s.index == 0) ++size_;
    s = {tag_of(hash), index + 1};
    return replaced;
}

std::uint32_t UserTable::find(const std::vector<User>& defs, std::string_view name) const {
    if (slots_.empty()) return npos;
    const Slot& s = slots_[probe(defs, name, hash_name(name))];
    return s.index == 0 ? npos : s.index - 1;
}

}  // namespace proxycfg
