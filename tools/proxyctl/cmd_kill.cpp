// proxyctl kill: close live sessions by id.
#include <iostream>
#include <set>
#include <vector>

#include "commands.hpp"
#include "control_client.hpp"

namespace proxyctl {
namespace {

struct KillOptions {
    LiveOptions live;
    std::vector<std::uint64_t> ids;
};

std::vector<std::uint64_t> id_list(const nlohmann::json& result, const char* key) {
    std::vector<std::uint64_t> ids;
    if (result.is_object() && result.contains(key) && result.at(key).is_array())
        for (const auto& id : result.at(key))
            if (id.is_number_unsigned()) ids.push_back(id.get<std::uint64_t>());
    return ids;
}

int run_kill(const KillOptions& o) {
    int status = exit_ok;
    auto result = call("kill", o.live, "kill", status, {{"ids", o.ids}});
    if (!result) return status;
    // The reply names the ids it closed ("killed") and those it did not know ("not_found").
    std::vector<std::uint64_t> killed = id_list(*result, "killed");
    std::vector<std::uint64_t> not_found = id_list(*result, "not_found");
    if (!result->contains("not_found")) {
        // A reply listing only what was killed: the rest were not found.
        std::set<std::uint64_t> done(killed.begin(), killed.end());
        for (auto id : o.ids)
            if (!done.count(id)) not_found.push_back(id);
    }
    if (o.live.json) {
        print_ok_json({{"killed", killed}, {"not_found", not_found}});
    } else {
        for (auto id : killed) std::cout << "killed " << id << '\n';
        for (auto id : not_found) std::cout << "not found " << id << '\n';
    }
    return not_found.empty() ? exit_ok : exit_findings;
}

}  // namespace

void register_kill(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<KillOptions>();
    auto* cmd = app.add_subcommand("kill", "Close live sessions of the running proxyd by id");
    cmd->add_option("ids", o->ids, "Session ids (see 'proxyctl sessions')")
        ->required()
        ->type_name("ID...");
    add_live_options(cmd, o->live);
    cmd->footer(
        "Exit status: 0 all closed, 1 some id was not found, 3 proxyd unreachable.\n"
        "Examples:\n"
        "  proxyctl kill 12 17\n"
        "  proxyctl sessions --user bob --json | jq -r '.result.sessions[].id' | xargs -r proxyctl "
        "kill");
    cmd->callback([o, &runner] { runner.status = run_kill(*o); });
}

}  // namespace proxyctl
