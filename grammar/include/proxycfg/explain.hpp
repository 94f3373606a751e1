// `proxyctl explain`: what would happen to one connection, and which line decides. The
// decision is evaluate()'s own, recorded step by step (EvalTrace), so the answer is the
// one admission gives; the JSON form is rendered here once for the offline command and
// proxyd's `explain` control command alike.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxycfg/bandlim.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxycfg {

// One hypothetical (or recorded) connection, owning its strings: AccessRequest views them.
struct ExplainRequest {
    std::optional<std::string> user;  // nullopt: the client gave no username
    std::optional<std::string> password;
    IpAddress client;
    bool target_given = false;
    std::string target_host;  // empty for an address literal
    std::optional<IpAddress> target_address;
    std::uint16_t port = 0;
    std::uint32_t operation = op::CONNECT;
    int weekday = -1;  // 0 = Sunday; -1: unknown
    std::int32_t seconds_of_day = -1;
    std::string verified_secret;  // a session's: the secret its password matched
    // What the auth cache holds for this client (the `cache` auth type): the cached user,
    // its secret when cached, and whether `limit` ties it to another address.
    std::optional<std::string> cached_user;
    std::string cached_secret;
    bool cached_other_address = false;

    AccessRequest view() const;
};

// "HH:MM[:SS]", optionally after a weekday ("Mon 14:00", "sunday 9:30"). A time alone
// keeps `weekday`. False for anything else, with the reason in `error`.
bool parse_when(std::string_view text, ExplainRequest& request, std::string& error);
// "host:port", "1.2.3.4:80", "[::1]:443"; the host may be a name or an address literal.
bool parse_target(std::string_view text, ExplainRequest& request, std::string& error);

// Which service receives the connection. `selector` is a label ("socks:1080@127.0.0.1"),
// TYPE:PORT ("socks:1080") or a port number; empty: every service whose type can carry
// the operation (a port mapper only to its own destination).
struct ServiceChoice {
    const Service* service = nullptr;  // the first candidate; null: none
    std::vector<const Service*> candidates;
    std::string error;  // why none was found
};
ServiceChoice choose_service(const Model& model, std::string_view selector,
                             const ExplainRequest& request);

struct Explanation {
    const Service* service = nullptr;
    Decision decision;
    EvalTrace trace;
    std::vector<std::size_t> connlims;  // indices into globals.connlims
    BandLimitMatch bandlims;
    std::vector<std::size_t> counters;  // indices into globals.counters
};

// Evaluates `request` on `service` exactly as admission does, recording each step.
Explanation explain(const Model& model, const Service& service, const ExplainRequest& request);

// The text of one source line, for showing the line that decides ("" when unknown).
using LineLookup = std::function<std::string(const SourceSpan&)>;
// Lines of `model`'s files as read now, each file only while its bytes are still the ones
// loaded (a daemon's model keeps no text): an edited file shows no line text.
LineLookup loaded_file_lines(const Model& model);

// The explanation as JSON (docs/schemas/explain.schema.json): stable keys for scripts,
// and what the text form is printed from. `others`: the other services that could
// receive it. Passwords never appear.
nlohmann::json explanation_json(const Model& model, const Explanation& e,
                                const ExplainRequest& request,
                                const std::vector<const Service*>& others,
                                const LineLookup& line_text);

// The same for people.
void write_explanation_text(std::ostream& out, const nlohmann::json& explanation);

}  // namespace proxycfg
