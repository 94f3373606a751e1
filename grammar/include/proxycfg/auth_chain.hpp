// A service's auth chain: the methods of the `auth` line above it, tried in order, and the
// names of the plugin methods among them. Every service holds one, and a large
// configuration has tens of thousands of services, so a usual chain (a few methods, no
// plugin) is held in place: 16 bytes and nothing on the heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proxycfg {

enum class AuthMethod : std::uint8_t {
    none,
    iponly,
    useronly,
    dnsname,
    strong,
    cache,
    radius,
    plugin
};
std::string_view to_string(AuthMethod m);
std::optional<AuthMethod> auth_method_from(std::string_view name);

class AuthChain {
  public:
    AuthChain() = default;
    AuthChain(std::initializer_list<AuthMethod> methods) {
        for (AuthMethod m : methods) push_back(m);
    }
    AuthChain(const AuthChain& o)
        : inline_(o.inline_),
          size_(o.size_),
          spill_(o.spill_ ? std::make_unique<Spill>(*o.spill_) : nullptr) {}
    AuthChain(AuthChain&&) noexcept = default;
    AuthChain& operator=(const AuthChain& o) {
        if (this != &o) *this = AuthChain(o);
        return *this;
    }
    AuthChain& operator=(AuthChain&&) noexcept = default;
    ~AuthChain() = default;

    // The methods in order; a plugin method stands for the next of plugin_names().
    const AuthMethod* begin() const { return spill_ ? spill_->methods.data() : inline_.data(); }
    const AuthMethod* end() const { return begin() + size(); }
    std::size_t size() const { return spill_ ? spill_->methods.size() : size_; }
    bool empty() const { return size() == 0; }
    AuthMethod operator[](std::size_t i) const { return begin()[i]; }
    AuthMethod front() const { return *begin(); }
    operator std::span<const AuthMethod>() const { return {begin(), size()}; }  // NOLINT
    bool contains(AuthMethod m) const { return std::find(begin(), end(), m) != end(); }

    // The plugin auth types' names, in the order of the plugin methods.
    std::span<const std::string> plugin_names() const {
        return spill_ ? std::span<const std::string>(spill_->plugin_names)
                      : std::span<const std::string>{};
    }

    // The methods as an auth line names them: a plugin method by its type's name.
    std::vector<std::string_view> names() const {
        std::vector<std::string_view> out;
        auto plugins = plugin_names();
        std::size_t plugin = 0;
        for (AuthMethod m : *this)
            out.push_back(m == AuthMethod::plugin && plugin < plugins.size()
                              ? std::string_view(plugins[plugin++])
                              : to_string(m));
        return out;
    }

    void push_back(AuthMethod m) {
        if (!spill_ && size_ < inline_.size()) {
            inline_[size_++] = m;
            return;
        }
        spill()->methods.push_back(m);
    }
    // Appends a plugin method named `name`.
    void push_plugin(std::string name) {
        push_back(AuthMethod::plugin);
        spill()->plugin_names.push_back(std::move(name));
    }

    friend bool operator==(const AuthChain& a, const AuthChain& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end()) &&
               std::ranges::equal(a.plugin_names(), b.plugin_names());
    }

  private:
    // A chain longer than the inline room, or one with plugins: all of it on the heap.
    struct Spill {
        std::vector<AuthMethod> methods;
        std::vector<std::string> plugin_names;
    };
    Spill* spill() {
        if (!spill_) spill_ = std::make_unique<Spill>(Spill{{begin(), end()}, {}});
        return spill_.get();
    }

    std::array<AuthMethod, 7> inline_{};
    std::uint8_t size_ = 0;  // of inline_, without a spill
    std::unique_ptr<Spill> spill_;
};
static_assert(sizeof(AuthChain) == 16);

}  // namespace proxycfg
