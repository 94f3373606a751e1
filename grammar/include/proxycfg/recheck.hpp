// What a reload does to a live session, decided by the same evaluator that admitted it.
// proxyd uses it for SIGUSR1/`reload` re-checks; `proxyctl diff` uses it to predict the
// impact of a reload before it happens.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxycfg {

// A live session as recorded at admission: the service it was admitted on and the request
// it made, with its credentials. Views into the caller's session record, which outlives
// the re-check: thousands of sessions are re-checked without copying a string.
struct SessionFacts {
    std::string_view service_label;  // Service::label it was admitted on
    AccessRequest request;           // verified_secret: the secret its password matched
    // The parents it goes through, in order (empty: direct); nullopt while not yet known
    // (in its handshake) or when the caller cannot tell. When known, the entry that admits
    // it under the new configuration must be able to draw that chain.
    std::optional<std::span<const Parent* const>> chain;
};

enum class RecheckOutcome : std::uint8_t {
    kept_noforce,  // its service is noforce: sessions are never re-checked
    kept_allowed,  // re-checked and still allowed
    closed_service_removed,
    closed_denied,          // re-checked and refused: see verdict
    drain_service_removed,  // service removed but it was noforce: left to finish
};

struct RecheckResult {
    RecheckOutcome outcome = RecheckOutcome::kept_allowed;
    Verdict verdict = Verdict::allowed;
    bool closes() const {
        return outcome == RecheckOutcome::closed_service_removed ||
               outcome == RecheckOutcome::closed_denied;
    }
    // "user removed", "password changed", "ACL now denies", "service removed"
    std::string reason() const;
};

const Service* find_service(const Model& model, std::string_view label);

// `old_model` is the generation the session runs under (for the force flag of a service
// the new configuration removed); `new_model` the one being loaded.
RecheckResult recheck_session(const Model& old_model, const Model& new_model,
                              const SessionFacts& session);
// The same with the session's service already looked up in both generations (`now` null:
// removed), for callers that re-check thousands of sessions of few services.
RecheckResult recheck_session(const Service* before, const Service* now, const Model& new_model,
                              const SessionFacts& session);

}  // namespace proxycfg
