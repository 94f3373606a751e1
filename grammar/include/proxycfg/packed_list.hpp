// A read-mostly list stored as variable-length records in one block: 16 bytes in its owner
// and no allocation per element. An ACL entry has several short lists and a large
// configuration has hundreds of thousands of entries, so a vector of strings or of
// 35-byte address ranges costs several times the text it came from.
#pragma once

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

#include "proxycfg/net.hpp"

namespace proxycfg {

// Codec: value_type; size(v): bytes of v's record; encode(v, out); length(p): bytes of the
// record at p; decode(p): its value. Elements are read by value: iteration, operator[]
// (linear: the lists are short) and front() return value_type, not references.
template <typename Codec>
class PackedList {
  public:
    using value_type = typename Codec::value_type;
    using size_type = std::size_t;

    class iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = typename Codec::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;

        iterator() = default;
        explicit iterator(const unsigned char* p) : p_(p) {}
        value_type operator*() const { return Codec::decode(p_); }
        iterator& operator++() {
            p_ += Codec::length(p_);
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator&, const iterator&) = default;

      private:
        const unsigned char* p_ = nullptr;
    };
    using const_iterator = iterator;

    PackedList() = default;
    PackedList(std::initializer_list<value_type> values) {
        for (const auto& v : values) push_back(v);
    }
    PackedList(const PackedList& o) : bytes_(o.bytes_), count_(o.count_) {
        if (o.bytes_ == 0) return;
        data_ = std::make_unique_for_overwrite<unsigned char[]>(capacity(bytes_));
        std::memcpy(data_.get(), o.data_.get(), bytes_);
    }
    PackedList(PackedList&& o) noexcept
        : data_(std::move(o.data_)), bytes_(o.bytes_), count_(o.count_) {
        o.bytes_ = o.count_ = 0;
    }
    PackedList& operator=(const PackedList& o) {
        if (this != &o) *this = PackedList(o);
        return *this;
    }
    PackedList& operator=(PackedList&& o) noexcept {
        data_ = std::move(o.data_);
        bytes_ = o.bytes_;
        count_ = o.count_;
        o.bytes_ = o.count_ = 0;
        return *this;
    }
    ~PackedList() = default;

    iterator begin() const { return iterator(data_.get()); }
    iterator end() const { return iterator(data_.get() + bytes_); }
    size_type size() const { return count_; }
    bool empty() const { return count_ == 0; }
    value_type front() const { return *begin(); }
    value_type operator[](size_type i) const {
        return *std::next(begin(), static_cast<std::ptrdiff_t>(i));
    }
    value_type at(size_type i) const {
        if (i >= count_) throw std::out_of_range("PackedList::at");
        return (*this)[i];
    }

    void push_back(const value_type& v) {
        std::size_t need = Codec::size(v);
        std::size_t total = bytes_ + need;
        // The block is always sized capacity(bytes_), so growing needs no stored capacity.
        if (!data_ || capacity(total) != capacity(bytes_)) {
            auto grown = std::make_unique_for_overwrite<unsigned char[]>(capacity(total));
            if (bytes_ != 0) std::memcpy(grown.get(), data_.get(), bytes_);
            data_ = std::move(grown);
        }
        Codec::encode(v, data_.get() + bytes_);
        bytes_ = static_cast<std::uint32_t>(total);
        ++count_;
    }
    void clear() { *this = PackedList(); }

    // Records are canonical, so equal bytes are equal lists.
    friend bool operator==(const PackedList& a, const PackedList& b) {
        return a.count_ == b.count_ && a.bytes_ == b.bytes_ &&
               (a.bytes_ == 0 || std::memcmp(a.data_.get(), b.data_.get(), a.bytes_) == 0);
    }

  private:
    std::unique_ptr<unsigned char[]> data_;
    std::uint32_t bytes_ = 0;
    std::uint32_t count_ = 0;

    // Exact for the first block (most lists are written once and never grow), doubling
    // after that, so n pushes copy O(n) bytes.
    static std::size_t capacity(std::size_t bytes) {
        return bytes <= 16 ? 16 : std::bit_ceil(bytes);
    }
};

// Names, each a 16-bit length and its bytes (a token is at most 65534 bytes).
struct NameCodec {
    using value_type = std::string_view;
    static std::size_t size(std::string_view v) { return 2 + clamp(v.size()); }
    static void encode(std::string_view v, unsigned char* out) {
        auto n = static_cast<std::uint16_t>(clamp(v.size()));
        std::memcpy(out, &n, 2);
        if (n != 0) std::memcpy(out + 2, v.data(), n);
    }
    static std::size_t length(const unsigned char* p) { return 2 + stored(p); }
    static std::string_view decode(const unsigned char* p) {
        return {reinterpret_cast<const char*>(p + 2), stored(p)};
    }

  private:
    static std::size_t clamp(std::size_t n) { return n < 0xFFFF ? n : 0xFFFF; }
    static std::uint16_t stored(const unsigned char* p) {
        std::uint16_t n = 0;
        std::memcpy(&n, p, 2);
        return n;
    }
};

// Address ranges: a flags byte, then 4 + 4 bytes for IPv4 (9 in all) or 16 + 16 for IPv6.
struct IpRangeCodec {
    using value_type = IpRange;
    static constexpr unsigned char v6_flag = 1;
    static constexpr unsigned char host_bits_flag = 2;
    static std::size_t size(const IpRange& r) { return 1 + 2 * width(r.first.family); }
    static void encode(const IpRange& r, unsigned char* out) {
        std::size_t w = width(r.first.family);
        out[0] =
            static_cast<unsigned char>((r.first.family == IpAddress::Family::v6 ? v6_flag : 0) |
                                       (r.host_bits_set ? host_bits_flag : 0));
        std::memcpy(out + 1, r.first.bytes.data(), w);
        std::memcpy(out + 1 + w, r.last.bytes.data(), w);
    }
    static std::size_t length(const unsigned char* p) {
        return 1 + 2 * width((p[0] & v6_flag) ? IpAddress::Family::v6 : IpAddress::Family::v4);
    }
    static IpRange decode(const unsigned char* p) {
        IpRange r;
        auto family = (p[0] & v6_flag) ? IpAddress::Family::v6 : IpAddress::Family::v4;
        std::size_t w = width(family);
        r.first.family = r.last.family = family;
        std::memcpy(r.first.bytes.data(), p + 1, w);
        std::memcpy(r.last.bytes.data(), p + 1 + w, w);
        r.host_bits_set = (p[0] & host_bits_flag) != 0;
        return r;
    }

  private:
    static std::size_t width(IpAddress::Family f) { return f == IpAddress::Family::v6 ? 16 : 4; }
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

using NameList = PackedList<NameCodec>;
using IpRangeList = PackedList<IpRangeCodec>;
using PortRangeList = PackedList<FixedCodec<PortRange>>;

}  // namespace proxycfg
