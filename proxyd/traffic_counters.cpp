#include "traffic_counters.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "file_replace.hpp"

namespace proxyd {

namespace {

constexpr std::string_view file_magic = "proxyd-counters 1";

std::tm local(std::int64_t t) {
    std::tm tm{};
    auto tt = static_cast<std::time_t>(t);
    ::localtime_r(&tt, &tm);
    return tm;
}

std::int64_t from_local(std::tm tm) {
    tm.tm_isdst = -1;  // let mktime find out: a period may start in the other half of the year
    return static_cast<std::int64_t>(std::mktime(&tm));
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_i64(std::string_view s, std::int64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

std::string format_time(const char* format, std::int64_t t) {
    std::tm tm = local(t);
    char buf[256];
    std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

}  // namespace

std::int64_t period_start(proxycfg::CounterPeriod period, std::int64_t now) {
    using P = proxycfg::CounterPeriod;
    if (period == P::never) return 0;
    std::tm tm = local(now);
    tm.tm_sec = 0;
    if (period == P::minutely) return from_local(tm);
    tm.tm_min = 0;
    if (period == P::hourly) return from_local(tm);
    tm.tm_hour = 0;
    switch (period) {
        case P::weekly:
            tm.tm_mday -= (tm.tm_wday + 6) % 7;  // back to Monday; mktime normalises
            break;
        case P::monthly:
            tm.tm_mday = 1;
            break;
        case P::annually:
            tm.tm_mday = 1;
            tm.tm_mon = 0;
            break;
        default:
            break;
    }
    return from_local(tm);
}

std::string report_name(const std::string& pattern, proxycfg::CounterPeriod period,
                        std::int64_t start) {
    if (pattern.find('%') != std::string::npos) return format_time(pattern.c_str(), start);
    using P = proxycfg::CounterPeriod;
    switch (period) {
        case P::minutely:
            return pattern + format_time(".%Y.%m.%d-%H.%M", start);
        case P::hourly:
        case P::never:
            return pattern + format_time(".%Y.%m.%d-%H", start);
        case P::daily:
        case P::weekly:
            return pattern + format_time(".%Y.%m.%d", start);
        case P::monthly:
            return pattern + format_time(".%Y.%m", start);
        case P::annually:
            return pattern + format_time(".%Y", start);
    }
    return pattern;
}

std::vector<std::shared_ptr<CounterState>> TrafficCounters::states_for(
    const proxycfg::Model& model, std::int64_t now) const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<CounterState>> out;
    out.reserve(model.globals.counters.size());
    for (const auto& c : model.globals.counters) {
        if (c.exception) {
            out.emplace_back();
            continue;
        }
        if (auto it = by_key_.find(c.key); it != by_key_.end()) {
            out.push_back(it->second);
            continue;
        }
        auto state = std::make_shared<CounterState>();
        std::int64_t start = period_start(c.period, now);
        state->period_start = start;
        // A count saved in an earlier period of this counter is history, not usage.
        if (auto saved = saved_.find(c.key);
            c.number != 0 && saved != saved_.end() && saved->second.period_start == start)
            state->bytes = saved->second.bytes;
        out.push_back(std::move(state));
    }
    return out;
}

void TrafficCounters::commit(std::shared_ptr<const proxycfg::Model> model,
                             std::vector<std::shared_ptr<CounterState>> states) {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::shared_ptr<CounterState>> next;
    const auto& counters = model->globals.counters;
    for (std::size_t i = 0; i < counters.size() && i < states.size(); ++i) {
        if (!states[i]) continue;
        // A lowered limit may have made a counter spent: the next sweep looks again.
        states[i]->over = false;
        next.emplace(counters[i].key, states[i]);
    }
    // A counter the new generation no longer has keeps its last count in the file, unless
    // it is N 0: those are never saved.
    if (model_) {
        const auto& old = model_->globals.counters;
        for (std::size_t i = 0; i < old.size() && i < states_.size(); ++i)
            if (states_[i] && old[i].number != 0 && !next.contains(old[i].key))
                saved_[old[i].key] = {states_[i]->bytes.load(), states_[i]->period_start.load()};
    }
    by_key_ = std::move(next);
    if (report_start_ == 0 || model_ == nullptr ||
        model_->globals.counter_file.value.report_period !=
            model->globals.counter_file.value.report_period) {
        report_start_ = 0;  // set by the next roll
    }
    model_ = std::move(model);
    states_ = std::move(states);
}

bool TrafficCounters::load(const std::string& path, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) return true;
        error = "cannot read counter file " + path + ": " + std::strerror(errno);
        return false;
    }
    std::map<std::string, Saved> loaded;
    std::string line;
    bool header = false;
    unsigned number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        if (!header) {
            if (line != file_magic) {
                error = path + ":" + std::to_string(number) +
                        ": not a proxyd counter file (expected '" + std::string(file_magic) +
                        "'); move it away or name another file in the counter line";
                return false;
            }
            header = true;
            continue;
        }
        // BYTES PERIOD_START KEY (the key is the rest of the line)
        auto a = line.find(' ');
        auto b = a == std::string::npos ? a : line.find(' ', a + 1);
        Saved s;
        if (b == std::string::npos || !parse_u64(std::string_view(line).substr(0, a), s.bytes) ||
            !parse_i64(std::string_view(line).substr(a + 1, b - a - 1), s.period_start) ||
            b + 1 >= line.size()) {
            error = path + ":" + std::to_string(number) +
                    ": expected 'BYTES PERIOD_START KEY', found '" + line + "'";
            return false;
        }
        loaded[line.substr(b + 1)] = s;
    }
    std::lock_guard lock(mutex_);
    saved_ = std::move(loaded);
    // Counters already committed (the first generation) take their saved counts now.
    if (model_) {
        const auto& counters = model_->globals.counters;
        for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
            auto it = saved_.find(counters[i].key);
            if (!states_[i] || counters[i].number == 0 || it == saved_.end()) continue;
            if (it->second.period_start != states_[i]->period_start.load()) continue;
            states_[i]->bytes = it->second.bytes;
        }
        saved_total_ = 0;
        for (const auto& st : states_)
            if (st) saved_total_ += st->bytes.load();
    }
    return true;
}

bool TrafficCounters::save(const std::string& path, std::int64_t now, std::string& error) {
    std::lock_guard lock(mutex_);
    std::map<std::string, Saved> all = saved_;
    std::uint64_t total = 0;
    if (model_) {
        const auto& counters = model_->globals.counters;
        for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
            if (!states_[i]) continue;
            auto bytes = states_[i]->bytes.load();
            total += bytes;
            if (counters[i].number == 0) continue;  // N 0: never saved, as in 3proxy
            all[counters[i].key] = {bytes, states_[i]->period_start.load()};
        }
    }
    std::ostringstream out;
    out << "# Traffic counters of proxyd, written " << format_time("%Y-%m-%d %H:%M:%S %z", now)
        << ".\n# BYTES PERIOD_START KEY: see proxyd.cfg(5), COUNTER FILE.\n"
        << file_magic << "\n";
    for (const auto& [key, s] : all) out << s.bytes << ' ' << s.period_start << ' ' << key << '\n';
    if (!replace_file(path, out.str(), 0600, error)) return false;
    saved_total_ = total;
    reset_since_save_ = false;
    return true;
}

bool TrafficCounters::dirty() const {
    std::lock_guard lock(mutex_);
    if (reset_since_save_) return true;
    std::uint64_t total = 0;
    for (const auto& s : states_)
        if (s) total += s->bytes.load(std::memory_order_relaxed);
    return total != saved_total_;
}

bool TrafficCounters::write_report(const proxycfg::CounterFile& file, std::int64_t start,
                                   std::int64_t end, std::string& error) const {
    std::ostringstream out;
    out << "# Traffic report of proxyd: " << format_time("%Y-%m-%d %H:%M:%S %z", start)
        << " to " << format_time("%Y-%m-%d %H:%M:%S %z", end) << "\n"
        << "# N\tKIND\tPERIOD\tBYTES\tLIMIT\tCOMMENT\tLINE\n";
    const auto& counters = model_->globals.counters;
    for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
        if (!states_[i]) continue;
        const auto& c = counters[i];
        out << c.number << '\t' << to_string(c.kind) << '\t' << to_string(c.period) << '\t'
            << states_[i]->bytes.load() << '\t' << c.limit << '\t' << c.comment << '\t'
            << c.acl.span().line << '\n';
    }
    return replace_file(report_name(file.report, file.report_period, start), out.str(), 0644,
                        error);
}

std::vector<std::string> TrafficCounters::roll(std::int64_t now, std::string& error) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> written;
    if (!model_) return written;
    const auto& file = model_->globals.counter_file.value;
    if (!file.report.empty() && file.report_period != proxycfg::CounterPeriod::never) {
        std::int64_t current = period_start(file.report_period, now);
        if (report_start_ == 0) {
            report_start_ = current;
        } else if (current != report_start_) {
            std::string e;
            if (write_report(file, report_start_, current, e))
                written.push_back(report_name(file.report, file.report_period, report_start_));
            else
                error = e;
            report_start_ = current;
        }
    }
    const auto& counters = model_->globals.counters;
    for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
        if (!states_[i]) continue;
        std::int64_t current = period_start(counters[i].period, now);
        if (states_[i]->period_start.load() == current) continue;
        states_[i]->period_start = current;
        states_[i]->bytes = 0;
        states_[i]->over = false;
        reset_since_save_ = true;
    }
    return written;
}

bool TrafficCounters::newly_spent() {
    std::lock_guard lock(mutex_);
    if (!model_) return false;
    bool any = false;
    const auto& counters = model_->globals.counters;
    for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
        if (!states_[i] || states_[i]->over.load()) continue;
        if (states_[i]->bytes.load() < counters[i].limit) continue;
        states_[i]->over = true;
        any = true;
    }
    return any;
}

std::vector<TrafficCounters::Usage> TrafficCounters::usage() const {
    std::lock_guard lock(mutex_);
    std::vector<Usage> out;
    if (!model_) return out;
    const auto& counters = model_->globals.counters;
    for (std::size_t i = 0; i < counters.size() && i < states_.size(); ++i) {
        if (!states_[i]) continue;
        out.push_back({&counters[i], states_[i]->bytes.load(), states_[i]->period_start.load()});
    }
    return out;
}

}  // namespace proxyd
