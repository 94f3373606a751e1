// The control commands as one table, HAProxy cli.c style: adding a command is adding a row
// {name, help, handler}. Handlers run on the control thread and return the whole reply.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proxycontrol/protocol.hpp"

namespace proxyd {

class Metrics;
class ReloadEngine;
struct ReloadOutcome;

namespace control_cmd {

struct Context {
    ReloadEngine& engine;
    std::int64_t started_at_ms = 0;
    // The last reloads (applied or refused), oldest first, as the control protocol writes
    // them; record_reload() keeps it.
    std::deque<control::ReloadRecord> reloads;
    static constexpr std::size_t reloads_kept = 10;
    Metrics* metrics = nullptr;  // null: `metrics` renders what the engine alone knows
};

// Keeps `outcome` in context.reloads (the engine's outcome observer).
void record_reload(Context& context, const ReloadOutcome& outcome);

struct Command {
    std::string_view name;
    std::string_view help;
    nlohmann::json (*handler)(Context& context, const nlohmann::json& args);
};

std::span<const Command> table();

// One request line in, one reply out: malformed JSON, a missing or unknown command and
// bad arguments are error replies, never exceptions.
nlohmann::json dispatch(Context& context, std::string_view line);
// One command by name, with its arguments (an object): the same reply dispatch() gives.
nlohmann::json run(Context& context, std::string_view name, const nlohmann::json& args);

}  // namespace control_cmd
}  // namespace proxyd
