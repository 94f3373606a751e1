// The daemon's connection-limit budgets (`connlim RATE PERIOD ...`): concurrent counts for
// PERIOD 0, rate windows otherwise. One per daemon, shared by every worker (internally
// locked) and carried from generation to generation: budgets are keyed by the limit's
// own text, so a reload that keeps a limit keeps its count, and a session releases what
// it took when it ends, whichever generation is running then.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event_loop.hpp"
#include "proxycfg/model.hpp"

namespace proxyd {

class ConnLimiter : public std::enable_shared_from_this<ConnLimiter> {
  public:
    // The concurrent budgets a session holds; given back once, when released or destroyed.
    class Hold {
      public:
        Hold() = default;
        Hold(Hold&& other) noexcept = default;
        Hold& operator=(Hold&& other) noexcept {
            if (this != &other) {
                release();
                owner_ = std::move(other.owner_);
                keys_ = std::move(other.keys_);
            }
            return *this;
        }
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;
        ~Hold() { release(); }
        void release();
        std::size_t size() const { return keys_.size(); }

      private:
        friend class ConnLimiter;
        std::shared_ptr<ConnLimiter> owner_;
        std::vector<std::string> keys_;
    };

    struct Admission {
        bool admitted = true;
        std::size_t refused_by = 0;  // index into the limits of the spent one
        Hold hold;
    };

    // Charges every limit in `applicable` (indices into `limits`), or none of them: a
    // connection one spent budget refuses leaves the others untouched. Must be owned by a
    // shared_ptr (the hold keeps the limiter alive).
    Admission admit(std::span<const proxycfg::ConnLimit> limits,
                    std::span<const std::size_t> applicable, Clock::time_point now);

    // Sessions counted against the limit now (PERIOD 0), for tests and status.
    int active(const proxycfg::ConnLimit& limit) const;

    // Forgets the rate windows of limits `model` no longer has (counts of live sessions
    // stay until they end).
    void retain(const proxycfg::Model& model);

    std::size_t size() const;

  private:
    struct Budget {
        int active = 0;          // PERIOD 0: sessions holding it
        double load = 0;         // PERIOD > 0: recent connections, decaying over PERIOD
        Clock::time_point last;  // when load was last charged
        bool charged = false;
    };
    void give_back(const std::vector<std::string>& keys);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Budget> budgets_;
};

}  // namespace proxyd
