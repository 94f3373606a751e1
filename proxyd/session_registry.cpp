#include "session_registry.hpp"

namespace proxyd {

Session& SessionRegistry::add(std::unique_ptr<Session> session) {
    auto id = session->record().id;
    auto generation = session->record().generation;
    auto [it, added] = sessions_.try_emplace(id, Entry{std::move(session), generation});
    if (added) ++pins_[generation];
    return *it->second.session;
}

std::unique_ptr<Session> SessionRegistry::remove(std::uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    auto session = std::move(it->second.session);
    unpin(it->second.generation);
    sessions_.erase(it);
    return session;
}

Session* SessionRegistry::find(std::uint64_t id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.session.get();
}

bool SessionRegistry::close(std::uint64_t id, int code, std::string_view reason) {
    auto* session = find(id);
    if (!session) return false;
    session->close(code, reason);
    return true;
}

std::uint64_t SessionRegistry::drain_generation(std::uint64_t id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? 0 : it->second.generation;
}

void SessionRegistry::hold_to(std::uint64_t id, std::uint64_t generation) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.generation >= generation) return;
    unpin(it->second.generation);
    it->second.generation = generation;
    ++pins_[generation];
}

std::size_t SessionRegistry::pinning(std::uint64_t generation) const {
    auto it = pins_.find(generation);
    return it == pins_.end() ? 0 : it->second;
}

std::vector<std::uint64_t> SessionRegistry::ids_pinning(std::uint64_t generation) const {
    std::vector<std::uint64_t> out;
    if (pinning(generation) == 0) return out;
    for (const auto& [id, entry] : sessions_)
        if (entry.generation == generation) out.push_back(id);
    return out;
}

void SessionRegistry::unpin(std::uint64_t generation) {
    auto it = pins_.find(generation);
    if (it != pins_.end() && --it->second == 0) pins_.erase(it);
}

}  // namespace proxyd
