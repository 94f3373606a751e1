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

// What a peer may do, as HAProxy's stats socket levels: `read` commands report and change
// nothing; `admin` commands change what runs (reload, kill, reopen-logs). Root and
// proxyd's own user are admin; the groups given on the command line grant one or the other.
enum class Level { read, admin };
std::string_view level_name(Level level);

// Who sent a request, as SO_PEERCRED says, and the level that earned.
struct Peer {
    Level level = Level::admin;
    unsigned uid = 0;
    int pid = 0;
};

struct Command {
    std::string_view name;
    std::string_view help;
    Level level;
    nlohmann::json (*handler)(Context& context, const nlohmann::json& args);
    // When the arguments can lower the level (a dry-run reload changes nothing): null
    // means `level` always applies.
    Level (*level_for)(const nlohmann::json& args) = nullptr;
};

std::span<const Command> table();

// One request line in, one reply out: malformed JSON, a missing or unknown command and
// bad arguments are error replies, never exceptions. The one place a command's level is
// checked: a peer below it gets a `forbidden` reply naming the level, and proxyd's log a
// line with the peer's uid and pid.
nlohmann::json dispatch(Context& context, std::string_view line, const Peer& peer = {});
// One command by name, with its arguments (an object): the same reply dispatch() gives.
nlohmann::json run(Context& context, std::string_view name, const nlohmann::json& args);

}  // namespace control_cmd
}  // namespace proxyd
