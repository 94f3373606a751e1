#include "proxycfg/user_table.hpp"

#include <algorithm>
#include <array>
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
        if (s.index == 0 || (s.tag == tag && defs[s.index - 1].name() == name)) return i;
    }
}

void UserTable::grow(const std::vector<User>& defs, std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    for (const Slot& s : old) {
        if (s.index == 0) continue;
        std::uint64_t hash = hash_name(defs[s.index - 1].name());
        slots_[probe(defs, defs[s.index - 1].name(), hash)] = s;
    }
}

void UserTable::make_room(const std::vector<User>& defs, std::size_t more) {
    if ((size_ + more) * 4 > slots_.size() * 3) grow(defs, capacity_for(size_ + more) * 2);
}

std::uint32_t UserTable::place(const std::vector<User>& defs, std::uint32_t index,
                               std::uint64_t hash) {
    Slot& s = slots_[probe(defs, defs[index].name(), hash)];
    std::uint32_t replaced = s.index == 0 ? npos : s.index - 1;
    if (s.index == 0) ++size_;
    s = {tag_of(hash), index + 1};
    return replaced;
}

std::uint32_t UserTable::assign(const std::vector<User>& defs, std::uint32_t index) {
    make_room(defs, 1);
    return place(defs, index, hash_name(defs[index].name()));
}

void UserTable::assign_range(std::vector<User>& defs, std::uint32_t first, std::uint32_t last) {
    constexpr std::uint32_t kBatch = 16;
    for (std::uint32_t base = first; base < last; base += kBatch) {
        const std::uint32_t end = std::min(last, base + kBatch);
        make_room(defs, end - base);
        const std::size_t mask = slots_.size() - 1;
        std::array<std::uint64_t, kBatch> hashes{};
        for (std::uint32_t i = base; i < end; ++i) {
            hashes[i - base] = hash_name(defs[i].name());
            __builtin_prefetch(&slots_[hashes[i - base] & mask]);
        }
        for (std::uint32_t i = base; i < end; ++i) {
            std::uint32_t replaced = place(defs, i, hashes[i - base]);
            if (replaced == npos) continue;
            defs[i].previous = replaced;
        }
    }
}

std::uint32_t UserTable::find(const std::vector<User>& defs, std::string_view name) const {
    if (slots_.empty()) return npos;
    const Slot& s = slots_[probe(defs, name, hash_name(name))];
    return s.index == 0 ? npos : s.index - 1;
}

void UserTable::find_many(const std::vector<User>& defs, std::span<const std::string_view> names,
                          std::span<std::uint32_t> out) const {
    if (slots_.empty()) {
        std::fill(out.begin(), out.end(), npos);
        return;
    }
    // A lookup waits on up to three dependent cache misses: its slot, the definition the
    // slot names, and that definition's name. The names go through a pipeline of those
    // stages, kLag names apart, so each load was requested kLag names before it is used and
    // the misses of about 3 * kLag names overlap.
    constexpr std::size_t kLag = 8;
    constexpr std::size_t kRing = 4 * kLag;  // a power of two, >= 3 * kLag + 1
    const std::size_t mask = slots_.size() - 1;
    const std::size_t n = names.size();
    std::array<std::uint64_t, kRing> hashes{};
    std::array<const User*, kRing> candidates{};
    for (std::size_t i = 0; i < n + 3 * kLag; ++i) {
        if (i < n) {
            hashes[i % kRing] = hash_name(names[i]);
            __builtin_prefetch(&slots_[hashes[i % kRing] & mask]);
        }
        // The first slot decides most lookups: when its tag matches, fetch the definition.
        if (std::size_t j = i - kLag; i >= kLag && j < n) {
            const Slot& s = slots_[hashes[j % kRing] & mask];
            const bool hit = s.index != 0 && s.tag == tag_of(hashes[j % kRing]);
            candidates[j % kRing] = hit ? &defs[s.index - 1] : nullptr;
            if (hit) __builtin_prefetch(candidates[j % kRing]);
        }
        if (std::size_t j = i - 2 * kLag; i >= 2 * kLag && j < n && candidates[j % kRing])
            __builtin_prefetch(candidates[j % kRing]->name().data());
        if (std::size_t j = i - 3 * kLag; i >= 3 * kLag && j < n) {
            const Slot& s = slots_[probe(defs, names[j], hashes[j % kRing])];
            out[j] = s.index == 0 ? npos : s.index - 1;
        }
    }
}

}  // namespace proxycfg
