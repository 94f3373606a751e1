#include "conn_limiter.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_set>

namespace proxyd {

namespace {

// The load a rate window would have with one more connection now, as 3proxy counts it:
// the load decays linearly to nothing over PERIOD seconds from the last connection, and
// a window whose PERIOD has passed (or a clock that went back) starts again at one.
double next_load(double load, Clock::time_point last, bool charged, std::uint32_t period,
                 Clock::time_point now) {
    if (!charged || now < last) return 1;
    double elapsed = std::chrono::duration<double>(now - last).count();
    if (elapsed >= period) return 1;
    return load * (period - elapsed) / period + 1;
}

}  // namespace

void ConnLimiter::Hold::release() {
    if (!owner_) return;
    owner_->give_back(keys_);
    owner_.reset();
    keys_.clear();
}

ConnLimiter::Admission ConnLimiter::admit(std::span<const proxycfg::ConnLimit> limits,
                                          std::span<const std::size_t> applicable,
                                          Clock::time_point now) {
    Admission out;
    std::lock_guard lock(mutex_);
    // Check every budget first, charge only when none is spent.
    std::vector<double> loads(applicable.size());
    for (std::size_t i = 0; i < applicable.size(); ++i) {
        const auto& limit = limits[applicable[i]];
        auto it = budgets_.find(limit.key);
        bool spent = false;
        if (limit.period == 0) {
            int active = it == budgets_.end() ? 0 : it->second.active;
            spent = active >= static_cast<long long>(limit.rate);
        } else {
            loads[i] = it == budgets_.end() ? 1
                                            : next_load(it->second.load, it->second.last,
                                                        it->second.charged, limit.period, now);
            spent = loads[i] > limit.rate;
        }
        if (spent) {
            out.admitted = false;
            out.refused_by = applicable[i];
            return out;
        }
    }
    for (std::size_t i = 0; i < applicable.size(); ++i) {
        const auto& limit = limits[applicable[i]];
        Budget& b = budgets_[limit.key];
        if (limit.period == 0) {
            ++b.active;
            out.hold.keys_.push_back(limit.key);
        } else {
            b.load = loads[i];
            b.last = now;
            b.charged = true;
        }
    }
    if (!out.hold.keys_.empty()) out.hold.owner_ = shared_from_this();
    return out;
}

void ConnLimiter::give_back(const std::vector<std::string>& keys) {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
        auto it = budgets_.find(key);
        if (it == budgets_.end()) continue;
        if (it->second.active > 0) --it->second.active;
        if (it->second.active == 0 && !it->second.charged) budgets_.erase(it);
    }
}

int ConnLimiter::active(const proxycfg::ConnLimit& limit) const {
    std::lock_guard lock(mutex_);
    auto it = budgets_.find(limit.key);
    return it == budgets_.end() ? 0 : it->second.active;
}

void ConnLimiter::retain(const proxycfg::Model& model) {
    std::unordered_set<std::string_view> keys;
    for (const auto& l : model.globals.connlims) keys.insert(l.key);
    std::lock_guard lock(mutex_);
    for (auto it = budgets_.begin(); it != budgets_.end();) {
        if (keys.count(it->first) == 0) {
            it->second.charged = false;  // its rate window goes
            if (it->second.active == 0) {
                it = budgets_.erase(it);
                continue;
            }
        }
        ++it;
    }
}

std::size_t ConnLimiter::size() const {
    std::lock_guard lock(mutex_);
    return budgets_.size();
}

}  // namespace proxyd
