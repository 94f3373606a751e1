// How a session on a worker asks the control thread for what only it may touch (the
// reload engine, every worker's sessions): the `admin` service's page, JSON and actions.
// The work runs on the control loop and its answer is posted back to the asking loop,
// so no worker ever waits for the control thread (which itself waits for workers).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/commands.hpp"
#include "event_loop.hpp"

namespace proxyd {

class ControlGateway {
  public:
    using Work = std::function<nlohmann::json(control_cmd::Context&)>;
    using Reply = std::function<void(nlohmann::json)>;

    ControlGateway(EventLoop& control_loop, control_cmd::Context& context);

    // Runs `work` on the control thread, then `reply` with its result on `back`.
    void ask(Work work, EventLoop& back, Reply reply);
    // A control command as the control socket runs it ({"command": ..., "args": ...}).
    void command(std::string name, nlohmann::json args, EventLoop& back, Reply reply);

    // The token the admin page's mutating requests must carry: random per daemon run.
    const std::string& csrf_token() const { return csrf_token_; }

  private:
    EventLoop& loop_;
    control_cmd::Context& context_;
    std::string csrf_token_;
};

}  // namespace proxyd
