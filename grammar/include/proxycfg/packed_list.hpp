// A read-mostly list stored as variable-length records: 16 bytes in its owner, short lists
// inside those, and no allocation per element. An ACL entry has several short lists and a large
// configuration has hundreds of thousands of entries, so a vector of strings or of
// 35-byte address ranges costs several times the text it came from.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "proxycfg/net.hpp"
#include "proxycfg/text_pool.hpp"

namespace proxycfg {

template <typename Codec>
class PackedListBuilder;

// Reads the records one after the other (each record says its own length).
template <typename Codec>
class PackedIterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = typename Codec::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;

    PackedIterator() = default;
    explicit PackedIterator(const unsigned char* p) : p_(p) {}
    value_type operator*() const { return Codec::decode(p_); }
    PackedIterator& operator++() {
        p_ += Codec::length(p_);
        return *this;
    }
    PackedIterator operator++(int) {
        PackedIterator old = *this;
        ++*this;
        return old;
    }
    friend bool operator==(const PackedIterator&, const PackedIterator&) = default;

  private:
    const unsigned char* p_ = nullptr;
};

// The reading side PackedList and PackedView share, from their data(), bytes() and size().
template <typename Derived, typename Codec>
class PackedReads {
  public:
    using value_type = typename Codec::value_type;
    using size_type = std::size_t;
    using iterator = PackedIterator<Codec>;
    using const_iterator = iterator;

    iterator begin() const { return iterator(self().data()); }
    iterator end() const { return iterator(self().data() + self().bytes()); }
    bool empty() const { return self().size() == 0; }
    value_type front() const { return *begin(); }
    value_type operator[](size_type i) const {
        return *std::next(begin(), static_cast<std::ptrdiff_t>(i));
    }
    value_type at(size_type i) const {
        if (i >= self().size()) throw std::out_of_range("packed list: index out of range");
        return (*this)[i];
    }

  private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// Codec: value_type; size(v): bytes of v's record; encode(v, out); length(p): bytes of the
// record at p; decode(p): its value. Elements are read by value: iteration, operator[]
// (linear: the lists are short) and front() return value_type, not references; a value
// that views bytes (a name) views the list's storage, which moves with an inline list.
//
// Most lists are a few short records, so up to inline_bytes of records (and at most
// inline_count of them) live in the object itself and need no allocation; longer ones get
// a heap block. The 16 bytes are:
//   inline: [0, 15) records, [15] byte count << 4 | element count (each at most 15);
//   heap:   [0, 8) block pointer, [8, 12) byte count, [12, 14) element count, [14] log2 of
//           the block's capacity (0: exactly the byte count), [15] heap_tag.
// A list comes from one token (at most 65534 bytes of non-empty comma-separated items), so
// it has at most 32767 elements: a 16-bit count is enough, and a 32-bit byte count is
// enough for records longer than their text (an IPv6 range is 33 bytes for "::").
template <typename Codec>
class PackedList : public PackedReads<PackedList<Codec>, Codec> {
  public:
    using value_type = typename Codec::value_type;
    using size_type = std::size_t;
    static constexpr std::size_t inline_bytes = 15;
    static constexpr std::size_t inline_count = 14;  // so that an inline tag is never heap_tag
    static constexpr std::size_t max_count = 0xFFFF;

    using iterator = PackedIterator<Codec>;
    using const_iterator = iterator;

    PackedList() = default;
    PackedList(std::initializer_list<value_type> values) {
        for (const auto& v : values) push_back(v);
    }
    explicit PackedList(const PackedListBuilder<Codec>& b) { append(b); }
    PackedList(const PackedList& o) { append_records(o.data(), o.bytes(), o.size()); }
    PackedList(PackedList&& o) noexcept {
        std::memcpy(raw_, o.raw_, sizeof raw_);
        std::memset(o.raw_, 0, sizeof o.raw_);
    }
    PackedList& operator=(const PackedList& o) {
        if (this != &o) *this = PackedList(o);
        return *this;
    }
    PackedList& operator=(PackedList&& o) noexcept {
        if (this != &o) {
            release();
            std::memcpy(raw_, o.raw_, sizeof raw_);
            std::memset(o.raw_, 0, sizeof o.raw_);
        }
        return *this;
    }
    ~PackedList() { release(); }

    size_type size() const {
        return on_heap() ? load<std::uint16_t>(heap_count_at) : raw_[tag_at] & 0xF;
    }
    // The records, back to back: what equality compares.
    const unsigned char* data() const { return on_heap() ? heap_block() : raw_; }
    std::size_t bytes() const {
        return on_heap() ? load<std::uint32_t>(heap_bytes_at) : raw_[tag_at] >> 4;
    }
    // Whether the records live in the object (no heap block).
    bool is_inline() const { return !on_heap(); }

    // One element: grows a heap block by doubling, so n pushes copy O(n) bytes. Lists
    // built in one go are better written with a PackedListBuilder and append().
    void push_back(const value_type& v) {
        grow(Codec::size(v), 1, false, [&](unsigned char* out) { Codec::encode(v, out); });
    }
    // The builder's elements after this list's: at most one allocation, of exactly the
    // bytes needed.
    void append(const PackedListBuilder<Codec>& b) {
        append_records(b.data(), b.bytes(), b.size());
    }
    void clear() { *this = PackedList(); }

    // Records are canonical, so equal bytes are equal lists.
    friend bool operator==(const PackedList& a, const PackedList& b) {
        std::size_t n = a.bytes();
        return a.size() == b.size() && n == b.bytes() &&
               (n == 0 || std::memcmp(a.data(), b.data(), n) == 0);
    }

  private:
    static constexpr std::size_t heap_bytes_at = 8;
    static constexpr std::size_t heap_count_at = 12;
    static constexpr std::size_t capacity_at = 14;
    static constexpr std::size_t tag_at = 15;
    static constexpr unsigned char heap_tag = 0xFF;
    static_assert(inline_bytes <= tag_at && inline_bytes <= 15 && inline_count < 15);

    // Zero: an empty inline list.
    alignas(8) unsigned char raw_[16] = {};

    template <typename T>
    T load(std::size_t at) const {
        T v;
        std::memcpy(&v, raw_ + at, sizeof v);
        return v;
    }
    template <typename T>
    void store(std::size_t at, T v) {
        std::memcpy(raw_ + at, &v, sizeof v);
    }
    bool on_heap() const { return raw_[tag_at] == heap_tag; }
    unsigned char* heap_block() const { return load<unsigned char*>(0); }
    std::size_t capacity() const {
        unsigned char log2 = raw_[capacity_at];
        return log2 == 0 ? load<std::uint32_t>(heap_bytes_at) : std::size_t{1} << log2;
    }
    void release() {
        if (on_heap()) std::unique_ptr<unsigned char[]>{heap_block()}.reset();
    }

    void append_records(const unsigned char* records, std::size_t n, std::size_t count) {
        if (count == 0) return;
        grow(n, count, true, [&](unsigned char* out) { std::memcpy(out, records, n); });
    }

    // Makes room for `need` more bytes holding `added` elements and has `write` fill them.
    // `write` runs before the old block is freed, so it may read this list's elements.
    template <typename Write>
    void grow(std::size_t need, std::size_t added, bool exact, Write write) {
        std::size_t old = bytes();
        std::size_t total = old + need;
        std::size_t count = size() + added;
        if (count > max_count || total > UINT32_MAX)
            throw std::length_error("PackedList: too many elements");
        if (total <= inline_bytes && count <= inline_count) {
            write(raw_ + old);
            raw_[tag_at] = static_cast<unsigned char>(total << 4 | count);
            return;
        }
        if (on_heap() && total <= capacity()) {
            write(heap_block() + old);
            store(heap_bytes_at, static_cast<std::uint32_t>(total));
        } else {
            std::size_t cap = exact ? total : std::bit_ceil(std::max<std::size_t>(total, 32));
            auto block = std::make_unique_for_overwrite<unsigned char[]>(cap);
            if (old != 0) std::memcpy(block.get(), data(), old);
            write(block.get() + old);
            release();
            store(0, block.release());  // owned by the list from here: release() frees it
            store(heap_bytes_at, static_cast<std::uint32_t>(total));
            raw_[capacity_at] = exact ? 0 : static_cast<unsigned char>(std::countr_zero(cap));
            raw_[tag_at] = heap_tag;
        }
        store(heap_count_at, static_cast<std::uint16_t>(count));
    }
};

// Encodes a list's elements into scratch space (on the stack for a few hundred bytes), so
// that PackedList::append writes the list once at its final size.
template <typename Codec>
class PackedListBuilder {
  public:
    using value_type = typename Codec::value_type;

    PackedListBuilder() = default;
    PackedListBuilder(const PackedListBuilder&) = delete;
    PackedListBuilder& operator=(const PackedListBuilder&) = delete;

    void push_back(const value_type& v) {
        std::size_t need = Codec::size(v);
        reserve(bytes_ + need);
        Codec::encode(v, data() + bytes_);
        bytes_ += need;
        ++count_;
    }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    std::size_t bytes() const { return bytes_; }
    const unsigned char* data() const { return spill_.empty() ? local_ : spill_.data(); }
    unsigned char* data() { return spill_.empty() ? local_ : spill_.data(); }
    void clear() { bytes_ = count_ = 0; }

  private:
    static constexpr std::size_t local_bytes = 256;
    unsigned char local_[local_bytes];
    std::vector<unsigned char> spill_;  // in use once non-empty
    std::size_t bytes_ = 0;
    std::size_t count_ = 0;

    void reserve(std::size_t total) {
        if (spill_.empty()) {
            if (total <= local_bytes) return;
            spill_.resize(std::max(total, 2 * local_bytes));
            std::memcpy(spill_.data(), local_, bytes_);
        } else if (total > spill_.size()) {
            spill_.resize(std::max(total, 2 * spill_.size()));
        }
    }
};

// A length before a record's bytes: one byte below 255, else 255 and 16 bits (a token is
// at most 65534 bytes, so longer texts are cut at 65535).
struct LengthPrefix {
    static std::size_t clamp(std::size_t n) { return n < 0xFFFF ? n : 0xFFFF; }
    // Bytes of the prefix of a clamped length n.
    static std::size_t size(std::size_t n) { return n < 0xFF ? 1 : 3; }
    static unsigned char* write(std::size_t n, unsigned char* out) {
        if (n < 0xFF) {
            out[0] = static_cast<unsigned char>(n);
            return out + 1;
        }
        auto n16 = static_cast<std::uint16_t>(n);
        out[0] = 0xFF;
        std::memcpy(out + 1, &n16, 2);
        return out + 3;
    }
    // The length at p; `header` is set to the prefix's bytes.
    static std::size_t read(const unsigned char* p, std::size_t& header) {
        if (p[0] != 0xFF) {
            header = 1;
            return p[0];
        }
        std::uint16_t n = 0;
        std::memcpy(&n, p + 1, 2);
        header = 3;
        return n;
    }
};

// Names, each a length prefix and its bytes.
struct NameCodec {
    using value_type = std::string_view;
    static std::size_t size(std::string_view v) {
        std::size_t n = LengthPrefix::clamp(v.size());
        return LengthPrefix::size(n) + n;
    }
    static void encode(std::string_view v, unsigned char* out) {
        std::size_t n = LengthPrefix::clamp(v.size());
        out = LengthPrefix::write(n, out);
        if (n != 0) std::memcpy(out, v.data(), n);
    }
    static std::size_t length(const unsigned char* p) {
        std::size_t header = 0;
        std::size_t n = LengthPrefix::read(p, header);
        return header + n;
    }
    static std::string_view decode(const unsigned char* p) {
        std::size_t header = 0;
        std::size_t n = LengthPrefix::read(p, header);
        return {reinterpret_cast<const char*>(p + header), n};
    }
};

// Address ranges: a flags byte, then the first address (4 bytes for IPv4, 16 for IPv6)
// and one of: nothing for a single address, a prefix length byte for a CIDR block, or
// the last address. A CIDR and an address take 11 bytes (a PackedList keeps them inline),
// and a large file's lists, mostly CIDRs, take a third less than as two addresses.
// Decoding a block's last address is a shift and an OR, measured at no cost to a
// request's ACL check.
struct IpRangeCodec {
    using value_type = IpRange;
    static constexpr unsigned char v6_flag = 1;
    static constexpr unsigned char host_bits_flag = 2;
    static constexpr unsigned char single_flag = 4;
    static constexpr unsigned char prefix_flag = 8;
    static std::size_t size(const IpRange& r) {
        std::size_t w = width(r.first.family);
        if (single(r)) return 1 + w;
        return 1 + w + (prefix_of(r) >= 0 ? 1 : w);
    }
    static void encode(const IpRange& r, unsigned char* out) {
        std::size_t w = width(r.first.family);
        unsigned char flags = (r.first.family == IpAddress::Family::v6 ? v6_flag : 0) |
                              (r.host_bits_set ? host_bits_flag : 0);
        std::memcpy(out + 1, r.first.bytes.data(), w);
        if (single(r)) {
            flags |= single_flag;
        } else if (int prefix = prefix_of(r); prefix >= 0) {
            flags |= prefix_flag;
            out[1 + w] = static_cast<unsigned char>(prefix);
        } else {
            std::memcpy(out + 1 + w, r.last.bytes.data(), w);
        }
        out[0] = flags;
    }
    static std::size_t length(const unsigned char* p) {
        std::size_t w = width((p[0] & v6_flag) ? IpAddress::Family::v6 : IpAddress::Family::v4);
        if (p[0] & single_flag) return 1 + w;
        return 1 + w + ((p[0] & prefix_flag) ? 1 : w);
    }
    static IpRange decode(const unsigned char* p) {
        IpRange r;
        auto family = (p[0] & v6_flag) ? IpAddress::Family::v6 : IpAddress::Family::v4;
        std::size_t w = width(family);
        r.first.family = r.last.family = family;
        std::memcpy(r.first.bytes.data(), p + 1, w);
        if (p[0] & single_flag) {
            std::memcpy(r.last.bytes.data(), p + 1, w);
        } else if (p[0] & prefix_flag) {
            // The host bits below the prefix all set.
            std::size_t prefix = p[1 + w];
            if (w == 4) {
                std::uint32_t first = 0;
                std::memcpy(&first, p + 1, 4);
                std::uint32_t host = prefix >= 32 ? 0 : (~std::uint32_t{0} >> prefix);
                if constexpr (std::endian::native == std::endian::little)
                    host = __builtin_bswap32(host);
                std::uint32_t last = first | host;
                std::memcpy(r.last.bytes.data(), &last, 4);
            } else {
                for (std::size_t i = 0; i < w; ++i) {
                    std::size_t network =
                        std::min<std::size_t>(8, prefix > 8 * i ? prefix - 8 * i : 0);
                    r.last.bytes[i] = static_cast<std::uint8_t>(p[1 + i] | (0xFFU >> network));
                }
            }
        } else {
            std::memcpy(r.last.bytes.data(), p + 1 + w, w);
        }
        r.host_bits_set = (p[0] & host_bits_flag) != 0;
        return r;
    }

  private:
    static std::size_t width(IpAddress::Family f) { return f == IpAddress::Family::v6 ? 16 : 4; }
    static bool single(const IpRange& r) {
        return r.first.family == r.last.family && r.first.bytes == r.last.bytes;
    }
    // The prefix length when the range is exactly one CIDR block, else -1.
    static int prefix_of(const IpRange& r) {
        if (r.first.family != r.last.family) return -1;
        std::size_t w = width(r.first.family);
        int prefix = -1;
        for (std::size_t i = 0; i < w; ++i) {
            auto f = r.first.bytes[i];
            auto l = r.last.bytes[i];
            if (prefix < 0) {
                if (f == l) continue;
                // The first byte where they differ: a network part, then host bits all 0 in
                // the first address and all 1 in the last.
                auto host = static_cast<std::uint8_t>(f ^ l);
                if ((host & (host + 1)) != 0 || (f & host) != 0 || (l & host) != host) return -1;
                prefix = static_cast<int>(8 * i) + std::countl_zero(host);
            } else if (f != 0 || l != 0xFF) {
                return -1;
            }
        }
        return prefix;
    }
};

// Small trivially copyable values, each stored as its bytes.
template <typename T>
struct FixedCodec {
    static_assert(std::is_trivially_copyable_v<T>);
    using value_type = T;
    static std::size_t size(const T& /*v*/) { return sizeof(T); }
    static void encode(const T& v, unsigned char* out) { std::memcpy(out, &v, sizeof(T)); }
    static std::size_t length(const unsigned char* /*p*/) { return sizeof(T); }
    static T decode(const unsigned char* p) {
        T v;
        std::memcpy(&v, p, sizeof(T));
        return v;
    }
};

// A read-only view of packed records: a PackedList's, or one list of a PackedLists.
// Valid while the storage it views is neither changed nor moved.
template <typename Codec>
class PackedView : public PackedReads<PackedView<Codec>, Codec> {
  public:
    using size_type = std::size_t;

    PackedView() = default;
    PackedView(const unsigned char* data, std::size_t bytes, std::size_t count)
        : data_(data),
          bytes_(static_cast<std::uint32_t>(bytes)),
          count_(static_cast<std::uint32_t>(count)) {}
    // Implicit, so that code reading lists takes both kinds.
    PackedView(const PackedList<Codec>& l)  // NOLINT(google-explicit-constructor)
        : PackedView(l.data(), l.bytes(), l.size()) {}

    size_type size() const { return count_; }
    const unsigned char* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }

    friend bool operator==(const PackedView& a, const PackedView& b) {
        return a.count_ == b.count_ && a.bytes_ == b.bytes_ &&
               (a.bytes_ == 0 || std::memcmp(a.data_, b.data_, a.bytes_) == 0);
    }

  private:
    const unsigned char* data_ = nullptr;
    std::uint32_t bytes_ = 0;
    std::uint32_t count_ = 0;
};

// N packed lists behind one pointer: null when every list is empty, else one block of
// exactly their size. Where N separate PackedLists take 16 bytes each and a heap block
// for each list that does not fit, an owner of several lists (an ACL entry: six) takes
// 8 bytes and at most one block. The block comes from a TextPool when the owner is one of
// many that die together (a resolved ACL), else from the heap. Immutable once built; read
// a list with get().
//
// Block: a byte with bit i set for each non-empty list i (bit 7: the block is this
// object's to free; bit 6, with at most six lists: the owner's mark), then for each of
// those its element count and byte count (LEB128) and its records.
template <std::size_t N>
class PackedLists {
    static_assert(N >= 1 && N <= 7);

  public:
    // A list's records as a PackedList or PackedListBuilder holds them.
    struct Part {
        const unsigned char* data = nullptr;
        std::size_t bytes = 0;
        std::size_t count = 0;
        template <typename Codec>
        static Part of(const PackedList<Codec>& l) {
            return {l.data(), l.bytes(), l.size()};
        }
        template <typename Codec>
        static Part of(const PackedListBuilder<Codec>& b) {
            return {b.data(), b.bytes(), b.size()};
        }
    };

    PackedLists() = default;
    // With a pool, the block is taken from it and never freed by this object: the pool
    // must outlive it. Copies own their blocks. `mark` is a bit the owner keeps about
    // the lists (marked()); marked empty lists take a block of one byte.
    explicit PackedLists(const std::array<Part, N>& parts, TextPool* pool = nullptr,
                         bool mark = false) {
        std::size_t total = 1;
        unsigned mask = 0;
        if (mark) {
            if constexpr (N > 6) throw std::logic_error("PackedLists: no mark bit with 7 lists");
            mask |= mark_bit;
        }
        for (std::size_t i = 0; i < N; ++i) {
            if (parts[i].count == 0) continue;
            if (parts[i].count > UINT32_MAX || parts[i].bytes > UINT32_MAX)
                throw std::length_error("PackedLists: list too long");
            mask |= 1U << i;
            total += varint_size(parts[i].count) + varint_size(parts[i].bytes) + parts[i].bytes;
        }
        if (mask == 0) return;
        unsigned char* out = nullptr;
        if (pool != nullptr) {
            out = reinterpret_cast<unsigned char*>(pool->allocate(total));
        } else {
            out = std::make_unique_for_overwrite<unsigned char[]>(total).release();
            mask |= owned_bit;  // freed by release()
        }
        block_ = out;
        *out++ = static_cast<unsigned char>(mask);
        for (std::size_t i = 0; i < N; ++i) {
            if (parts[i].count == 0) continue;
            out = write_varint(parts[i].count, out);
            out = write_varint(parts[i].bytes, out);
            if (parts[i].bytes != 0) std::memcpy(out, parts[i].data, parts[i].bytes);
            out += parts[i].bytes;
        }
    }
    PackedLists(const PackedLists& o) {
        if (o.block_ == nullptr) return;
        std::size_t n = o.bytes();
        auto block = std::make_unique_for_overwrite<unsigned char[]>(n);
        std::memcpy(block.get(), o.block_, n);
        block[0] |= owned_bit;
        block_ = block.release();  // freed by release()
    }
    PackedLists(PackedLists&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
    PackedLists& operator=(const PackedLists& o) {
        if (this != &o) *this = PackedLists(o);
        return *this;
    }
    PackedLists& operator=(PackedLists&& o) noexcept {
        if (this != &o) {
            release();
            block_ = std::exchange(o.block_, nullptr);
        }
        return *this;
    }
    ~PackedLists() { release(); }

    // List i, read with Codec (the one it was built with).
    template <typename Codec>
    PackedView<Codec> get(std::size_t i) const {
        if (block_ == nullptr) return {};
        const unsigned char* p = block_;
        unsigned mask = *p++;
        if ((mask & (1U << i)) == 0) return {};
        for (std::size_t j = 0;; ++j) {
            if ((mask & (1U << j)) == 0) continue;
            auto [count, n] = read_header(p);
            if (j == i) return {p, n, count};
            p += n;
        }
    }
    // Every list is empty (a marked block may still hold the mark).
    bool all_empty() const { return block_ == nullptr || (block_[0] & list_bits) == 0; }
    bool marked() const { return N <= 6 && block_ != nullptr && (block_[0] & mark_bit) != 0; }
    // Bytes of the block (0 without one).
    std::size_t bytes() const {
        if (block_ == nullptr) return 0;
        const unsigned char* p = block_;
        unsigned mask = *p++;
        for (std::size_t j = 0; j < N; ++j) {
            if ((mask & (1U << j)) == 0) continue;
            p += read_header(p).bytes;
        }
        return static_cast<std::size_t>(p - block_);
    }
    bool in_pool() const { return block_ != nullptr && (block_[0] & owned_bit) == 0; }
    const unsigned char* data() const { return block_; }

    friend bool operator==(const PackedLists& a, const PackedLists& b) {
        if (a.block_ == nullptr || b.block_ == nullptr) return a.block_ == b.block_;
        std::size_t n = a.bytes();
        return n == b.bytes() && ((a.block_[0] ^ b.block_[0]) & ~owned_bit) == 0 &&
               std::memcmp(a.block_ + 1, b.block_ + 1, n - 1) == 0;
    }

  private:
    static constexpr unsigned char owned_bit = 0x80;
    static constexpr unsigned char mark_bit = 0x40;
    static constexpr unsigned char list_bits = (1U << N) - 1;

    unsigned char* block_ = nullptr;

    void release() {
        if (block_ != nullptr && (block_[0] & owned_bit) != 0)
            std::unique_ptr<unsigned char[]>{block_}.reset();
    }

    static std::size_t varint_size(std::size_t v) {
        std::size_t n = 1;
        while (v >= 0x80) {
            v >>= 7;
            ++n;
        }
        return n;
    }
    static unsigned char* write_varint(std::size_t v, unsigned char* out) {
        while (v >= 0x80) {
            *out++ = static_cast<unsigned char>(v | 0x80);
            v >>= 7;
        }
        *out++ = static_cast<unsigned char>(v);
        return out;
    }
    static std::size_t read_varint(const unsigned char*& p) {
        std::size_t v = 0;
        for (unsigned shift = 0;; shift += 7) {
            unsigned char b = *p++;
            v |= static_cast<std::size_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
    }
    struct Header {
        std::size_t count;
        std::size_t bytes;
    };
    // The header of the list at p, which is moved to the list's records.
    static Header read_header(const unsigned char*& p) {
        std::size_t count = read_varint(p);
        return {count, read_varint(p)};
    }
};

using NameList = PackedList<NameCodec>;
using IpRangeList = PackedList<IpRangeCodec>;
using PortRangeList = PackedList<FixedCodec<PortRange>>;
using NameView = PackedView<NameCodec>;
using IpRangeView = PackedView<IpRangeCodec>;
using PortRangeView = PackedView<FixedCodec<PortRange>>;

}  // namespace proxycfg
