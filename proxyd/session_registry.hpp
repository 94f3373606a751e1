// The live sessions of one worker. Only the worker's loop thread touches it; the control
// thread (reload, `sessions`, `kill`) reaches it by posting a task to that loop, which is
// also the only place a session may be closed from.
//
// Each session is counted under the generation it drains with: the one it was admitted
// under, or a later one whose re-checking reload kept it (a force service's session that
// still passes is held to the new rules, so it no longer waits on the old ones).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

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
        for (auto& [id, entry] : sessions_) visit(*entry.session);
    }
    // Every live session of one service of one configuration generation.
    template <typename F>
    void for_each_in(std::uint64_t generation, std::size_t service_index, F&& visit) {
        for (auto& [id, entry] : sessions_) {
            const auto& r = entry.session->record();
            if (r.generation == generation && r.service_index == service_index)
                visit(*entry.session);
        }
    }
    // Closes a session by id; false if it is not (or no longer) here.
    bool close(std::uint64_t id, int code, std::string_view reason);
    std::size_t size() const { return sessions_.size(); }

    // Draining: the generation a session counts under, and moving it to a later one.
    std::uint64_t drain_generation(std::uint64_t id) const;
    void hold_to(std::uint64_t id, std::uint64_t generation);
    // How many sessions count under `generation`; every counted generation, ascending.
    std::size_t pinning(std::uint64_t generation) const;
    std::vector<std::uint64_t> ids_pinning(std::uint64_t generation) const;
    const std::map<std::uint64_t, std::size_t>& pins() const { return pins_; }

  private:
    struct Entry {
        std::unique_ptr<Session> session;
        std::uint64_t generation = 0;  // the one it drains with
    };
    void unpin(std::uint64_t generation);
    std::unordered_map<std::uint64_t, Entry> sessions_;
    // Sessions per drain generation: a handful of entries (the generations still pinned).
    std::map<std::uint64_t, std::size_t> pins_;
};

}  // namespace proxyd
