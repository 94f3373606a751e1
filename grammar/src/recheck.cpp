#include "proxycfg/recheck.hpp"

namespace proxycfg {

std::string RecheckResult::reason() const {
    switch (outcome) {
        case RecheckOutcome::kept_noforce:
            return "kept (noforce)";
        case RecheckOutcome::kept_allowed:
            return "kept (still allowed)";
        case RecheckOutcome::closed_service_removed:
            return "service removed";
        case RecheckOutcome::drain_service_removed:
            return "service removed (noforce: draining)";
        case RecheckOutcome::closed_denied:
            return std::string(describe(verdict));
    }
    return "?";
}

const Service* find_service(const Model& model, std::string_view label) {
    for (const auto& s : model.services)
        if (s.label == label) return &s;
    return nullptr;
}

RecheckResult recheck_session(const Model& old_model, const Model& new_model,
                              const SessionFacts& session) {
    return recheck_session(find_service(old_model, session.service_label),
                           find_service(new_model, session.service_label), new_model, session);
}

RecheckResult recheck_session(const Service* before, const Service* now, const Model& new_model,
                              const SessionFacts& session) {
    RecheckResult r;
    if (!now) {
        // The old service's own flag decides, as the operator wrote it when it existed.
        bool forced = before ? before->force().value : true;
        r.outcome =
            forced ? RecheckOutcome::closed_service_removed : RecheckOutcome::drain_service_removed;
        return r;
    }
    // The flag in the new configuration decides: writing noforce is how an operator says
    // "keep what is open", writing force how they say "enforce it now".
    if (!now->force().value) {
        r.outcome = RecheckOutcome::kept_noforce;
        return r;
    }
    Decision d = evaluate(new_model, *now, session.request);
    if (d.allowed() && session.chain) {
        // Allowed, but through other parents (or none, or now some): what carries the
        // session is no longer what the configuration says.
        auto parents =
            d.entry ? std::span<const Parent>(d.entry->parents) : std::span<const Parent>();
        if (!chain_possible(parents, *session.chain)) d.verdict = Verdict::chain_revoked;
    }
    r.verdict = d.verdict;
    r.outcome = d.allowed() ? RecheckOutcome::kept_allowed : RecheckOutcome::closed_denied;
    return r;
}

}  // namespace proxycfg
