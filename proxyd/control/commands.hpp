// The control commands as one table, HAProxy cli.c style: adding a command is adding a row
// {name, help, handler}. Handlers run on the control thread and return the whole reply.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace proxyd {

class Metrics;
class ReloadEngine;

namespace control_cmd {

struct Context {
    ReloadEngine& engine;
    std::int64_t started_at_ms = 0;
    Metrics* metrics = nullptr;  // null: `metrics` renders what the engine alone knows
};

struct Command {
    std::string_view name;
    std::string_view help;
    nlohmann::json (*handler)(Context& context, const nlohmann::json& args);
};

std::span<const Command> table();

// One request line in, one reply out: malformed JSON, a missing or unknown command and
// bad arguments are error replies, never exceptions.
nlohmann::json dispatch(Context& context, std::string_view line);

}  // namespace control_cmd
}  // namespace proxyd
