#include "control/wire.hpp"

#include "proxycfg/format.hpp"
#include "proxycfg/util.hpp"

namespace proxyd::control_cmd {

namespace {

std::string result_name(ReloadOutcome::Result r) {
    switch (r) {
        case ReloadOutcome::Result::ok:
            return "ok";
        case ReloadOutcome::Result::failed:
            return "failed";
        case ReloadOutcome::Result::dry_run:
            return "dry_run";
    }
    return "failed";
}

nlohmann::json changes_json(const LoadFindings& load) {
    auto out = nlohmann::json::array();
    for (const auto& c : load.changes)
        out.push_back(nlohmann::json(proxycfg::model_change_json(load.file, c)));
    return out;
}

}  // namespace

control::ReloadRecord reload_record(const ReloadOutcome& outcome) {
    control::ReloadRecord r;
    r.generation = outcome.generation;
    r.trigger = outcome.trigger;
    r.started_at_ms = proxycfg::unix_ms(outcome.started);
    r.duration_us = static_cast<std::uint64_t>(outcome.duration.count());
    r.result = result_name(outcome.result);
    r.diagnostics = proxycfg::diagnostics_json(outcome.load.file);
    // The reload's own refusals belong to no file: an empty CheckedFile gives a null file.
    for (const auto& d : outcome.refusals)
        r.diagnostics.push_back(nlohmann::json(proxycfg::diagnostic_json({}, d)));
    r.changes = changes_json(outcome.load);
    r.sessions = outcome.sessions;
    r.listeners = outcome.listeners;
    r.auth_cache = outcome.auth_cache;
    return r;
}

control::DiffResult diff_result(const DiskDiff& diff) {
    control::DiffResult d;
    d.differs = diff.differs;
    d.files = diff.files;
    d.changes = changes_json(diff.load);
    d.impact = diff.impact;
    d.auth_cache_dropped = diff.auth_cache_dropped;
    d.rate_changes = diff.rate_changes;
    d.diagnostics = proxycfg::diagnostics_json(diff.load.file);
    return d;
}

}  // namespace proxyd::control_cmd
