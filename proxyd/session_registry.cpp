#include "session_registry.hpp"

namespace proxyd {

Session& SessionRegistry::add(std::unique_ptr<Session> session) {
    auto id = session->record().id;
    return *sessions_.emplace(id, std::move(session)).first->second;
}

std::unique_ptr<Session> SessionRegistry::remove(std::uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    auto session = std::move(it->second);
    sessions_.erase(it);
    return session;
}

Session* SessionRegistry::find(std::uint64_t id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

bool SessionRegistry::close(std::uint64_t id, int code, std::string_view reason) {
    auto* session = find(id);
    if (!session) return false;
    session->close(code, reason);
    return true;
}

}  // namespace proxyd
