// A service line's options kept verbatim ("-a" -> "1", "-n" -> ""), for what the model
// does not interpret. A large configuration has tens of thousands of services, most with
// a few short options or none, so they are one string of records rather than a map of
// strings: nothing on the heap while they fit the string's own buffer.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace proxycfg {

// Ordered by key, one value per key, like the std::map it replaces. Keys and values read
// back as views of this object's storage, valid until it is changed or destroyed.
class ServiceOptions {
  public:
    using value_type = std::pair<std::string_view, std::string_view>;  // key, value

    // The longest key and value set() accepts (an option is one word of a line, which
    // the parser keeps under 64 KiB).
    static constexpr std::size_t max_key = 0xFF;
    static constexpr std::size_t max_value = 0xFFFF;

    class iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = ServiceOptions::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = const value_type*;
        using reference = const value_type&;

        iterator() = default;
        reference operator*() const { return entry_; }
        pointer operator->() const { return &entry_; }
        iterator& operator++() {
            at_ = next_;
            read();
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) { return a.at_ == b.at_; }

      private:
        friend class ServiceOptions;
        iterator(std::string_view records, std::size_t at) : records_(records), at_(at) { read(); }
        void read();

        std::string_view records_;
        std::size_t at_ = 0;
        std::size_t next_ = 0;
        value_type entry_;
    };
    using const_iterator = iterator;

    iterator begin() const { return {records_, 0}; }
    iterator end() const { return {records_, records_.size()}; }
    bool empty() const { return records_.empty(); }
    std::size_t size() const;

    iterator find(std::string_view key) const;
    bool contains(std::string_view key) const { return find(key) != end(); }
    std::size_t count(std::string_view key) const { return contains(key) ? 1 : 0; }
    // The value of `key`; throws std::out_of_range if it is not set.
    std::string_view at(std::string_view key) const;

    // Sets `key` to `value`, replacing an earlier value. Throws std::length_error past
    // max_key or max_value.
    void set(std::string_view key, std::string_view value);

    friend bool operator==(const ServiceOptions&, const ServiceOptions&) = default;

  private:
    // Records in key order: the key's size (1 byte), the key, the value's size (2 bytes,
    // little-endian), the value.
    std::string records_;
};

}  // namespace proxycfg
