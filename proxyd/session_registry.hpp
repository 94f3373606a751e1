// The live sessions of one worker. Only the worker's loop thread touches it; the control
// thread (reload, `sessions`, `kill`) reaches it by posting a task to that loop, which is
// also the only place a session may be closed from.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "session.hpp"

namespace proxyd {

class SessionRegistry {
  public:
    Session& add(std::unique_ptr<Session> session);
    // Hands ownership back (the caller destroys it at the end of the event batch).
    std::unique_ptr<Session> remove(std::uint64_t id);
    Session* find(std::uint64_t id);

    template <typename F>
    void for_each(F&& visit) {
        for (auto& [id, session] : sessions_) visit(*session);
    }
    // Every live session of one service of one configuration generation.
    template <typename F>
    void for_each_in(std::uint64_t generation, std::size_t service_index, F&& visit) {
        for (auto& [id, session] : sessions_) {
            const auto& r = session->record();
            if (r.generation == generation && r.service_index == service_index) visit(*session);
        }
    }
    // Closes a session by id; false if it is not (or no longer) here.
    bool close(std::uint64_t id, int code, std::string_view reason);
    std::size_t size() const { return sessions_.size(); }

  private:
    std::unordered_map<std::uint64_t, std::unique_ptr<Session>> sessions_;
};

}  // namespace proxyd
