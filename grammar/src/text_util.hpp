// Small string helpers shared by the parser, resolver, lint rules and formats.
#pragma once

#include <iterator>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/util.hpp"

namespace proxycfg {

std::string_view trim(std::string_view s);
inline bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}
std::vector<std::string_view> split(std::string_view s, char sep);
// The same items as split() (but none for an empty string), produced as they are
// iterated: hot loops over ACL fields avoid a vector per field. Written out rather than
// std::views::split, which costs half as much again per item.
class SplitItems {
  public:
    class iterator {
      public:
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(std::string_view rest, char sep) : rest_(rest), sep_(sep), done_(rest.empty()) {
            find_end();
        }
        std::string_view operator*() const { return rest_.substr(0, end_); }
        iterator& operator++() {
            if (end_ == rest_.size()) {
                done_ = true;
            } else {
                rest_.remove_prefix(end_ + 1);
                find_end();
            }
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        bool operator==(std::default_sentinel_t) const { return done_; }

      private:
        void find_end() {
            end_ = rest_.find(sep_);
            if (end_ == std::string_view::npos) end_ = rest_.size();
        }
        std::string_view rest_;
        std::size_t end_ = 0;  // of the current item in rest_
        char sep_ = ',';
        bool done_ = true;
    };
    SplitItems(std::string_view s, char sep) : s_(s), sep_(sep) {}
    iterator begin() const { return {s_, sep_}; }
    std::default_sentinel_t end() const { return {}; }

  private:
    std::string_view s_;
    char sep_;
};
inline SplitItems split_items(std::string_view s, char sep) {
    return {s, sep};
}
std::string to_lower(std::string_view s);
// to_lower in place (ASCII letters only), for a buffer reused across many items.
void lower_ascii(std::string& s);
// Levenshtein distance, or `limit` when it is `limit` or more (the callers only want
// near misses, so a row that is already that far off ends the computation).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 64);
bool utf8_valid(std::string_view s);
// Every byte below 0x80 (ASCII, so valid UTF-8): 32 bytes a step.
bool ascii_only(std::string_view s);
std::size_t first_invalid_utf8(std::string_view s);
// Parses a decimal integer that must use the whole string.
bool parse_int(std::string_view s, long long& out);

}  // namespace proxycfg

namespace proxycfg {
std::string to_upper_ascii(std::string_view s);
}
