#include "handshake_board.hpp"

namespace proxyd {

void HandshakeBoard::add(const Entry& entry) {
    std::lock_guard lock(mutex_);
    auto seq = next_seq_++;
    by_age_.emplace(seq, entry);
    seq_of_.emplace(entry.session_id, seq);
    ++per_source_[entry.source];
}

void HandshakeBoard::remove(std::uint64_t session_id) {
    std::lock_guard lock(mutex_);
    auto s = seq_of_.find(session_id);
    if (s == seq_of_.end()) return;
    auto it = by_age_.find(s->second);
    if (it != by_age_.end()) forget(it);
}

void HandshakeBoard::forget(std::map<std::uint64_t, Entry>::iterator it) {
    seq_of_.erase(it->second.session_id);
    auto src = per_source_.find(it->second.source);
    if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
    by_age_.erase(it);
}

std::optional<std::pair<HandshakeBoard::Entry, HandshakeBoard::Reason>> HandshakeBoard::take(
    std::uint64_t seq, Reason reason) {
    auto it = by_age_.find(seq);
    Entry e = it->second;
    forget(it);
    return std::pair{e, reason};
}

std::optional<std::pair<HandshakeBoard::Entry, HandshakeBoard::Reason>> HandshakeBoard::pick(
    std::size_t service_index, const proxycfg::IpAddress& source, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto over_share = [this](const proxycfg::IpAddress& a) {
        auto it = per_source_.find(a);
        return it != per_source_.end() && it->second >= per_source_share;
    };
    // Oldest first: a source over its share competes with itself first, then yields to
    // everyone else; then any handshake that has dragged on.
    std::optional<std::uint64_t> flooder, dragging;
    bool own_first = over_share(source);
    for (const auto& [seq, e] : by_age_) {
        if (e.service_index != service_index) continue;
        if (own_first && e.source == source) return take(seq, Reason::source_over_share);
        if (!flooder && over_share(e.source)) flooder = seq;
        if (!dragging && now - e.accepted_at >= give_way_after) dragging = seq;
        if (flooder && !own_first) break;
    }
    if (flooder) return take(*flooder, Reason::source_over_share);
    if (dragging) return take(*dragging, Reason::dragging);
    return std::nullopt;
}

}  // namespace proxyd
