#include "proxycfg/service_options.hpp"

#include <stdexcept>

namespace proxycfg {
namespace {

std::size_t byte(std::string_view s, std::size_t i) {
    return static_cast<unsigned char>(s[i]);
}

}  // namespace

void ServiceOptions::iterator::read() {
    if (at_ >= records_.size()) {
        next_ = at_;
        return;
    }
    std::size_t key_size = byte(records_, at_);
    std::size_t value_at = at_ + 1 + key_size + 2;
    std::size_t value_size = byte(records_, value_at - 2) | byte(records_, value_at - 1) << 8;
    entry_ = {records_.substr(at_ + 1, key_size), records_.substr(value_at, value_size)};
    next_ = value_at + value_size;
}

std::size_t ServiceOptions::size() const {
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it) ++n;
    return n;
}

ServiceOptions::iterator ServiceOptions::find(std::string_view key) const {
    for (auto it = begin(); it != end(); ++it) {
        if (it->first == key) return it;
        if (it->first > key) break;  // records are in key order
    }
    return end();
}

std::string_view ServiceOptions::at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("ServiceOptions::at: no option " + std::string(key));
    return it->second;
}

void ServiceOptions::set(std::string_view key, std::string_view value) {
    if (key.size() > max_key || value.size() > max_value)
        throw std::length_error("ServiceOptions::set: key or value too long");
    std::string record;
    record.reserve(1 + key.size() + 2 + value.size());
    record += static_cast<char>(key.size());
    record += key;
    record += static_cast<char>(value.size() & 0xFF);
    record += static_cast<char>(value.size() >> 8);
    record += value;
    // The first record at or past `key`: replaced if it is `key`, else inserted before.
    auto it = begin();
    while (it != end() && it->first < key) ++it;
    std::size_t replaced = it != end() && it->first == key ? it.next_ - it.at_ : 0;
    records_.replace(it.at_, replaced, record);
}

}  // namespace proxycfg
